"""qdsim command line: a thin shell that parses, calls the library and prints.

Every error the user can fix arrives as a ``QdsimError``; it is printed as one line on
stderr and the command exits with code 2. Nothing else is caught here.
"""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path
from typing import Annotated

import typer

from qdsim.errors import QdsimError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Qingdao scenario simulator: are the plan's targets reachable?")

ScenarioPaths = Annotated[list[Path], typer.Argument(help="Scenario YAML files.",
                                                     show_default=False)]
Language = Annotated[str, typer.Option("--lang", help="Table language: en or zh.")]
TargetsFile = Annotated[Path | None, typer.Option("--targets", help="Targets YAML file"
                                                  " (default: the plan's targets).")]
TargetValues = Annotated[list[str] | None, typer.Option(
    "--set-target", help="Set a target value, ID=VALUE in the model unit (repeatable).")]
TimeStep = Annotated[float | None, typer.Option("--time-step", help="Integration step [year]"
                                                " (default: the model file's 0.25).")]


def reports_errors(command):
    """Turn library errors into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QdsimError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper


def _check_language(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise QdsimError(f"--lang '{lang}': allowed values are en and zh")


def _load_targets(targets_file: Path | None, set_target: list[str] | None):
    from qdsim.targets import DEFAULT_TARGETS, apply_overrides, load_targets

    return apply_overrides(load_targets(targets_file or DEFAULT_TARGETS), set_target or [])


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                               help="Log progress to stderr.")] = False) -> None:
    """Qingdao scenario simulator."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@app.command()
@reports_errors
def run(
    scenarios: ScenarioPaths,
    out: Annotated[Path, typer.Option("--out", help="Folder for <name>.nc and <name>.csv.")],
    lang: Language = "en",
    targets_file: TargetsFile = None,
    set_target: TargetValues = None,
    time_step: TimeStep = None,
) -> None:
    """Run scenarios, write DIR/<name>.nc and DIR/<name>.csv, print the target table."""
    from qdsim.outputs import write_csv, write_netcdf
    from qdsim.runner import run_scenarios
    from qdsim.scenario import load_scenarios
    from qdsim.tables import verdict_table
    from qdsim.targets import evaluate

    _check_language(lang)
    loaded = load_scenarios(scenarios)
    targets = _load_targets(targets_file, set_target)
    results = run_scenarios(loaded, time_step=time_step)
    verdicts = evaluate(results, targets)
    for name in results["scenario"].to_numpy():
        single = results.sel(scenario=[name])
        write_netcdf(single, out / f"{name}.nc")
        write_csv(single, out / f"{name}.csv")
    typer.echo(verdict_table(verdicts, targets, lang))
    typer.echo(f"\nwrote {2 * len(loaded)} files to {out}")


@app.command()
@reports_errors
def targets(
    scenarios: ScenarioPaths,
    lang: Language = "en",
    targets_file: TargetsFile = None,
    set_target: TargetValues = None,
    time_step: TimeStep = None,
    samples: Annotated[int, typer.Option("--samples", help="Draws per scenario from its"
                                         " uncertain: block; 0 = one central run.")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampling design.")] = 1,
) -> None:
    """Scenario × target table: projected value, target, gap, met or missed, first year.

    With --samples N: P(met), first year met (10/50/90%) and gap quantiles over N draws.
    """
    from qdsim.runner import run_scenarios
    from qdsim.scenario import load_scenarios
    from qdsim.tables import probability_summary, probability_table, verdict_table
    from qdsim.targets import evaluate

    _check_language(lang)
    loaded = load_scenarios(scenarios)
    chosen = _load_targets(targets_file, set_target)
    if samples < 0:
        raise QdsimError(f"--samples {samples}: must be 0 or more")
    if samples == 0:
        typer.echo(verdict_table(evaluate(run_scenarios(loaded, time_step=time_step), chosen),
                                 chosen, lang))
        return
    from qdsim.batch import batch_in_memory

    variables = sorted({t.variable for t in chosen})
    results = batch_in_memory(loaded, samples=samples, seed=seed, variables=variables,
                              time_step=time_step)
    summary = probability_summary(evaluate(results, chosen), chosen)
    typer.echo(probability_table(summary, chosen, lang))
    typer.echo(f"\n{samples} draws per scenario, seed {seed}")


@app.command()
@reports_errors
def batch(
    scenarios: ScenarioPaths,
    samples: Annotated[int, typer.Option("--samples", help="Draws per scenario.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for batch.zarr.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampling design.")] = 1,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Runs per chunk (task).")
                          ] = 10_000,
    method: Annotated[str, typer.Option("--method", help="Sampling design: lhs or sobol.")
                      ] = "lhs",
    variables: Annotated[str | None, typer.Option("--variables", help="Comma-separated"
                                                  " outputs to keep (default: all).")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Start a local Dask cluster with"
                                         " this many worker processes (0: run here).")] = 0,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Address of an existing"
                                                  " Dask scheduler, tcp://HOST:PORT.")] = None,
    time_step: TimeStep = None,
) -> None:
    """Monte Carlo batch: N draws per scenario into DIR/batch.zarr; resumable."""
    from qdsim.batch import run_batch
    from qdsim.scenario import load_scenarios

    if method not in ("lhs", "sobol"):
        raise QdsimError(f"--method '{method}': allowed values are lhs and sobol")
    if workers < 0:
        raise QdsimError(f"--workers {workers}: must be 0 or more")
    loaded = load_scenarios(scenarios)
    chosen = [v.strip() for v in variables.split(",") if v.strip()] if variables else None
    with _dask_client(workers, scheduler) as client, typer.progressbar(
            length=1, label="chunks", file=None) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        store = run_batch(loaded, out, samples=samples, seed=seed, chunk_size=chunk_size,
                          method=method, variables=chosen, time_step=time_step,
                          client=client, progress=progress)
    typer.echo(f"wrote {store} ({len(loaded)} scenarios × {samples} samples)")


class _dask_client:
    """Context: a Dask client for --scheduler or --workers, or None to run in process."""

    def __init__(self, workers: int, scheduler: str | None) -> None:
        self.workers, self.scheduler = workers, scheduler
        self.client = self.cluster = None

    def __enter__(self):
        if not self.scheduler and self.workers == 0:
            return None
        from distributed import Client, LocalCluster

        try:
            if self.scheduler:
                self.client = Client(self.scheduler, timeout="10s")
            else:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                            processes=True, dashboard_address=None)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as error:
            raise QdsimError(f"cannot reach the Dask scheduler {self.scheduler}: {error}"
                             ) from error
        return self.client

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


@app.command()
@reports_errors
def calibrate(
    data: Annotated[Path | None, typer.Option("--data", help="Observations CSV (default:"
                                              " calibration/data/observations.csv).")] = None,
    window: Annotated[str, typer.Option("--window", help="Years to fit, FIRST:LAST.")
                      ] = "2015:2020",
    out: Annotated[Path | None, typer.Option("--out", help="Calibrated scenario file (default:"
                                             " calibration/calibrated.yaml).")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Folder for the fit report"
                                                " (default: fit_report/ beside --out).")] = None,
    free: Annotated[Path | None, typer.Option("--free", help="Free parameters and bounds YAML"
                                              " (default: calibration/free_parameters.yaml).")
                    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random step.")] = 2020,
    steps: Annotated[int, typer.Option("--steps", min=100, help="Posterior sampler steps per"
                                       " walker (a fifth are burn-in).")] = 2500,
) -> None:
    """Fit the free parameters to observations; write the calibrated scenario and report.

    Single runs use the posterior medians; an unconverged posterior is not written."""
    from calibration import DEFAULT_CALIBRATED, DEFAULT_OBSERVATIONS
    from calibration.estimator import DEFAULT_FREE_PARAMETERS, Calibrator, load_free_parameters
    from calibration.observations import file_hash, load_observations, parse_window
    from calibration.output import write_calibration
    from calibration.report import write_fit_report
    from qdsim.runner import variable_attributes

    data_file = data or DEFAULT_OBSERVATIONS
    years = parse_window(window)
    observations = load_observations(data_file, years)
    calibrator = Calibrator(load_free_parameters(free or DEFAULT_FREE_PARAMETERS), seed=seed,
                            steps=steps, burn_in=steps // 5)
    calibrator.fit(observations)
    target = out or DEFAULT_CALIBRATED
    write_calibration(calibrator, target, data_file, file_hash(data_file), years)
    units = {name: attributes["units"] for name, attributes in variable_attributes().items()}
    written = write_fit_report(calibrator, report or target.parent / "fit_report", units)
    typer.echo(f"chi-square {calibrator.cost_:.3f} over {len(observations)} observations,"
               f" {calibrator.elapsed_:.1f} s")
    for variable, stats in calibrator.fit_stats_.items():
        typer.echo(f"  {variable:<22} MAPE {100 * stats.mape:6.2f}%  U^M+U^S"
                   f" {stats.theil_bias + stats.theil_variance:5.2f}")
    for moment in calibrator.moments_:
        typer.echo(f"  {moment['id']:<36} observed {moment['observed']:.4g}"
                   f"  simulated {moment['simulated']:.4g}")
    typer.echo(f"wrote {target}, its posterior sample and {len(written)} report files")


@app.command()
@reports_errors
def backtest(
    data: Annotated[Path | None, typer.Option("--data", help="Observations CSV (default:"
                                              " calibration/data/observations.csv).")] = None,
    origins: Annotated[str, typer.Option("--origins", help="Last fitted years, comma"
                                         " separated.")] = "2018,2019",
    out: Annotated[Path | None, typer.Option("--out", help="Folder for backtest.csv and"
                                             " backtest.md (default: the fit report).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random step.")] = 2020,
) -> None:
    """Rolling-origin test: calibrate up to each origin, forecast to 2020, score vs naive."""
    from calibration import DEFAULT_CALIBRATED, DEFAULT_OBSERVATIONS
    from calibration.backtest import backtest as run_backtest
    from calibration.backtest import backtest_markdown
    from calibration.estimator import load_free_parameters
    from qdsim.outputs import atomic_path, write_atomically

    try:
        years = [int(text) for text in origins.split(",")]
    except ValueError:
        raise QdsimError(f"--origins '{origins}': expected years separated by commas,"
                         " e.g. 2018,2019") from None
    table = run_backtest(data or DEFAULT_OBSERVATIONS, load_free_parameters(), origins=years,
                         seed=seed)
    folder = out or DEFAULT_CALIBRATED.parent / "fit_report"
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "backtest.csv", lambda tmp: table.to_csv(tmp, index=False))
    text = backtest_markdown(table)
    with atomic_path(folder / "backtest.md") as temporary:
        temporary.write_text("# Rolling-origin backtest\n\n" + text, encoding="utf-8")
    typer.echo(text.rstrip())


@app.command("usd-map")
@reports_errors
def usd_map(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV and PNG.")],
    samples: Annotated[int, typer.Option("--samples", min=10, help="Draws per cell.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampling design.")] = 1,
) -> None:
    """P(GDP per head > 40,000 USD in 2035) over inflation from 2021 x CNY/USD in 2035."""
    from qdsim.scenario import load_scenarios
    from reports.nominal_map import write_verdict_map

    written = write_verdict_map(load_scenarios([scenario])[0], out, samples=samples, seed=seed)
    typer.echo("wrote " + ", ".join(str(path) for path in written))


def _one_target(target_id: str, targets_file: Path | None, set_target: list[str] | None):
    chosen = {t.id: t for t in _load_targets(targets_file, set_target)}
    if target_id not in chosen:
        from qdsim.scenario import suggest

        raise QdsimError(f"--target '{target_id}': unknown target"
                         f"{suggest(target_id, tuple(chosen))}; known: {', '.join(chosen)}")
    return chosen[target_id]


TargetId = Annotated[str, typer.Option("--target", help="Target id (see plan_targets.yaml).")]
AnalysisOut = Annotated[Path | None, typer.Option("--out", help="Save the result as JSON"
                                                  " for 'qdsim report'.")]


@app.command()
@reports_errors
def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    target: TargetId,
    vary: Annotated[list[str], typer.Option("--vary", help="Parameter to vary (repeat for a"
                                            " frontier of combinations).")],
    mode: Annotated[str | None, typer.Option("--mode", help="value, shift or scale (default:"
                                             " value for constants, shift for paths).")] = None,
    points: Annotated[int, typer.Option("--points", help="Grid points per extra --vary.")] = 9,
    targets_file: TargetsFile = None,
    set_target: TargetValues = None,
    out: AnalysisOut = None,
) -> None:
    """The value of an assumption (from 2021) at which a target is exactly met."""
    from qdsim.analysis_output import save_analysis, solution_payload, solution_text
    from qdsim.scenario import load_scenario
    from qdsim.whatif import frontier, related_averages
    from qdsim.whatif import solve as solve_target

    loaded = load_scenario(scenario)
    chosen = _one_target(target, targets_file, set_target)
    if len(vary) > 1:
        table = frontier(loaded, chosen, vary, points=points, mode=mode)
        typer.echo(f"{loaded.name}: combinations that just meet {chosen.id}"
                   f" (empty = no value in range):")
        typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        if out:
            save_analysis("frontier", {"scenario": loaded.name, "target": chosen.id,
                                       "table": table.to_dict(orient="list")}, out)
        return
    solution = solve_target(loaded, chosen, vary[0], mode)
    related = (related_averages(loaded, vary[0], solution.amount, mode)
               if solution.amount is not None else None)
    payload = solution_payload(solution, loaded, chosen, related)
    typer.echo(solution_text(payload, chosen))
    if out:
        save_analysis("solve", payload, out)


@app.command()
@reports_errors
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    target: TargetId,
    samples: Annotated[int, typer.Option("--samples", help="Base samples N (runs ="
                                         " N × (factors + 2)); a power of 2.")] = 1024,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Sobol design.")] = 1,
    targets_file: TargetsFile = None,
    set_target: TargetValues = None,
    out: AnalysisOut = None,
) -> None:
    """Sobol first-order and total indices of a target's gap (and per year) (SALib)."""
    from qdsim.analysis_output import save_analysis, sensitivity_text
    from qdsim.scenario import load_scenario
    from qdsim.sensitivity import target_sensitivity

    if samples < 2 or samples & (samples - 1):
        raise QdsimError(f"--samples {samples}: must be a power of 2 (e.g. 1024, 4096)")
    loaded = load_scenario(scenario)
    result = target_sensitivity(loaded, _one_target(target, targets_file, set_target),
                                samples, seed)
    typer.echo(sensitivity_text(result))
    if out:
        save_analysis("sensitivity", {
            "attrs": dict(result.attrs), "factors": list(map(str, result["factor"].values)),
            "years": [int(y) for y in result["year"].values],
            **{key: result[key].values.tolist() for key in result.data_vars}}, out)


@app.command()
@reports_errors
def attribute(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    against: Annotated[Path, typer.Option("--against", help="Reference scenario YAML.")],
    target: TargetId,
    targets_file: TargetsFile = None,
    set_target: TargetValues = None,
    out: AnalysisOut = None,
) -> None:
    """Split a target's difference between two scenarios among their differing assumptions."""
    from qdsim.analysis_output import attribution_text, save_analysis
    from qdsim.scenario import load_scenarios
    from qdsim.whatif import attribute as attribute_gap

    loaded, reference = load_scenarios([scenario, against])
    chosen = _one_target(target, targets_file, set_target)
    frame = attribute_gap(loaded, reference, chosen)
    typer.echo(attribution_text(frame, chosen, loaded.name, reference.name))
    if out:
        save_analysis("attribution", {"scenario": loaded.name, "reference": reference.name,
                                      "target": chosen.id, **frame.attrs,
                                      "table": frame.to_dict(orient="list")}, out)


@app.command("check-plan")
@reports_errors
def check_plan(
    scenario: Annotated[Path, typer.Argument(help="The plan scenario (for the population"
                                             " structure and natural increase).")],
    targets_file: TargetsFile = None,
    out: AnalysisOut = None,
) -> None:
    """Check the plan's 2025 figures against each other through the model's identities."""
    from qdsim.analysis_output import plan_check_text, save_analysis
    from qdsim.plan_check import check_plan as run_checks
    from qdsim.scenario import load_scenario

    chosen = {t.id: t for t in _load_targets(targets_file, None)}
    checks = run_checks(load_scenario(scenario), chosen)
    typer.echo(plan_check_text(checks))
    if out:
        save_analysis("plan_check", {"checks": [c.__dict__ for c in checks]}, out)


@app.command()
@reports_errors
def validate(scenarios: ScenarioPaths) -> None:
    """Check scenario files without running them."""
    from qdsim.scenario import load_scenarios

    for scenario in load_scenarios(scenarios):
        typer.echo(f"ok  {scenario.path}  {scenario.name}: {len(scenario.parameters)} parameters"
                   f" set, {len(scenario.uncertain)} uncertain, hash {scenario.sha256()[:12]}")


@app.command()
@reports_errors
def report(
    results: Annotated[list[Path], typer.Argument(
        help="Result files (.nc from run, batch stores), combined along scenario, and any"
        " analysis files (*.json saved with --out by solve, sensitivity, attribute,"
        " check-plan). At least one result file is required.",
        show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Report folder (replaced atomically).")],
    lang: Language = "en",
    indicator: Annotated[list[str] | None, typer.Option(
        "--indicator", help="Output variable to show (repeatable; default: key ones).")] = None,
    targets_file: TargetsFile = None,
    set_target: TargetValues = None,
) -> None:
    """Charts, projection tables (CSV, XLSX, Markdown) and one HTML file from results.

    Analysis files (.json) add a section "What it would take" with their charts and tables.

    At least one result file is always needed; analyses must share its model_sha256.
    """
    from reports.build import build_report

    _check_language(lang)
    written = build_report(results, out, lang=lang, indicators=indicator,
                           targets=_load_targets(targets_file, set_target))
    typer.echo(f"wrote {written.files} files to {written.folder}; open {written.html}")


@app.command()
@reports_errors
def params() -> None:
    """Every settable parameter: unit, default, allowed range, description."""
    from model.parameters import parameter_catalogue

    rows = [("name", "unit", "default", "allowed range", "path", "description")]
    for info in parameter_catalogue().values():
        low = "-inf" if math.isinf(info.minimum) else f"{info.minimum:g}"
        high = "inf" if math.isinf(info.maximum) else f"{info.maximum:g}"
        rows.append((info.name, info.unit, f"{info.default:g}", f"[{low}, {high}]",
                     "yes" if info.time_varying else "no", info.description))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                       strict=False))
                   + "  " + row[5])


if __name__ == "__main__":
    app()
