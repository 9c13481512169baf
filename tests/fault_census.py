"""Re-run the fault classes of issue 15 against a source tree and count the outcomes.

    python tests/fault_census.py [SOURCE_TREE]

Every case is a bad input or an injected fault; each is run in process through typer's
CliRunner (a 20-second alarm marks a hang). Counted: tracebacks (an exception escaping or
an exit code other than 0 and 2), hangs, bad inputs accepted (exit 0), runs that exited 0
with NaN or inf in what they printed or wrote, and files written outside ``--out``. The
source tree defaults to this repository; give an exported older commit to compare.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

TREE = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TREE))
os.chdir(TREE)

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from cli import app  # noqa: E402

SCENARIOS = TREE / "scenarios"
runner = CliRunner()


#: Faults whose input is good: exit 0 is right, provided the results are finite.
GOOD_INPUTS = {"new store after rm -rf"}


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang


signal.signal(signal.SIGALRM, _alarm)


def scenario(work: Path, body: str, name: str = "case", header: bool = True) -> Path:
    path = work / f"{name}.yaml"
    text = (f"name: {name}\ntitle: {{zh: x, en: x}}\ndescription: d\nextends:"
            f" {SCENARIOS / 'baseline.yaml'}\n" if header else "") + body
    path.write_text(text, encoding="utf-8")
    return path


def has_nan(out: Path, stdout: str) -> bool:
    if " nan" in stdout.lower() or "nan%" in stdout.lower():
        return True
    if not out.exists():
        return False
    for path in [out, *out.rglob("*")]:
        try:
            if path.suffix == ".nc":
                with xr.open_dataset(path, engine="h5netcdf") as data:
                    if any(not np.isfinite(v.values).all() for v in data.data_vars.values()
                           if v.dtype.kind == "f"):
                        return True
            if path.name == "batch.zarr":
                data = xr.open_zarr(path)
                if any(not np.isfinite(v.values).all() for v in data.data_vars.values()
                       if v.dtype.kind == "f"):
                    return True
        except Exception:  # an unreadable output is not a NaN
            continue
    return False


def cases(work: Path, results: Path):
    """(label, arguments, out) for every bad input or fault."""
    nan_choice = scenario(work, "uncertain:\n  tfp_growth_rate: {distribution: choice,"
                          " values: [.nan]}\n", "c1")
    yield "choice of NaN", ["batch", nan_choice, "--samples", "4", "--out", work / "o1"], \
        work / "o1"
    yield "normal mean NaN", ["batch", scenario(work, "uncertain:\n  tfp_growth_rate:"
                              " {distribution: normal, mean: .nan, sd: 0.01, low: 0, high: 0.05}"
                              "\n", "c2"), "--samples", "4", "--out", work / "o2"], work / "o2"
    yield "uniform high inf", ["batch", scenario(work, "uncertain:\n  tfp_growth_rate:"
                               " {distribution: uniform, low: 0, high: .inf, apply: shift}\n",
                               "c3"), "--samples", "4", "--out", work / "o3"], work / "o3"
    yield "shift beyond range", ["batch", scenario(work, "uncertain:\n  tfp_growth_rate:"
                                 " {distribution: uniform, low: 5, high: 6, apply: shift}\n",
                                 "c4"), "--samples", "4", "--out", work / "o4"], work / "o4"
    yield "path year NaN", ["run", scenario(work, "parameters:\n  cny_per_usd: {2015: 6.2,"
                            " .nan: 7}\n", "c5"), "--out", work / "o5"], work / "o5"
    yield "path value inf", ["run", scenario(work, "parameters:\n  cny_per_usd: {2015: 6.2,"
                             " 2030: .inf}\n", "c6"), "--out", work / "o6"], work / "o6"
    yield "duplicate years", ["validate", scenario(work, "parameters:\n  cny_per_usd: {2015:"
                              " 6.2, 2015: 7}\n", "c7")], None
    yield "duplicate keys", ["validate", scenario(work, "parameters:\n  tfp_growth_rate: 0.01"
                             "\n  tfp_growth_rate: 0.02\n", "c8")], None
    yield "name with newline", ["validate", scenario(work, 'name: "c9\\n"\ntitle: {zh: x, en:'
                                ' x}\ndescription: d\n', "c9", header=False)], None
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    yield "alias bomb in calibration", ["targets", scenario(
        work, "calibration:\n  " + "\n  ".join(levels) + "\n", "c10")], None
    yield "alias bomb as value", ["validate", scenario(
        work, "\n".join(levels) + "\nparameters:\n  tfp_growth_rate: *a8\n", "c11",
        header=True)], None
    latin = work / "c12.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    yield "latin-1 scenario", ["validate", latin], None
    nul = work / "c13.yaml"
    nul.write_bytes(b"name: x\x00\n")
    yield "NUL scenario", ["validate", nul], None
    binary = work / "c14.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    yield "binary scenario", ["validate", binary], None
    yield "uniform replacing a path", ["validate", scenario(
        work, "parameters:\n  household_registration_openness: {2015: 0.3, 2030: 0.6}\n"
        "uncertain:\n  household_registration_openness: {distribution: uniform, low: 0.2,"
        " high: 0.8}\n", "c15")], None
    baseline = SCENARIOS / "baseline.yaml"
    for label, options in (("time step 2", ["--time-step", "2"]),
                           ("time step 0", ["--time-step", "0"]),
                           ("time step -1", ["--time-step", "-1"]),
                           ("time step nan", ["--time-step", "nan"]),
                           ("seed -1", ["--seed", "-1"]),
                           ("huge samples", ["--samples", str(10**12)]),
                           ("scheduler not a URL", ["--scheduler", "notaurl"])):
        out = work / f"b-{label.replace(' ', '_')}"
        arguments = ["batch", baseline, "--out", out, "--variables", "population", *options]
        if "--samples" not in options:
            arguments += ["--samples", "4"]
        yield label, arguments, out
    yield "run time step 2", ["run", baseline, "--out", work / "r2", "--time-step", "2"], \
        work / "r2"
    yield "run time step 1e-7", ["run", baseline, "--out", work / "r3", "--time-step",
                                 "1e-7"], work / "r3"
    afile = work / "afile"
    afile.write_text("x")
    yield "out is a file", ["batch", baseline, "--samples", "4", "--out", afile], None
    yield "points -3", ["solve", baseline, "--target", "population_2025", "--vary",
                        "tfp_growth_rate", "--vary", "investment_share", "--points", "-3"], None
    yield "set-target in percent", ["targets", baseline, "--set-target",
                                    "co2_intensity_2021_2025=-20.5"], None
    for label, content in (("targets latin-1", "- id: caf\xe9\n".encode("latin-1")),
                           ("targets duplicate keys", b"- id: a\n  id: b\n"),
                           ("targets value NaN", (SCENARIOS / "targets" / "plan_targets.yaml")
                            .read_bytes().replace(b"value: 11000000", b"value: .nan", 1))):
        path = work / f"t-{label.replace(' ', '_')}.yaml"
        path.write_bytes(content)
        yield label, ["targets", baseline, "--targets", path], None
    header = ("id,variable,statistic,year,period_start,period_end,value,unit,sd,definition,"
              "source\n")
    for label, content in (("CSV latin-1", (header + "a,population,value,2015,,,1,p,1,caf\xe9,"
                                            "s\n").encode("latin-1")),
                           ("CSV NUL", (header + "a,population,value,2015,,,1,p,1,d,s\x00\n")
                            .encode()),
                           ("CSV short row", (header + "a,population,value\n").encode()),
                           ("CSV unclosed quote", (header + 'a,population,value,2015,,,1,p,1,'
                                                   '"d,s\n').encode())):
        path = work / f"{label.replace(' ', '_')}.csv"
        path.write_bytes(content)
        yield label, ["calibrate", "--data", path, "--out", work / "cal" / "c.yaml"], \
            work / "cal"
    with xr.open_dataset(results, engine="h5netcdf") as opened:
        data = opened.load()
    evil = work / "evil"
    evil.mkdir()
    data.assign_coords(scenario=["../../escaped"]).to_netcdf(evil / "evil.nc",
                                                            engine="h5netcdf")
    yield "scenario name is a path", ["report", evil / "evil.nc", "--out", evil / "rep"], \
        evil / "rep"
    damaged = data.copy(deep=True)
    damaged["population"][0, 3] = np.nan
    damaged.to_netcdf(work / "nan.nc", engine="h5netcdf")
    yield "results with NaN", ["report", work / "nan.nc", "--out", work / "rep2"], work / "rep2"
    analysis = work / "a.json"
    model_hash = data.attrs["model_sha256"]
    analysis.write_text(f'{{"qdsim_analysis": "solve", "model_sha256": "{model_hash}",'
                        ' "x": Infinity}')
    yield "analysis with Infinity", ["report", results, analysis, "--out", work / "rep3"], \
        work / "rep3"


def store_cases(work: Path):
    """Batch-store faults: a deleted store's markers, deleted chunks."""
    baseline = SCENARIOS / "baseline.yaml"
    common = ["batch", baseline, "--samples", "40", "--chunk-size", "10", "--variables",
              "population"]
    runner.invoke(app, [str(a) for a in [*common, "--seed", "1", "--out", work / "S"]])
    shutil.rmtree(work / "S" / "batch.zarr")
    yield "new store after rm -rf", [*common, "--seed", "2", "--out", work / "S"], work / "S"
    runner.invoke(app, [str(a) for a in [*common, "--seed", "1", "--out", work / "D"]])
    for chunk in (work / "D" / "batch.zarr" / "population").glob("0.1*"):
        chunk.unlink()
    yield "store with a chunk deleted", ["report", work / "D" / "batch.zarr", "--out",
                                         work / "Drep"], work / "Drep"


def main() -> None:
    counts = {"cases": 0, "tracebacks": 0, "hangs": 0, "accepted": 0, "nan_exit_0": 0,
              "outside_out": 0}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        made = runner.invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--out",
                                   str(work / "good")])
        assert made.exit_code == 0, made.output
        results = work / "good" / "baseline.nc"
        escaped = work.parent / "escaped.csv"
        for label, arguments, out in [*cases(work, results), *store_cases(work)]:
            counts["cases"] += 1
            before = {p for p in work.rglob("*")}
            signal.alarm(20)
            try:
                result = runner.invoke(app, [str(a) for a in arguments])
                signal.alarm(0)
            except Hang:
                counts["hangs"] += 1
                print(f"HANG        {label}")
                continue
            outcome = "refused"
            if isinstance(result.exception, Hang):
                counts["hangs"] += 1
                outcome = "HANG"
            elif (result.exception is not None and not isinstance(result.exception, SystemExit)
                  ) or result.exit_code not in (0, 2):
                counts["tracebacks"] += 1
                outcome = f"TRACEBACK {type(result.exception).__name__}"
            elif result.exit_code == 0:
                outcome = "ok (a good input)" if label in GOOD_INPUTS else "ACCEPTED"
                counts["accepted"] += label not in GOOD_INPUTS
                if has_nan(out, result.stdout) if out else " nan" in result.stdout.lower():
                    counts["nan_exit_0"] += 1
                    outcome += " with NaN"
            elif len([x for x in result.stderr.splitlines() if x.strip()]) != 1:
                outcome = "refused in several lines"
            after = {p for p in work.rglob("*")} - before
            outside = [p for p in after if out is None or out not in (p, *p.parents)]
            if escaped.exists():
                outside.append(escaped)
                escaped.unlink()
            if outside:
                counts["outside_out"] += 1
                outcome += f"; {len(outside)} files outside --out"
            print(f"{outcome:<40} {label}")
    print(" ".join(f"{key}={value}" for key, value in counts.items()))


if __name__ == "__main__":
    main()
