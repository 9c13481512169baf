"""Subscripted models in the ensemble engine against PySD: every variable of a model that
uses each subscript construct (tests/model/models/subscripts.mdl: ranges, a contiguous and
a scattered subrange, a mapping, per-element and :EXCEPT: equations, 1-, 2- and 3-D arrays,
transposition, broadcasting of lower-rank and scalar values, SUM / PROD / VMIN / VMAX,
ELMCOUNT, constants given as lists and tables, a subscripted lookup, and INTEG, SMOOTH,
SMOOTH3, DELAY1, DELAY3, DELAY FIXED and INITIAL on arrays), at default values and on
random draws of its subscripted and scalar constants; the layout of results; and clear
errors for what cannot be lined up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from model.ensemble import EnsembleError, EnsembleModel
from tests.model.test_ensemble import (
    assert_parity,
    real_names,
    run_pysd,
    translate,
    write_model,
)

MODEL = Path(__file__).with_name("models") / "subscripts.mdl"
RANDOM_DRAWS = 5


@pytest.fixture(scope="module", autouse=True)
def private_cache_folder(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QDSIM_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return translate(MODEL, tmp_path_factory.mktemp("subscripts"))


@pytest.fixture(scope="module")
def engine():
    return EnsembleModel.from_mdl(MODEL)


def pysd_values(frame, real_name: str) -> np.ndarray:
    """A PySD result column (``flatten_output=False``) as (time, *dimensions) floats."""
    return np.stack([np.asarray(getattr(value, "values", value), dtype=np.float64)
                     for value in frame[real_name]])


def columns(engine) -> list[str]:
    return [name for name in engine.variables if name != "time"]


def assert_all_match(engine, result, frame, names, member=0):
    for column in columns(engine):
        assert_parity(result[column][member], pysd_values(frame, names[column]), column)


def test_every_variable_matches_pysd_at_default_values(reference, engine):
    frame = run_pysd(reference, return_columns=None, flatten_output=False)
    times = frame.index.to_numpy(dtype=float)
    result = engine.run({}, 3, return_columns=columns(engine), return_times=times)
    assert_all_match(engine, result, frame, real_names(reference))
    for member in (1, 2):
        np.testing.assert_array_equal(result["population"][member], result["population"][0])


def test_random_draws_of_subscripted_constants_match_pysd(reference, engine):
    generator = np.random.default_rng(7)
    draws = {
        "fertility": generator.uniform(0.1, 0.5, RANDOM_DRAWS),
        "sex_share": generator.uniform(0.4, 0.6, (RANDOM_DRAWS, 2)),
        "mortality": generator.uniform(0.005, 0.05, (RANDOM_DRAWS, 2)),
        "mortality_weight": generator.uniform(0.1, 5, (RANDOM_DRAWS, 6)),
        "regional_weight": generator.uniform(0.1, 0.9, (RANDOM_DRAWS, 3)),
        "initial_population": generator.uniform(5, 50, (RANDOM_DRAWS, 6, 2)),
    }
    times = np.arange(0, 8.5, 0.5)
    result = engine.run(draws, RANDOM_DRAWS, return_columns=columns(engine),
                        return_times=times)
    names = real_names(reference)
    for member in range(RANDOM_DRAWS):
        params = {}
        for name, values in draws.items():
            dimensions = engine.dimensions.get(name, ())
            value = values[member]
            params[name] = float(value) if not dimensions else xr.DataArray(
                value, {dimension: list(engine.coordinates[dimension])
                        for dimension in dimensions}, list(dimensions))
        frame = run_pysd(reference, params=params, return_columns=None, flatten_output=False)
        assert_all_match(engine, result, frame, names, member)


def test_results_have_runs_then_times_then_dimensions(engine):
    result = engine.run({}, 4, return_columns=["regional", "births", "total_population",
                                               "population"], return_times=[0.0, 1.0, 2.0])
    assert result["regional"].shape == (4, 3, 6, 2, 3)
    assert result["births"].shape == (4, 3, 6, 2)
    assert result["total_population"].shape == (4, 3)
    assert engine.dimensions["regional"] == ("age", "sex", "region")
    assert engine.coordinates["sex"] == ("male", "female")
    assert engine.coordinates["age"] == ("a0", "a1", "a2", "a3", "a4", "a5")
    # Only a0 is born into; every other age gets births through :EXCEPT: = 0.
    assert np.all(result["births"][:, :, 1:] == 0) and np.all(result["births"][:, :, 0] > 0)
    np.testing.assert_allclose(result["total_population"],
                               result["population"].sum(axis=(2, 3)), rtol=1e-14)
    np.testing.assert_array_equal(result["population"][:, 0],
                                  np.broadcast_to(engine.constants["initial_population"],
                                                  (4, 6, 2)))


def test_a_subscripted_constant_is_shared_or_set_per_run(engine):
    shared = engine.run({"sex_share": [0.6, 0.4]}, 2, return_columns=["births"],
                        return_times=[1.0])
    each = engine.run({"sex_share": [[0.6, 0.4], [0.5, 0.5]]}, 2, return_columns=["births"],
                      return_times=[1.0])
    np.testing.assert_array_equal(each["births"][0], shared["births"][0])
    assert each["births"][1, 0, 0, 0] == each["births"][1, 0, 0, 1]  # 0.5 / 0.5
    np.testing.assert_array_equal(engine.constants["sex_share"], [0.51, 0.49])
    with pytest.raises(EnsembleError, match=r"'sex_share' has shape \(3,\); expected \(2,\)"):
        engine.run({"sex_share": [0.3, 0.3, 0.4]}, 2, return_columns=["births"],
                   return_times=[1.0])


def subscripted_model(directory: Path, equations: dict[str, str]) -> Path:
    path = write_model(directory, equations)
    ranges = "age: (a0-a2)\n\t~\t~\t|\nsex: male, female\n\t~\t~\t|\n"
    path.write_text(path.read_text().replace("{UTF-8}\n", "{UTF-8}\n" + ranges))
    return path


@pytest.mark.parametrize(("equations", "message"), [
    ({"a[age]": "1", "b[sex]": "a[age]"}, "'b': cannot line up subscript 'age'"),
    ({"a[a0]": "1", "a[age]": "2"}, "'a': some of its elements are defined twice"),
    ({"a[age]": "1", "b": "a + 1"}, "'b' uses the subscripted 'a' without subscripts"),
    ({"a": "1", "b[age]": "a[age]"}, "'b' uses subscripts on 'a', which has none"),
    ({"a[age]": "1", "b": "SUM(a[age])"}, "'b' uses SUM without a subscript marked '!'"),
])
def test_a_subscript_that_cannot_be_lined_up_is_refused_naming_the_variable(
        tmp_path, equations, message):
    path = subscripted_model(tmp_path, equations)
    with pytest.raises(EnsembleError, match=message):
        EnsembleModel.from_mdl(path)
