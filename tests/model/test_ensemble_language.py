"""Vensim language details in the ensemble engine: unary minus and powers, :NA:.

Each expectation is worked out by hand from Vensim's rules (a unary minus applies after
``^``; ``:NA:`` is the finite value -2^109) and, where PySD agrees, checked against PySD.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.ensemble import EnsembleModel
from tests.model.test_ensemble import (
    assert_parity,
    real_names,
    run_pysd,
    translate,
    write_model,
)


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


BUILTINS = {
    "input": "1 + STEP(2, 3) + 0.1 * Time + 0.5 * SIN(Time)",
    "varying delay time": "1 + 0.1 * Time",
    "delayed n": "DELAY N(input, 2, 0.5, 3)",
    "delayed n varying": "DELAY N(input, varying delay time, input, 4)",
    "smoothed n": "SMOOTH N(input, 2, 1, 3)",
    "delayed first order initial": "DELAY1I(input, 1.5, 3)",
    "delayed third order initial": "DELAY3I(input, 2, 0)",
    "smoothed third order initial": "SMOOTH3I(input, 2, 4)",
    "trend value": "TREND(input, 2, 0.1)",
    "forecast value": "FORECAST(input, 2, 3)",
    "modulo value": "MODULO(Time, 3) + MODULO(-Time, 2.5)",
    "integer value": "INTEGER(-input) + INTEGER(input)",
    "train value": "PULSE TRAIN(1, 0.5, 2, 8) + PULSE TRAIN(2, 1, 0, 9)",
    "active": "ACTIVE INITIAL(input * 2, 5)",
    "stock from active": "INTEG(active, active)",
}


def test_each_further_builtin_matches_pysd_at_every_step(tmp_path):
    path = write_model(tmp_path, BUILTINS)
    reference = translate(path, tmp_path / "pysd")
    frame = run_pysd(reference)
    engine = EnsembleModel.from_mdl(path)
    times = frame.index.to_numpy(dtype=float)
    py_names = {real: py for py, real in real_names(reference).items()}
    columns = [py_names[name] for name in BUILTINS]
    result = engine.run({}, 2, return_columns=columns, return_times=times)
    for column, name in zip(columns, BUILTINS, strict=True):
        assert_parity(result[column][1], frame[name], name)
    # ACTIVE INITIAL: the stock starts from the initial value 5, then integrates 2 * input.
    assert result["stock_from_active"][0, 0] == 5.0
    assert result["active"][0, 0] == 2.0  # input(0) * 2 once running


def test_pulse_train_and_modulo_by_hand(tmp_path):
    path = write_model(tmp_path, {"train": "PULSE TRAIN(1, 0.5, 2, 6)",
                                  "remainder": "MODULO(Time - 5, 3)"})
    engine = EnsembleModel.from_mdl(path)
    times = np.arange(0, 10.25, 0.25)
    result = engine.run({}, 1, return_columns=["train", "remainder"], return_times=times)
    on = {1.0, 1.25, 3.0, 3.25, 5.0, 5.25}  # from 1 every 2 for 0.5, until 6
    np.testing.assert_array_equal(result["train"][0], [float(t in on) for t in times])
    # Vensim's MODULO keeps the sign of the dividend: MODULO(-5, 3) = -2.
    assert result["remainder"][0, 0] == -2.0
    assert result["remainder"][0, -1] == 2.0  # MODULO(5, 3)


def test_control_values_given_as_expressions_follow_their_constants(tmp_path):
    path = tmp_path / "controls.mdl"
    path.write_text("{UTF-8}\nhorizon = 8 ~~|\nstep length = 0.125 ~~|\n"
                    "stock = INTEG(1, 0) ~~|\n"
                    "FINAL TIME = INITIAL TIME + horizon ~ year ~|\n"
                    "INITIAL TIME = 2 ~ year ~|\nSAVEPER = TIME STEP * 4 ~ year ~|\n"
                    "TIME STEP = step length * 2 ~ year ~|\n")
    engine = EnsembleModel.from_mdl(path)
    assert (engine.constants["final_time"], engine.constants["time_step"],
            engine.constants["saveper"]) == (10.0, 0.25, 1.0)
    frame = run_pysd(translate(path, tmp_path / "pysd"))
    result = engine.run({}, 1, return_columns=["stock"],
                        return_times=frame.index.to_numpy(dtype=float))
    assert_parity(result["stock"][0], frame["stock"], "stock")
    shorter = engine.run({"horizon": 3.0, "step_length": 0.25}, 2, return_columns=["stock"],
                         return_times=[5.0])
    assert shorter["stock"][0, 0] == 3.0
    assert len(engine.step_times()) == 33
    from model.ensemble import EnsembleError

    with pytest.raises(EnsembleError, match="'horizon' sets a simulation control value"):
        engine.run({"horizon": [3.0, 4.0]}, 2, return_columns=["stock"], return_times=[5.0])


def test_macros_expand_at_each_call_with_their_own_stocks_as_in_pysd(tmp_path):
    # tests/model/models/macros.mdl: a macro with a stock called twice (each call keeps
    # its own stock), and one with a helper element called on a variable and on Time.
    from pathlib import Path

    path = Path(__file__).with_name("models") / "macros.mdl"
    reference = translate(path, tmp_path / "pysd")
    frame = run_pysd(reference)
    engine = EnsembleModel.from_mdl(path)
    times = frame.index.to_numpy(dtype=float)
    result = engine.run({}, 1, return_columns=["a", "b", "c"], return_times=times)
    for name in ("a", "b", "c"):
        assert_parity(result[name][0], frame[name], name)
    # By hand at time 0: a = 3, DOUBLE(a) = 6 + 0.9, DOUBLE(0) = 0; each smooth starts at
    # its input.
    assert result["b"][0, 0] == pytest.approx(6.9, rel=1e-15)
    assert result["c"][0, 0] == pytest.approx(3 + 6.9, rel=1e-15)
