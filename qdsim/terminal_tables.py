"""Plain-text tables for the terminal: the scenario × target verdict table."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np
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
    return _layout(headers, rows)


def probability_summary(verdicts: pd.DataFrame, targets: Sequence[Target]) -> pd.DataFrame:
    """Per scenario and target over samples: P(met), first year met, gap quantiles.

    First-year figures exist only for targets on one year's value (and the peak year);
    they are missing for period totals and averages and for targets without a value.
    """
    by_id = {t.id: t for t in targets}
    rows = []
    for (scenario, target), group in verdicts.groupby(["scenario", "target"], sort=False):
        met = group["met"]
        first = group["first_year_met"].dropna()
        chosen = by_id[target]
        timed = chosen.value is not None and chosen.statistic in ("value", "peak_year")
        rows.append({
            "scenario": scenario, "target": target, "samples": len(group),
            "p_met": float(met.astype(float).mean()) if met.notna().all() else np.nan,
            "first_year_p10": first.quantile(0.1) if len(first) else np.nan,
            "first_year_median": first.median() if len(first) else np.nan,
            "first_year_p90": first.quantile(0.9) if len(first) else np.nan,
            "p_never": 1.0 - len(first) / len(group) if timed else np.nan,
            "projected_median": group["projected"].median(),
            "gap_p05": group["gap"].quantile(0.05), "gap_median": group["gap"].median(),
            "gap_p95": group["gap"].quantile(0.95),
        })
    return pd.DataFrame(rows)


def probability_table(summary: pd.DataFrame, targets: Sequence[Target], lang: str = "en") -> str:
    """Scenario × target table of P(met), first year met (10-50-90%) and gap (5-50-95%)."""
    by_id = {t.id: t for t in targets}
    headers = (["情景", "目标", "达到概率", "首次达到年份 10-50-90%", "从未达到",
                "差距 5% / 50% / 95%"]
               if lang == "zh" else
               ["scenario", "target", "P(met)", "first year met 10-50-90%", "P(never)",
                "gap 5% / 50% / 95%"])
    rows = []
    for record in summary.to_dict(orient="records"):
        target = by_id[record["target"]]
        years = "/".join("-" if pd.isna(record[k]) else f"{record[k]:.0f}"
                         for k in ("first_year_p10", "first_year_median", "first_year_p90"))
        never = "-" if pd.isna(record["p_never"]) else f"{100 * record['p_never']:.1f}%"
        unit = "year" if target.unit == "year" else target.unit
        gaps = " / ".join(_format(record[k], unit, lang) if target.unit != "year"
                          else ("-" if pd.isna(record[k]) else f"{record[k]:+.0f} y")
                          for k in ("gap_p05", "gap_median", "gap_p95"))
        probability = ("-" if pd.isna(record["p_met"]) else f"{100 * record['p_met']:.1f}%")
        rows.append([record["scenario"], target.id, probability, years,
                     never, gaps])
    return _layout(headers, rows)


def _layout(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [_join(headers, widths), "  ".join("-" * width for width in widths)]
    lines += [_join(row, widths) for row in rows]
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _join(cells: list, widths: list[int]) -> str:
    return "  ".join(str(c) + " " * (w - _width(str(c)))
                     for c, w in zip(cells, widths, strict=True)).rstrip()
