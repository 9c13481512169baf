"""Build the whole report from result files (and saved analyses) into a folder, atomically.

Everything is written into a temporary folder beside the destination and renamed onto it
at the end; on any error the temporary folder is removed and the destination is left as
it was. An existing destination is replaced only if it is an earlier qdsim report
(it holds our ``manifest.json``), so a folder of other files is never overwritten.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd

from qdsim import __version__
from qdsim.errors import QdsimError, ResultsError
from qdsim.messages import scenario_title, text
from qdsim.targets import Target, load_targets
from qdsim.validation import disk_error
from reports.analyses import AnalysisChart, AnalysisView, analysis_views
from reports.analysis_inputs import (
    check_models,
    check_targets,
    read_analyses,
    split_inputs,
)
from reports.assumptions import (
    current_model_sha256,
    model_defaults,
    parameter_catalogue_or_empty,
    scenario_assumptions,
    scenario_record,
)
from reports.chart_data import scorecard, series_chart
from reports.fonts import require_font
from reports.html import (
    ChartImage,
    HtmlContent,
    analyses_html,
    assumptions_html,
    key_value_html,
    render_html,
    scorecard_html,
    table_html,
)
from reports.indicators import choose_indicators, describe
from reports.inputs import ReportInputs, read_report_inputs
from reports.observations import load_observations
from reports.pyramid import pyramid_charts
from reports.rendering import ChartJob, render_all
from reports.statistics import target_verdicts
from reports.tables import (
    Table,
    annual_tables,
    markdown_table,
    projection_table,
    summary_table,
    write_csv,
    write_markdown,
    write_xlsx,
)

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
GENERATOR = "qdsim report"
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class ReportResult:
    """What was written: the folder, the HTML file and the number of files."""

    folder: Path
    html: Path
    files: int


def _is_previous_report(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == GENERATOR


def check_destination(out: Path, result_paths: Sequence[Path]) -> None:
    """Refuse a destination that is a file, a folder of other files, or holds an input."""
    if out.exists() and not out.is_dir():
        raise ResultsError(out, "--out exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not _is_previous_report(out):
        raise ResultsError(out, "--out is a folder of other files, not an earlier qdsim"
                           " report; choose a new or empty folder")
    resolved = out.resolve()
    for path in result_paths:
        if resolved in Path(path).resolve().parents:
            raise ResultsError(path, f"the results file is inside --out {out}, which the"
                               " report would replace; choose another folder")


def _staging_prefix(out: Path, pid: int | None = None) -> str:
    return f".{out.name}.{os.getpid() if pid is None else pid}."


def clear_stale_staging(out: Path) -> list[Path]:
    """Remove the staging folders beside ``out`` left by a killed report: those named
    after a process that no longer runs (``.<name>.<pid>.*.tmp`` or ``.old``)."""
    removed = []
    if not out.parent.is_dir():
        return removed
    for folder in out.parent.glob(f".{glob.escape(out.name)}.*"):
        parts = folder.name[len(out.name) + 2:].split(".")
        if not folder.is_dir() or folder.suffix not in (".tmp", ".old") or folder.is_symlink():
            continue
        if folder.stat().st_uid != os.getuid():
            continue
        if parts[0].isdigit() and _process_alive(int(parts[0])):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    if removed:
        log.info("removed %d staging folders of interrupted reports", len(removed))
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


@contextmanager
def staging_folder(out: Path):
    """Yield an empty temporary folder beside ``out``; rename it onto ``out`` on success.

    Its name holds this process's id, so that the next report removes it if this one is
    killed (:func:`clear_stale_staging`)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    clear_stale_staging(out)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=_staging_prefix(out),
                                    suffix=".tmp"))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)
    previous = None
    try:
        yield staging
        if out.exists():
            previous = Path(tempfile.mkdtemp(dir=out.parent, prefix=_staging_prefix(out),
                                             suffix=".old"))
            os.replace(out, previous / "report")
        try:
            os.replace(staging, out)
        except OSError:
            if previous is not None:  # put the earlier report back
                os.replace(previous / "report", out)
            raise
    except OSError as error:
        raise ResultsError(None, disk_error(out, error, "the report")) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)


def _draw_charts(inputs: ReportInputs, indicators, targets, scorecard_data, lang: str,
                 folder: Path, cjk_family: str | None, workers: int | None,
                 analysis_charts: Sequence[AnalysisChart] = ()
                 ) -> tuple[list[dict], list[ChartImage], ChartImage | None,
                            dict[str, ChartImage]]:
    """Write every chart; returns manifest entries, the images for the HTML, the scorecard
    and the analyses' images by file stem."""
    batch = [s for s in inputs.scenarios if inputs.has_samples(s)]
    jobs: list[tuple[ChartJob, str | None, list[str], str]] = []
    for indicator in indicators:
        data = series_chart(inputs, indicator, targets, lang)
        if batch:  # the slowest charts first, so that the workers finish together
            jobs.append((ChartJob("fan", data, folder, f"{indicator.variable}_fan", cjk_family),
                         indicator.variable, batch, f"{indicator.label}: {text('fan', lang)}"))
        jobs.append((ChartJob("comparison", data, folder, indicator.variable, cjk_family),
                     indicator.variable, inputs.scenarios,
                     f"{indicator.label}: {text('comparison', lang)}"))
    for stem, data in pyramid_charts(inputs, lang):
        jobs.append((ChartJob("pyramid", data, folder, stem, cjk_family), None,
                     [stem.removeprefix("pyramid_")], data.title))
    if scorecard_data.cells:
        jobs.append((ChartJob("scorecard", scorecard_data, folder, "scorecard", cjk_family),
                     None, inputs.scenarios, text("scorecard", lang)))
    analysis_kinds = {chart.kind for chart in analysis_charts}
    jobs += [(ChartJob(chart.kind, chart.data, folder, chart.stem, cjk_family), None, [],
              chart.caption) for chart in analysis_charts]
    written = render_all([job for job, *_ in jobs], workers)
    entries, images, scorecard_image, analysis_images = [], [], None, {}
    for (job, indicator, scenarios, caption), paths in zip(jobs, written, strict=True):
        entries.append({"kind": job.kind, "indicator": indicator, "scenarios": scenarios,
                        **{key: str(path.relative_to(folder.parent))
                           for key, path in paths.items()}})
        image = ChartImage(paths["png"], caption, job.kind)
        if job.kind == "scorecard":
            scorecard_image = image
        elif job.kind in analysis_kinds:
            analysis_images[job.stem] = image
        else:
            images.append(image)
    # comparisons, then fans, then pyramids
    images.sort(key=lambda image: ("comparison", "fan", "pyramid").index(image.section))
    return entries, images, scorecard_image, analysis_images


def _provenance(inputs: ReportInputs, lang: str, created: str) -> str:
    """Model hash, report date and version; a row per results file; a hash per scenario."""
    missing = text("not_recorded", lang)
    parts = [key_value_html([(text("model_sha256", lang), inputs.model_sha256),
                             (text("report_created", lang), created),
                             (text("report_version", lang), __version__)],
                            [text("model_sha256", lang)])]
    keys = ("qdsim_version", "engine", "time_step", "created_utc", "seed")
    files = pd.DataFrame.from_records([
        {text("file", lang): str(source.path),
         text("scenario", lang): ", ".join(source.scenarios),
         text("samples", lang): source.samples,
         **{text(key, lang): source.attributes.get(key, missing) for key in keys}}
        for source in inputs.sources])
    parts.append(table_html(Table(files, tuple([0] * len(files)), (), "", "")))
    dataset = inputs.dataset
    parts.append(key_value_html(
        [(f"{text('scenario_sha256', lang)} · {scenario}",
          str(dataset["scenario_sha256"].sel(scenario=scenario).item())
          if "scenario_sha256" in dataset.coords else missing)
         for scenario in inputs.scenarios],
        [f"{text('scenario_sha256', lang)} · {scenario}" for scenario in inputs.scenarios]))
    parts.append(_calibration_html(inputs, lang))
    return "\n".join(parts)


CALIBRATION_KEYS = ("date_utc", "data_file", "data_sha256", "window", "chi_square", "seed",
                    "model_sha256")


def calibration_warnings(inputs: ReportInputs, lang: str) -> list[str]:
    """A warning per scenario whose inherited calibration was made with another model
    file than the one the results came from."""
    warnings = []
    for scenario in inputs.scenarios:
        record = scenario_record(inputs, scenario, "scenario_calibration") or {}
        calibrated = record.get("model_sha256")
        if calibrated and str(calibrated) != inputs.model_sha256:
            warnings.append(text("calibration_other_model", lang).format(
                scenario=scenario, file=record.get("file", "?"),
                calibrated=str(calibrated)[:12], results=inputs.model_sha256[:12]))
    return warnings


def _calibration_html(inputs: ReportInputs, lang: str) -> str:
    """The calibration the scenarios inherit: a table per distinct calibration (file,
    date, data and its hash, years, fit, seed, model hash) naming the scenarios that use
    it; a line for scenarios with none, or whose results did not record it; a warning per
    scenario whose calibration was made with another model file."""
    groups: dict[str, list[str]] = {}
    records: dict[str, dict] = {}
    without: dict[str, list[str]] = {"calibration_none": [], "calibration_not_recorded": []}
    for scenario in inputs.scenarios:
        record = scenario_record(inputs, scenario, "scenario_calibration")
        if not record:
            without["calibration_not_recorded" if record is None
                    else "calibration_none"].append(scenario)
            continue
        key = json.dumps(record, sort_keys=True, default=str)
        groups.setdefault(key, []).append(scenario)
        records[key] = record
    parts = [f"<h3>{escape(text('calibration_inherited', lang))}</h3>"]
    hash_keys = [text("data_sha256", lang), text("calibration_model_sha256", lang)]
    for key, scenarios in groups.items():
        record = records[key]
        rows = [(text("scenario", lang), ", ".join(scenarios)),
                (text("calibration_file", lang), str(record.get("file", "")))]
        for name in CALIBRATION_KEYS:
            if name in record:
                value = record[name]
                rows.append((text("calibration_model_sha256" if name == "model_sha256"
                                  else name, lang),
                             "–".join(map(str, value)) if isinstance(value, list)
                             else str(value)))
        parts.append(key_value_html(rows, hash_keys))
    for label, scenarios in without.items():
        if scenarios:
            parts.append(f"<p>{escape(text(label, lang))}: {escape(', '.join(scenarios))}</p>")
    parts += [f'<p class="warning"><strong>{escape(text("warning", lang))}:</strong>'
              f" {escape(warning)}</p>" for warning in calibration_warnings(inputs, lang)]
    return "\n".join(parts)


def _observations_html(variables: Sequence[str], lang: str) -> str:
    frame = load_observations()
    frame = frame[frame["variable"].isin(variables)].reset_index(drop=True)
    frame = frame.rename(columns={key: text(key, lang) for key in
                                  ("variable", "year", "value", "unit", "source")})
    return table_html(Table(frame, tuple([0] * len(frame)), (), "", ""))


def _write_analysis_tables(views: Sequence[AnalysisView], folder: Path, lang: str
                           ) -> list[dict]:
    """A CSV per analysis table and ``analyses.md`` with every analysis; returns the
    manifest entries of the analyses."""
    parts = [f"# {text('analyses', lang)}", "", f"- {text('analyses_note', lang)}", ""]
    entries = []
    for view in views:
        parts += [f"## {view.title}", "",
                  f"{text('analysis_file', lang)}: `{view.analysis.path}`", ""]
        parts += [f"{line}  " for line in view.lines] + ([""] if view.lines else [])
        names = []
        for table in view.all_tables:
            write_csv(table, folder / f"{table.name}.csv")
            names.append(f"tables/{table.name}.csv")
            if table.title != view.title:
                parts += [f"### {table.title}", ""]
            parts += [markdown_table(table), ""]
        parts += [f"- {note}" for note in view.notes] + ([""] if view.notes else [])
        entries.append({"file": str(view.analysis.path), "kind": view.analysis.kind,
                        "scenario": view.analysis.scenario, "target": view.analysis.target,
                        "title": view.title, "tables": names,
                        "charts": [f"charts/{chart.stem}.png" for chart in view.charts]})
    (folder / "analyses.md").write_text("\n".join(parts), encoding="utf-8")
    return entries


def build_report(input_paths: Sequence[Path | str], out: Path | str, *, lang: str = "en",
                 indicators: Sequence[str] | None = None,
                 targets: Sequence[Target] | None = None,
                 workers: int | None = None) -> ReportResult:
    """Read result files (and saved analyses) and write charts, tables and report.html
    into ``out``.

    ``input_paths`` are results files (NetCDF from ``qdsim run``, batch stores), at least
    one, and any number of analysis JSON files (``*.json``, saved by ``qdsim solve``,
    ``sensitivity``, ``attribute`` or ``check-plan`` with ``--out``) made with the
    results' model file. ``indicators`` chooses the variables shown (default: the key
    indicators); ``targets`` defaults to the plan's targets; ``workers`` is the number of
    chart-drawing processes (default: the CPUs available, at most 4). Raises
    ``QdsimError`` (``ResultsError`` for bad input) before anything is written into ``out``.
    """
    if lang not in LANGUAGES:
        raise QdsimError(f"--lang '{lang}': allowed values are en and zh")
    out = Path(out)
    paths = [Path(p) for p in input_paths]
    result_paths, analysis_paths = split_inputs(paths)
    analyses = read_analyses(analysis_paths)
    if analyses and not result_paths:
        raise ResultsError(None, "no results files given: a report needs at least one results"
                           " file (.nc from `qdsim run` or a batch store) besides the analysis"
                           " files, whose model hash is checked against it")
    inputs = read_report_inputs(result_paths)
    check_models(analyses, inputs.model_sha256)
    check_destination(out, paths)
    charted, tabulated = choose_indicators(inputs.dataset, indicators)
    cjk_family = require_font(lang)
    targets = list(load_targets() if targets is None else targets)
    check_targets(analyses, [t.id for t in targets])
    verdicts = target_verdicts(inputs, targets)
    catalogue = parameter_catalogue_or_empty()
    views = analysis_views(analyses, inputs, targets, catalogue, lang)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    chart_indicators = [describe(inputs.dataset, name, lang) for name in charted]
    table_indicators = [describe(inputs.dataset, name, lang) for name in tabulated]

    scorecard_data = scorecard(inputs, verdicts, targets, lang)
    with staging_folder(out) as staging:
        entries, images, scorecard_image, analysis_images = _draw_charts(
            inputs, chart_indicators, targets, scorecard_data, lang, staging / "charts",
            cjk_family, workers, [chart for view in views for chart in view.charts])
        tables_folder = staging / "tables"
        tables_folder.mkdir()
        summary = summary_table(inputs, verdicts, targets, lang)
        scenario_tables = [projection_table(inputs, s, table_indicators, lang)
                           for s in inputs.scenarios]
        notes = [text("averages_note", lang), text("scorecard_note", lang),
                 f"{text('model_sha256', lang)}: {inputs.model_sha256}",
                 f"{text('report_created', lang)}: {created}"]
        write_csv(summary, tables_folder / "summary.csv")
        for table in scenario_tables:
            write_csv(table, tables_folder / f"{table.name}.csv")
        write_xlsx(summary, scenario_tables, notes, tables_folder / "projections.xlsx", lang,
                   annual_tables(inputs, table_indicators, lang))
        write_markdown([summary, *scenario_tables], notes, tables_folder / "projections.md",
                       text("report_title", lang))
        analysis_entries = (_write_analysis_tables(views, tables_folder, lang) if views
                            else [])
        model_hash = current_model_sha256()
        defaults = assumptions_html(model_defaults(catalogue, lang), lang)
        if model_hash is not None and model_hash != inputs.model_sha256:
            defaults = f'<p class="note">{text("catalogue_differs", lang)}</p>' + defaults
        content = HtmlContent(
            lang=lang,
            scorecard=scorecard_html(scorecard_data),
            scorecard_image=scorecard_image,
            notes_scorecard=text("scorecard_note", lang),
            charts=images,
            tables=[summary, *scenario_tables],
            notes_tables=text("averages_note", lang),
            assumptions=[(scenario_title(inputs.dataset, s, lang), assumptions_html(
                scenario_assumptions(inputs, s, catalogue, lang), lang))
                for s in inputs.scenarios],
            defaults=defaults,
            observations=_observations_html(charted, lang),
            provenance=_provenance(inputs, lang, created),
            analyses=analyses_html(views, analysis_images, lang) if views else "",
            warnings=[text("calibration_warning_banner", lang)]
            if calibration_warnings(inputs, lang) else [],
        )
        html_path = staging / "report.html"
        html_path.write_text(render_html(inputs, content), encoding="utf-8")
        manifest = {
            "generator": GENERATOR, "qdsim_version": __version__, "created_utc": created,
            "lang": lang, "model_sha256": inputs.model_sha256, "scenarios": inputs.scenarios,
            "sample_counts": inputs.sample_counts, "indicators": charted,
            "table_indicators": tabulated, "charts": entries,
            "tables": sorted(str(p.relative_to(staging)) for p in tables_folder.iterdir()),
            "analyses": analysis_entries,
            "html": "report.html",
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                        encoding="utf-8")
        files = sum(1 for p in staging.rglob("*") if p.is_file())
    log.info("report written to %s (%d files)", out, files)
    return ReportResult(out, out / "report.html", files)
