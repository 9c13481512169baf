"""The calibration's posterior sample, as the scenario and sampling code read it.

``qdsim calibrate`` (``calibration.output``) writes ``<stem>_posterior.nc`` (draw ×
parameter, plus the point estimates); everything downstream (``uncertain:`` blocks,
batches, sensitivity, solve's comparison with 2016-2020) reads it through this module, so
the core package never imports the calibration package.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

#: The posterior sample shipped with the repository (written by ``qdsim calibrate``).
SHIPPED_POSTERIOR = (Path(__file__).resolve().parent.parent / "calibration"
                     / "calibrated_posterior.nc")


def posterior_path(calibrated: Path) -> Path:
    """Where the posterior sample of ``calibrated`` lives."""
    return calibrated.with_name(f"{calibrated.stem}_posterior.nc")


def read_posterior(path: Path | str) -> tuple[pd.DataFrame, pd.Series]:
    """The posterior sample (draw × parameter) at ``path`` and the point estimates."""
    with xr.open_dataset(path, engine="h5netcdf") as opened:
        draws = opened["draws"].load()
        estimate = opened["estimate"].load()
    if not (np.isfinite(draws.to_numpy()).all() and np.isfinite(estimate.to_numpy()).all()):
        raise ValueError("the posterior sample holds NaN or infinite values")
    names = [str(p) for p in draws["parameter"].values]
    return (pd.DataFrame(draws.to_numpy(), columns=names),
            pd.Series(estimate.to_numpy(), index=names))


def cached_posterior(path: Path | str) -> tuple[pd.DataFrame, pd.Series]:
    """:func:`read_posterior`, cached by path, modification time and size (scenario loading
    checks each posterior entry against it, batches and sensitivity read it per design: a
    batch of 7 scenarios opened the file over a hundred times). Do not modify the result."""
    status = os.stat(path)
    return _cached_posterior(str(path), status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=4)
def _cached_posterior(path: str, modified: int, size: int) -> tuple[pd.DataFrame, pd.Series]:
    return read_posterior(path)
