"""Result files and reports shared by the report tests.

Single runs come from the real model (three scenarios through PySD, written as
``qdsim run`` writes them); the batch is synthetic: those runs spread with lognormal
noise along a ``sample`` axis (``reports.testing.synthetic_batch``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xarray as xr

SCENARIOS = ("baseline", "plan", "low_growth")
BATCH_SAMPLES = 120


def in_ci() -> bool:
    """True on the CI machine, where every optional tool must be present."""
    return bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def single_results(tmp_path_factory, scenario_dir) -> list[Path]:
    """One NetCDF file per scenario, as ``qdsim run`` writes them."""
    from qdsim.outputs import write_netcdf
    from qdsim.scenario import load_scenarios
    from qdsim.simulation import run_scenarios

    results = run_scenarios(load_scenarios([scenario_dir / f"{n}.yaml" for n in SCENARIOS]))
    folder = tmp_path_factory.mktemp("runs")
    paths = []
    for name in SCENARIOS:
        write_netcdf(results.sel(scenario=[name]), folder / f"{name}.nc")
        paths.append(folder / f"{name}.nc")
    return paths


@pytest.fixture(scope="session")
def batch_file(single_results, tmp_path_factory) -> Path:
    """A synthetic batch of the first two scenarios, one NetCDF file."""
    from qdsim.outputs import read_results, write_netcdf
    from reports.testing import synthetic_batch

    single = xr.concat([read_results(p) for p in single_results[:2]], dim="scenario")
    path = tmp_path_factory.mktemp("batch") / "batch.nc"
    write_netcdf(synthetic_batch(single, BATCH_SAMPLES, seed=7), path)
    return path


@pytest.fixture(scope="session")
def single_report(single_results, tmp_path_factory) -> Path:
    """The English report of the three single runs."""
    from reports.build import build_report

    out = tmp_path_factory.mktemp("single") / "report"
    build_report(single_results, out, lang="en", workers=2)
    return out


@pytest.fixture(scope="session")
def mixed_report(batch_file, single_results, tmp_path_factory) -> Path:
    """The English report of the batch (two scenarios) plus the third single run."""
    from reports.build import build_report

    out = tmp_path_factory.mktemp("mixed") / "report"
    build_report([batch_file, single_results[2]], out, lang="en", workers=2)
    return out


@pytest.fixture(scope="session")
def cjk_font() -> str:
    """An installed CJK font family; skipped without one, except in CI."""
    from reports.fonts import find_cjk_font

    family = find_cjk_font()
    if family is None:
        if in_ci():
            pytest.fail("no CJK font on the CI machine; .ci/run installs fonts-noto-cjk")
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    return family


@pytest.fixture(scope="session")
def chinese_report(batch_file, single_results, cjk_font, tmp_path_factory) -> Path:
    """The Chinese report of the batch plus the third single run, drawn in this process."""
    from reports.build import build_report

    out = tmp_path_factory.mktemp("chinese") / "report"
    build_report([batch_file, single_results[2]], out, lang="zh", workers=1)
    return out


#: The "what it would take" commands, small enough for tests, as `qdsim` arguments.
ANALYSIS_COMMANDS = {
    "solve": ["solve", "baseline.yaml", "--target", "population_2025",
              "--vary", "base_net_migration_rate"],
    "frontier": ["solve", "baseline.yaml", "--target", "population_2025",
                 "--vary", "base_net_migration_rate", "--vary", "total_fertility_rate",
                 "--points", "3"],
    "sensitivity": ["sensitivity", "baseline.yaml", "--target", "gdp_per_capita_usd_2035",
                    "--samples", "16"],
    "attribution": ["attribute", "plan.yaml", "--against", "baseline.yaml",
                    "--target", "gdp_per_capita_usd_2035"],
    "plan_check": ["check-plan", "plan.yaml"],
}


@pytest.fixture(scope="session")
def analysis_files(tmp_path_factory, scenario_dir) -> dict[str, Path]:
    """One saved analysis of each kind, written by the real commands with --out."""
    from typer.testing import CliRunner

    from cli import app

    folder = tmp_path_factory.mktemp("analyses")
    files = {}
    for kind, command in ANALYSIS_COMMANDS.items():
        arguments = [str(scenario_dir / a) if a.endswith(".yaml") else a for a in command]
        result = CliRunner().invoke(app, [*arguments, "--out", str(folder / f"{kind}.json")])
        assert result.exit_code == 0, result.output
        files[kind] = folder / f"{kind}.json"
    return files


def _analysis_report(single_results, analysis_files, folder, lang: str) -> Path:
    from reports.build import build_report

    out = folder / "report"
    build_report([*single_results[:2], *analysis_files.values()], out, lang=lang,
                 indicators=["population"], workers=2)
    return out


@pytest.fixture(scope="session")
def analysis_report(single_results, analysis_files, tmp_path_factory) -> Path:
    """The English report of the baseline and plan runs with every kind of analysis."""
    return _analysis_report(single_results, analysis_files,
                            tmp_path_factory.mktemp("analysis_en"), "en")


@pytest.fixture(scope="session")
def analysis_report_zh(single_results, analysis_files, cjk_font, tmp_path_factory) -> Path:
    """The same report in Chinese."""
    return _analysis_report(single_results, analysis_files,
                            tmp_path_factory.mktemp("analysis_zh"), "zh")


def error_line(result) -> str:
    """The single line a failed command printed (exit 2, no traceback)."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]
