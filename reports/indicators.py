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

#: Charted and tabulated by default, in this order (issue 5's key indicators).
KEY_INDICATORS = (
    "population", "gdp_per_capita_usd", "gdp_real_growth", "urbanization_rate", "employment",
    "unemployment_rate", "energy_intensity", "co2_emissions", "floor_area_per_capita",
)
#: Added to the projection tables (not charted) when no indicator is chosen.
TABLE_EXTRAS = (
    "gdp_nominal", "gdp_per_capita", "labour_productivity", "new_urban_jobs",
    "energy_consumption", "public_housing_units_completed",
)

#: variable -> (Chinese name, English name, decimals of the displayed value).
NAMES: dict[str, tuple[str, str, int]] = {
    "population": ("常住人口", "Resident population", 1),
    "gdp_per_capita_usd": ("人均地区生产总值（美元）", "GDP per head in USD", 0),
    "gdp_real_growth": ("地区生产总值实际增速", "Real GDP growth", 2),
    "urbanization_rate": ("常住人口城镇化率", "Urbanization rate", 2),
    "employment": ("全社会从业人员", "Employment", 1),
    "unemployment_rate": ("失业率", "Unemployment rate", 2),
    "energy_intensity": ("单位地区生产总值能耗", "Energy intensity of GDP", 3),
    "co2_emissions": ("能源二氧化碳排放", "Energy CO2 emissions", 0),
    "floor_area_per_capita": ("人均住房建筑面积", "Residential floor area per head", 1),
    "gdp_nominal": ("地区生产总值（现价）", "GDP at current prices", 2),
    "gdp_real": ("地区生产总值（2020年价格）", "Real GDP at 2020 prices", 2),
    "gdp_per_capita": ("人均地区生产总值", "GDP per head", 2),
    "labour_productivity": ("全员劳动生产率", "Labour productivity", 2),
    "new_urban_jobs": ("城镇新增就业", "New urban jobs", 1),
    "energy_consumption": ("能源消费总量", "Energy consumption", 0),
    "public_housing_units_completed": ("公共住房竣工", "Public housing completed", 2),
}


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
    """Variables of ``dataset`` over years that a report can show."""
    return [name for name, variable in dataset.data_vars.items()
            if "year" in variable.dims and not name.startswith("sampled_")]


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
