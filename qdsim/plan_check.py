"""Are the plan's own 2025 figures consistent with one another?

The plan gives, for 2025 (``scenarios/targets``): a resident population, real growth a
year, labour productivity per worker, an urban share and new urban jobs. Taken together
through the model's identities (real GDP = productivity × employment; employment ≤
labour force × (1 − frictional unemployment); population change = natural increase +
net migration; gross new jobs = net change + jobs lost) they imply
other quantities, which are set against the model run of the plan scenario and the
2016-2020 record. Each check reports the implied figure, the comparison and a verdict,
and its sentences as message ids with their numbers (``qdsim.messages``).
"""

from __future__ import annotations

import numpy as np
from pydantic import ConfigDict

from qdsim.analysis_files import CheckRecord
from qdsim.ensemble_runs import simulate
from qdsim.errors import QdsimError
from qdsim.messages import message
from qdsim.scenario import Scenario
from qdsim.targets import Target

#: The last observed year, whose levels the checks start from [year].
BASE_YEAR = 2020
#: 2020 levels observed (shared/data; see calibration/data/observations.csv).
GDP_2020 = 1.240056e12  # CNY, vintage C
POPULATION_2020 = 10_105_700  # persons, year-end, census basis
PRODUCTIVITY_2020 = 206_000  # CNY per worker, plan Table 1 row 2 (line 271)
URBANIZATION_2020_CENSUS = 0.7634  # 7th census
URBANIZATION_2020_TABLE = 0.746  # plan Table 1 row 3 (line 272), pre-census basis
NEW_JOBS_2016_2020 = 956_000  # plan line 197


class Check(CheckRecord):
    """One consistency check: what the plan's figures imply against what is feasible.

    The saved record of the check (``qdsim.analysis_files.CheckRecord``): ``key`` names its
    sentences in ``qdsim.messages`` (``check_<key>.name`` and ``check_<key>.explanation``)
    and ``values`` holds the numbers they show, so the check reads the same in either
    language; ``name`` and ``explanation`` are the English.
    """

    model_config = ConfigDict(frozen=True)

    def text(self, lang: str) -> tuple[str, str]:
        """(name, explanation) in ``lang`` (zh or en)."""
        return (message(f"check_{self.key}.name", lang, **self.values),
                message(f"check_{self.key}.explanation", lang, **self.values))


def _check(key: str, implied: float, comparison: float, unit: str, verdict: str,
           **values: float) -> Check:
    return Check(name=message(f"check_{key}.name", "en", **values), implied=float(implied),
                 comparison=float(comparison), unit=unit, verdict=verdict,
                 explanation=message(f"check_{key}.explanation", "en", **values), key=key,
                 values=values)


def _value(targets: dict[str, Target], identifier: str) -> float:
    value = targets[identifier].value
    if value is None:
        raise QdsimError(f"the plan check needs a value for target '{identifier}'; set it"
                         " with --set-target")
    return float(value)


def _verdict(ratio: float, tolerance: float = 0.02) -> str:
    if abs(ratio - 1) <= tolerance:
        return "consistent"
    return "contradiction" if abs(ratio - 1) > 3 * tolerance else "tension"


def check_plan(plan: Scenario, targets: dict[str, Target]) -> list[Check]:
    """Checks of the plan's 2025 figures, using the plan scenario's run for structure."""
    population_2025 = _value(targets, "population_2025")
    growth = _value(targets, "gdp_growth_2021_2025")
    productivity_2025 = _value(targets, "labour_productivity_2025")
    urbanization_2025 = _value(targets, "urbanization_2025")
    new_jobs = _value(targets, "new_urban_jobs_2021_2025")
    year = targets["population_2025"].year
    if year is None:
        raise QdsimError("the plan check needs the year of target 'population_2025'")
    years = np.arange(2015, year + 1, dtype=float)
    variables = ["labour_force", "population", "births", "deaths", "net_migration",
                 "employment", "jobs"]
    run = {k: v[0] for k, v in simulate(dict(plan.parameters), 1, variables, years).items()}
    at = {int(y): i for i, y in enumerate(years)}
    employment_2020 = GDP_2020 / PRODUCTIVITY_2020
    employment_2025 = GDP_2020 * (1 + growth) ** 5 / productivity_2025
    labour_share = run["labour_force"][at[year]] / run["population"][at[year]]
    labour_force_2025 = population_2025 * labour_share
    shared = {"year": year, "base_year": BASE_YEAR, "growth": 100 * growth,
              "productivity": productivity_2025 / 1e4, "population": population_2025 / 1e4}
    checks = [_check(
        "employment", employment_2025, labour_force_2025, "person",
        "contradiction" if employment_2025 > labour_force_2025 else _verdict(
            employment_2025 / labour_force_2025, 0.1),
        **shared, employment=employment_2025 / 1e4, labour_share=100 * labour_share,
        labour_force=labour_force_2025 / 1e4,
        employment_share=100 * employment_2025 / population_2025,
        employment_share_base=100 * employment_2020 / POPULATION_2020)]
    natural = float(np.sum(run["births"][at[2021]:at[year] + 1]
                           - run["deaths"][at[2021]:at[year] + 1]))
    migration_needed = (population_2025 - POPULATION_2020 - natural) / 5
    migration_history = float(np.mean(run["net_migration"][at[2016]:at[2020] + 1]))
    checks.append(_check(
        "migration", migration_needed, migration_history, "person/year",
        _verdict(migration_needed / migration_history, 0.1),
        **shared, natural=natural / 1e4, migration=migration_needed / 1e4,
        ratio=migration_needed / migration_history, history=migration_history / 1e4))
    net_change = employment_2025 - employment_2020
    lost = new_jobs - net_change
    mean_employment = (employment_2025 + employment_2020) / 2
    lost_rate = lost / 5 / mean_employment
    checks.append(_check(
        "jobs", new_jobs, net_change, "person",
        "consistent" if 0 <= lost_rate <= 0.05 else "contradiction",
        **shared, new_jobs=new_jobs / 1e4, net_change=net_change / 1e4, lost=lost / 1e4,
        lost_rate=100 * lost_rate, history=NEW_JOBS_2016_2020 / 1e4,
        ratio=new_jobs / NEW_JOBS_2016_2020))
    productivity_growth = (productivity_2025 / PRODUCTIVITY_2020) ** 0.2 - 1
    employment_growth = (1 + growth) / (1 + productivity_growth) - 1
    population_growth = (population_2025 / POPULATION_2020) ** 0.2 - 1
    checks.append(_check(
        "growth", employment_growth, population_growth, "1/year",
        _verdict((1 + employment_growth) / (1 + population_growth), 0.005),
        **shared, productivity_growth=100 * productivity_growth,
        employment_growth=100 * employment_growth, population_growth=100 * population_growth))
    checks.append(_check(
        "urbanization", urbanization_2025, URBANIZATION_2020_CENSUS, "fraction",
        "tension" if urbanization_2025 <= URBANIZATION_2020_CENSUS else "consistent",
        **shared, target=100 * urbanization_2025, table=100 * URBANIZATION_2020_TABLE,
        census=100 * URBANIZATION_2020_CENSUS))
    return checks
