"""What the commands print: no third-party log noise without -v, tables that fit the
terminal width (run as real processes, as a user's shell runs them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _qdsim(*arguments: str, env: dict | None = None, cwd: Path | None = None
           ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *arguments],
                          capture_output=True, text=True, timeout=600, cwd=cwd,
                          env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_batch_with_workers_prints_no_dask_info_without_verbose(scenario_dir, tmp_path):
    arguments = ["batch", str(scenario_dir / "baseline.yaml"), "--samples", "8",
                 "--workers", "2", "--chunk-size", "4"]
    quiet = _qdsim(*arguments, "--out", str(tmp_path / "quiet"))
    assert quiet.returncode == 0, quiet.stderr
    # no INFO line (a WARNING, e.g. a worker slow to stop on a loaded machine, may show)
    assert not [line for line in quiet.stderr.splitlines() if line.startswith("INFO")
                or " - INFO - " in line], quiet.stderr
    verbose = _qdsim("-v", *arguments, "--out", str(tmp_path / "verbose"))
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO distributed" in verbose.stderr  # -v still shows Dask's progress


def test_target_table_fits_columns_and_is_full_in_a_file(scenario_dir):
    narrow = _qdsim("targets", str(scenario_dir / "baseline.yaml"), env={"COLUMNS": "100"})
    assert narrow.returncode == 0, narrow.stderr
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 100
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    full = subprocess.run([sys.executable, str(ROOT / "cli.py"), "targets",
                           str(scenario_dir / "baseline.yaml")], capture_output=True,
                          text=True, timeout=600, env=environment)  # a pipe: not a terminal
    assert full.returncode == 0, full.stderr
    assert max(len(line) for line in full.stdout.splitlines()) > 100
    assert "population_2025 (Resident population reaches 11 million)" in full.stdout
