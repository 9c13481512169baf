"""Vensim language details in the ensemble engine: unary minus and powers, :NA:.

Each expectation is worked out by hand from Vensim's rules (a unary minus applies after
``^``; ``:NA:`` is the finite value -2^109) and, where PySD agrees, checked against PySD.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.ensemble import EnsembleModel
from tests.model.test_ensemble import run_pysd, translate, write_model


@pytest.fixture(autouse=True)
def private_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("QDSIM_CACHE", str(tmp_path / "cache"))


POWERS = {  # equation -> Vensim's value, worked by hand
    "-2^2": -4.0,
    "-2^x": -8.0,  # x = 3
    "5*-2^2": -20.0,
    "-(2)^2": -4.0,
    "-x^2": -9.0,
    "2^-2": 0.25,
    "1 - -2^2": 5.0,
    "-2^2 + 10": 6.0,
    "3 * -2 ^ 2 / 4": -3.0,
}


@pytest.mark.parametrize(("equation", "expected"), POWERS.items())
def test_unary_minus_of_a_literal_applies_after_the_power_as_in_vensim_and_pysd(
        tmp_path, equation, expected):
    path = write_model(tmp_path, {"x": "3", "value": equation})
    engine = EnsembleModel.from_mdl(path)
    result = engine.run({}, 2, return_columns=["value"], return_times=[0.0])
    np.testing.assert_array_equal(result["value"][:, 0], expected)
    frame = run_pysd(translate(path, tmp_path / "pysd"))
    assert frame["value"].iloc[0] == expected


def test_a_parenthesised_negative_base_is_raised_as_in_vensim_not_pysd(tmp_path):
    # Vensim: (-2)^2 = 4. PySD's parser drops the parentheses and gives -4.
    path = write_model(tmp_path, {"x": "3", "value": "(-2)^2 + (-2)^x"})
    engine = EnsembleModel.from_mdl(path)
    result = engine.run({}, 1, return_columns=["value"], return_times=[0.0])
    assert result["value"][0, 0] == 4.0 + -8.0


def test_mixed_parenthesised_and_bare_negative_bases_are_refused(tmp_path):
    from model.ensemble import EnsembleError

    path = write_model(tmp_path, {"value": "(-2)^2 + -2^2"})
    with pytest.raises(EnsembleError, match="'value' uses both"):
        EnsembleModel.from_mdl(path)


def test_na_is_vensims_finite_value_and_can_be_tested(tmp_path):
    # Vensim's :NA: is -2^109; PySD uses NaN, for which ``x = :NA:`` is never true.
    path = write_model(tmp_path, {"missing": ":NA:",
                                  "is missing": "IF THEN ELSE(missing = :NA:, 1, 0)",
                                  "shifted": "missing * 0 + 1"})
    engine = EnsembleModel.from_mdl(path)
    assert engine.constants["missing"] == -(2.0 ** 109)
    result = engine.run({}, 1, return_columns=["missing", "is_missing", "shifted"],
                        return_times=[0.0, 1.0])
    np.testing.assert_array_equal(result["missing"][0], -6.490371073168535e32)
    np.testing.assert_array_equal(result["is_missing"][0], 1.0)
    np.testing.assert_array_equal(result["shifted"][0], 1.0)
