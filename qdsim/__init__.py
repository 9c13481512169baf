"""qdsim library: scenarios, runs, results and target verdicts for the Qingdao model."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qdsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
