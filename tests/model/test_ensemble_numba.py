"""The ensemble engine's compiled path (model/ensemble_numba.py) against its numpy path
and PySD: every variable of a real scalar model at default values, on random draws of every
constant, with a time-varying parameter and at another time step; every construct it
compiles on a synthetic model; NaN rules of MIN / MAX; and the fallback to the numpy
path when numba is missing, the model has a construct it does not compile, or numba
refuses the code. Subscripted models: tests/model/test_ensemble_numba_subscripts.py.

The rest of the suite runs the numpy path (tests/conftest.py sets QDSIM_ENGINE_BACKEND),
so that each test model is not compiled again; ``QDSIM_ENGINE_BACKEND=numba pytest
tests/model`` runs every engine test on the compiled path instead.

The real scalar model is ``tests/model/models/qingdao_scalar.mdl``: qingdao.mdl as it was at
commit 4305547, before the population became subscripted cohorts (issue 11). It is a
frozen test input (1,400 lines of the constructs a
real model uses), not a second source of the model: qdsim runs only model/qingdao.mdl.
It keeps the scalar constructs (SMOOTH, TREND, lookups...) under test on the compiled path.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from model import ensemble, ensemble_numba
from model.ensemble import EnsembleError, EnsembleModel
from tests.model.test_ensemble import (
    CONSTRUCTS,
    CONTROL_NAMES,
    assert_every_variable_matches,
    assert_parity,
    model_columns,
    real_names,
    run_pysd,
    translate,
    write_model,
)

pytestmark = pytest.mark.skipif(not ensemble_numba.NUMBA_AVAILABLE,
                                reason="numba is not installed")
SUBSCRIPTED_MODEL = Path(__file__).with_name("models") / "subscripts.mdl"
SCALAR_MODEL = Path(__file__).with_name("models") / "qingdao_scalar.mdl"
# Every construct of tests/model/test_ensemble.py's synthetic model but the material
# delays (DELAY1/DELAY3), which the compiled path leaves to numpy.
COMPILED_CONSTRUCTS = {name: equation for name, equation in CONSTRUCTS.items()
                       if not name.startswith("delayed") or "fixed" in name}
DRAWS = 200


@pytest.fixture(scope="module", autouse=True)
def private_cache_folder(tmp_path_factory):
    """Parsed models and compiled kernels go to a folder of this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QDSIM_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return translate(SCALAR_MODEL, tmp_path_factory.mktemp("qingdao"))


@pytest.fixture(scope="module")
def engines():
    """The same model on the compiled and on the numpy path."""
    return (EnsembleModel.from_mdl(SCALAR_MODEL, backend="numba"),
            EnsembleModel.from_mdl(SCALAR_MODEL, backend="numpy"))


def run_both(engines, params, n, **options):
    compiled, plain = engines
    first = compiled.run(params, n, **options)
    assert compiled.last_backend == "numba"
    second = plain.run(params, n, **options)
    assert plain.last_backend == "numpy"
    return first, second


def assert_paths_agree(first, second, relative=1e-9):
    for column, values in second.items():
        assert first[column].shape == values.shape, column
        assert_parity(first[column], values, column, relative)


def test_every_variable_matches_numpy_and_pysd_at_default_values(reference, engines):
    years = np.arange(2015, 2036, dtype=float)
    columns = model_columns(engines[0])
    compiled, plain = run_both(engines, {}, 3, return_columns=columns, return_times=years)
    assert_paths_agree(compiled, plain)
    assert_every_variable_matches(engines[0], compiled, run_pysd(reference),
                                  real_names(reference))


def test_random_draws_of_every_constant_match_numpy_and_pysd(reference, engines):
    limits = {name: limit for name, limit in zip(reference.doc["Py Name"],
                                                 reference.doc["Limits"], strict=True)
              if name in engines[0].constants and name not in CONTROL_NAMES}
    draws = {name: np.random.default_rng([7, zlib.crc32(name.encode())]).uniform(
        low, high, DRAWS) for name, (low, high) in limits.items()}
    years = np.arange(2015, 2036, dtype=float)
    columns = model_columns(engines[0])
    # Several chunks on two threads: each run must land in its own row.
    engines[0].workers = 2
    compiled, plain = run_both(engines, draws, DRAWS, return_columns=columns,
                               return_times=years)
    assert_paths_agree(compiled, plain)
    for member in (0, DRAWS // 2, DRAWS - 1):
        frame = run_pysd(reference, params={name: float(values[member])
                                            for name, values in draws.items()})
        assert_every_variable_matches(engines[0], compiled, frame, real_names(reference),
                                      member)


def test_time_varying_parameters_shared_and_per_run_match_numpy(engines):
    grid = engines[0].step_times()
    paths = np.stack([np.interp(grid, [2015, 2025, 2035], [1.6, 1.1, 1.4]),
                      np.interp(grid, [2015, 2035], [1.0, 2.0])])
    years = np.arange(2015, 2036, dtype=float)
    columns = ["population", "gdp_real", "birth_flow"]
    both = {"total_fertility_rate": paths, "capital_share": np.array([0.35, 0.45])}
    assert_paths_agree(*run_both(engines, both, 2, return_columns=columns,
                                 return_times=years))
    shared = {"total_fertility_rate": paths[0], "capital_share": 0.4}
    assert_paths_agree(*run_both(engines, shared, 2, return_columns=columns,
                                 return_times=years))


def test_another_time_step_and_final_time_match_pysd(reference, engines):
    frame = run_pysd(reference, time_step=0.125, final_time=2030.0)
    years = frame.index.to_numpy(dtype=float)
    columns = model_columns(engines[0])
    compiled, plain = run_both(engines, {}, 1, return_columns=columns, return_times=years,
                               time_step=0.125, final_time=2030.0)
    assert_paths_agree(compiled, plain)
    assert_every_variable_matches(engines[0], compiled, frame, real_names(reference))


def test_every_compiled_construct_matches_pysd_at_every_step(tmp_path):
    path = write_model(tmp_path, COMPILED_CONSTRUCTS)
    reference = translate(path, tmp_path / "pysd")
    frame = run_pysd(reference)
    engine = EnsembleModel.from_mdl(path, backend="numba")
    times = frame.index.to_numpy(dtype=float)
    result = engine.run({}, 2, return_columns=model_columns(engine), return_times=times)
    assert engine.last_backend == "numba"
    assert_every_variable_matches(engine, result, frame, real_names(reference))


def test_delay_fixed_with_a_delay_time_per_run_matches_pysd(tmp_path):
    path = write_model(tmp_path, {"input": "Time * Time", "fixed delay time": "1",
                                  "delayed": "DELAY FIXED(input, fixed delay time, -1)"})
    reference = translate(path, tmp_path / "pysd")
    engine = EnsembleModel.from_mdl(path, backend="numba")
    delays = np.array([0.25, 0.5, 1.0, 1.6, 3.0])  # rings of 1, 2, 4, 6 and 12 steps
    times = np.arange(0, 10.25, 0.25)
    result = engine.run({"fixed_delay_time": delays}, len(delays), return_columns=["delayed"],
                        return_times=times)
    assert engine.last_backend == "numba"
    for member, delay in enumerate(delays):
        frame = run_pysd(reference, params={"fixed_delay_time": float(delay)})
        assert_parity(result["delayed"][member], frame["delayed"], f"delay {delay}")


def test_min_max_and_xidz_follow_numpy_on_nan_zero_and_infinity(tmp_path):
    path = write_model(tmp_path, {
        "x": "1", "y": "2",
        "smaller": "MIN(x, y)", "larger": "MAX(x, y)", "ratio": "XIDZ(x, y, 7)",
        "remainder": "MODULO(x, y)", "power": "x ^ y"})
    engines = (EnsembleModel.from_mdl(path, backend="numba"),
               EnsembleModel.from_mdl(path, backend="numpy"))
    values = np.array([np.nan, 0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, 1e-7])
    x, y = (grid.ravel() for grid in np.meshgrid(values, values))
    columns = ["smaller", "larger", "ratio", "remainder", "power"]
    with np.errstate(all="ignore"):
        compiled, plain = run_both(engines, {"x": x, "y": y}, x.size, return_columns=columns,
                                   return_times=[0.0])
    for column in columns[:-1]:  # exactly, NaN where numpy gives NaN
        np.testing.assert_array_equal(compiled[column], plain[column], err_msg=column)
    # The C library's pow and numpy's vectorised one may differ in the last bit.
    np.testing.assert_allclose(compiled["power"], plain["power"], rtol=4e-16, equal_nan=True)
    assert np.isnan(compiled["smaller"][np.isnan(x)]).all()
    assert np.isnan(compiled["larger"][np.isnan(y)]).all()


def test_a_subscripted_material_delay_runs_the_numpy_path_and_says_why(caplog):
    engine = EnsembleModel.from_mdl(SUBSCRIPTED_MODEL, backend="numba")
    assert engine.dimensions["delayed"] == ("sex",)  # DELAY1 on an array
    with caplog.at_level(logging.WARNING, logger="model.ensemble"):
        engine.run({}, 2, return_columns=["delayed"], return_times=[engine.constants[
            "initial_time"]])
    assert engine.last_backend == "numpy"
    assert "_delay_start" in caplog.text


def test_an_uncompiled_construct_runs_the_numpy_path_with_the_same_result(tmp_path, caplog,
                                                                          monkeypatch):
    monkeypatch.setattr(ensemble, "COMPILE_AFTER_SECONDS", 0.0)
    path = write_model(tmp_path, {"input": "1 + Time", "delayed": "DELAY1(input, 2)"})
    auto = EnsembleModel.from_mdl(path, backend="auto")
    with caplog.at_level(logging.INFO, logger="model.ensemble"):
        auto.run({}, 1, return_columns=["delayed"], return_times=[0.0, 5.0])
        auto.wait_for_compilation()
        result = auto.run({}, 1, return_columns=["delayed"], return_times=[0.0, 5.0])
    assert auto.last_backend == "numpy"
    assert "_delay_start" in caplog.text
    plain = EnsembleModel.from_mdl(path, backend="numpy")
    expected = plain.run({}, 1, return_columns=["delayed"], return_times=[0.0, 5.0])
    np.testing.assert_array_equal(result["delayed"], expected["delayed"])


def test_without_numba_or_when_numba_refuses_the_code_the_numpy_path_runs(tmp_path,
                                                                          monkeypatch):
    path = write_model(tmp_path, {"stock": "INTEG(1 / (1 + stock), 1)"})
    expected = EnsembleModel.from_mdl(path, backend="numpy").run(
        {}, 1, return_columns=["stock"], return_times=[10.0])["stock"]
    monkeypatch.setattr(ensemble, "COMPILE_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(ensemble_numba, "NUMBA_AVAILABLE", False)
    missing = EnsembleModel.from_mdl(path, backend="auto")
    missing.run({}, 1, return_columns=["stock"], return_times=[10.0])
    missing.wait_for_compilation()
    np.testing.assert_array_equal(
        missing.run({}, 1, return_columns=["stock"], return_times=[10.0])["stock"], expected)
    assert missing.last_backend == "numpy"
    monkeypatch.setattr(ensemble_numba, "NUMBA_AVAILABLE", True)

    def refuse(source):
        raise TypeError("numba cannot type this")

    monkeypatch.setattr(ensemble_numba, "load_kernel", refuse)
    refused = EnsembleModel.from_mdl(path, backend="auto")
    refused.run({}, 1, return_columns=["stock"], return_times=[10.0])
    refused.wait_for_compilation()
    np.testing.assert_array_equal(
        refused.run({}, 1, return_columns=["stock"], return_times=[10.0])["stock"], expected)
    assert refused.last_backend == "numpy"


def test_the_compiled_module_is_kept_in_the_cache_folder_and_rewritten_if_changed(tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setenv("QDSIM_CACHE", str(tmp_path / "cache"))
    path = write_model(tmp_path, {"stock": "INTEG(stock * 0.1, 2)"})
    engine = EnsembleModel.from_mdl(path, backend="numba", use_cache=False)
    result = engine.run({}, 1, return_columns=["stock"], return_times=[10.0])
    assert engine.last_backend == "numba"
    np.testing.assert_allclose(result["stock"][0, 0], 2 * 1.025 ** 40, rtol=1e-12)  # Euler, dt 0.25
    [module] = (tmp_path / "cache" / "numba").glob("kernel_*.py")
    # A new process loads numba's machine code from the cache folder, no compiling.
    script = ("import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout)\n"
              "from model.ensemble import EnsembleModel\n"
              f"engine = EnsembleModel.from_mdl({str(path)!r}, backend='numba', use_cache=False)\n"
              "print(engine.run({}, 1, return_columns=['stock'], return_times=[10.0])"
              "['stock'][0, 0], engine.last_backend)\n")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, env=dict(os.environ, NUMBA_DEBUG_CACHE="1")).stdout
    assert output.splitlines()[-1] == f"{float(result['stock'][0, 0])!r} numba"
    assert "data loaded from" in output and "data saved to" not in output
    source = module.read_text()
    module.write_text(source.replace("_dt", "_dt * 2"))  # tampered: not imported
    ensemble_numba.sys.modules.pop(f"_qdsim_kernel_{module.stem[len('kernel_'):]}")
    again = EnsembleModel.from_mdl(path, backend="numba", use_cache=False)
    np.testing.assert_array_equal(
        again.run({}, 1, return_columns=["stock"], return_times=[10.0])["stock"],
        result["stock"])
    assert module.read_text() == source


def test_auto_compiles_in_the_background_and_loads_a_cached_kernel_at_once(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("QDSIM_CACHE", str(tmp_path / "cache"))
    path = write_model(tmp_path, {"stock": "INTEG(1 / (1 + stock) - 0.01 * Time, 1)"})
    options = {"return_columns": ["stock"], "return_times": np.arange(0.0, 10.5, 0.5)}
    expected = EnsembleModel.from_mdl(path, backend="numpy").run({}, 2, **options)["stock"]
    engine = EnsembleModel.from_mdl(path, backend="auto")
    engine.run({}, 2, **options)
    assert engine.last_backend == "numpy"
    assert not engine._compiling  # a short job starts no compiling
    monkeypatch.setattr(ensemble, "COMPILE_AFTER_SECONDS", 0.0)
    first = engine.run({}, 2, **options)["stock"]
    assert engine.last_backend == "numpy"  # the kernel is being compiled meanwhile
    engine.wait_for_compilation()
    second = engine.run({}, 2, **options)["stock"]
    assert engine.last_backend == "numba"
    other = EnsembleModel.from_mdl(path, backend="auto")  # the kernel is in the cache now
    third = other.run({}, 2, **options)["stock"]
    assert other.last_backend == "numba"
    np.testing.assert_array_equal(first, expected)
    assert_parity(second, expected, "stock")
    assert_parity(third, expected, "stock")


def test_an_unknown_backend_is_refused():
    with pytest.raises(EnsembleError, match="unknown engine backend 'fortran'"):
        EnsembleModel.from_mdl(SCALAR_MODEL, backend="fortran")
