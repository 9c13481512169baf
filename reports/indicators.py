"""The indicators a report shows, their names in Chinese and English, and display rounding.

Values are stored in model units (person, CNY, fraction, tce, tCO2, m2/person ...); the
report shows them in planners' units from ``qdsim.units.display`` (万人, 亿元, %, ...),
rounded to the number of decimals given here so that every table format holds the same
numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from qdsim.errors import ResultsError
from qdsim.units import display
from qdsim.variables import DISPLAY_NAMES

#: Charted and tabulated by default, in this order (issue 5's key indicators).
KEY_INDICATORS = (
    "population", "gdp_per_capita_usd", "gdp_real_growth", "urbanization_rate", "employment",
    "unemployment_rate", "energy_intensity", "co2_emissions", "floor_area_per_capita",
)
#: Added to the projection tables (not charted) when no indicator is chosen.
TABLE_EXTRAS = (
    "gdp_nominal", "gdp_per_capita", "labour_productivity", "new_urban_jobs",
    "energy_consumption", "public_housing_units_completed",
    # the census groups (issue 11): shares of 0-14, 15-59, 60+ and 65+, and 60-64
    "share_0_14", "share_15_59", "share_60_plus", "share_65_plus", "population_60_64",
)

#: variable -> (Chinese name, English name, decimals of the displayed value), from the one
#: table of output names in ``qdsim.variables``.
NAMES = DISPLAY_NAMES


@dataclass(frozen=True)
class Indicator:
    """One output variable as the report shows it.

    ``factor`` turns the model unit into the display unit ``unit_label`` (display value =
    model value × factor); ``decimals`` is the rounding of displayed values.
    """

    variable: str
    name: str
    model_unit: str
    unit_label: str
    factor: float
    decimals: int

    @property
    def label(self) -> str:
        """Name with the display unit, e.g. ``Resident population [10k persons]``."""
        return f"{self.name} [{self.unit_label}]" if self.unit_label else self.name

    def to_display(self, values):
        """Model-unit values [model unit] as rounded display values [display unit]."""
        return np.round(np.asarray(values, dtype=float) * self.factor, self.decimals)


def _fallback_decimals(dataset: xr.Dataset, variable: str, factor: float) -> int:
    values = np.abs(dataset[variable].to_numpy() * factor)
    largest = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    return 3 if largest < 1 else 2 if largest < 100 else 1 if largest < 10000 else 0


def describe(dataset: xr.Dataset, variable: str, lang: str) -> Indicator:
    """The ``Indicator`` for ``variable`` of ``dataset`` in language ``lang`` (zh or en)."""
    attributes = dataset[variable].attrs
    model_unit = str(attributes.get("units", ""))
    unit_label, factor = display(model_unit, lang)
    if variable in NAMES:
        name_zh, name_en, decimals = NAMES[variable]
        name = name_zh if lang == "zh" else name_en
    else:
        name = str(attributes.get("long_name", variable)).split(". ")[0].rstrip(".") or variable
        decimals = _fallback_decimals(dataset, variable, factor)
    return Indicator(variable, name, model_unit, unit_label, factor, decimals)


def known_indicators(dataset: xr.Dataset) -> list[str]:
    """Variables of ``dataset`` over years that a report can show (one number per year;
    population by age and sex is drawn as pyramids, ``reports.pyramid``)."""
    return [name for name, variable in dataset.data_vars.items()
            if "year" in variable.dims and not name.startswith("sampled_")
            and set(variable.dims) <= {"scenario", "sample", "year"}]


def choose_indicators(dataset: xr.Dataset, requested: Sequence[str] | None
                      ) -> tuple[list[str], list[str]]:
    """(charted, tabulated) indicator names; refuses names the results do not hold.

    With no request: the key indicators the results hold are charted, and the tables add
    ``TABLE_EXTRAS``. With a request, exactly the requested ones, in order, for both.
    """
    known = known_indicators(dataset)
    if requested:
        unknown = [name for name in requested if name not in known]
        if unknown:
            raise ResultsError("--indicator", f"unknown indicator"
                               f" {', '.join(map(repr, unknown))}; the results hold:"
                               f" {', '.join(known)}")
        chosen = list(dict.fromkeys(requested))
        return chosen, chosen
    charted = [name for name in KEY_INDICATORS if name in known]
    if not charted:
        raise ResultsError("--indicator", "the results hold none of the key indicators"
                           f" ({', '.join(KEY_INDICATORS)}); choose some with --indicator")
    return charted, charted + [name for name in TABLE_EXTRAS if name in known]
