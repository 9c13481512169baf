"""Reading the result files a report is built from, and combining them along ``scenario``.

Single runs (dims scenario, year) and batches (dims scenario, sample, year, plus
``sampled_<parameter>`` variables over scenario, sample) are brought to one shape: every
variable gains a ``sample`` axis, a single run being one sample. When files hold different
numbers of samples the missing samples are NaN; ``valid`` marks the real ones.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from qdsim.errors import ResultsError
from qdsim.outputs import check_finite, read_results

log = logging.getLogger(__name__)

#: Global attributes copied into the provenance of each file, when present.
PROVENANCE_ATTRIBUTES = ("model_file", "model_sha256", "qdsim_version", "engine", "time_step",
                         "created_utc", "seed", "sampling", "calibration")


@dataclass(frozen=True)
class SourceFile:
    """One results file: its path, the scenarios it held and its global attributes."""

    path: Path
    scenarios: tuple[str, ...]
    samples: int
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportInputs:
    """Results combined along ``scenario``, with dims (scenario, sample, year).

    ``valid`` (dims scenario, sample) is True for samples holding numbers, False for the
    NaN padding added when files hold different numbers of samples; ``sample_counts``
    gives the number of valid samples per scenario: 1 for a single run.
    """

    dataset: xr.Dataset
    sources: tuple[SourceFile, ...]
    valid: xr.DataArray
    #: Single runs (dims scenario, year) of scenarios whose samples come from a batch: the
    #: central line beside the batch's band; None when no scenario was given both ways.
    central: xr.Dataset | None = None
    sample_counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        counts = self.valid.sum("sample")
        object.__setattr__(self, "sample_counts", {
            str(name): int(count) for name, count in zip(
                counts["scenario"].to_numpy(), counts.to_numpy(), strict=True)})

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in the order of the files given."""
        return [str(name) for name in self.dataset["scenario"].to_numpy()]

    @property
    def model_sha256(self) -> str:
        """Hash of the model file all results came from."""
        return str(self.dataset.attrs["model_sha256"])

    def has_samples(self, scenario: str) -> bool:
        """True when ``scenario`` comes from a batch of more than one sample."""
        return self.sample_counts[scenario] > 1

    @property
    def any_samples(self) -> bool:
        """True when at least one scenario has more than one sample."""
        return any(count > 1 for count in self.sample_counts.values())

    def central_run(self, scenario: str) -> xr.Dataset | None:
        """The single run of ``scenario`` given beside its batch (dims year), or None."""
        if self.central is None or scenario not in self.central["scenario"].to_numpy():
            return None
        return self.central.sel(scenario=scenario)

    def valid_samples(self, scenario: str) -> xr.Dataset:
        """The results of one scenario without padding samples (dims sample, year)."""
        single = self.dataset.sel(scenario=scenario)
        return single.isel(sample=np.flatnonzero(self.valid.sel(scenario=scenario).to_numpy()))


def read_one(path: Path) -> xr.Dataset:
    """One results file in memory: NetCDF from ``qdsim run``, or a batch's Zarr store
    (``qdsim.outputs.read_results`` opens it lazily and refuses an unfinished one)."""
    dataset = read_results(path)
    try:
        dataset = dataset.load()
    except Exception as error:  # zarr/dask raise many types for a damaged store
        raise ResultsError(path, f"cannot read the results ({error})") from error
    check_finite(path, dataset)
    if str(dataset.attrs.get("complete", 1)) in ("0", "False", "false"):
        raise ResultsError(path, "the batch is unfinished; rerun the same `qdsim batch`"
                           " command to complete it")
    return dataset


def _with_sample_axis(dataset: xr.Dataset) -> xr.Dataset:
    if "sample" in dataset.dims:
        return dataset
    over_scenario = [name for name, variable in dataset.data_vars.items()
                     if "scenario" in variable.dims]
    expanded = dataset[over_scenario].expand_dims(sample=[0], axis=1)
    return expanded.assign_attrs(dataset.attrs)


def _valid_samples(dataset: xr.Dataset) -> xr.DataArray:
    """True where a (scenario, sample) holds numbers in any year of any variable."""
    over_years = [v.notnull().any([d for d in v.dims if d not in ("scenario", "sample")])
                  for v in dataset.data_vars.values() if "year" in v.dims]
    return xr.concat(over_years, dim="variable").any("variable").transpose("scenario", "sample")


def _align_scenario_coordinates(datasets: list[xr.Dataset]) -> list[xr.Dataset]:
    """Give every dataset the per-scenario coordinates any of them has, empty text where
    a file lacks one (results written before ``scenario_origins`` or
    ``scenario_calibration`` existed), so that older and newer files combine."""
    names = {name for dataset in datasets for name, coordinate in dataset.coords.items()
             if coordinate.dims == ("scenario",) and name != "scenario"}
    aligned = []
    for dataset in datasets:
        missing = {name: ("scenario", [""] * dataset.sizes["scenario"])
                   for name in sorted(names - set(dataset.coords))}
        aligned.append(dataset.assign_coords(missing) if missing else dataset)
    return aligned


def _pair_runs_with_batches(paths: list[Path], datasets: list[xr.Dataset]
                            ) -> tuple[list[xr.Dataset], xr.Dataset | None]:
    """Take out of the single-run files each scenario that a batch also holds, as the
    central runs; refuse any other repetition, and a run whose scenario file differs from
    the batch's (``scenario_sha256``)."""
    where: dict[str, list[int]] = {}
    for index, dataset in enumerate(datasets):
        for name in dataset["scenario"].to_numpy():
            where.setdefault(str(name), []).append(index)
    paired: dict[int, list[str]] = {}
    for name, indices in where.items():
        if len(indices) == 1:
            continue
        batches = [i for i in indices if "sample" in datasets[i].dims]
        runs = [i for i in indices if "sample" not in datasets[i].dims]
        if len(indices) != 2 or len(batches) != 1:
            raise ResultsError(paths[indices[1]], f"scenario '{name}' was already read from"
                               f" {paths[indices[0]]}; give each scenario once, or once as"
                               " a run and once in a batch")
        run, batch = datasets[runs[0]].sel(scenario=name), datasets[batches[0]].sel(
            scenario=name)
        if ("scenario_sha256" in run.coords and "scenario_sha256" in batch.coords
                and str(run["scenario_sha256"].values) != str(batch["scenario_sha256"].values)):
            raise ResultsError(paths[runs[0]], f"scenario '{name}' differs from the one in the"
                               f" batch {paths[batches[0]]} (another scenario file); rerun"
                               " both from the same file")
        paired.setdefault(runs[0], []).append(name)
    if not paired:
        return datasets, None
    central, kept = [], []
    for index, dataset in enumerate(datasets):
        names = paired.get(index, [])
        if names:
            yearly = [n for n, v in dataset.data_vars.items() if "year" in v.dims]
            central.append(dataset[yearly].sel(scenario=names))
            dataset = dataset.drop_sel(scenario=names)
        if dataset.sizes["scenario"]:
            kept.append(dataset)
    runs = xr.concat(_align_scenario_coordinates(central), dim="scenario", join="outer",
                     combine_attrs="override")
    return kept, runs.transpose("scenario", "year", ...)


def read_report_inputs(paths: Sequence[Path | str]) -> ReportInputs:
    """Read every results file and combine them along ``scenario``.

    A scenario given as a single run (``qdsim run``) and in a batch is shown with its
    samples from the batch and its central line from the run (``ReportInputs.central``).
    Raises ``ResultsError`` naming the file when one is missing or unreadable, comes from
    a model other than the first file's (``model_sha256``), holds no scenario, or repeats a
    scenario otherwise.
    """
    if not paths:
        raise ResultsError(None, "no results files given")
    datasets: list[xr.Dataset] = []
    sources: list[SourceFile] = []
    read_paths: list[Path] = []
    first_hash = None
    for raw_path in paths:
        path = Path(raw_path)
        dataset = read_one(path)
        model_hash = str(dataset.attrs["model_sha256"])
        if first_hash is None:
            first_hash = model_hash
        elif model_hash != first_hash:
            raise ResultsError(path, f"results from another model version (model_sha256"
                               f" {model_hash[:12]}, the first file's is {first_hash[:12]});"
                               " rerun the scenarios with one model")
        if dataset.sizes["scenario"] == 0 or "year" not in dataset.dims:
            raise ResultsError(path, "the file holds no scenario results over years")
        names = [str(name) for name in dataset["scenario"].to_numpy()]
        if len(set(names)) != len(names):
            raise ResultsError(path, "the file holds a scenario twice; give each scenario"
                               " once")
        sampled = _with_sample_axis(dataset)
        empty = [name for name, count in zip(names, _valid_samples(sampled).sum("sample")
                                                    .to_numpy(), strict=True) if count == 0]
        if empty:
            raise ResultsError(path, f"scenario '{empty[0]}' holds no numbers (all NaN)")
        sources.append(SourceFile(
            path=path, scenarios=tuple(names), samples=int(sampled.sizes["sample"]),
            attributes={key: str(dataset.attrs[key]) for key in PROVENANCE_ATTRIBUTES
                        if key in dataset.attrs}))
        datasets.append(dataset)
        read_paths.append(path)
        log.info("read %s: %d scenarios, %d samples", path, len(names), sampled.sizes["sample"])
    datasets, central = _pair_runs_with_batches(read_paths, datasets)
    datasets = [_with_sample_axis(dataset) for dataset in datasets]
    combined = datasets[0] if len(datasets) == 1 else xr.concat(
        _align_scenario_coordinates(datasets), dim="scenario", join="outer",
        combine_attrs="override")
    combined = combined.transpose("scenario", "sample", "year", ...)
    combined.attrs["model_sha256"] = first_hash
    return ReportInputs(dataset=combined, sources=tuple(sources),
                        valid=_valid_samples(combined), central=central)
