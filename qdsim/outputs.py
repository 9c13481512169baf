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
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from qdsim.errors import ResultsError
from qdsim.validation import disk_error, is_safe_name

#: Largest NetCDF results file read [bytes].
MAX_RESULTS_BYTES = 2 * 1024**3


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
    """Run ``writer(temporary_path)`` and move the result onto ``final``; a failed write
    (a full disk, no permission) raises ``ResultsError`` and leaves ``final`` as it was."""
    try:
        with atomic_path(final) as temporary:
            writer(temporary)
    except OSError as error:
        raise ResultsError(None, disk_error(final, error)) from error


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
    """Save ``dataset`` as NetCDF-4 (h5netcdf engine) atomically.

    The file is built in memory and then written by Python: HDF5 crashes the process when
    the disk fills up under it, Python raises an error that is reported in one line."""
    content = bytes(dataset.to_netcdf(engine="h5netcdf"))
    write_atomically(final, lambda tmp: _write_bytes(tmp, content))


def _write_bytes(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def write_csv(dataset: xr.Dataset, final: Path) -> None:
    """Save the long table of ``dataset`` as UTF-8 CSV atomically."""
    write_atomically(final, lambda tmp: long_table(dataset).to_csv(tmp, index=False))


def read_results(path: Path | str) -> xr.Dataset:
    """Open a qdsim results file: NetCDF (loaded into memory) or a batch's Zarr store
    (opened lazily: select what you need before loading)."""
    path = Path(path)
    if not path.exists():
        raise ResultsError(path, "results file not found")
    if not path.is_dir() and not path.is_file():
        raise ResultsError(path, "not a results file or batch store")
    if path.is_file() and path.stat().st_size > MAX_RESULTS_BYTES:
        raise ResultsError(path, f"larger than {MAX_RESULTS_BYTES:,} bytes; not a results file")
    try:
        if path.is_dir():
            dataset = xr.open_zarr(path)
        else:
            with xr.open_dataset(path, engine="h5netcdf") as opened:
                dataset = opened.load()
    except Exception as error:  # h5py/zarr/xarray raise many types for a damaged file
        raise ResultsError(path, f"not a readable results file ({_first_line(error)})"
                           ) from error
    if "model_sha256" not in dataset.attrs or "scenario" not in dataset.dims:
        raise ResultsError(path, "not a qdsim results file (no model hash or scenario axis)")
    if path.is_dir() and str(dataset.attrs.get("complete", 0)) != "1":
        raise ResultsError(path, "the batch is not complete; rerun the same 'qdsim batch'"
                           " command to finish it")
    check_results(path, dataset)
    return dataset


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def check_results(path: Path, dataset: xr.Dataset) -> None:
    """Refuse results that cannot be trusted: a scenario name that is not a safe file name
    (names become file names in reports), and a batch store with chunks missing. Numbers
    in memory must be finite."""
    for name in dataset.data_vars:
        if not is_safe_name(name):
            raise ResultsError(path, f"variable name {str(name)[:40]!r} is not a safe name;"
                               " the file is damaged or was not written by qdsim")
    for name in dataset["scenario"].to_numpy():
        if not is_safe_name(name):
            raise ResultsError(path, f"scenario name {str(name)[:40]!r} is not a safe file"
                               " name; the file is damaged or was not written by qdsim")
    if path.is_dir():
        check_store_chunks(path, dataset)
    else:
        check_finite(path, dataset)


def check_finite(path: Path, dataset: xr.Dataset) -> None:
    """Every number of ``dataset`` (loaded in memory) is finite."""
    for name, variable in dataset.data_vars.items():
        values = variable.to_numpy()
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise ResultsError(path, f"variable '{name}' holds NaN or infinite values; the"
                               " file is damaged")


def check_store_chunks(store: Path, dataset: xr.Dataset) -> None:
    """Every chunk of every variable of a batch store is on disk (a deleted or never
    written chunk would read as NaN)."""
    import zarr

    try:
        group = zarr.open_group(str(store), mode="r")
        for name in dataset.data_vars:
            array: Any = group[str(name)]  # a zarr Array (zarr types it as Array | Group)
            if array.nchunks_initialized != array.nchunks:
                raise ResultsError(store, f"variable '{name}' has"
                                   f" {array.nchunks - array.nchunks_initialized} of"
                                   f" {array.nchunks} chunks missing; the store is damaged:"
                                   " rerun the batch into a new folder")
    except ResultsError:
        raise
    except Exception as error:  # zarr raises many types for a damaged store
        raise ResultsError(store, f"not a readable batch store ({_first_line(error)})"
                           ) from error
