"""Text and saved forms of the what-it-would-take analyses (solve, frontier, sensitivity,
attribution, plan check): each ``*_record`` builds the typed file of its kind
(``qdsim.analysis_files``), which ``save_analysis`` writes and ``qdsim report`` reads."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from model.parameters import parameter_catalogue
from qdsim.analysis_files import (
    AttributionFile,
    FrontierFile,
    PlanCheckFile,
    SensitivityFile,
    SolveFile,
)
from qdsim.messages import message, text
from qdsim.plan_check import Check
from qdsim.posterior import SHIPPED_POSTERIOR, read_posterior
from qdsim.scenario import Scenario
from qdsim.targets import Target
from qdsim.terminal_tables import aligned_table
from qdsim.units import display
from qdsim.variables import output_name, output_unit
from qdsim.whatif import CHANGE_FROM, VALUE_YEAR, Solution


def calibrated_reference(name: str) -> dict | None:
    """The 2016-2020 calibrated estimate and 90% posterior interval of ``name``."""
    if not SHIPPED_POSTERIOR.is_file():
        return None
    draws, estimate = read_posterior(SHIPPED_POSTERIOR)
    if name not in draws:
        return None
    low, high = draws[name].quantile([0.05, 0.95])
    return {"estimate": float(estimate[name]), "q05": float(low), "q95": float(high)}


def solve_record(solution: Solution, scenario: Scenario, target: Target,
                 related: dict | None) -> SolveFile:
    return SolveFile.model_validate({
        "scenario": scenario.name, "scenario_sha256": scenario.sha256(), "target": target.id,
        "solution": solution.__dict__, "calibrated": calibrated_reference(solution.parameter),
        "related": related})


def frontier_record(frame: pd.DataFrame, scenario: Scenario, target: Target) -> FrontierFile:
    return FrontierFile.model_validate({
        "scenario": scenario.name, "target": target.id,
        "varied": [{"parameter": name, "mode": mode} for name, mode in frame.attrs["varied"]],
        "table": frame.to_dict(orient="list")})


def sensitivity_record(dataset: xr.Dataset) -> SensitivityFile:
    return SensitivityFile.model_validate({
        "attrs": dict(dataset.attrs), "factors": list(map(str, dataset["factor"].values)),
        "years": [int(y) for y in dataset["year"].values],
        **{str(key): dataset[key].values.tolist() for key in dataset.data_vars}})


def attribution_record(frame: pd.DataFrame, target: Target, scenario: str, reference: str
                       ) -> AttributionFile:
    return AttributionFile.model_validate({
        "scenario": scenario, "reference": reference, "target": target.id, **frame.attrs,
        "table": frame.to_dict(orient="list")})


def plan_check_record(checks: list[Check]) -> PlanCheckFile:
    return PlanCheckFile.model_validate({"checks": [check.model_dump() for check in checks]})


def calibrated_comparison(solution: dict, calibrated: dict) -> tuple[float | None, bool]:
    """(needed / calibrated estimate, whether the need lies in the 90% interval)."""
    ratio = solution["value_2025"] / calibrated["estimate"] if calibrated["estimate"] else None
    return ratio, calibrated["q05"] <= solution["value_2025"] <= calibrated["q95"]


def solution_text(payload: dict, target: Target, lang: str = "en",
                  parameter_unit: str | None = None) -> str:
    """Plain sentences in ``lang`` (zh or en): the value needed, against the 2016-2020
    calibration. ``parameter_unit`` defaults to the model file's unit of the parameter."""
    solution = payload["solution"]
    name = solution["parameter"]
    if parameter_unit is None:
        parameter_unit = parameter_catalogue()[name].unit
    goal = message("solve_goal", lang, name=target.name_zh if lang == "zh" else target.name_en,
                   id=target.id)
    if solution["amount"] is None:
        label, factor = display(target.unit, lang)
        low, high = solution["search_range"]
        return message("solve_none", lang, scenario=payload["scenario"], parameter=name,
                       mode=text(f"mode_{solution['mode']}", lang), low=low, high=high,
                       goal=goal, best=solution["best_projected"] * factor, unit=label,
                       best_amount=solution["best_amount"])
    lines = [message(f"solve_met_{solution['mode']}", lang, scenario=payload["scenario"],
                     goal=goal, parameter=name, amount=solution["amount"],
                     parameter_unit=parameter_unit, start=CHANGE_FROM, year=VALUE_YEAR,
                     value=solution["value_2025"])]
    calibrated = payload.get("calibrated")
    if calibrated:
        ratio, inside = calibrated_comparison(solution, calibrated)
        lines.append(message(
            "solve_calibrated", lang, estimate=calibrated["estimate"], q05=calibrated["q05"],
            q95=calibrated["q95"], ratio=message("solve_ratio", lang, ratio=ratio) if ratio
            else "", where=text("solve_inside" if inside else "solve_outside", lang)))
    related = payload.get("related")
    if related:
        variable = related["variable"]
        label, factor = display(output_unit(variable), lang)
        lines.append(message(
            "solve_related", lang,
            variable=output_name(variable, lang) if lang == "zh" else variable,
            plan=related["mean_2021_2025"] * factor, history=related["mean_2016_2020"] * factor,
            unit=label, ratio=related["mean_2021_2025"] / related["mean_2016_2020"]))
    lines += [message("solve_note", lang, note=note) for note in _notes(solution, lang)]
    return "\n".join(lines)


def _notes(solution: dict, lang: str) -> list[str]:
    """The solver's notes in ``lang``; a file saved without their message ids shows them
    as written."""
    if "note_messages" not in solution:
        return list(solution.get("notes", []))
    return [message(note["id"], lang, **note["values"]) for note in solution["note_messages"]]


def attribution_text(frame: pd.DataFrame, target: Target, scenario: str, reference: str
                     ) -> str:
    label, factor = display(target.unit)
    rows = [[row.parameter, f"{row.one_at_a_time * factor:+,.3f}", f"{row.shapley * factor:+,.3f}"]
            for row in frame.itertuples()]
    rows.append(["total", f"{frame['one_at_a_time'].sum() * factor:+,.3f}",
                 f"{frame['shapley'].sum() * factor:+,.3f}"])
    head = (f"{target.id}: {scenario} {frame.attrs['scenario_value'] * factor:,.3f} vs"
            f" {reference} {frame.attrs['reference_value'] * factor:,.3f} {label}"
            f" (difference {frame.attrs['difference'] * factor:+,.3f})")
    return head + "\n" + aligned_table(["parameter", f"one at a time [{label}]",
                                  f"Shapley [{label}]"], rows)


def sensitivity_text(dataset: xr.Dataset) -> str:
    rows = [[str(factor), f"{s1:.3f} ± {c1:.3f}", f"{st:.3f} ± {ct:.3f}"]
            for factor, s1, c1, st, ct in zip(dataset["factor"].values, dataset["S1"].values,
                                              dataset["S1_conf"].values, dataset["ST"].values,
                                              dataset["ST_conf"].values, strict=True)]
    rows.sort(key=lambda row: -float(row[2].split(" ")[0]))
    return (f"Sobol indices of the {dataset.attrs['target']} gap in {dataset.attrs['scenario']}"
            f" ({dataset.attrs['runs']} runs, 95% confidence):\n"
            + aligned_table(["factor", "first order S1", "total ST"], rows))


def plan_check_text(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"[{check.verdict}] {check.name}\n    {check.explanation}")
    return "\n".join(lines)
