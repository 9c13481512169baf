"""Writing and reading result files: NetCDF and long-format CSV, always atomically.

Every file is first written to a temporary name in the destination folder and then
renamed over the final name, so a reader never sees a half-written file and an
interrupted run leaves the previous file intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import xarray as xr

from qdsim.errors import ResultsError


@contextmanager
def atomic_path(final: Path):
    """Yield a temporary path beside ``final``; rename it onto ``final`` on success."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.",
                                         suffix=".tmp")
    os.close(handle)
    try:
        yield Path(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, final)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_atomically(final: Path, writer: Callable[[Path], None]) -> None:
    """Run ``writer(temporary_path)`` and move the result onto ``final``."""
    try:
        with atomic_path(final) as temporary:
            writer(temporary)
    except OSError as error:
        raise ResultsError(final, f"cannot write the file: {error.strerror or error}") from error


def long_table(dataset: xr.Dataset) -> pd.DataFrame:
    """Long format: scenario, [sample], variable, year, [one column per subscript
    dimension, empty for unsubscripted variables], value, unit (model units)."""
    frames = []
    for name, variable in dataset.data_vars.items():
        if "year" not in variable.dims:
            continue
        frame = variable.to_dataframe(name="value").reset_index()
        frame = frame[[*variable.dims, "value"]]
        frame.insert(list(variable.dims).index("year"), "variable", name)
        frame["unit"] = variable.attrs.get("units", "")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def write_netcdf(dataset: xr.Dataset, final: Path) -> None:
    """Save ``dataset`` as NetCDF-4 (h5netcdf engine) atomically."""
    write_atomically(final, lambda tmp: dataset.to_netcdf(tmp, engine="h5netcdf"))


def write_csv(dataset: xr.Dataset, final: Path) -> None:
    """Save the long table of ``dataset`` as UTF-8 CSV atomically."""
    write_atomically(final, lambda tmp: long_table(dataset).to_csv(tmp, index=False))


def read_results(path: Path | str) -> xr.Dataset:
    """Open a qdsim results file: NetCDF (loaded into memory) or a batch's Zarr store
    (opened lazily: select what you need before loading)."""
    path = Path(path)
    if not path.exists():
        raise ResultsError(path, "results file not found")
    try:
        if path.is_dir():
            dataset = xr.open_zarr(path)
        else:
            with xr.open_dataset(path, engine="h5netcdf") as opened:
                dataset = opened.load()
    except Exception as error:  # h5py/zarr/xarray raise many types for a damaged file
        raise ResultsError(path, f"not a readable results file ({error})") from error
    if "model_sha256" not in dataset.attrs or "scenario" not in dataset.dims:
        raise ResultsError(path, "not a qdsim results file (no model hash or scenario axis)")
    if path.is_dir() and int(dataset.attrs.get("complete", 0)) != 1:
        raise ResultsError(path, "the batch is not complete; rerun the same 'qdsim batch'"
                           " command to finish it")
    return dataset
