"""Responsiveness of ``qdsim explore`` in Debian's Chromium (goals: a lever change redraws
every chart and the scorecard in under 200 ms median, under 1 s with 1,000 draws; start-up
to a usable page under 10 s).

Times are taken inside the page: from the moment a typed lever value is committed (the
number box loses focus) to each chart's ``plotly_afterplot`` event and the scorecard's
last change (``explorer.testing``). Start-up is building the app (scenarios, levers,
engine) and serving it, then loading the page until the scorecard and charts are drawn.

How to run (from the repository root, with ``pip install -e ".[test]"``)::

    python benchmarks/bench_explorer.py --changes 15
    python benchmarks/bench_explorer.py --screenshot docs/explorer.png

Prints the medians per element with the number of CPUs and the load average (other work
on the machine slows the figures). This is a script, not a test.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

from explorer.testing import (
    MARKERS_SCRIPT,
    browser_page,
    median_timings,
    running_server,
    set_lever,
    wait_ready,
)

VALUES = (0.03, 0.005, 0.025, 0.01, 0.02, 0.015)


def _print(title: str, medians: dict[str, float]) -> None:
    print(f"\n{title}")
    for name, value in medians.items():
        print(f"  {name:<28} {value:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=11, help="lever changes per mode")
    parser.add_argument("--screenshot", type=Path, help="write a screenshot of the page")
    arguments = parser.parse_args()
    print(f"CPUs {os.cpu_count()}, load average {os.getloadavg()}")
    with running_server() as server, browser_page() as (page, _):
        started = time.perf_counter()
        page.goto(server.address)
        wait_ready(page)
        page_seconds = time.perf_counter() - started
        print(f"start-up: app built and listening {server.seconds_to_listen:.1f} s, page usable"
              f" {page_seconds:.1f} s, total {server.seconds_to_listen + page_seconds:.1f} s")
        page.evaluate(MARKERS_SCRIPT)
        values = itertools.cycle(VALUES)
        samples = [set_lever(page, "tfp_growth_rate", next(values))
                   for _ in range(arguments.changes)]
        _print("lever change to redraw, median", median_timings(samples))
        page.check("#uncertainty input[type=checkbox]")
        page.wait_for_selector("th:has-text('P(met)')")
        page.wait_for_load_state("networkidle")
        samples = [set_lever(page, "tfp_growth_rate", next(values))
                   for _ in range(arguments.changes)]
        _print("with uncertainty (1,000 draws), median", median_timings(samples))
        if arguments.screenshot:
            page.click("#pin")
            page.wait_for_selector("#pinned-list li")
            set_lever(page, "tfp_growth_rate", 0.02)
            page.wait_for_load_state("networkidle")
            page.locator("#levers").evaluate("e => e.closest('.panel').scrollTo(0, 0)")
            page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
            page.mouse.move(5, 5)
            time.sleep(1)
            page.screenshot(path=str(arguments.screenshot))
            print(f"\nwrote {arguments.screenshot}")


if __name__ == "__main__":
    main()
