"""Plain-text tables for the terminal: the scenario × target verdict table."""

from __future__ import annotations

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


def verdict_table(verdicts: pd.DataFrame, targets: Sequence[Target], lang: str = "en") -> str:
    """Scenario × target table: projected value, target, gap, verdict, first year met."""
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
            target.when,
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
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths,
                                                                      strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    for row in rows:
        lines.append("  ".join(str(cell).ljust(width)
                               for cell, width in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)
