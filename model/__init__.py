"""The Qingdao model: the Vensim file and the engines that run it.

The equations live only in ``qingdao.mdl``. This package loads, translates and runs that
file; it knows nothing of scenario YAML files, targets or plots.
"""

from pathlib import Path

MODEL_PATH = Path(__file__).with_name("qingdao.mdl")

__all__ = ["MODEL_PATH"]
