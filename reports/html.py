"""The self-contained HTML report: one file, images inlined as base64, no network access.

Sections: target scorecard, charts, projection tables, the saved "what it would take"
analyses (when given), each scenario's assumptions, the observations drawn on the charts,
and provenance (model hash, scenario hashes, seed, calibration, versions and dates).
Every text from data is HTML-escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from qdsim.messages import scenario_title, text
from reports.analyses import AnalysisView, CheckRow
from reports.assumptions import Assumption
from reports.chart_data import ScorecardChart
from reports.charts import text_colour
from reports.inputs import ReportInputs
from reports.tables import Table, cell_decimals, format_number

STYLE_FILE = Path(__file__).with_name("report.css")


@dataclass(frozen=True)
class ChartImage:
    """A chart to show: its PNG file, a caption and the section it belongs to."""

    png: Path
    caption: str
    section: str


def image_tag(png: Path, alt: str) -> str:
    """An <img> with the PNG inlined as a data URI."""
    encoded = base64.b64encode(png.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{escape(alt)}">'


def table_html(table: Table) -> str:
    """A projection or summary table; numbers right-aligned with the table's decimals."""
    columns = list(table.frame.columns)
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    rows = []
    for row, record in enumerate(table.frame.itertuples(index=False)):
        cells = []
        for column, value in zip(columns, record, strict=True):
            if column in table.number_columns:
                number = format_number(value, cell_decimals(table, column, row))
                cells.append(f'<td class="number">{escape(number)}</td>')
            else:
                cells.append(f"<td>{escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def scorecard_html(chart: ScorecardChart) -> str:
    """Targets × scenarios grid with coloured, written verdicts (same cells as the chart)."""
    lang = chart.lang
    head = f"<th>{escape(text('target', lang))}</th><th>{escape(text('when', lang))}</th>"
    head += "".join(f"<th>{escape(title)}</th>" for title in chart.scenario_titles)
    rows = []
    for name, when, cells in zip(chart.target_labels, chart.target_periods, chart.cells,
                                 strict=True):
        row = [f"<td>{escape(name)}</td>", f"<td>{escape(when)}</td>"]
        row += [f'<td class="cell" style="background:{colour};color:{text_colour(colour)}">'
                f"{escape(label)}</td>" for label, colour in cells]
        rows.append("<tr>" + "".join(row) + "</tr>")
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def assumptions_html(rows: Sequence[Assumption], lang: str) -> str:
    """Parameter, value, unit, origin and description of each assumption."""
    head = "".join(f"<th>{escape(text(k, lang))}</th>"
                   for k in ("parameter", "value", "unit", "origin", "description"))
    body = "".join(
        f'<tr><td class="code">{escape(r.parameter)}</td><td class="value">{escape(r.value)}'
        f'</td><td class="unit">{escape(r.unit)}</td><td class="unit">{escape(r.origin)}</td>'
        f'<td class="description">{escape(r.description)}</td></tr>' for r in rows)
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")


def key_value_html(rows: Sequence[tuple[str, str]], hash_keys: Sequence[str] = ()) -> str:
    """A two-column table; values of ``hash_keys`` in a monospace font."""
    rows_html = []
    for key, value in rows:
        cell_class = ' class="hash"' if key in hash_keys else ""
        rows_html.append(f"<tr><th>{escape(key)}</th><td{cell_class}>{escape(value)}</td></tr>")
    body = "".join(rows_html)
    return f"<table><tbody>{body}</tbody></table>"


def plan_check_html(rows: Sequence[CheckRow], lang: str) -> str:
    """The plan's checks: verdict (colour and word), check, implied, comparison, unit,
    explanation."""
    head = "".join(f"<th>{escape(text(k, lang))}</th>" for k in (
        "verdict", "check", "implied", "comparison_value", "unit", "explanation"))
    body = "".join(
        f'<tr><td class="cell verdict" style="background:{r.colour};'
        f'color:{text_colour(r.colour)}">{escape(r.verdict)}</td><td>{escape(r.name)}</td>'
        f'<td class="number">{escape(r.implied)}</td>'
        f'<td class="number">{escape(r.comparison)}</td><td class="unit">{escape(r.unit)}'
        f'</td><td class="description">{escape(r.explanation)}</td></tr>' for r in rows)
    return (f'<div class="wide"><table class="checks"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def analyses_html(views: Sequence[AnalysisView], images: dict[str, ChartImage], lang: str
                  ) -> str:
    """Each analysis: heading, source file, sentences, charts, tables and notes."""
    parts = [f'<p class="note">{escape(text("analyses_note", lang))}</p>']
    for view in views:
        parts.append(f'<div class="analysis" id="{escape(view.stem)}">'
                     f"<h3>{escape(view.title)}</h3>")
        parts.append(f'<p class="note">{escape(text("analysis_file", lang))}:'
                     f' <span class="code">{escape(str(view.analysis.path))}</span></p>')
        parts += [f'<p class="finding">{escape(line)}</p>' for line in view.lines]
        parts += [_figure(images[chart.stem]) for chart in view.charts]
        if view.checks:
            parts.append(plan_check_html(view.checks, lang))
        else:
            parts += [table_html(table) for table in view.tables]
        for table in view.detail_tables:
            parts.append(f"<details><summary>{escape(table.title)}</summary>"
                         f"{table_html(table)}</details>")
        parts += [f'<p class="note">{escape(note)}</p>' for note in view.notes]
        parts.append("</div>")
    return "\n".join(parts)


@dataclass(frozen=True)
class HtmlContent:
    """Everything the HTML page shows, already computed."""

    lang: str
    scorecard: str
    scorecard_image: ChartImage | None
    notes_scorecard: str
    charts: Sequence[ChartImage]
    tables: Sequence[Table]
    notes_tables: str
    assumptions: Sequence[tuple[str, str]]
    defaults: str
    observations: str
    provenance: str
    analyses: str = ""
    warnings: Sequence[str] = ()


def render_html(inputs: ReportInputs, content: HtmlContent) -> str:
    """The whole page as one string."""
    lang = content.lang
    css = STYLE_FILE.read_text(encoding="utf-8")
    titles = ", ".join(scenario_title(inputs.dataset, s, lang) for s in inputs.scenarios)
    sections = ("scorecard", "charts", "tables", *(("analyses",) if content.analyses else ()),
                "assumptions", "observations", "provenance")
    nav = "".join(f'<a href="#{key}">{escape(text(key, lang))}</a>' for key in sections)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(text('report_title', lang))}</title><style>{css}</style></head><body>",
        f"<header><h1>{escape(text('report_title', lang))}</h1>",
        f'<p class="subtitle">{escape(text("report_subtitle", lang))}</p>',
        f'<p class="meta">{escape(text("scenario", lang))}: {escape(titles)}</p>',
        *(f'<p class="warning"><strong>{escape(text("warning", lang))}:</strong>'
          f" {escape(warning)}</p>" for warning in content.warnings),
        "</header>",
        f"<nav>{nav}</nav>",
        f'<section id="scorecard"><h2>{escape(text("scorecard", lang))}</h2>',
        f'<p class="note">{escape(content.notes_scorecard)}</p>', content.scorecard,
    ]
    if content.scorecard_image is not None:
        parts.append(_figure(content.scorecard_image))
    parts.append(f'</section><section id="charts"><h2>{escape(text("charts", lang))}</h2>')
    current = None
    for chart in content.charts:
        if chart.section != current:
            current = chart.section
            parts.append(f"<h3>{escape(text(current, lang))}</h3>")
        parts.append(_figure(chart))
    parts.append(f'</section><section id="tables"><h2>{escape(text("tables", lang))}</h2>')
    parts.append(f'<p class="note">{escape(content.notes_tables)}</p>')
    for table in content.tables:
        parts += [f"<h3>{escape(table.title)}</h3>", table_html(table)]
    if content.analyses:
        parts.append(f'</section><section id="analyses"><h2>{escape(text("analyses", lang))}'
                     f"</h2>{content.analyses}")
    parts.append(f'</section><section id="assumptions"><h2>{escape(text("assumptions", lang))}'
                 "</h2>")
    for title, table in content.assumptions:
        parts += [f"<h3>{escape(title)}</h3>", table]
    parts.append(f"<details><summary>{escape(text('defaults_title', lang))}</summary>"
                 f"{content.defaults}</details></section>")
    parts.append(f'<section id="observations"><h2>{escape(text("observations", lang))}</h2>'
                 f"{content.observations}</section>")
    parts.append(f'<section id="provenance"><h2>{escape(text("provenance", lang))}</h2>'
                 f"{content.provenance}</section></body></html>")
    return "\n".join(parts)


def _figure(chart: ChartImage) -> str:
    return (f"<figure>{image_tag(chart.png, chart.caption)}"
            f"<figcaption>{escape(chart.caption)}</figcaption></figure>")
