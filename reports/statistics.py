"""Numbers behind the charts and tables: quantile bands, table statistics, target verdicts.

All values here are in model units; ``reports.indicators.Indicator`` converts them for
display. A single run is one sample, so its quantiles are its values.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from qdsim.errors import TargetError
from qdsim.target_summary import SUMMARY_COLUMNS, summarize_verdicts
from qdsim.targets import Target, evaluate
from reports.inputs import ReportInputs

log = logging.getLogger(__name__)

#: Quantiles of the fan charts: 90% band, 50% band and the median.
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Years and periods of the projection tables.
TABLE_YEARS = (2020, 2025, 2030, 2035)
TABLE_PERIODS = {"mean_2021_2025": (2021, 2025), "mean_2026_2035": (2026, 2035)}
#: Statistics over samples in the tables of batches.
BATCH_STATISTICS = {"median": 0.5, "p05": 0.05, "p95": 0.95}
#: Column keys of a projection table: the table years, then the period means.
TABLE_COLUMNS = tuple(str(year) for year in TABLE_YEARS) + tuple(TABLE_PERIODS)


def _quiet_quantile(values: np.ndarray, quantiles, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, as wanted
        return np.nanquantile(values, quantiles, axis=axis)


def fan_bands(inputs: ReportInputs, variable: str) -> xr.DataArray:
    """Quantiles ``FAN_QUANTILES`` over samples, dims (quantile, scenario, year) [model unit]."""
    array = inputs.dataset[variable].where(inputs.valid).transpose("scenario", "sample", "year")
    values = _quiet_quantile(array.to_numpy(), FAN_QUANTILES, axis=1)
    return xr.DataArray(values, dims=("quantile", "scenario", "year"),
                        coords={"quantile": list(FAN_QUANTILES),
                                "scenario": array["scenario"], "year": array["year"]})


def per_sample_columns(series: np.ndarray, years: np.ndarray) -> dict[str, np.ndarray]:
    """Table columns for each sample of ``series`` (shape (sample, year)) [model unit].

    A year the results lack, or a period they do not fully cover, gives NaN.
    """
    samples = series.shape[0]
    columns: dict[str, np.ndarray] = {}
    for year in TABLE_YEARS:
        index = np.flatnonzero(years == year)
        columns[str(year)] = series[:, index[0]] if index.size else np.full(samples, np.nan)
    for key, (first, last) in TABLE_PERIODS.items():
        inside = (years >= first) & (years <= last)
        if inside.sum() == last - first + 1:
            columns[key] = series[:, inside].mean(axis=1)
        else:
            columns[key] = np.full(samples, np.nan)
    return columns


def table_statistics(inputs: ReportInputs, scenario: str, variable: str
                     ) -> dict[str, dict[str, float]]:
    """Statistic -> column -> value [model unit] for one scenario and variable.

    A single run gives the statistic ``value``; a batch gives ``median``, ``p05``, ``p95``
    over samples of each column (the period means are taken per sample first), after
    ``central`` (the single run) when a run of the scenario was given beside the batch.
    """
    single = inputs.valid_samples(scenario)
    series = single[variable].transpose("sample", "year").to_numpy()
    columns = per_sample_columns(series, single["year"].to_numpy())
    if not inputs.has_samples(scenario):
        return {"value": {key: float(values[0]) for key, values in columns.items()}}
    result: dict[str, dict[str, float]] = {}
    run = inputs.central_run(scenario)
    if run is not None:
        run_columns = per_sample_columns(run[variable].to_numpy()[np.newaxis],
                                         run["year"].to_numpy())
        result["central"] = {key: float(values[0]) for key, values in run_columns.items()}
    result.update({name: {} for name in BATCH_STATISTICS})
    for key, values in columns.items():
        quantiles = _quiet_quantile(values, list(BATCH_STATISTICS.values()), axis=0)
        for name, value in zip(BATCH_STATISTICS, quantiles, strict=True):
            result[name][key] = float(value)
    return result


def _evaluable(inputs: ReportInputs, targets: Sequence[Target]) -> list[Target]:
    usable = []
    probe = inputs.dataset.isel(scenario=[0], sample=[0])
    for target in targets:
        if target.variable not in inputs.dataset:
            log.warning("target %s skipped: the results hold no '%s'", target.id,
                        target.variable)
            continue
        try:
            evaluate(probe, [target])
        except TargetError as error:
            log.warning("target %s skipped: %s", target.id, error)
            continue
        usable.append(target)
    return usable


def target_verdicts(inputs: ReportInputs, targets: Sequence[Target]) -> pd.DataFrame:
    """One row per scenario and target the results can judge [target unit].

    The columns of ``qdsim.target_summary.summarize_verdicts`` (the same summary as
    ``qdsim targets --samples``) over the valid samples of each scenario, ordered by
    target, then scenario.
    """
    usable = _evaluable(inputs, targets)
    if not usable:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    verdicts = evaluate(inputs.dataset, usable)
    valid = inputs.valid.to_dataframe(name="valid").reset_index()
    verdicts = verdicts.merge(valid, on=["scenario", "sample"])
    frame = summarize_verdicts(verdicts[verdicts["valid"]], usable)
    order = {target.id: index for index, target in enumerate(usable)}
    scenario_order = {name: index for index, name in enumerate(inputs.scenarios)}
    frame = frame.sort_values(by=["target", "scenario"], key=lambda column: column.map(
        order if column.name == "target" else scenario_order))
    return frame.reset_index(drop=True)
