"""Shared fixtures: paths of the repository's model, scenarios and data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    return ROOT / "scenarios"
