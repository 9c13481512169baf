"""Targets measured as the plan counts them: every entry states its definition and plan
line; public housing is new supply (starts plus units raised), not completions; new urban
jobs are scored on both candidate bases, each labelled."""

from __future__ import annotations

import numpy as np
import pytest

from qdsim.scenario import load_scenario
from qdsim.simulation import run_scenarios
from qdsim.targets import DEFAULT_TARGETS, evaluate, load_targets


def test_every_shipped_target_states_its_definition_and_plan_line():
    for target in load_targets(DEFAULT_TARGETS):
        assert len(target.definition) > 40, target.id
        assert target.plan_line > 0 and target.quote, target.id


def test_new_jobs_are_shown_on_both_bases_each_labelled():
    targets = {t.id: t for t in load_targets(DEFAULT_TARGETS)}
    wide = targets["new_urban_jobs_2021_2025"]
    local = targets["new_urban_jobs_local_basis_2021_2025"]
    assert (wide.variable, local.variable) == ("new_urban_jobs_wide_basis", "new_urban_jobs")
    assert wide.value == local.value == 1_750_000
    assert "人社局" in wide.name_en and "local-urban" in local.name_en


def _scenario(tmp_path, name: str, programme: float):
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\ntitle: {{zh: 测试, en: test}}\ndescription: test\n"
        f"extends: {DEFAULT_TARGETS.parent.parent / 'plan.yaml'}\n"
        f"parameters:\n  public_housing_programme: {{2019.75: 20000, 2020: {programme}}}\n",
        encoding="utf-8")
    return load_scenario(path)


@pytest.fixture(scope="module")
def housing_runs(tmp_path_factory, plan):
    half = _scenario(tmp_path_factory.mktemp("half"), "half_programme", 26000)
    return run_scenarios([plan, half], final_year=2026)


def test_plan_inputting_26_wan_units_meets_the_housing_target_and_half_misses(housing_runs):
    targets = [t for t in load_targets(DEFAULT_TARGETS) if t.id == "public_housing_2021_2025"]
    verdicts = evaluate(housing_runs, targets).set_index("scenario")
    assert verdicts.loc["plan", "projected"] == pytest.approx(260_000, rel=1e-12)
    assert bool(verdicts.loc["plan", "met"])
    assert verdicts.loc["half_programme", "projected"] == pytest.approx(130_000, rel=1e-12)
    assert not bool(verdicts.loc["half_programme", "met"])


def test_supply_counts_starts_when_they_happen_and_completions_lag_them(housing_runs):
    plan = housing_runs.sel(scenario="plan")
    supplied = plan["public_housing_units_supplied"].sel(year=slice(2021, 2025)).to_numpy()
    completed = plan["public_housing_units_completed"].sel(year=slice(2021, 2025)).to_numpy()
    np.testing.assert_allclose(supplied, 52_000, rtol=1e-12)
    assert completed[0] < supplied[0] and completed.sum() < supplied.sum()
