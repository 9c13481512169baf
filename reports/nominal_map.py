"""The 40,000 USD verdict as a map over inflation × exchange rate (issue 12).

GDP per head in current US dollars in 2035 depends on two nominal drivers the 2015-2020
data say little about: GDP deflator inflation from 2021 and the yuan per dollar rate.
This module runs a scenario's ensemble (its ``uncertain:`` draws, the calibration posterior
included) through the ensemble engine once per cell of a grid of those two drivers, each
cell with the same draws of everything else, and reports per cell the probability that the
target is met and the median value. Outputs: a CSV table and a heat-map PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from qdsim.ensemble_runs import simulate
from qdsim.messages import message, text
from qdsim.outputs import write_atomically
from qdsim.sampling import design
from qdsim.scenario import Scenario
from qdsim.uncertainty import AFTER_OBSERVED
from reports.fonts import chart_fonts, require_font

INFLATION = "gdp_deflator_inflation_after_2020"
EXCHANGE_RATE = "cny_per_usd"
# Grid defaults: inflation 0-3.5%/yr brackets the 2000-2020 deflator mean 1.67% ± 2 sd of
# a 15-year mean; 5.9-7.9 yuan covers the 2020 average 6.8974 ± 1.1 (about ±1.3 sd of the
# 2035 rate under the historical random walk, 3.31%/yr; see scenarios/baseline.yaml).
DEFAULT_INFLATION = tuple(np.round(np.arange(0.0, 0.0351, 0.005), 4))
DEFAULT_RATES = tuple(np.round(np.arange(5.9, 7.91, 0.25), 2))


def _rate_in(scenario: Scenario, year: int) -> float:
    value = scenario.parameters.get(EXCHANGE_RATE)
    if isinstance(value, tuple):
        years = [point[0] for point in value]
        return float(np.interp(year, years, [point[1] for point in value]))
    return float(value)


def verdict_map(scenario: Scenario, *, variable: str = "gdp_per_capita_usd", year: int = 2035,
                threshold: float = 40000.0, inflation: Sequence[float] = DEFAULT_INFLATION,
                rates: Sequence[float] = DEFAULT_RATES, samples: int = 200,
                seed: int = 1) -> pd.DataFrame:
    """P(``variable`` in ``year`` > ``threshold``) and its median [model unit] per cell.

    ``rates`` are the exchange rate in ``year`` [CNY/USD]: the scenario's path is shifted so
    that it passes through each value; ``inflation`` replaces the post-2020 deflator growth
    [1/year]. Every other uncertain parameter keeps the scenario's draws (``samples`` of
    them, seeded), the same in every cell.
    """
    chosen = design(scenario, samples, seed)
    base_rate = _rate_in(scenario, year)
    cells = [(i, r) for i in inflation for r in rates]
    draws = {name: np.tile(values, (len(cells),) + (1,) * (values.ndim - 1))  # shock paths
             for name, values in chosen.draws.items()}                   # are 2-D
    modes = dict(chosen.modes)
    draws[INFLATION] = np.repeat([i for i, _ in cells], samples).astype(float)
    modes[INFLATION] = "replace"
    draws[EXCHANGE_RATE] = np.repeat([r - base_rate for _, r in cells], samples).astype(float)
    modes[EXCHANGE_RATE] = "shift" + AFTER_OBSERVED  # 2015-2020 stay observed
    years = np.arange(2015, year + 1, dtype=float)
    runs = simulate(dict(scenario.parameters), samples * len(cells), [variable], years,
                    draws=draws, modes=modes)
    values = runs[variable][:, -1].reshape(len(cells), samples)
    return pd.DataFrame({"inflation_after_2020": [i for i, _ in cells],
                         f"cny_per_usd_{year}": [r for _, r in cells],
                         "probability_met": np.mean(values > threshold, axis=1),
                         "median": np.median(values, axis=1)})


def map_figure(table: pd.DataFrame, title: str, lang: str = "en"):
    """Heat map of P(met): inflation on the x axis, the exchange rate on the y axis; axis
    labels in ``lang`` (zh or en) from the message catalogue."""
    from matplotlib.figure import Figure

    rate_column = [c for c in table.columns if c.startswith("cny_per_usd_")][0]
    grid = table.pivot(index=rate_column, columns="inflation_after_2020",
                       values="probability_met")
    figure = Figure(figsize=(7, 4.6))
    axes = figure.subplots()
    image = axes.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="RdYlGn",
                        vmin=0, vmax=1)
    axes.grid(False)  # the chart style's grid would cross the cells
    axes.set_xticks(range(grid.shape[1]), [f"{100 * v:.1f}" for v in grid.columns])
    axes.set_yticks(range(grid.shape[0]), [f"{v:.2f}" for v in grid.index])
    for row in range(grid.shape[0]):
        for column in range(grid.shape[1]):
            value = grid.to_numpy()[row, column]
            axes.text(column, row, f"{100 * value:.0f}", ha="center", va="center", fontsize=7)
    axes.set_xlabel(text("usd_map.inflation_axis", lang))
    axes.set_ylabel(message("usd_map.rate_axis", lang, year=rate_column[-4:]))
    axes.set_title(title, fontsize=9)
    figure.colorbar(image, ax=axes, label=text("usd_map.probability", lang))
    figure.tight_layout()
    return figure


def write_verdict_map(scenario: Scenario, folder: Path, lang: str = "en",
                      **options) -> list[Path]:
    """Write ``<scenario>_usd_verdict_map.csv`` and ``.png`` into ``folder`` (the figure's
    labels in ``lang``, zh or en)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = verdict_map(scenario, **options)
    stem = folder / f"{scenario.name}_usd_verdict_map"
    csv_path, png_path = stem.with_suffix(".csv"), stem.with_suffix(".png")
    write_atomically(csv_path, lambda tmp: table.to_csv(tmp, index=False))
    family = require_font(lang)
    with chart_fonts(family):
        year = int(str([c for c in table.columns if c.startswith("cny_per_usd_")][0])[-4:])
        title = message("usd_map.title", lang, scenario=scenario.name, year=year,
                        threshold=options.get("threshold", 40000.0))
        figure = map_figure(table, title, lang)
        write_atomically(png_path, lambda tmp: figure.savefig(tmp, format="png", dpi=110))
    return [csv_path, png_path]
