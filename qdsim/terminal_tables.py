"""Plain-text tables for the terminal: the scenario × target verdict table."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import pandas as pd

from qdsim.targets import Target
from qdsim.units import display


def _format(value: float, unit: str, lang: str) -> str:
    if pd.isna(value):
        return "-"
    label, factor = display(unit, lang)
    shown = value * factor
    if unit == "year":
        return f"{shown:.0f}"
    digits = 2 if abs(shown) < 100 else 1 if abs(shown) < 10000 else 0
    return f"{shown:,.{digits}f} {label}".strip()


def _verdict(met: object, lang: str) -> str:
    if met is pd.NA or pd.isna(met):
        return "未设定" if lang == "zh" else "value not set"
    if lang == "zh":
        return "达到" if met else "未达到"
    return "met" if met else "missed"


def verdict_table(verdicts: pd.DataFrame, targets: Sequence[Target], lang: str = "en",
                  width: int | None = None) -> str:
    """Scenario × target table: projected value, target, gap, verdict, first year met.

    ``width`` [characters]: fit the table into it by wrapping the widest cells (None: full).
    """
    by_id = {t.id: t for t in targets}
    headers = (["情景", "目标", "时间", "预测值", "目标值", "差距", "结论", "首次达到年份"]
               if lang == "zh" else
               ["scenario", "target", "when", "projected", "target", "gap", "verdict",
                "first year met"])
    rows = []
    for record in verdicts.to_dict(orient="records"):
        target = by_id[record["target"]]
        name = target.name_zh if lang == "zh" else target.name_en
        gap_unit = target.unit
        rows.append([
            record["scenario"],
            f"{target.id} ({name})",
            target.when_in(lang),
            _format(record["projected"], target.unit, lang),
            (f"{target.comparator} {_format(target.value, target.unit, lang)}"
             if target.value is not None else ("未设定（完成省下达任务）" if lang == "zh"
                                               else "not set in the plan")),
            _format(record["gap"], gap_unit if target.unit != "year" else "year", lang)
            if target.unit != "year" else ("-" if pd.isna(record["gap"])
                                           else f"{record['gap']:+.0f} y"),
            _verdict(record["met"], lang),
            "-" if pd.isna(record["first_year_met"]) else f"{record['first_year_met']:.0f}",
        ])
    return aligned_table(headers, rows, width)


def probability_table(summary: pd.DataFrame, targets: Sequence[Target], lang: str = "en",
                      width: int | None = None) -> str:
    """Scenario × target table of P(met), first year met (10-50-90% among the draws that
    reach the target), P(never) and gap (5-50-95%), from ``summarize_verdicts``.

    ``width`` [characters]: fit the table into it by wrapping the widest cells (None: full).
    """
    by_id = {t.id: t for t in targets}
    headers = (["情景", "目标", "达到概率", "首次达到年份 10-50-90%（达到者中）", "从未达到",
                "差距 5% / 50% / 95%"]
               if lang == "zh" else
               ["scenario", "target", "P(met)", "first year met 10-50-90% (of draws meeting"
                " it)", "P(never)", "gap 5% / 50% / 95%"])
    rows = []
    for record in summary.to_dict(orient="records"):
        target = by_id[record["target"]]
        years = "/".join("-" if pd.isna(record[k]) else f"{record[k]:.0f}"
                         for k in ("first_year_p10", "first_year_met", "first_year_p90"))
        never = ("-" if pd.isna(record["probability_never"])
                 else f"{100 * record['probability_never']:.1f}%")
        unit = "year" if target.unit == "year" else target.unit
        gaps = " / ".join(_format(record[k], unit, lang) if target.unit != "year"
                          else ("-" if pd.isna(record[k]) else f"{record[k]:+.0f} y")
                          for k in ("gap_p05", "gap", "gap_p95"))
        probability = ("-" if pd.isna(record["probability_met"])
                       else f"{100 * record['probability_met']:.1f}%")
        rows.append([record["scenario"], target.id, probability, years,
                     never, gaps])
    return aligned_table(headers, rows, width)


def aligned_table(headers: list[str], rows: list[list[str]], width: int | None = None) -> str:
    """Rows under headers in aligned columns (CJK counted double), fitted to ``width``
    [characters] when given."""
    widths = [max(_width(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    if width is not None:
        widths = _fit(widths, width)
    lines = []
    for index, row in enumerate([headers, *rows]):
        cells = [_wrap(str(cell), w) for cell, w in zip(row, widths, strict=True)]
        for line in range(max(len(c) for c in cells)):
            lines.append(_join([c[line] if line < len(c) else "" for c in cells], widths))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


#: Narrowest a column is wrapped to [characters]; below it the table is left wider.
MINIMUM_COLUMN = 8


def _fit(widths: list[int], total: int) -> list[int]:
    """Column widths whose sum with two-space gaps is at most ``total``, taking from the
    widest columns first (no column below ``MINIMUM_COLUMN`` or its own width)."""
    widths = list(widths)
    room = total - 2 * (len(widths) - 1)
    while sum(widths) > room:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= MINIMUM_COLUMN:
            break
        widths[widest] -= 1
    return widths


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` display columns, broken at spaces where
    possible (CJK characters count two)."""
    if _width(text) <= width:
        return [text]
    lines, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if _width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for character in word:
            if _width(current + character) > width:
                lines.append(current)
                current = ""
            current += character
    lines.append(current)
    return lines


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _join(cells: list, widths: list[int]) -> str:
    return "  ".join(str(c) + " " * (w - _width(str(c)))
                     for c, w in zip(cells, widths, strict=True)).rstrip()
