"""qdsim command line: a thin shell that parses, calls the library and prints.

Every error the user can fix arrives as a ``QdsimError``; it is printed as one line on
stderr and the command exits with code 2. Nothing else is caught here.
"""

from __future__ import annotations

import functools
import logging
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

try:  # typer >= 0.25 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_errors

from qdsim import validation
from qdsim.errors import QdsimError
from qdsim.messages import message


class OneLineErrors(TyperGroup):
    """Usage errors (an unknown option, a value of the wrong type) as one line on stderr
    with exit code 2, like every other bad input."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as error:
            if not standalone_mode:
                raise
            error.show()
            sys.exit(error.exit_code)
        except click_errors.UsageError as error:
            if not standalone_mode:
                raise
            where = f"{error.ctx.command_path}: " if error.ctx is not None else ""
            line = " ".join(error.format_message().split())
            typer.echo(f"error: {where}{line} (see --help)", err=True)
            sys.exit(2)
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        if standalone_mode:
            sys.exit(code if isinstance(code, int) else 0)
        return code


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=OneLineErrors,
                  help="Qingdao scenario simulator: are the plan's targets reachable?")

ScenarioPaths = Annotated[list[Path], typer.Argument(help="Scenario YAML files.",
                                                     show_default=False)]
Language = Annotated[str, typer.Option("--lang", help="Table language: en or zh.")]
TargetsFile = Annotated[Path | None, typer.Option("--targets", help="Targets YAML file"
                                                  " (default: the plan's targets).")]
TargetValues = Annotated[list[str] | None, typer.Option(
    "--set-target", help="Set a target value, ID=VALUE in the model unit (repeatable).")]
TimeStep = Annotated[float | None, typer.Option("--time-step", help="Integration step [year]"
                                                " (default: the model file's 0.0625).")]


def one_line(text: str) -> str:
    """``text`` with control characters (a newline inside a quoted value) escaped."""
    return "".join(character if character.isprintable() or character == " "
                   else repr(character)[1:-1] for character in text)


def reports_errors(command):
    """Turn library errors into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QdsimError as error:
            typer.echo(f"error: {one_line(str(error))}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper


def _table_width() -> int | None:
    """Width to fit terminal tables into: $COLUMNS if set, else the terminal's; None (the
    full table) when the output goes to a file or pipe."""
    import os
    import shutil
    import sys

    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _check_language(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise QdsimError(f"--lang '{lang}': allowed values are en and zh")


def _check_time_step(time_step: float | None) -> None:
    if time_step is not None:
        from model.pysd_engine import control_values

        validation.check_time_step(time_step, control_values()["saveper"])


#: Most draws per scenario kept in memory by ``qdsim targets --samples``.
MAX_TARGET_SAMPLES = 200_000
#: Largest Sobol base sample of ``qdsim sensitivity`` (runs = N × (factors + 2)).
MAX_SOBOL_SAMPLES = 2**20


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
    from qdsim.scenario import load_scenarios
    from qdsim.simulation import run_scenarios
    from qdsim.targets import evaluate
    from qdsim.terminal_tables import verdict_table

    _check_language(lang)
    _check_time_step(time_step)
    validation.check_output_folder(out)
    loaded = load_scenarios(scenarios)
    targets = _load_targets(targets_file, set_target)
    results = run_scenarios(loaded, time_step=time_step)
    verdicts = evaluate(results, targets)
    with validation.exclusive_lock(out):
        for name in results["scenario"].to_numpy():
            single = results.sel(scenario=[name])
            write_netcdf(single, out / f"{name}.nc")
            write_csv(single, out / f"{name}.csv")
    typer.echo(verdict_table(verdicts, targets, lang, _table_width()))
    typer.echo("\n" + message("wrote_files", lang, count=2 * len(loaded), folder=out))


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
    from qdsim.scenario import load_scenarios
    from qdsim.simulation import run_scenarios
    from qdsim.target_summary import summarize_verdicts
    from qdsim.targets import evaluate
    from qdsim.terminal_tables import probability_table, verdict_table

    _check_language(lang)
    validation.check_count("--samples", samples, 0, MAX_TARGET_SAMPLES)
    validation.check_seed(seed)
    _check_time_step(time_step)
    loaded = load_scenarios(scenarios)
    chosen = _load_targets(targets_file, set_target)
    if samples == 0:
        typer.echo(verdict_table(evaluate(run_scenarios(loaded, time_step=time_step), chosen),
                                 chosen, lang, _table_width()))
        return
    from qdsim.batch import batch_in_memory

    variables = sorted({t.variable for t in chosen})
    results = batch_in_memory(loaded, samples=samples, seed=seed, variables=variables,
                              time_step=time_step)
    summary = summarize_verdicts(evaluate(results, chosen), chosen)
    typer.echo(probability_table(summary, chosen, lang, _table_width()))
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
                                                  " outputs to keep (default: all but"
                                                  " population_by_age, 202 values a year"
                                                  " per run).")] = None,
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
    validation.check_count("--samples", samples, 1, validation.MAX_SAMPLES)
    validation.check_count("--chunk-size", chunk_size, 1, 1_000_000)
    validation.check_count("--workers", workers, 0, validation.MAX_WORKERS)
    validation.check_seed(seed)
    validation.check_scheduler(scheduler)
    _check_time_step(time_step)
    validation.check_output_folder(out)
    loaded = load_scenarios(scenarios)
    chosen = [v.strip() for v in variables.split(",") if v.strip()] if variables else None
    with validation.exclusive_lock(out), _dask_client(workers, scheduler) as client, \
            typer.progressbar(
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
        import dask
        from distributed import Client, LocalCluster
        from distributed.security import Security

        # Dask sets its own loggers to INFO: hold them to our level (-v shows them), here
        # and, through the configuration a nanny hands on, in the worker processes
        level = max(logging.getLogger().getEffectiveLevel(), logging.INFO)
        logging.getLogger("distributed").setLevel(level)
        dask.config.set({"distributed.logging.distributed": logging.getLevelName(level).lower()})
        try:
            if self.scheduler:
                self.client = Client(self.scheduler, timeout="10s", set_as_default=False)
            else:
                # TLS with throw-away credentials: only this process and the workers it
                # starts hold the key, so no other local user can submit tasks. No
                # dashboard; its HTTP server on a free port, not a busy 8787.
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                            processes=True, dashboard_address=None,
                                            scheduler_kwargs={"dashboard_address": ":0"},
                                            security=Security.temporary())
                self.client = Client(self.cluster, set_as_default=False)
        except (OSError, TimeoutError, TypeError, ValueError) as error:
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
                                       " walker (a fifth are burn-in).")] = 4000,
) -> None:
    """Fit the free parameters to observations; write the calibrated scenario and report.

    Single runs use the posterior medians; an unconverged posterior is not written."""
    from calibration import DEFAULT_CALIBRATED, DEFAULT_OBSERVATIONS
    from calibration.estimator import DEFAULT_FREE_PARAMETERS, Calibrator, load_free_parameters
    from calibration.observations import file_hash, load_observations, parse_window
    from calibration.output import write_calibration
    from calibration.report import write_fit_report
    from qdsim.variables import variable_attributes

    data_file = data or DEFAULT_OBSERVATIONS
    validation.check_seed(seed)
    target = out or DEFAULT_CALIBRATED
    validation.check_output_file(target)
    if report is not None:
        validation.check_output_folder(report, "--report")
    years = parse_window(window)
    observations = load_observations(data_file, years)
    calibrator = Calibrator(load_free_parameters(free or DEFAULT_FREE_PARAMETERS), seed=seed,
                            steps=steps, burn_in=steps // 5)
    calibrator.fit(observations)
    with validation.exclusive_lock(target.parent):
        try:
            write_calibration(calibrator, target, data_file, file_hash(data_file), years)
            units = {name: attributes["units"]
                     for name, attributes in variable_attributes().items()}
            written = write_fit_report(calibrator, report or target.parent / "fit_report",
                                       units)
        except OSError as error:
            raise QdsimError(validation.disk_error(target, error)) from error
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
    steps: Annotated[int, typer.Option("--steps", min=100, help="Posterior sampler steps per"
                                       " walker and origin (a fifth are burn-in); the short"
                                       " windows mix more slowly than the full one.")
                     ] = 6000,
) -> None:
    """Rolling-origin test: calibrate up to each origin, forecast to 2020, score vs naive."""
    from calibration import DEFAULT_CALIBRATED, DEFAULT_OBSERVATIONS
    from calibration.backtest import backtest as run_backtest
    from calibration.backtest import backtest_markdown, write_backtest
    from calibration.estimator import load_free_parameters

    try:
        years = [int(text) for text in origins.split(",")]
    except ValueError:
        raise QdsimError(f"--origins '{origins}': expected years separated by commas,"
                         " e.g. 2018,2019") from None
    validation.check_seed(seed)
    folder = out or DEFAULT_CALIBRATED.parent / "fit_report"
    validation.check_output_folder(folder, "--out")
    table = run_backtest(data or DEFAULT_OBSERVATIONS, load_free_parameters(), origins=years,
                         seed=seed, steps=steps)
    write_backtest(table, folder)
    typer.echo(backtest_markdown(table).rstrip())


@app.command("usd-map")
@reports_errors
def usd_map(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV and PNG.")],
    samples: Annotated[int, typer.Option("--samples", min=10, help="Draws per cell.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampling design.")] = 1,
    lang: Annotated[str, typer.Option("--lang", help="Figure language: en or zh.")] = "en",
) -> None:
    """P(GDP per head > 40,000 USD in 2035) over inflation from 2021 x CNY/USD in 2035."""
    from qdsim.scenario import load_scenarios
    from reports.nominal_map import write_verdict_map

    _check_language(lang)
    validation.check_seed(seed)
    validation.check_output_folder(out, "--out")
    written = write_verdict_map(load_scenarios([scenario])[0], out, lang, samples=samples,
                                seed=seed)
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
    from qdsim.analysis_files import save_analysis
    from qdsim.analysis_output import frontier_record, solution_text, solve_record
    from qdsim.scenario import load_scenario
    from qdsim.whatif import frontier, related_averages
    from qdsim.whatif import solve as solve_target

    validation.check_count("--points", points, 2, 101)
    if out:
        validation.check_output_file(out)
    loaded = load_scenario(scenario)
    chosen = _one_target(target, targets_file, set_target)
    if len(vary) > 1:
        table = frontier(loaded, chosen, vary, points=points, mode=mode)
        typer.echo(f"{loaded.name}: combinations that just meet {chosen.id}"
                   f" (empty = no value in range):")
        typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        if out:
            save_analysis(frontier_record(table, loaded, chosen), out)
        return
    solution = solve_target(loaded, chosen, vary[0], mode)
    related = (related_averages(loaded, vary[0], solution.amount, mode)
               if solution.amount is not None else None)
    record = solve_record(solution, loaded, chosen, related)
    typer.echo(solution_text(record.model_dump(), chosen))
    if out:
        save_analysis(record, out)


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
    from qdsim.analysis_files import save_analysis
    from qdsim.analysis_output import sensitivity_record, sensitivity_text
    from qdsim.scenario import load_scenario
    from qdsim.sensitivity import target_sensitivity

    if not 2 <= samples <= MAX_SOBOL_SAMPLES or samples & (samples - 1):
        raise QdsimError(f"--samples {samples}: must be a power of 2 from 2 to"
                         f" {MAX_SOBOL_SAMPLES:,} (e.g. 1024, 4096)")
    validation.check_seed(seed)
    if out:
        validation.check_output_file(out)
    loaded = load_scenario(scenario)
    result = target_sensitivity(loaded, _one_target(target, targets_file, set_target),
                                samples, seed)
    typer.echo(sensitivity_text(result))
    if out:
        save_analysis(sensitivity_record(result), out)


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
    from qdsim.analysis_files import save_analysis
    from qdsim.analysis_output import attribution_record, attribution_text
    from qdsim.scenario import load_scenarios
    from qdsim.whatif import attribute as attribute_gap

    if out:
        validation.check_output_file(out)
    loaded, reference = load_scenarios([scenario, against])
    chosen = _one_target(target, targets_file, set_target)
    frame = attribute_gap(loaded, reference, chosen)
    typer.echo(attribution_text(frame, chosen, loaded.name, reference.name))
    if out:
        save_analysis(attribution_record(frame, chosen, loaded.name, reference.name), out)


@app.command("check-plan")
@reports_errors
def check_plan(
    scenario: Annotated[Path, typer.Argument(help="The plan scenario (for the population"
                                             " structure and natural increase).")],
    targets_file: TargetsFile = None,
    out: AnalysisOut = None,
) -> None:
    """Check the plan's 2025 figures against each other through the model's identities."""
    from qdsim.analysis_files import save_analysis
    from qdsim.analysis_output import plan_check_record, plan_check_text
    from qdsim.plan_check import check_plan as run_checks
    from qdsim.scenario import load_scenario

    if out:
        validation.check_output_file(out)
    chosen = {t.id: t for t in _load_targets(targets_file, None)}
    checks = run_checks(load_scenario(scenario), chosen)
    typer.echo(plan_check_text(checks))
    if out:
        save_analysis(plan_check_record(checks), out)


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
def explore(
    scenarios: Annotated[list[Path] | None, typer.Argument(
        help="Scenario YAML files to offer besides the shipped ones (the first is shown"
        " first).", show_default=False)] = None,
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free port).")] = 8050,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; the default"
                                      " keeps the page on this machine.")] = "127.0.0.1",
    lang: Annotated[str, typer.Option("--lang", help="Page language: en or zh.")] = "en",
) -> None:
    """A what-if explorer in the browser: move assumptions, see targets and charts change."""
    from explorer.app import create_app, serve

    _check_language(lang)
    if not 0 <= port <= 65535:
        raise QdsimError(f"--port {port}: allowed values are 0-65535")
    application = create_app(scenarios or [], lang=lang)
    serve(application, host=host, port=port,
          on_ready=lambda address: typer.echo(f"qdsim explore: open {address}"
                                              " (Ctrl+C stops it)"))


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
    validation.check_output_folder(out)
    with validation.exclusive_lock(out.parent if out.parent != out else out, "--out"):
        written = build_report(results, out, lang=lang, indicators=indicator,
                               targets=_load_targets(targets_file, set_target))
    typer.echo(message("wrote_report", lang, count=written.files, folder=written.folder,
                       html=written.html))


@app.command("check-model")
@reports_errors
def check_model(
    model: Annotated[Path | None, typer.Option(
        "--model", help="Vensim model file (default: the packaged qingdao.mdl).")] = None,
) -> None:
    """Check the units of every equation; print each unbalanced one, exit 2 if any."""
    from model import MODEL_PATH
    from model.errors import ModelError
    from model.units_check import check_units

    try:
        problems = check_units(model or MODEL_PATH)
    except ModelError as error:
        raise QdsimError(str(error)) from None
    for problem in problems:
        typer.echo(problem.line())
    if problems:
        typer.echo(f"{len(problems)} unbalanced equations", err=True)
        raise typer.Exit(code=2)
    typer.echo(f"units balance in every equation of {model or MODEL_PATH}")


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
