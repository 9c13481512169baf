"""The fit report: a table of fit statistics and a model-vs-data chart per series.

Written into a folder: ``fit_statistics.csv`` and ``fit_report.md`` (MAPE, RMSE, R² and
Theil's U^M, U^S, U^C per series; the 2016-2020 moments; what the data do not pin down)
and ``fit_<variable>.png`` (observations, the best fit, and the 5-95% band of runs drawn
from the posterior sample).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration.estimator import Calibrator
from qdsim.ensemble_runs import simulate
from qdsim.outputs import atomic_path, write_atomically
from qdsim.units import display


def statistics_table(calibrator: Calibrator) -> pd.DataFrame:
    """One row per observed series: points and the fit statistics."""
    rows = [{"series": variable, **stats.as_dict()}
            for variable, stats in calibrator.fit_stats_.items()]
    return pd.DataFrame(rows)


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def report_markdown(calibrator: Calibrator) -> str:
    """The fit report as Markdown text."""
    table = statistics_table(calibrator)
    moments = pd.DataFrame(calibrator.moments_)
    identification = calibrator.identification_
    weak = [name for name, entry in identification["parameters"].items()
            if not entry["pinned_down"]]
    posterior = calibrator.posterior_.describe(percentiles=[0.05, 0.5, 0.95]).T
    estimates = pd.DataFrame({
        "parameter": calibrator.names,
        "median (used)": [calibrator.params_[n] for n in calibrator.names],
        "MAP": [calibrator.map_[n] for n in calibrator.names],
        "prior": [f"N({p.prior_mean:g}, {p.prior_sd:g})" if p.has_prior else "flat"
                  for p in calibrator.free_parameters],
        "low": [p.low for p in calibrator.free_parameters],
        "high": [p.high for p in calibrator.free_parameters],
        "posterior 5%": posterior["5%"].to_numpy(),
        "posterior 95%": posterior["95%"].to_numpy(),
        "sd/prior sd": [identification["parameters"][n]["posterior_sd_over_prior_sd"]
                        for n in calibrator.names],
    })
    pairs = identification["correlated_pairs"]
    lines = [
        "# Calibration fit report",
        "",
        f"Weighted sum of squared standardized residuals (chi-square) of the run at the"
        f" posterior medians, the values every single run uses: {calibrator.cost_:.3f}"
        f" over {len(calibrator.observations_)} observations (at the posterior mode, MAP:"
        f" {calibrator.map_cost_:.3f}). The statistics below describe the median run.",
        "",
        "## Fit per series (levels)",
        "",
        "Theil shares: U^M bias, U^S unequal variation, U^C unequal covariation (sum 1).",
        "",
        _markdown(table),
        "",
        "## 2016-2020 moments",
        "",
        _markdown(moments) if len(moments) else "(none in the window)",
        "",
        "## Estimates and posterior",
        "",
        _markdown(estimates),
        "",
        "## Posterior diagnostics",
        "",
        _diagnostics_text(calibrator.diagnostics_),
        "",
        "## Backtest",
        "",
        ("Rolling-origin backtest (calibrate up to 2018 or 2019, forecast to 2020, compare"
         " with naive extrapolation and count held-out points inside the 80% band):"
         " `backtest.md` in this folder, written by `qdsim backtest`."),
        "",
        "## What the data do not pin down",
        "",
        ("Not pinned down (posterior sd over half the prior sd, a cost slice rising by"
         " less than 4 across the bounds, or the estimate at a bound):"
         f" {', '.join(weak) if weak else 'none'}."),
        "",
        ("Estimates at a bound (the data push beyond the plausible range; projections lean"
         " on the bound): " + (", ".join(n for n, e in identification["parameters"].items()
                                         if e["at_bound"]) or "none") + "."),
        "",
        ("Strongly correlated pairs (|r| > 0.8): "
         + ("; ".join(f"{a} and {b} (r = {r:.2f})" for a, b, r in pairs) if pairs else "none")
         + "."),
    ]
    return "\n".join(lines) + "\n"


def _diagnostics_text(diagnostics: dict) -> str:
    thresholds = diagnostics["thresholds"]
    frame = pd.DataFrame([{"parameter": name, "split R-hat": entry["r_hat"],
                           "autocorrelation time [steps]": entry["autocorrelation_time"],
                           "effective sample size": entry["effective_sample_size"]}
                          for name, entry in diagnostics["parameters"].items()])
    verdict = "converged" if diagnostics["converged"] else "NOT converged"
    return "\n".join([
        f"emcee, {diagnostics['walkers']} walkers, {diagnostics['steps_after_burn_in']} steps"
        f" after burn-in: {verdict}. Rule: split R-hat (each walker's chain cut in halves)"
        f" at most {thresholds['max_r_hat']}, chain at least {thresholds['min_tau_multiple']:g}"
        " integrated autocorrelation times long, effective sample size at least"
        f" {thresholds['min_effective_sample_size']:g}; `qdsim calibrate` writes nothing"
        " otherwise." + (f" Stored: every {diagnostics['thin']}th step of each walker (half the"
                         " largest autocorrelation time)." if diagnostics.get("thin") else ""),
        "", _markdown(frame)])


def _band(calibrator: Calibrator, variables: list[str], years: np.ndarray, draws: int = 1000):
    sample = calibrator.posterior_.sample(n=min(draws, len(calibrator.posterior_)),
                                          random_state=calibrator.seed)
    runs = simulate(calibrator.base_parameters, len(sample), variables, years,
                    draws={name: sample[name].to_numpy() for name in calibrator.names})
    best = simulate(calibrator.base_parameters, 1, variables, years,
                    draws={name: np.array([value]) for name, value in
                           calibrator.params_.items()})
    return runs, best


def write_fit_report(calibrator: Calibrator, folder: Path, units: dict[str, str]) -> list[Path]:
    """Write the table, the Markdown report and one PNG per observed series into ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "fit_statistics.csv", folder / "fit_report.md"]
    write_atomically(written[0], lambda tmp: statistics_table(calibrator).to_csv(tmp, index=False))
    with atomic_path(written[1]) as temporary:
        temporary.write_text(report_markdown(calibrator), encoding="utf-8")
    levels = [o for o in calibrator.observations_ if o.statistic == "value"]
    variables = sorted({o.variable for o in levels})
    years = np.arange(2015, max(o.last_year for o in levels) + 1, dtype=float)
    runs, best = _band(calibrator, variables, years)
    for variable in variables:
        label, factor = display(units.get(variable, ""), "en")
        figure, axes = plt.subplots(figsize=(6, 3.6))
        low, high = np.nanpercentile(runs[variable], [5, 95], axis=0)
        axes.fill_between(years, low * factor, high * factor, color="#9ecae1",
                          label="posterior 5-95%")
        axes.plot(years, best[variable][0] * factor, color="#08519c", label="best fit")
        points = [o for o in levels if o.variable == variable]
        axes.plot([o.year for o in points], [o.value * factor for o in points], "o",
                  color="#d94801", label="observed")
        axes.set_title(variable)
        axes.set_ylabel(label)
        axes.legend(frameon=False, fontsize=8)
        figure.tight_layout()
        path = folder / f"fit_{variable}.png"
        write_atomically(path, lambda tmp, fig=figure: fig.savefig(tmp, format="png", dpi=110))
        plt.close(figure)
        written.append(path)
    return written
