"""Fill the README's figures from the commands it quotes.

Each figure in README.md sits between markers, ``<!--f:KEY-->0.7%<!--/f-->`` (a number)
or ``<!--f:KEY-->`` ... ``<!--/f-->`` around a whole table; this script runs the commands
the README names (through the CLI, in a temporary folder), takes each figure from their
output, rounds it to the README's precision and writes the README again.
``tests/test_readme_figures.py`` runs the same commands and fails when a figure in the
README differs from the commands' output, so figures cannot drift from the tool.

    python docs/make_readme_figures.py           # rewrite README.md
    python docs/make_readme_figures.py --check   # exit 1 if README.md is out of date
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = re.compile(r"<!--f:(?P<key>[a-z0-9_]+)-->(?P<body>.*?)<!--/f-->", re.S)
#: Rows of the baseline table: the indicator labels of the report's projection table.
TABLE_ROWS = ("Resident population [万人]", "GDP per head [USD]", "Real GDP growth [%]",
              "Urbanization rate [%]", "Unemployment rate [%]", "Energy CO2 emissions [万吨]")
SAMPLES = 1000


class FigureError(RuntimeError):
    """A command's output lacks a figure the README states."""


def _cli(*arguments: str) -> str:
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, list(arguments), env={"COLUMNS": None})
    if result.exit_code != 0:
        raised = f" ({result.exception!r})" if result.exception is not None else ""
        raise FigureError(f"qdsim {' '.join(arguments)} failed{raised}: {result.output}")
    return result.output


def _find(pattern: str, text: str, what: str) -> re.Match:
    match = re.search(pattern, text, flags=re.M)
    if match is None:
        raise FigureError(f"{what}: no match for {pattern!r} in the output")
    return match


def _percent(value: str, decimals: int) -> str:
    return f"{float(value):.{decimals}f}%"


def _baseline_table(folder: Path) -> str:
    """The README's baseline table, from `qdsim run` then `qdsim report` (projections.md)."""
    scenarios = ROOT / "scenarios"
    _cli("run", str(scenarios / "baseline.yaml"), "--out", str(folder / "r"))
    _cli("report", str(folder / "r" / "baseline.nc"), "--out", str(folder / "rep"))
    markdown = (folder / "rep" / "tables" / "projections.md").read_text(encoding="utf-8")
    rows = {}
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 8 and cells[0] and not cells[0].startswith("-"):
            rows.setdefault(cells[0], cells[2:])
    names = {"population": 0, "gdp_per_capita_usd": 1, "gdp_real_growth": 2,
             "urbanization_rate": 3, "unemployment_rate": 4, "co2_emissions": 5}
    lines = ["| indicator | 2020 | 2025 | 2030 | 2035 | mean 2021-2025 | mean 2026-2035 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for variable, index in names.items():
        if variable not in rows:
            raise FigureError(f"the report's baseline table has no row '{variable}'")
        lines.append(f"| {TABLE_ROWS[index]} | " + " | ".join(rows[variable]) + " |")
    return "\n\n" + "\n".join(lines) + "\n\n"  # blank lines: the table is its own block


def compute(folder: Path) -> dict[str, str]:
    """Every figure of the README [as the README prints it], from the commands."""
    figures: dict[str, str] = {"baseline_table": _baseline_table(folder)}
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    table = _cli("targets", *scenarios, "--samples", str(SAMPLES))

    def probability(scenario: str, target: str, decimals: int) -> str:
        match = _find(rf"^{scenario}\s+{target}\s+([0-9.]+)%", table, f"{scenario} {target}")
        return _percent(match.group(1), decimals)

    figures["samples"] = f"{SAMPLES:,}"
    figures["p_population_baseline"] = probability("baseline", "population_2025", 1)
    figures["p_population_plan"] = probability("plan", "population_2025", 1)
    figures["p_population_open"] = probability("open_registration", "population_2025", 0)
    figures["p_gdp_baseline"] = probability("baseline", "gdp_per_capita_usd_2035", 0)
    figures["p_gdp_plan"] = probability("plan", "gdp_per_capita_usd_2035", 1)

    from qdsim.scenario import load_scenario

    plan = load_scenario(ROOT / "scenarios" / "plan.yaml")
    calibrated = load_scenario(ROOT / "calibration" / "calibrated.yaml")
    tfp = dict(plan.parameters["tfp_growth_rate"])[2021] - calibrated.parameters[
        "tfp_growth_rate"]
    figures["plan_tfp_points"] = f"{100 * tfp:.1f}"

    solve = _cli("solve", str(ROOT / "scenarios" / "baseline.yaml"), "--target",
                 "population_2025", "--vary", "base_net_migration_rate")
    match = _find(r"net_migration of ([0-9.]+) 10k persons a year in 2021-2025,"
                  r" ([0-9.]+) times the 2016-2020 average", solve, "solve")
    figures["solve_migration"] = f"{float(match.group(1)):.0f}"
    figures["solve_ratio"] = f"{float(match.group(2)):.2f}"

    check = _cli("check-plan", str(ROOT / "scenarios" / "plan.yaml"))
    match = _find(r"need ([0-9.]+)万 employed", check, "check-plan")
    figures["plan_employed"] = f"{float(match.group(1)):.0f}"
    return figures


def fill(text: str, figures: dict[str, str]) -> str:
    """``text`` with every marked figure replaced; refuses a marker without a figure."""
    def replace(match: re.Match) -> str:
        key = match.group("key")
        if key not in figures:
            raise FigureError(f"README marker '{key}' has no figure")
        return f"<!--f:{key}-->{figures[key]}<!--/f-->"

    return MARKER.sub(replace, text)


def marked(text: str) -> dict[str, str]:
    """The figures the README states now, by key."""
    return {match.group("key"): match.group("body") for match in MARKER.finditer(text)}


def main(arguments: list[str], run: Callable[[Path], dict[str, str]] = compute) -> int:
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        updated = fill(text, run(Path(folder)))
    if "--check" in arguments:
        if updated != text:
            print("README.md figures differ from the commands; run"
                  " python docs/make_readme_figures.py")
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    print("README.md figures written")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
