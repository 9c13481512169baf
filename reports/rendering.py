"""Drawing many charts at once: each chart is a job run in a pool of worker processes.

A job carries only the small values a chart shows (``reports.chart_data``), so starting it
costs little; with one worker, or one job, everything is drawn in this process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reports import analysis_charts, charts, pyramid
from reports.analyses import AnalysisChartData
from reports.chart_data import ScorecardChart, SeriesChart
from reports.fonts import chart_fonts, ensure_family

log = logging.getLogger(__name__)
DRAWERS = {"comparison": charts.comparison_chart, "fan": charts.fan_chart,
           "scorecard": charts.scorecard_chart, "pyramid": pyramid.pyramid_chart,
           **analysis_charts.DRAWERS}


@dataclass(frozen=True)
class ChartJob:
    """Draw ``kind`` of ``data`` and save it as ``folder/stem.png`` and ``.svg``."""

    kind: str
    data: SeriesChart | ScorecardChart | AnalysisChartData | pyramid.PyramidChart
    folder: Path
    stem: str
    cjk_family: str | None


def default_workers() -> int:
    """Worker processes: the CPUs this process may use, at most 4."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


def render(job: ChartJob) -> dict[str, Path]:
    """Draw and save one chart; returns its {"png": path, "svg": path}."""
    ensure_family(job.cjk_family)
    with chart_fonts(job.cjk_family):
        figure = DRAWERS[job.kind](job.data)
        return charts.save_figure(figure, job.folder, job.stem)


def _context():
    methods = multiprocessing.get_all_start_methods()
    # fork reuses the imported matplotlib and fonts; elsewhere the default method is used.
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def render_all(jobs: Sequence[ChartJob], workers: int | None = None) -> list[dict[str, Path]]:
    """Draw every job (in order of the result); ``workers`` processes (default: CPUs, ≤ 4)."""
    workers = default_workers() if workers is None else max(1, int(workers))
    if workers == 1 or len(jobs) < 2:
        return [render(job) for job in jobs]
    log.info("drawing %d charts in %d processes", len(jobs), workers)
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=_context(),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        return list(pool.map(render, jobs))


def die_with_parent(parent: int) -> None:
    """In a worker: be killed when the parent process dies (even by ``kill -9``), so a
    killed report leaves no chart workers running (Linux ``PR_SET_PDEATHSIG``)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent check below remains
        pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
