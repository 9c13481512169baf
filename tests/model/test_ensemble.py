"""The ensemble engine against PySD, the reference engine: the same numbers for every
variable of qingdao.mdl at default values, for random parameter draws, a time-varying
parameter and other time steps; every other supported construct on small synthetic
models; and clear errors for what it does not support or for a wrongly asked run.

PySD translations are made from copies in tmp_path (PySD writes a .py next to the .mdl).
PySD runs here use ``return_columns=None``: PySD then computes every variable at each
saved step, which is when its DELAY FIXED agrees with Vensim's rule (see model/ensemble.py).
"""

from __future__ import annotations

import shutil
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pysd
import pytest

from model import ensemble
from model.ensemble import EnsembleError, EnsembleModel

MODEL_PATH = Path(__file__).resolve().parents[2] / "model" / "qingdao.mdl"
# qingdao.mdl before its cohorts (a frozen test input): a wide scalar model whose PySD runs
# take 0.3 s against 15-30 s for the cohort model, so it carries the many random draws.
SCALAR_MODEL_PATH = Path(__file__).resolve().parent / "models" / "qingdao_scalar.mdl"
CONTROL_NAMES = ("initial_time", "final_time", "time_step", "saveper")
RELATIVE_TOLERANCE = 1e-9
RANDOM_DRAWS = {"qingdao": 3, "qingdao_scalar": 20}


def assert_parity(actual, expected, name: str, relative: float = RELATIVE_TOLERANCE) -> None:
    """Equal to 1e-9 relative, or within 1e-9 of the largest magnitude of the series.

    The floor is there because rounding in a difference of large numbers (births =
    cumulative births - their value a year before) scales with the operands, not with
    a result that may be near zero.
    """
    expected = np.asarray(expected, dtype=np.float64)
    floor = relative * np.max(np.abs(expected), initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=relative, atol=floor,
                               equal_nan=True, err_msg=name)


def translate(mdl_path: Path, directory: Path):
    """PySD model translated from a copy of ``mdl_path`` placed in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    copy = directory / mdl_path.name
    shutil.copy(mdl_path, copy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pysd.read_vensim(str(copy))


def run_pysd(model, **options) -> pd.DataFrame:
    """One PySD run from a freshly loaded model (params set by earlier runs are dropped);
    subscripted variables stay arrays (one column each, see :func:`column_values`)."""
    options.setdefault("flatten_output", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # casting delay orders, constants given as series
        return model.run(reload=True, progress=False, **options)


def column_values(frame: pd.DataFrame, real_name: str) -> np.ndarray:
    """A PySD result column as (time, *dimensions) floats (arrays are xarray cells)."""
    return np.stack([np.asarray(getattr(value, "values", value), dtype=np.float64)
                     for value in frame[real_name]])


def scalar_constants(engine: EnsembleModel) -> set[str]:
    """The model's constants that are single numbers (subscripted ones are drawn in
    tests/model/test_ensemble_subscripts.py)."""
    return {name for name, value in engine.constants.items() if np.ndim(value) == 0}


def real_names(model) -> dict[str, str]:
    documentation = model.doc
    return dict(zip(documentation["Py Name"], documentation["Real Name"], strict=True))


def model_columns(engine: EnsembleModel) -> list[str]:
    return [name for name in engine.variables if name != "time"]


def assert_every_variable_matches(engine, result, reference_frame, names, member=0,
                                  relative=RELATIVE_TOLERANCE):
    assert set(model_columns(engine)) <= set(names)
    for column in model_columns(engine):
        assert_parity(result[column][member], column_values(reference_frame, names[column]),
                      column, relative)


@pytest.fixture(scope="module", autouse=True)
def private_cache_folder(tmp_path_factory):
    """Parsed models are cached in a folder of this test module, not the user's."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QDSIM_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return translate(MODEL_PATH, tmp_path_factory.mktemp("qingdao"))


@pytest.fixture(scope="module")
def engine():
    return EnsembleModel.from_mdl(MODEL_PATH)


@pytest.fixture(scope="module")
def default_result(engine):
    years = np.arange(engine.constants["initial_time"], engine.constants["final_time"] + 1)
    return years, engine.run({}, 2, return_columns=model_columns(engine), return_times=years)


def test_every_variable_matches_pysd_at_default_values(reference, engine, default_result):
    years, result = default_result
    frame = run_pysd(reference)
    np.testing.assert_array_equal(frame.index.to_numpy(dtype=float), years)
    assert_every_variable_matches(engine, result, frame, real_names(reference))
    for column in model_columns(engine):
        assert result[column].shape[:2] == (2, len(years))
        np.testing.assert_array_equal(result[column][0], result[column][1])


def test_each_column_alone_equals_the_full_run(engine, default_result):
    # The generated code keeps only what the requested columns need; nothing may change.
    years, full = default_result
    for column in model_columns(engine):
        # as many members as the full run: a SUM over subscripts may round its last bit
        # differently for another ensemble size (reported to the engine's owner)
        alone = engine.run({}, 2, return_columns=[column], return_times=years)
        np.testing.assert_array_equal(alone[column][0], full[column][0], err_msg=column)


def test_constants_are_the_model_file_defaults(reference, engine):
    components = reference.components
    for name, value in engine.constants.items():
        np.testing.assert_array_equal(np.asarray(value, dtype=float),
                                      np.asarray(getattr(components, name)(), dtype=float),
                                      err_msg=name)


@pytest.mark.parametrize("model_name", list(RANDOM_DRAWS))
def test_random_parameter_draws_match_pysd_run_one_at_a_time(model_name, reference, engine,
                                                             tmp_path):
    if model_name == "qingdao_scalar":
        reference = translate(SCALAR_MODEL_PATH, tmp_path / "pysd")
        engine = EnsembleModel.from_mdl(SCALAR_MODEL_PATH)
    count = RANDOM_DRAWS[model_name]
    documentation = reference.doc
    constants = documentation[(documentation["Type"] == "Constant")
                              & ~documentation["Py Name"].isin(CONTROL_NAMES)]
    limits = {name: limit for name, limit in zip(constants["Py Name"], constants["Limits"],
                                                 strict=True) if name in scalar_constants(engine)}
    assert set(limits) == scalar_constants(engine) - set(CONTROL_NAMES)
    # Every constant is drawn, initial_* included: all draws within Limits give valid runs.
    # Each constant's draws depend on its name only, so adding a constant elsewhere in the
    # model does not reshuffle the draws of the others.
    draws = {name: np.random.default_rng([20240601, zlib.crc32(name.encode())]).uniform(
        low, high, count) for name, (low, high) in limits.items()}
    years = np.arange(2015, 2036, dtype=float)
    result = engine.run(draws, count, return_columns=model_columns(engine),
                        return_times=years)
    names = real_names(reference)
    for member in range(count):
        frame = run_pysd(reference, params={name: float(values[member])
                                            for name, values in draws.items()})
        # Every range is now one the model honours (issue 10: no oscillating employment loop,
        # no 0/0, no negative stocks), so random draws need no looser tolerance than the
        # defaults: a draw that amplifies last-bit differences is a model defect to fix.
        assert_every_variable_matches(engine, result, frame, names, member)


def test_time_varying_parameter_matches_a_pandas_series_in_pysd(reference, engine):
    paths = [pd.Series([1.6, 1.3, 1.1, 1.4], index=[2015.0, 2020.0, 2025.0, 2035.0]),
             pd.Series([1.0, 2.0], index=[2018.0, 2030.0])]  # end values held outside
    grid = engine.step_times()
    on_grid = np.stack([np.interp(grid, path.index, path.to_numpy()) for path in paths])
    years = np.arange(2015, 2036, dtype=float)
    columns = model_columns(engine)
    shared = engine.run({"total_fertility_rate": on_grid[0]}, 1, return_columns=columns,
                        return_times=years)
    each = engine.run({"total_fertility_rate": on_grid}, 2, return_columns=columns,
                      return_times=years)
    names = real_names(reference)
    for member, path in enumerate(paths):
        frame = run_pysd(reference, params={"total_fertility_rate": path})
        assert_every_variable_matches(engine, each, frame, names, member)
        if member == 0:
            assert_every_variable_matches(engine, shared, frame, names)


# Short horizons: each PySD run of the cohort model costs 15-30 s; three years cross the
# cohorts' yearly ageing step three times.
@pytest.mark.parametrize(("time_step", "final_time"), [(0.125, 2018.0), (0.25, 2021.0)])
def test_other_time_step_or_final_time_matches_pysd(reference, engine, time_step, final_time):
    frame = run_pysd(reference, time_step=time_step, final_time=final_time)
    years = frame.index.to_numpy(dtype=float)
    assert years[-1] == (final_time or engine.constants["final_time"])
    result = engine.run({}, 1, return_columns=model_columns(engine), return_times=years,
                        time_step=time_step, final_time=final_time)
    assert_every_variable_matches(engine, result, frame, real_names(reference))
    assert len(engine.step_times(time_step, final_time)) == round(
        (years[-1] - years[0]) / time_step) + 1


CONTROL = """
FINAL TIME = 10
\t~\tyear\n\t~\tEnd.\n\t|
INITIAL TIME = 0
\t~\tyear\n\t~\tStart.\n\t|
SAVEPER = TIME STEP
\t~\tyear\n\t~\tSave every step.\n\t|
TIME STEP = 0.25
\t~\tyear\n\t~\tStep.\n\t|
"""

CONSTRUCTS = {
    "input": "1 + STEP(2, 3.1) + RAMP(0.5, 2, 6) + PULSE(4, 1) + 0.1 * Time",  # 3.1: off-grid
    "smooth time": "2",
    "delay time": "2",
    "fixed delay time": "1.5",
    "smoothed": "SMOOTH(input, smooth time)",
    "smoothed initial": "SMOOTHI(input, smooth time, 5)",
    "smoothed third order": "SMOOTH3(input, 3)",
    "smoothed third order initial": "SMOOTH3I(input, 3, 2)",
    "delayed": "DELAY1(input, delay time)",
    "delayed initial": "DELAY1I(input, 2, 1)",
    "delayed third order": "DELAY3(input, 3)",
    "delayed third order initial": "DELAY3I(input, 3, 2)",
    "delayed fixed": "DELAY FIXED(input, fixed delay time, INITIAL(input) / 2)",
    "delayed fixed twice": "DELAY FIXED(delayed fixed + 1, 1, 0)",
    "stock": "INTEG(input - stock / 4, 1)",
    "table": None,  # a standalone lookup, written below
    "looked up": "table(Time) + WITH LOOKUP(input, ([(0,0)-(10,10)],(0,1),(3,2),(6,0)))",
    "logic": "IF THEN ELSE(input > 2 :AND: :NOT: (input = 3) :OR: input <> 4, 1, 0)"
             " + IF THEN ELSE(input <= 2.5 :OR: input < 1.5, 10, 0)",
    "functions": "ABS(-input) + SQRT(input) + LN(input) + EXP(-input) + INTEGER(input * 1.7)"
                 " + MIN(input, 2) + MAX(input, 3) - input ^ 1.5",
    "more functions": "XIDZ(input, input - 2, 7) + ZIDZ(1, input - 2) + SIN(input)"
                      " + COS(input) + TAN(input / 10) + ARCTAN(input) + POWER(input, 0.5)"
                      " + LOG(input, 10)",
    "clock": "Time + TIME STEP + INITIAL TIME",
}


def write_model(directory: Path, equations: dict[str, str | None]) -> Path:
    text = ["{UTF-8}"]
    for name, equation in equations.items():
        if equation is None:
            text.append(f"{name}(\n\t[(0,0)-(10,10)],(0,0),(2,3),(5,4),(10,1))")
        else:
            text.append(f"{name} = {equation}")
        text.append("\t~\tdmnl\n\t~\tTest variable.\n\t|")
    path = directory / "synthetic.mdl"
    path.write_text("\n".join(text) + CONTROL)
    return path


def test_every_supported_construct_matches_pysd_at_every_step(tmp_path):
    path = write_model(tmp_path, CONSTRUCTS)
    reference = translate(path, tmp_path / "pysd")
    frame = run_pysd(reference)
    engine = EnsembleModel.from_mdl(path)
    times = frame.index.to_numpy(dtype=float)
    assert len(times) == 41
    result = engine.run({}, 3, return_columns=model_columns(engine) + ["time"],
                        return_times=times)
    assert_every_variable_matches(engine, result, frame, real_names(reference))
    np.testing.assert_array_equal(result["time"][0], times)


def test_delay_fixed_with_a_delay_time_per_member_matches_pysd(tmp_path):
    path = write_model(tmp_path, {"input": "Time * Time", "fixed delay time": "1",
                                  "delayed": "DELAY FIXED(input, fixed delay time, -1)"})
    reference = translate(path, tmp_path / "pysd")
    engine = EnsembleModel.from_mdl(path)
    delays = np.array([0.25, 0.5, 1.0, 1.6, 3.0])  # pipes of 1, 2, 4, 6 and 12 steps
    times = np.arange(0, 10.25, 0.25)
    result = engine.run({"fixed_delay_time": delays}, len(delays), return_columns=["delayed"],
                        return_times=times)
    for member, delay in enumerate(delays):
        frame = run_pysd(reference, params={"fixed_delay_time": float(delay)})
        assert_parity(result["delayed"][member], frame["delayed"], f"delay {delay}")


@pytest.mark.parametrize(("equation", "construct"), [
    ("RANDOM NORMAL(0, 1, 0, 1, 1)", "RANDOM NORMAL"),
    ("GET XLS DATA('data.xlsx', 'Sheet1', 'A', 'B2')", "GET XLS/DIRECT DATA"),
    ("SAMPLE IF TRUE(Time > 2, Time, 0)", "SAMPLE IF TRUE"),
    ("DELAY N(Time, 2, 0, input)", "a delay or smooth of order"),
    ("GET TIME VALUE(0, 0, 0)", "GET TIME VALUE"),
    ("QUANTUM(Time, 2)", "QUANTUM"),
])
def test_an_unsupported_construct_is_refused_naming_the_variable(tmp_path, equation,
                                                                  construct):
    path = write_model(tmp_path, {"input": "Time", "troublesome variable": equation})
    with pytest.raises(EnsembleError, match=f"'troublesome variable' uses {construct}"):
        EnsembleModel.from_mdl(path)


def test_a_simultaneous_equation_loop_is_refused(tmp_path):
    path = write_model(tmp_path, {"first": "second + 1", "second": "first * 2"})
    with pytest.raises(EnsembleError, match="simultaneous equation loop"):
        EnsembleModel.from_mdl(path)


@pytest.mark.parametrize(("params", "columns", "times", "message"), [
    ({"total_fertility": 1.5}, ["population"], [2015], "'total_fertility'.*did you mean "
                                                      "'total_fertility_rate'"),
    ({"population": 1.0}, ["population"], [2015], "'population' is computed by the model"),
    ({"total_fertility_rate": np.ones(7)}, ["population"], [2015], "'total_fertility_rate'"
                                                                   " has shape"),
    ({}, ["populations"], [2015], "unknown return column 'populations'"),
    ({}, ["population"], [2015.1], "return time 2015.1"),
    ({}, ["population"], [2040], "return time 2040"),
    ({"time_step": [0.25, 0.5, 0.25]}, ["population"], [2015], "one value"),
])
def test_a_wrongly_asked_run_raises_ensemble_error(engine, params, columns, times, message):
    with pytest.raises(EnsembleError, match=message):
        engine.run(params, 3, return_columns=columns, return_times=np.array(times))


def test_per_member_values_and_scalars_combine(engine):
    years = np.array([2015.0, 2025.0, 2035.0])
    rates = np.array([1.2, 1.6, 2.0])
    together = engine.run({"total_fertility_rate": rates, "investment_share": 0.4}, 3,
                          return_columns=["population"], return_times=years)
    for member, rate in enumerate(rates):
        alone = engine.run({"total_fertility_rate": rate, "investment_share": 0.4}, 1,
                           return_columns=["population"], return_times=years)
        np.testing.assert_allclose(together["population"][member], alone["population"][0],
                                   rtol=1e-15)
    assert np.all(np.diff(together["population"][:, -1]) > 0)  # more births, more people


def test_a_second_load_reads_the_cache_folder_not_pysd(tmp_path, monkeypatch,
                                                       private_cache_folder):
    path = write_model(tmp_path, CONSTRUCTS)
    monkeypatch.setattr(ensemble, "_specifications", {})
    first = EnsembleModel.from_mdl(path)
    assert list(private_cache_folder.glob("ensemble-*.json"))

    def no_parsing(path):
        raise AssertionError("the model was parsed again")

    monkeypatch.setattr(ensemble, "_specifications", {})
    monkeypatch.setattr(ensemble, "build_specification", no_parsing)
    second = EnsembleModel.from_mdl(path)
    columns = model_columns(first)
    assert second.source(columns) == first.source(columns)
    assert second.constants == first.constants
    assert second.variables == first.variables
