"""Subscripted models on the ensemble engine's compiled path (model/ensemble_numba.py with
model/ensemble_numba_code.py) against its numpy path and PySD: the subscript test model
(tests/model/models/subscripts.mdl: subranges, mappings, :EXCEPT:, 1- to 3-D arrays,
transposition, SUM / PROD / VMIN / VMAX, a subscripted lookup, SMOOTH, SMOOTH3, DELAY FIXED
and INITIAL on arrays) at default values and on random draws; a synthetic model of what it
leaves out (ZIDZ, MODULO, MIN / MAX and IF THEN ELSE on arrays, a reduction over a trailing
dimension, a lookup of an array, a smooth time per element, a DELAY FIXED of a DELAY
FIXED); model/qingdao.mdl (101 ages x 2 sexes) at default values and on random draws; and
the fallback to the numpy path for what the compiled path does not run.

Tolerances: compiled against numpy 1e-12 of each series' largest magnitude
(``assert_parity``): the paths add a reduction's cells in the same order, but the numpy
path sums pairwise when a chunk's ensemble axis has one member (a constant shared by the
runs, or one run), so the last bits differ, and numba's exp and power round differently
from numpy's vectorised ones in the last bit (the numpy path itself differs between one
run and three by 4e-14 on qingdao.mdl). Against PySD 1e-9, as every engine test.
"""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from model import MODEL_PATH, ensemble_numba
from model.ensemble import EnsembleModel
from tests.model.test_ensemble import (
    CONTROL_NAMES,
    assert_parity,
    column_values,
    model_columns,
    real_names,
    run_pysd,
    translate,
)
from tests.model.test_ensemble_subscripts import subscripted_model

pytestmark = pytest.mark.skipif(not ensemble_numba.NUMBA_AVAILABLE,
                                reason="numba is not installed")
SUBSCRIPT_MODEL = Path(__file__).with_name("models") / "subscripts.mdl"
PATHS_AGREE = 1e-12  # see the module's docstring
DRAWS = 40

# What subscripts.mdl does not cover, on ranges age: a0-a2 and sex: male, female.
ARRAY_CONSTRUCTS = {
    "stock[age, sex]": "INTEG(inflow[age, sex], initial stock[age, sex])",
    "initial stock[age, sex]": "1, 2; 3, 4; 5, 6",
    "inflow[age, sex]": "ZIDZ(stock[age, sex], Time - 2) * 0.1 "
                        "+ MODULO(stock[age, sex], 3) * growth - looked[age, sex] * 0.01",
    "growth": "0.05",
    "total[sex]": "SUM(stock[age!, sex])",
    "smallest[sex]": "VMIN(stock[age!, sex])",
    "product[age]": "PROD(stock[age, sex!])",
    "largest[age]": "VMAX(stock[age, sex!])",
    "curve[male]( (0,1),(10,2),(20,4) )": None,
    "curve[female]( (0,0.5),(10,3),(20,3.5) )": None,
    "looked[age, sex]": "curve[sex](stock[age, sex])",
    "smooth time[age]": "1, 2, 3",
    "smoothed[age, sex]": "SMOOTH(stock[age, sex], smooth time[age])",
    "first[age, sex]": "INITIAL(stock[age, sex] * 2)",
    "capped[age, sex]": "MIN(stock[age, sex], cap) + MAX(0, stock[age, sex] - first[age, sex])",
    "cap": "5",
    "chosen[age, sex]": "IF THEN ELSE(stock[age, sex] > 3, stock[age, sex], 0)",
    "delay time": "1.5",
    "fixed[sex]": "DELAY FIXED(total[sex], delay time, 0)",
    "fixed again[sex]": "DELAY FIXED(fixed[sex], 1, fixed[sex])",
    "ageing[a0, sex]": "0",
    "ageing[a1, sex]": "stock[a0, sex]",
    "ageing[a2, sex]": "stock[a1, sex] + stock[a2, sex]",
}


@pytest.fixture(scope="module", autouse=True)
def private_cache_folder(tmp_path_factory):
    """Parsed models and compiled kernels go to a folder of this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QDSIM_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def write_array_model(directory: Path, equations: dict[str, str | None]) -> Path:
    """``equations`` (a None equation: a lookup written in the name) on age and sex."""
    lines = {name: equation for name, equation in equations.items() if equation is not None}
    path = subscripted_model(directory, lines)
    lookups = "".join(f"{name}\n\t~\tdmnl\n\t~\tTest lookup.\n\t|\n"
                      for name, equation in equations.items() if equation is None)
    path.write_text(path.read_text().replace("sex: male, female\n\t~\t~\t|\n",
                                             "sex: male, female\n\t~\t~\t|\n" + lookups))
    return path


def run_both(path: Path, params, n: int, columns, times):
    """The same runs on the compiled and on the numpy path."""
    compiled = EnsembleModel.from_mdl(path, backend="numba")
    plain = EnsembleModel.from_mdl(path, backend="numpy")
    first = compiled.run(params, n, return_columns=columns, return_times=times)
    assert compiled.last_backend == "numba"
    second = plain.run(params, n, return_columns=columns, return_times=times)
    assert plain.last_backend == "numpy"
    for column in columns:
        assert first[column].shape == second[column].shape, column
        assert_parity(first[column], second[column], column, PATHS_AGREE)
    return first


def assert_matches_pysd(result, frame, names, member=0) -> None:
    for column, values in result.items():
        assert_parity(values[member], column_values(frame, names[column]), column)


def compiled_columns(engine: EnsembleModel) -> list[str]:
    """Every variable of subscripts.mdl but its material delays (DELAY1, DELAY3), which
    the compiled path leaves to numpy."""
    return [name for name in model_columns(engine) if not name.startswith("delayed")
            or name.startswith("delayed_fixed")]


def test_the_subscript_model_matches_numpy_and_pysd_at_default_values(tmp_path):
    reference = translate(SUBSCRIPT_MODEL, tmp_path / "pysd")
    frame = run_pysd(reference, return_columns=None, flatten_output=False)
    times = frame.index.to_numpy(dtype=float)
    columns = compiled_columns(EnsembleModel.from_mdl(SUBSCRIPT_MODEL, backend="numpy"))
    assert {"regional", "curved", "smoothed_third", "delayed_fixed", "first"} <= set(columns)
    result = run_both(SUBSCRIPT_MODEL, {}, 3, columns, times)
    assert result["regional"].shape == (3, len(times), 6, 2, 3)
    assert_matches_pysd(result, frame, real_names(reference))
    np.testing.assert_array_equal(result["population"][2], result["population"][0])


def test_random_draws_of_subscripted_constants_match_numpy_and_pysd(tmp_path):
    generator = np.random.default_rng(11)
    draws = {
        "fertility": generator.uniform(0.1, 0.5, DRAWS),
        "sex_share": generator.uniform(0.4, 0.6, (DRAWS, 2)),
        "mortality": generator.uniform(0.005, 0.05, (DRAWS, 2)),
        "mortality_weight": generator.uniform(0.1, 5, (DRAWS, 6)),
        "regional_weight": [0.1, 0.3, 0.6],  # shared by every run
        "initial_population": generator.uniform(5, 50, (DRAWS, 6, 2)),
    }
    engine = EnsembleModel.from_mdl(SUBSCRIPT_MODEL, backend="numpy")
    times = np.arange(0, 8.5, 0.5)
    result = run_both(SUBSCRIPT_MODEL, draws, DRAWS, compiled_columns(engine), times)
    reference = translate(SUBSCRIPT_MODEL, tmp_path / "pysd")
    for member in (0, DRAWS - 1):
        params = {}
        for name, values in draws.items():
            dimensions = engine.dimensions.get(name, ())
            value = np.asarray(values)
            value = value[member] if value.ndim > len(dimensions) else value
            params[name] = float(value) if not dimensions else xr.DataArray(
                value, {dimension: list(engine.coordinates[dimension])
                        for dimension in dimensions}, list(dimensions))
        frame = run_pysd(reference, params=params, return_columns=None,
                         flatten_output=False)
        assert_matches_pysd(result, frame, real_names(reference), member)


def test_every_array_construct_matches_numpy_and_pysd_at_every_step(tmp_path):
    path = write_array_model(tmp_path, ARRAY_CONSTRUCTS)
    reference = translate(path, tmp_path / "pysd")
    frame = run_pysd(reference, return_columns=None, flatten_output=False)
    times = frame.index.to_numpy(dtype=float)
    engine = EnsembleModel.from_mdl(path, backend="numpy")
    columns = model_columns(engine)
    result = run_both(path, {"delay_time": np.array([1.5, 0.5, 3.0]),
                             "growth": np.array([0.05, 0.01, 0.1])}, 3, columns, times)
    assert_matches_pysd(result, frame, real_names(reference))
    assert np.all(result["inflow"][0, times == 2.0] != 0)  # ZIDZ's zero branch is taken
    frame = run_pysd(reference, params={"delay_time": 3.0, "growth": 0.1},
                     return_columns=None, flatten_output=False)
    assert_matches_pysd(result, frame, real_names(reference), member=2)


def test_a_delay_fixed_with_a_delay_time_per_element_runs_the_numpy_path(tmp_path, caplog):
    path = write_array_model(tmp_path, {"input[sex]": "Time + 1",
                                        "delay each[sex]": "1, 2",
                                        "fixed each[sex]": "DELAY FIXED(input[sex], "
                                                           "delay each[sex], 0)"})
    engine = EnsembleModel.from_mdl(path, backend="numba")
    with caplog.at_level(logging.WARNING, logger="model.ensemble"):
        result = engine.run({}, 2, return_columns=["fixed_each"], return_times=[0.0, 5.0])
    assert engine.last_backend == "numpy"
    assert "DELAY FIXED with a delay time per element" in caplog.text
    np.testing.assert_array_equal(result["fixed_each"][0, 1], [5.0, 4.0])  # (5 - 1) + 1, ...


@pytest.fixture(scope="module")
def qingdao_columns():
    return model_columns(EnsembleModel.from_mdl(MODEL_PATH, backend="numpy"))


@pytest.mark.slow
def test_qingdao_matches_numpy_and_pysd_at_default_values(tmp_path, qingdao_columns):
    years = np.arange(2015, 2036, dtype=float)
    result = run_both(MODEL_PATH, {}, 3, qingdao_columns, years)
    assert result["population_by_age"].shape == (3, len(years), 101, 2)
    reference = translate(MODEL_PATH, tmp_path / "pysd")
    frame = run_pysd(reference, return_columns=None, flatten_output=False)
    frame = frame.loc[years]
    assert_matches_pysd(result, frame, real_names(reference))


@pytest.mark.slow
def test_qingdao_random_draws_match_numpy(qingdao_columns):
    """Every constant drawn: scalars within 10% of their default, each subscripted
    constant scaled by its own factor in [0.9, 1.1] per run."""
    engine = EnsembleModel.from_mdl(MODEL_PATH, backend="numpy")
    draws = {}
    for name, value in engine.constants.items():
        if name in CONTROL_NAMES:
            continue
        generator = np.random.default_rng([13, zlib.crc32(name.encode())])
        factor = generator.uniform(0.9, 1.1, DRAWS)
        draws[name] = (factor * value if np.ndim(value) == 0
                       else factor.reshape(-1, *[1] * np.ndim(value)) * value)
    result = run_both(MODEL_PATH, draws, DRAWS, qingdao_columns,
                      np.arange(2015, 2036, dtype=float))
    assert np.all(np.isfinite(result["population"]))
    assert len(np.unique(result["population"][:, -1])) == DRAWS
