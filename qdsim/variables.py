"""The model's output variables: which ones are saved, and how they are named.

Units and descriptions come from the model file (``model/qingdao.mdl``, read through
PySD's documentation of the translated model); the only table kept here is the list of
outputs with their display names in Chinese and English and the decimals reports show.
An output without a display name is shown by the first sentence of its model comment.
To add an output: give the variable units and a comment in the ``.mdl``, then add a row
to ``OUTPUTS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from model import MODEL_PATH
from model.pysd_engine import model_documentation


class DisplayName(NamedTuple):
    """An output's name in Chinese and English and its displayed decimals."""

    zh: str
    en: str
    decimals: int


#: Output variable (stable snake_case name of a model variable, base units) -> its display
#: name, or None when reports use the model file's comment.
OUTPUTS: dict[str, DisplayName | None] = {
    "population": DisplayName("常住人口", "Resident population", 1),
    "population_urban": None,
    "urbanization_rate": DisplayName("常住人口城镇化率", "Urbanization rate", 2),
    "births": DisplayName("出生人口", "Births", 2),
    "deaths": None,
    "net_migration": DisplayName("净迁入人口", "Net migration", 2),
    "population_0_14": None,
    "population_15_59": None,
    "population_60_64": None,
    "population_65_plus": None,
    "population_60_plus": None,
    "share_0_14": None,
    "share_15_59": None,
    "share_60_plus": None,
    "share_65_plus": None,
    "dependency_ratio": None,
    "old_age_dependency_ratio": None,
    "women_15_49": None,
    "births_registered_basis": None,
    "in_migration": None,
    "out_migration": None,
    "population_by_age": None,
    "labour_force": None,
    "employment": DisplayName("全社会从业人员", "Employment", 1),
    "unemployment_rate": DisplayName("失业率", "Unemployment rate", 2),
    "jobs": None,
    "new_urban_jobs": DisplayName("城镇新增就业", "New urban jobs", 1),
    "gdp_real": DisplayName("地区生产总值（2020年价格）", "Real GDP at 2020 prices", 2),
    "gdp_nominal": DisplayName("地区生产总值（现价）", "GDP at current prices", 2),
    "gdp_real_growth": DisplayName("地区生产总值实际增速", "Real GDP growth", 2),
    "gdp_per_capita": DisplayName("人均地区生产总值", "GDP per head", 2),
    "gdp_per_capita_usd": DisplayName("人均地区生产总值（美元）", "GDP per head in USD", 0),
    "gdp_per_capita_usd_constant_2020": DisplayName(
        "人均地区生产总值（美元，2020年价格和汇率）",
        "GDP per head in USD at 2020 prices and exchange rate", 0),
    "labour_productivity": DisplayName("全员劳动生产率", "Labour productivity", 2),
    "capital_stock": None,
    "investment": None,
    "energy_consumption": DisplayName("能源消费总量", "Energy consumption", 0),
    "energy_intensity": DisplayName("单位地区生产总值能耗", "Energy intensity of GDP", 3),
    "co2_emissions": DisplayName("能源二氧化碳排放", "Energy CO2 emissions", 0),
    "co2_intensity": None,
    "non_fossil_share": None,
    "housing_floor_area": None,
    "housing_completions": None,
    "floor_area_per_capita": DisplayName("人均住房建筑面积", "Residential floor area per head",
                                         1),
    "house_price_index": None,
    "affordability_index": None,
    "public_housing_units_completed": DisplayName("公共住房竣工", "Public housing completed",
                                                  2),
    "public_housing_units_supplied": DisplayName("新增公共住房", "Public housing supplied", 2),
    "new_urban_jobs_wide_basis": DisplayName("城镇新增就业（人社口径）",
                                             "New urban jobs (wide basis)", 1),
    "primary_value_added": DisplayName("第一产业增加值", "Primary value added", 2),
    "secondary_value_added": DisplayName("第二产业增加值", "Secondary value added", 2),
    "tertiary_value_added": DisplayName("第三产业增加值", "Tertiary value added", 2),
    "primary_share": None,
    "secondary_share": None,
    "tertiary_share": DisplayName("第三产业增加值占比", "Tertiary share of GDP", 2),
    "industry_energy_consumption": None,
    "services_energy_consumption": None,
    "residential_energy_consumption": None,
    "agriculture_energy_consumption": None,
    "coal_consumption": None,
    "oil_consumption": None,
    "gas_consumption": None,
    "electricity_consumption": None,
    "grid_non_fossil_share": None,
}

#: Output variables, in the order results hold them.
OUTPUT_VARIABLES: tuple[str, ...] = tuple(OUTPUTS)

#: Outputs with dimensions (``age`` and ``sex``): written by ``qdsim run``; ``qdsim batch``
#: writes them only when asked by name (7 scenarios x 1,000 samples x 21 years x 202
#: cells would be 240 MB).
SUBSCRIPTED_OUTPUTS: tuple[str, ...] = ("population_by_age",)
BATCH_DEFAULT_VARIABLES: tuple[str, ...] = tuple(
    name for name in OUTPUT_VARIABLES if name not in SUBSCRIPTED_OUTPUTS)

#: Display names of the outputs that have one: variable -> (zh, en, decimals).
DISPLAY_NAMES: dict[str, DisplayName] = {
    name: shown for name, shown in OUTPUTS.items() if shown is not None}

def output_name(variable: str, lang: str) -> str:
    """An output's name in ``lang`` (zh or en) for sentences; its code when none is known."""
    if variable in DISPLAY_NAMES:
        return DISPLAY_NAMES[variable].zh if lang == "zh" else DISPLAY_NAMES[variable].en
    return variable


def variable_attributes(variables: Sequence[str] = OUTPUT_VARIABLES) -> dict[str, dict[str, str]]:
    """``units`` and ``long_name`` of output variables, from the model file."""
    documentation = model_documentation(MODEL_PATH).set_index("Py Name")
    attributes = {}
    for name in variables:
        row = documentation.loc[name]
        attributes[name] = {"units": str(row["Units"]), "long_name": str(row["Comment"]).strip()}
    return attributes


def output_unit(variable: str) -> str:
    """The model unit of an output [unit string of the .mdl]."""
    return variable_attributes([variable])[variable]["units"]
