"""The one summary of target verdicts over samples: P(met), first year met, quantiles.

``qdsim targets --samples`` and the reports' scorecard both use :func:`summarize_verdicts`,
so a probability or a first year reads the same on the terminal and in a report.

First-year figures are taken **among the draws that reach the target** (a first year
exists) and ``probability_never`` is the share of draws that never do within the run; for
a peak-year target a draw whose maximum is the last year has not peaked and counts as never.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from qdsim.targets import Target

#: Columns of the summary, in order. Values in the target's model unit; probabilities as
#: fractions; years as numbers (NaN where none).
SUMMARY_COLUMNS = (
    "scenario", "target", "samples", "projected", "projected_p05", "projected_p95",
    "target_value", "gap", "gap_p05", "gap_p95", "probability_met",
    "first_year_p10", "first_year_met", "first_year_p90", "probability_never")
#: Quantiles of the first year among draws that reach the target.
FIRST_YEAR_QUANTILES = (0.1, 0.5, 0.9)


def _quantiles(values: np.ndarray, quantiles: Sequence[float]) -> list[float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [np.nan] * len(quantiles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return [float(v) for v in np.quantile(finite, quantiles)]


def timed(target: Target) -> bool:
    """Whether the target has a first year: a value set, on one year's value or the peak."""
    return target.value is not None and target.statistic in ("value", "peak_year")


def summarize_verdicts(verdicts: pd.DataFrame, targets: Sequence[Target]) -> pd.DataFrame:
    """Per scenario and target over the rows (samples) of ``verdicts`` from ``evaluate``.

    ``projected`` and ``gap`` are medians, ``_p05``/``_p95`` their 5% and 95% quantiles
    [target unit]; ``probability_met`` is the share of samples meeting the target (NaN when
    the plan sets no value); ``first_year_p10``/``first_year_met``/``first_year_p90`` are the
    10/50/90% quantiles of the first year met among the samples that reach it [year];
    ``probability_never`` is the share that never reaches it (NaN for targets without a
    first year). Rows keep the order of ``verdicts``.
    """
    by_id = {t.id: t for t in targets}
    rows = []
    for (scenario, target_id), group in verdicts.groupby(["scenario", "target"], sort=False):
        chosen = by_id[target_id]
        projected = group["projected"].to_numpy(dtype=float)
        median, low, high = _quantiles(projected, (0.5, 0.05, 0.95))
        target_value = np.nan if chosen.value is None else float(chosen.value)
        met = group["met"]
        first = group["first_year_met"].to_numpy(dtype=float)
        reached = np.isfinite(first)
        p10, p50, p90 = _quantiles(first, FIRST_YEAR_QUANTILES)
        rows.append({
            "scenario": scenario, "target": target_id, "samples": len(group),
            "projected": median, "projected_p05": low, "projected_p95": high,
            "target_value": target_value, "gap": median - target_value,
            "gap_p05": low - target_value, "gap_p95": high - target_value,
            "probability_met": (np.nan if chosen.value is None or met.isna().any()
                                else float(met.astype(float).mean())),
            "first_year_p10": p10, "first_year_met": p50, "first_year_p90": p90,
            "probability_never": (1.0 - float(reached.mean())) if timed(chosen) else np.nan,
        })
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
