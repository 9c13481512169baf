"""Shared fixtures: paths of the repository's model, scenarios and data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The ensemble engine's numpy path, unless asked otherwise: its compiled path would compile
# each test model anew (seconds each); tests/model/test_ensemble_numba.py asks for it.
os.environ.setdefault("QDSIM_ENGINE_BACKEND", "numpy")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    return ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline(scenario_dir):
    """The shipped baseline scenario, loaded once."""
    from qdsim.scenario import load_scenario

    return load_scenario(scenario_dir / "baseline.yaml")


@pytest.fixture(scope="session")
def plan(scenario_dir):
    """The shipped plan scenario, loaded once."""
    from qdsim.scenario import load_scenario

    return load_scenario(scenario_dir / "plan.yaml")


@pytest.fixture(scope="session")
def plan_in_pysd(plan):
    """The plan scenario's central run in PySD, the reference engine, made once: a PySD run
    of the cohort model takes 15-30 s, and several tests compare the ensemble with it."""
    from qdsim.simulation import run_scenarios

    return run_scenarios([plan])
