"""Reference engine: the model file translated and run by PySD, one parameter set a run.

PySD writes its translation (a ``.py`` file) next to the model file. To leave the package
directory untouched (it may be read-only once installed) the model is copied into a
private cache folder named after the file's SHA-256 and translated there once; later loads
reuse it only if it is still this user's unchanged file (``model.cache_safety``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from model import MODEL_PATH, cache_safety
from model.errors import ModelError

log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cache_root() -> Path:
    """Folder for translated models: ``$QDSIM_CACHE`` or ``$XDG_CACHE_HOME/qdsim``, if it
    is private to this user (``model.cache_safety``)."""
    return cache_safety.cache_root()


def translated_model_path(mdl_path: Path = MODEL_PATH) -> Path:
    """Path of the PySD translation of ``mdl_path``, translating it on first use."""
    import pysd

    mdl_path = Path(mdl_path)
    if not mdl_path.is_file():
        raise ModelError(f"{mdl_path}: model file not found")
    digest = file_sha256(mdl_path)[:16]
    target_dir = cache_root() / f"{mdl_path.stem}-{digest}-pysd{pysd.__version__}"
    translated = target_dir / f"{mdl_path.stem}.py"
    if cache_safety.read_trusted(translated) is not None:
        return translated  # imported, so only our own unchanged translation is used
    if target_dir.exists():
        shutil.rmtree(target_dir, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(dir=cache_root(), prefix=".translate-"))
    try:
        shutil.copy2(mdl_path, scratch / mdl_path.name)
        log.info("translating %s with PySD %s", mdl_path, pysd.__version__)
        try:
            pysd.read_vensim(str(scratch / mdl_path.name))
        except Exception as error:  # PySD raises many types; wrap them in ours
            raise ModelError(f"{mdl_path}: PySD could not translate the model: {error}") from error
        cache_safety.record_digest(scratch / translated.name)
        try:
            os.replace(scratch, target_dir)
        except OSError:
            # Another process finished first: use its translation if it can be trusted.
            if cache_safety.read_trusted(translated) is None:
                return _keep_private(scratch, translated.name)
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return translated


def _keep_private(scratch: Path, name: str) -> Path:
    """Use a translation in its scratch folder for this process (removed at exit)."""
    import atexit

    kept = Path(tempfile.mkdtemp(prefix="qdsim-pysd-"))
    os.replace(scratch, kept / "model")
    atexit.register(shutil.rmtree, kept, True)
    return kept / "model" / name


@lru_cache(maxsize=4)
def _documentation(mdl_path: str) -> pd.DataFrame:
    return load_pysd_model(Path(mdl_path)).doc.copy()


def model_documentation(mdl_path: Path = MODEL_PATH) -> pd.DataFrame:
    """PySD's table of every model element: names, units, limits, type and comment."""
    return _documentation(str(Path(mdl_path).resolve()))


def load_pysd_model(mdl_path: Path = MODEL_PATH):
    """A fresh PySD model object for ``mdl_path`` (from the cached translation)."""
    import pysd

    return pysd.load(str(translated_model_path(mdl_path)))


def _all_columns(mdl_path: Path, requested) -> list[str]:
    documentation = model_documentation(mdl_path)
    everything = [name for name, kind in zip(documentation["Py Name"], documentation["Type"],
                                             strict=True)
                  if name != "time" and kind in ("Auxiliary", "Stateful", "Constant")]
    return list(dict.fromkeys([*requested, *everything]))


def run_pysd(
    params: dict[str, float | pd.Series],
    return_columns: list[str],
    return_times: np.ndarray,
    *,
    time_step: float | None = None,
    final_time: float | None = None,
    mdl_path: Path = MODEL_PATH,
) -> pd.DataFrame:
    """Run the model once in PySD.

    ``params`` maps py names to constants or to ``pandas.Series`` indexed by year [year]
    (PySD interpolates linearly between points and holds the end values). Returns a frame
    indexed by time [year] with one column per requested variable, in model units.
    """
    model = load_pysd_model(mdl_path)
    try:
        with warnings.catch_warnings():
            # PySD warns each time a constant is given as a time series: that is our intent.
            warnings.filterwarnings("ignore", message="Replacing a constant value")
            # All columns are computed and then selected: PySD 3.14 gives a wrong
            # DELAY FIXED result when the delayed input itself is not returned (its
            # states are updated in name order and re-read the input), so asking for
            # everything keeps every requested column right.
            frame = model.run(
                params=dict(params),
                return_columns=_all_columns(mdl_path, return_columns),
                return_timestamps=list(np.asarray(return_times, dtype=float)),
                time_step=time_step,
                final_time=final_time,
                progress=False,
                flatten_output=False,  # a subscripted column: one labelled array a time
            )
    except Exception as error:  # PySD raises many types; wrap them in ours
        raise ModelError(f"PySD run failed: {error}") from error
    missing = [column for column in return_columns if column not in frame.columns]
    if missing:
        raise ModelError(f"PySD returned no column {', '.join(missing)}")
    return frame[list(return_columns)]


@lru_cache(maxsize=4)
def _controls(mdl_path: str) -> dict[str, float]:
    components = load_pysd_model(Path(mdl_path)).components
    return {name: float(getattr(components, name)())
            for name in ("initial_time", "final_time", "time_step", "saveper")}


def control_values(mdl_path: Path = MODEL_PATH) -> dict[str, float]:
    """The model file's simulation control: initial_time, final_time [year], time_step,
    saveper [year]."""
    return dict(_controls(str(Path(mdl_path).resolve())))
