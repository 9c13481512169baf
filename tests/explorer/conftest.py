"""Fixtures of the explorer tests: one app (shared, it holds no per-user state)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def explorer_app():
    """The explorer's Dash app over the shipped scenarios."""
    from explorer.app import create_app

    return create_app()


@pytest.fixture(scope="session")
def explorer(explorer_app):
    """Scenarios and levers of ``explorer_app``."""
    return explorer_app.explorer
