"""Scenario batches: many draws per scenario through the ensemble engine, in chunks.

A batch is one Zarr store ``DIR/batch.zarr`` holding a Dataset with dims (scenario,
sample, year), plus the sampled parameters as ``sampled_<name>`` (scenario, sample).
The store's layout is written first (no data); each chunk of samples is then computed
and written into its own region, and a marker file in ``DIR/batch.zarr/.qdsim_progress/``
is created only after the region is on disk. The store records its identity (scenario and
model hashes, seed, samples, design, variables); rerunning the same command checks it,
skips chunks whose marker and data are on disk and recomputes the others: an interrupted
batch (even ``kill -9``) finishes with no run lost or duplicated, since every chunk's
draws depend only on the seed. Chunks can run as tasks on a ``dask.distributed`` cluster;
results are the same as in process.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from model import MODEL_PATH
from model.pysd_engine import control_values, file_sha256
from qdsim.ensemble_runs import output_dimensions, simulate
from qdsim.errors import QdsimError
from qdsim.sampling import Design, design
from qdsim.scenario import ParameterValue, Scenario
from qdsim.simulation import label_results, model_years, simulate_scenarios
from qdsim.validation import disk_error
from qdsim.variables import BATCH_DEFAULT_VARIABLES, OUTPUT_VARIABLES

log = logging.getLogger(__name__)
STORE_NAME = "batch.zarr"
#: Version of the store layout: 2 keeps the progress markers inside the store.
STORE_FORMAT = 2
PROGRESS = ".qdsim_progress"


class BatchError(QdsimError):
    """A batch cannot be started or resumed as asked."""


def compute_chunk(parameters: Mapping[str, ParameterValue], count: int,
                  draws: Mapping[str, np.ndarray], modes: Mapping[str, str],
                  variables: Sequence[str], years: np.ndarray,
                  time_step: float | None) -> dict[str, np.ndarray]:
    """``count`` runs: each variable as (count, years). A pure function (a dask task)."""
    return simulate(parameters, count, list(variables), years, draws=draws, modes=modes,
                    time_step=time_step)


def _manifest(scenarios: Sequence[Scenario], samples: int, seed: int, chunk_size: int,
              method: str, variables: Sequence[str], time_step: float | None) -> dict:
    return {
        "store_format": STORE_FORMAT,
        "model_sha256": file_sha256(MODEL_PATH),
        "scenarios": [[s.name, s.sha256()] for s in scenarios],
        "samples": samples, "seed": seed, "chunk_size": chunk_size, "method": method,
        "variables": list(variables), "time_step": time_step,
    }


def _template(scenarios: Sequence[Scenario], designs: Sequence[Design], samples: int,
              years: np.ndarray, variables: Sequence[str], chunk_size: int, manifest: dict,
              time_step: float) -> xr.Dataset:
    import dask.array as dask_array

    shape = (len(scenarios), samples, len(years))
    chunks = (1, min(chunk_size, samples), len(years))
    subscripts, elements = output_dimensions(variables)
    sizes = {name: tuple(len(elements[d]) for d in subscripts.get(name, ())) for name in variables}
    empty = {name: dask_array.full((*shape, *sizes[name]), np.nan,
                                   chunks=(*chunks, *sizes[name])) for name in variables}
    dataset = label_results(empty, scenarios, years, engine="ensemble", time_step=time_step,
                            extra_dims=("sample",), variables=variables)
    sampled_names = sorted({name for d in designs for name in d.sampled})
    for name in sampled_names:
        dataset[f"sampled_{name}"] = (("scenario", "sample"), dask_array.full(
            shape[:2], np.nan, chunks=chunks[:2]))
        dataset[f"sampled_{name}"].attrs["long_name"] = f"sampled value of {name}"
    dataset = dataset.assign_coords(sample=np.arange(samples))
    dataset.attrs.update({"seed": seed_of(manifest), "samples": samples,
                          "sampling": manifest["method"], "complete": 0,
                          "qdsim_manifest": json.dumps(manifest, sort_keys=True)})
    return dataset


def seed_of(manifest: dict) -> int:
    return int(manifest["seed"])


def _create_store(store: Path, template: xr.Dataset) -> None:
    scratch = Path(tempfile.mkdtemp(dir=store.parent, prefix=f".{store.name}."))
    try:
        template.to_zarr(scratch / STORE_NAME, mode="w", compute=False, zarr_format=2,
                         consolidated=True)
        os.replace(scratch / STORE_NAME, store)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _open_or_create(out: Path, manifest: dict, make_template: Callable[[], xr.Dataset]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    store = out / STORE_NAME
    if store.exists():
        try:
            existing = json.loads(xr.open_zarr(store).attrs["qdsim_manifest"])
        except Exception as error:  # zarr raises many types for a damaged store
            raise BatchError(f"{store}: not a readable qdsim batch ({error}); delete it or"
                             " choose another --out") from error
        if existing != manifest:
            raise BatchError(f"{store}: holds a different batch (scenarios, samples, seed,"
                             " chunk size, variables or model differ); delete it or choose"
                             " another --out")
        log.info("resuming batch in %s", store)
        return store
    _create_store(store, make_template())
    return store


def _marker(store: Path, scenario_index: int, chunk_index: int) -> Path:
    """The file that says a chunk is on disk. It lives inside the store, so a new store
    never inherits the markers of a deleted one."""
    return store / PROGRESS / f"{scenario_index}-{chunk_index}"


def _chunk_on_disk(store: Path, scenario_index: int, chunk_index: int,
                   names: Sequence[str]) -> bool:
    """True when the marker and every variable's chunk file of one chunk exist (zarr
    format 2 keys: ``<variable>/<scenario>.<chunk>[.0]``)."""
    if not _marker(store, scenario_index, chunk_index).is_file():
        return False
    key = f"{scenario_index}.{chunk_index}"
    return all((store / name / f"{key}.0").is_file() or (store / name / key).is_file()
               for name in names)


def _check_finite(scenario: Scenario, start: int, stop: int,
                  values: Mapping[str, np.ndarray]) -> None:
    for name, array in values.items():
        if not np.isfinite(array).all():
            raise BatchError(f"scenario '{scenario.name}', samples {start}-{stop - 1}: the"
                             f" model gave NaN or infinite values of '{name}'; the scenario's"
                             " values or draws leave the model's valid domain")


def _write_chunk(store: Path, scenario_index: int, start: int, stop: int,
                 values: dict[str, np.ndarray], sampled: dict[str, np.ndarray]) -> None:
    subscripts, _ = output_dimensions(list(values))
    data: dict[str, tuple[tuple[str, ...], np.ndarray]] = {
        name: (("scenario", "sample", "year", *subscripts.get(name, ())), array[None])
        for name, array in values.items()}
    data.update({f"sampled_{name}": (("scenario", "sample"), array[None, start:stop])
                 for name, array in sampled.items()})
    region = {"scenario": slice(scenario_index, scenario_index + 1),
              "sample": slice(start, stop), "year": slice(None),
              **{dimension: slice(None) for names in subscripts.values()
                 for dimension in names}}
    xr.Dataset(data).to_zarr(store, region=region, zarr_format=2)


def run_batch(scenarios: Sequence[Scenario], out: Path, *, samples: int, seed: int,
              chunk_size: int = 10_000, method: str = "lhs",
              variables: Sequence[str] | None = None, time_step: float | None = None,
              client=None, progress: Callable[[int, int], None] | None = None) -> Path:
    """Run (or resume) a batch into ``out/batch.zarr``; returns the store's path.

    ``client``: a ``dask.distributed.Client`` to run chunks as tasks, or None to run them
    in this process. ``progress(done, total)`` is called as chunks finish.
    """
    if samples < 1 or chunk_size < 1:
        raise BatchError("--samples and --chunk-size must be at least 1")
    variables = list(variables or BATCH_DEFAULT_VARIABLES)
    unknown = [v for v in variables if v not in OUTPUT_VARIABLES]
    if unknown:
        raise BatchError(f"unknown output variables: {', '.join(unknown)}; allowed:"
                         f" {', '.join(OUTPUT_VARIABLES)}")
    years = model_years()
    step = control_values()["time_step"] if time_step is None else float(time_step)
    manifest = _manifest(scenarios, samples, seed, chunk_size, method, variables, time_step)
    designs = [design(s, samples, seed, method) for s in scenarios]
    try:
        return _run(scenarios, Path(out), manifest, designs, samples, years, variables,
                    chunk_size, step, time_step, client, progress)
    except OSError as error:
        raise BatchError(disk_error(Path(out) / STORE_NAME, error, "the batch")) from error


def _run(scenarios, out: Path, manifest: dict, designs: Sequence[Design], samples: int,
         years: np.ndarray, variables: list[str], chunk_size: int, step: float,
         time_step: float | None, client, progress) -> Path:
    store = _open_or_create(out, manifest, lambda: _template(
        scenarios, designs, samples, years, variables, chunk_size, manifest, step))
    _marker(store, 0, 0).parent.mkdir(exist_ok=True)
    chunk_starts = list(range(0, samples, chunk_size))
    names = [*variables, *(f"sampled_{name}" for name in
                           sorted({n for d in designs for n in d.sampled}))]
    pending = [(s, c) for s in range(len(scenarios)) for c in range(len(chunk_starts))
               if not _chunk_on_disk(store, s, c, names)]
    total = len(scenarios) * len(chunk_starts)
    done = total - len(pending)
    if progress:
        progress(done, total)

    def arguments(scenario_index: int, chunk_index: int):
        start = chunk_starts[chunk_index]
        stop = min(start + chunk_size, samples)
        chosen = designs[scenario_index]
        draws = {name: values[start:stop] for name, values in chosen.draws.items()}
        return (dict(scenarios[scenario_index].parameters), stop - start, draws, chosen.modes,
                variables, years, time_step), start, stop

    def finish(scenario_index: int, chunk_index: int, start: int, stop: int, values) -> None:
        nonlocal done
        _check_finite(scenarios[scenario_index], start, stop, values)
        _write_chunk(store, scenario_index, start, stop, values,
                     designs[scenario_index].sampled)
        _marker(store, scenario_index, chunk_index).touch()
        done += 1
        if progress:
            progress(done, total)

    if client is None:
        for scenario_index, chunk_index in pending:
            task, start, stop = arguments(scenario_index, chunk_index)
            finish(scenario_index, chunk_index, start, stop, compute_chunk(*task))
    else:
        from distributed import as_completed

        futures = {}
        for scenario_index, chunk_index in pending:
            task, start, stop = arguments(scenario_index, chunk_index)
            futures[client.submit(compute_chunk, *task, pure=False)] = (scenario_index, chunk_index,
                                                                   start, stop)
        for future in as_completed(futures, loop=client.loop):
            finish(*futures.pop(future), future.result())
    import zarr

    group = zarr.open_group(str(store), mode="r+")
    group.attrs["complete"] = 1
    zarr.consolidate_metadata(str(store))
    return store


def batch_in_memory(scenarios: Sequence[Scenario], *, samples: int, seed: int,
                    variables: Sequence[str], method: str = "lhs",
                    time_step: float | None = None) -> xr.Dataset:
    """A small batch kept in memory (for target probabilities): dims scenario, sample, year."""
    designs = [design(scenario, samples, seed, method) for scenario in scenarios]
    dataset = simulate_scenarios(scenarios, engine="ensemble", designs=designs,
                                 variables=variables, time_step=time_step)
    for index, scenario in enumerate(scenarios):
        _check_finite(scenario, 0, samples,
                      {name: dataset[name].to_numpy()[index] for name in variables})
    dataset.attrs.update({"seed": seed, "samples": samples, "sampling": method})
    return dataset
