"""Are the plan's own 2025 figures consistent with one another?

The plan gives, for 2025: 11 million residents, about 7% real growth a year, labour
productivity of about 25万元 per worker, an urban share of about 76% and 175万 new urban
jobs. Taken together through the model's identities (real GDP = productivity ×
employment; employment ≤ labour force × (1 − frictional unemployment); population change =
natural increase + net migration; gross new jobs = net change + jobs lost) they imply
other quantities, which are set against the model run of the plan scenario and the
2016-2020 record. Each check reports the implied figure, the comparison and a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qdsim.ensemble_runs import simulate
from qdsim.scenario import Scenario
from qdsim.targets import Target

#: 2020 levels observed (shared/data; see calibration/data/observations.csv).
GDP_2020 = 1.240056e12  # CNY, vintage C
POPULATION_2020 = 10_105_700  # persons, year-end, census basis
PRODUCTIVITY_2020 = 206_000  # CNY per worker, plan Table 1 row 2 (line 271)
URBANIZATION_2020_CENSUS = 0.7634  # 7th census
URBANIZATION_2020_TABLE = 0.746  # plan Table 1 row 3 (line 272), pre-census basis
NEW_JOBS_2016_2020 = 956_000  # plan line 197


@dataclass(frozen=True)
class Check:
    """One consistency check: what the plan's figures imply against what is feasible."""

    name: str
    implied: float
    comparison: float
    unit: str
    verdict: str
    explanation: str


def _verdict(ratio: float, tolerance: float = 0.02) -> str:
    if abs(ratio - 1) <= tolerance:
        return "consistent"
    return "contradiction" if abs(ratio - 1) > 3 * tolerance else "tension"


def check_plan(plan: Scenario, targets: dict[str, Target]) -> list[Check]:
    """Checks of the plan's 2025 figures, using the plan scenario's run for structure."""
    population_2025 = targets["population_2025"].value
    growth = targets["gdp_growth_2021_2025"].value
    productivity_2025 = targets["labour_productivity_2025"].value
    urbanization_2025 = targets["urbanization_2025"].value
    new_jobs = targets["new_urban_jobs_2021_2025"].value
    years = np.arange(2015, 2026, dtype=float)
    variables = ["labour_force", "population", "births", "deaths", "net_migration",
                 "employment", "jobs"]
    run = {k: v[0] for k, v in simulate(dict(plan.parameters), 1, variables, years).items()}
    at = {int(y): i for i, y in enumerate(years)}
    employment_2020 = GDP_2020 / PRODUCTIVITY_2020
    employment_2025 = GDP_2020 * (1 + growth) ** 5 / productivity_2025
    labour_share = run["labour_force"][at[2025]] / run["population"][at[2025]]
    labour_force_2025 = population_2025 * labour_share
    checks = [Check(
        "employment implied by GDP and productivity vs labour force implied by population",
        employment_2025, labour_force_2025, "person",
        "contradiction" if employment_2025 > labour_force_2025 else _verdict(
            employment_2025 / labour_force_2025, 0.1),
        f"7% growth to 2025 and 25万元 per worker need {employment_2025 / 1e4:.1f}万 employed;"
        f" 1100万 residents with the plan run's labour-force share ({100 * labour_share:.1f}%)"
        f" give a labour force of {labour_force_2025 / 1e4:.1f}万. Employment would need"
        f" {100 * employment_2025 / population_2025:.1f}% of residents, against"
        f" {100 * employment_2020 / POPULATION_2020:.1f}% in 2020.")]
    natural = float(np.sum(run["births"][at[2021]:at[2025] + 1]
                           - run["deaths"][at[2021]:at[2025] + 1]))
    migration_needed = (population_2025 - POPULATION_2020 - natural) / 5
    migration_history = float(np.mean(run["net_migration"][at[2016]:at[2020] + 1]))
    checks.append(Check(
        "net migration needed for 1100万 vs 2016-2020 net migration",
        migration_needed, migration_history, "person/year",
        _verdict(migration_needed / migration_history, 0.1),
        f"With the plan run's natural increase ({natural / 1e4:.1f}万 over 2021-2025), 1100万"
        f" needs {migration_needed / 1e4:.1f}万 net migrants a year,"
        f" {migration_needed / migration_history:.1f} times the model's 2016-2020 average of"
        f" {migration_history / 1e4:.1f}万."))
    net_change = employment_2025 - employment_2020
    lost = new_jobs - net_change
    mean_employment = (employment_2025 + employment_2020) / 2
    lost_rate = lost / 5 / mean_employment
    checks.append(Check(
        "gross new jobs vs net employment change", new_jobs, net_change, "person",
        "consistent" if 0 <= lost_rate <= 0.05 else "contradiction",
        f"175万 new jobs and a net gain of {net_change / 1e4:.1f}万 (GDP/productivity) imply"
        f" {lost / 1e4:.1f}万 jobs lost, {100 * lost_rate:.1f}% of employment a year."
        f" 2016-2020 recorded {NEW_JOBS_2016_2020 / 1e4:.1f}万 new jobs: the 2021-2025 figure"
        f" is {new_jobs / NEW_JOBS_2016_2020:.2f} times that, which suggests a wider"
        " definition."))
    productivity_growth = (productivity_2025 / PRODUCTIVITY_2020) ** 0.2 - 1
    employment_growth = (1 + growth) / (1 + productivity_growth) - 1
    population_growth = (population_2025 / POPULATION_2020) ** 0.2 - 1
    checks.append(Check(
        "employment growth implied vs population growth", employment_growth,
        population_growth, "1/year", _verdict((1 + employment_growth) / (1 + population_growth),
                                              0.005),
        f"7% growth with productivity rising {100 * productivity_growth:.2f}% a year needs"
        f" employment to grow {100 * employment_growth:.2f}% a year while 1100万 means"
        f" population growth of {100 * population_growth:.2f}% a year."))
    checks.append(Check(
        "urbanization target vs 2020 level", urbanization_2025, URBANIZATION_2020_CENSUS,
        "fraction", "tension" if urbanization_2025 <= URBANIZATION_2020_CENSUS else "consistent",
        f"Table 1 sets about {100 * urbanization_2025:.0f}% for 2025 from a pre-census 2020 value"
        f" of {100 * URBANIZATION_2020_TABLE:.1f}%; the 7th census put 2020 at"
        f" {100 * URBANIZATION_2020_CENSUS:.2f}%, so the target was already exceeded on the"
        " census basis."))
    return checks
