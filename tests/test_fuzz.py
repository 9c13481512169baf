"""Property-based fuzzing of every loader and command (issue 15, issue 14's goal).

Arbitrary bytes, arbitrary YAML, mutated scenario files and arbitrary option values go to
the loaders (in process) and to the commands (through typer's CliRunner). Each must end
with exit 0 and finite results, or one line and exit 2: never a traceback, a hang, or a
file outside ``--out``. Examples are derandomized and bounded (a few tens of seconds).
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli import app
from qdsim.errors import QdsimError

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
runner = CliRunner()
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = (st.none() | st.booleans() | st.integers(-10**30, 10**30)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=10) | st.integers(1900, 2100),
                                           inner, max_size=4), max_leaves=20)


def _loaders():
    from calibration.observations import load_observations
    from qdsim.outputs import read_results
    from qdsim.scenario import load_scenario
    from qdsim.targets import load_targets
    from reports.analysis_inputs import read_analysis

    return {".yaml": (load_scenario, load_targets), ".csv": (load_observations,),
            ".json": (read_analysis,), ".nc": (read_results,)}


def _one_line(error: QdsimError) -> None:
    text = str(error)
    assert text and "\n" not in text.strip(), text


def _check_loaders(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(content)
        for load in _loaders()[suffix]:
            try:
                load(path)
            except QdsimError as error:
                _one_line(error)


def _check_result(result, out: Path | None = None) -> None:
    """Exit 0, or exit 2 with one line on stderr; never an exception escaping."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output, result.exception)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        if out is not None:
            assert not out.exists() or not any(out.iterdir()), "a refusal wrote files"
    else:
        assert "nan" not in result.stdout.lower().replace("nanjing", ""), result.stdout


@settings(FUZZ, max_examples=60)
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".yaml", ".csv", ".json",
                                                                ".nc"]))
def test_arbitrary_bytes_to_every_loader(content, suffix):
    _check_loaders(content, suffix)


@settings(FUZZ, max_examples=60)
@given(document=documents)
def test_arbitrary_yaml_to_the_yaml_loaders(document):
    _check_loaders(yaml.safe_dump(document, allow_unicode=True).encode("utf-8"), ".yaml")


@settings(FUZZ, max_examples=40)
@given(document=documents)
def test_arbitrary_json_to_the_analysis_loader(document):
    text = json.dumps({"qdsim_analysis": "solve", "model_sha256": "x", "payload": document})
    _check_loaders(text.encode("utf-8"), ".json")


def _mutated(base: dict, path: list, value) -> dict:
    data = json.loads(json.dumps(base))
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node
    if isinstance(node, dict):
        node[path[-1]] = value
    return data


MUTATION_KEYS = st.sampled_from([
    ["name"], ["extends"], ["title"], ["description"], ["parameters"],
    ["parameters", "tfp_growth_rate"], ["parameters", "cny_per_usd"],
    ["parameters", "investment_share"], ["parameters", "initial_capital_output_ratio"],
    ["uncertain"], ["uncertain", "cny_per_usd"], ["uncertain", "tfp_growth_rate"],
    ["uncertain", "cny_per_usd", "high"], ["uncertain", "cny_per_usd", "apply"],
    ["uncertain", "total_fertility_rate"], ["nonsense"],
])
VALUES = (scalars | documents
          | st.builds(lambda low, width, apply: {"distribution": "uniform", "low": low,
                                                 "high": low + width, "apply": apply},
                      st.floats(-10, 10), st.floats(0.001, 10),
                      st.sampled_from(["replace", "shift", "scale"]))
          | st.builds(lambda shift, start: {"shift": shift, "start": start},
                      st.floats(-1, 1), st.integers(2010, 2040))
          | st.dictionaries(st.integers(2010, 2040), st.floats(-1, 20), min_size=1,
                            max_size=4))


@settings(FUZZ, max_examples=15)
@given(key=MUTATION_KEYS, value=VALUES)
def test_mutated_scenarios_validate_and_run_or_are_refused(key, value):
    base = yaml.safe_load((SCENARIOS / "plan.yaml").read_text(encoding="utf-8"))
    base["extends"] = str(SCENARIOS / "baseline.yaml")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.yaml"
        path.write_text(yaml.safe_dump(_mutated(base, key, value), allow_unicode=True),
                        encoding="utf-8")
        validated = runner.invoke(app, ["validate", str(path)])
        _check_result(validated)
        targets = runner.invoke(app, ["targets", str(path), "--samples", "8"])
        _check_result(targets)
        assert (validated.exit_code == 0) == (targets.exit_code == 0), (
            validated.output, targets.output)


OPTION_VALUES = (st.integers(-10, 40).map(str) | st.integers(10**7, 10**25).map(str)
                 | st.floats(allow_nan=True, allow_infinity=True).map(str)
                 | st.sampled_from(["", "x", "0.25", "1/128", "0.125", "1e-7", "tcp://",
                                    "tcp://127.0.0.1:1", "tls://h:70000", "../..", "/",
                                    "lhs", "sobol", "population", "population,nonsense"])
                 | st.text(max_size=8))
BATCH_OPTIONS = ["--samples", "--seed", "--chunk-size", "--method", "--variables",
                 "--workers", "--time-step", "--scheduler"]


@settings(FUZZ, max_examples=25)
@given(options=st.dictionaries(st.sampled_from(BATCH_OPTIONS), OPTION_VALUES, max_size=3))
def test_arbitrary_batch_options(options):
    if options.get("--scheduler", "").startswith(("tcp://", "tls://")):
        options["--scheduler"] = "notaurl"  # no network connections from the fuzz test
    if options.get("--workers", "0") not in ("0", "-1"):
        options["--workers"] = "-1"  # no local cluster either (tested on its own)
    arguments = {"--samples": "6", "--variables": "population", **options}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        out = work / "out"
        listing = ["batch", str(SCENARIOS / "baseline.yaml"), "--out", str(out)]
        for option, value in arguments.items():
            listing += [option, value]
        try:
            samples = int(arguments["--samples"])
        except ValueError:
            samples = 0
        if samples > 200:  # valid but long: keep the fuzz test bounded
            listing[listing.index("--samples") + 1] = "200"
        result = runner.invoke(app, listing)
        _check_result(result, out)
        assert [p.name for p in work.iterdir()] in ([], ["out"])
        if result.exit_code == 0:
            import xarray as xr

            stored = xr.open_zarr(out / "batch.zarr", chunks=None)  # no dask scheduler
            assert all(math.isfinite(v) for v in stored["population"].values.ravel())


COMMAND_OPTIONS = {
    "targets": ["--samples", "--seed", "--time-step", "--lang", "--set-target"],
    "run": ["--time-step", "--lang", "--set-target", "--out"],
    "solve": ["--points", "--mode", "--target", "--vary", "--set-target"],
    "sensitivity": ["--samples", "--seed", "--target"],
    "report": ["--lang", "--indicator", "--set-target"],
    "calibrate": ["--window", "--seed", "--data"],
}


@settings(FUZZ, max_examples=25)
@given(command=st.sampled_from(sorted(COMMAND_OPTIONS)), data=st.data())
def test_arbitrary_options_of_other_commands(command, data):
    options = data.draw(st.dictionaries(st.sampled_from(COMMAND_OPTIONS[command]),
                                        OPTION_VALUES, min_size=1, max_size=2))
    if command == "calibrate" and "--data" not in options:
        options["--data"] = "missing.csv"  # never a full calibration inside the fuzz test
    if command in ("solve", "sensitivity") and options.get("--samples", "x").isdigit():
        options["--samples"] = "x"
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        out = work / "out"
        listing = [command]
        if command != "calibrate":
            listing.append(str(work / "results.nc") if command == "report"
                           else str(SCENARIOS / "baseline.yaml"))
        defaults = {"solve": {"--target": "population_2025", "--vary": "nonsense"},
                    "sensitivity": {"--target": "population_2025"},
                    "run": {"--out": str(out)}, "report": {}, "targets": {}}
        arguments = {**defaults.get(command, {}), **options}
        if command in ("report", "calibrate"):
            arguments["--out"] = str(out / "x.yaml" if command == "calibrate" else out)
        if command == "run" and arguments.get("--out") != str(out):
            arguments["--out"] = str(out)
        for option, value in arguments.items():
            listing += [option, value]
        result = runner.invoke(app, listing)
        _check_result(result, out)
        assert [p.name for p in work.iterdir()] in ([], ["out"])
