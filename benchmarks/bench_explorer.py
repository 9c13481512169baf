"""Responsiveness of ``qdsim explore`` in Debian's Chromium (goals: a lever change redraws
every chart and the scorecard in under 200 ms median, under 1 s with 1,000 draws; start-up
to a usable page under 10 s), optionally side by side with the explorer of another git
revision in the same run.

Times are taken inside the page: from the moment a typed lever value is committed (the
number box loses focus) to each chart figure's ``plotly_afterplot`` event and the
scorecard's last change, and the callback request's share from the browser's Resource
Timing (``explorer.testing``): "server and network" runs from sending the request to the
first byte of the answer (the engine run, the figures and their JSON); the rest of
"all" is the browser (Dash's handling before the request and after the answer, and
drawing). Every lever value is new to both servers, so no answer comes from a cache.

Start-up is starting ``qdsim explore`` (interpreter, imports, scenarios, levers, engine)
until it listens, then loading the page until the scorecard and every chart are drawn.

With ``--compare-with REV`` the ``explorer/`` package as of git revision REV (the rest of
the code is this tree's) is served by a second ``qdsim explore``; both pages stay open in
one browser and take each lever value in turn (alternating which goes first), so that
both see the same load on the machine.

How to run (from the repository root, with ``pip install -e ".[test]"``)::

    python benchmarks/bench_explorer.py --changes 15
    python benchmarks/bench_explorer.py --changes 11 --compare-with b03dbc3
    python benchmarks/bench_explorer.py --screenshot docs/explorer.png

Prints the medians per element with the number of CPUs and the load average (other work
on the machine slows the figures). This is a script, not a test.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from explorer.testing import (
    MARKERS_SCRIPT,
    browser,
    median_timings,
    new_page,
    set_lever,
    wait_ready,
)

ROOT = Path(__file__).resolve().parents[1]
LEVER = "tfp_growth_rate"
#: Range of the lever values typed [1/year]; each change takes a value not used before.
LOWEST, HIGHEST = 0.004, 0.03


@contextmanager
def served(revision: str | None) -> Iterator[tuple[str, float]]:
    """(address, seconds until it listens) of ``qdsim explore`` on a free port: this tree's
    explorer, or that of git ``revision`` extracted to a temporary folder first on the
    module path."""
    with tempfile.TemporaryDirectory() as folder:
        environment = dict(os.environ)
        if revision is not None:
            archive = subprocess.run(["git", "archive", revision, "explorer"], cwd=ROOT,
                                     capture_output=True, check=True).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(folder, filter="data")
            environment["PYTHONPATH"] = folder
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", "from cli import app; app()", "explore", "--port", "0"],
            cwd=folder if revision else ROOT, env=environment,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = process.stdout.readline()
            address = re.search(r"http://\S+/", line)
            if address is None:
                raise RuntimeError(f"qdsim explore did not start: {line!r}")
            yield address.group(0), time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=30)


def _print(title: str, labels: list[str], medians: dict[str, dict[str, float]]) -> None:
    print(f"\n{title} [ms]")
    print(f"  {'':<28}" + "".join(f"{label:>16}" for label in labels)
          + ("     ratio" if len(labels) == 2 else ""))
    for key in medians[labels[0]]:
        values = [medians[label].get(key, float("nan")) for label in labels]
        ratio = f"{values[1] / values[0]:10.2f}" if len(values) == 2 and values[0] else ""
        print(f"  {key:<28}" + "".join(f"{v:16.1f}" for v in values) + ratio)


def _measure(pages: dict, values: list[float]) -> dict[str, dict[str, float]]:
    """Medians per page over the lever ``values``; "every chart" is when the last chart
    figure drew (the seven figures of an older page, or its one figure)."""
    samples: dict[str, list] = {label: [] for label in pages}
    for index, value in enumerate(values):
        order = list(pages) if index % 2 == 0 else list(reversed(pages))
        for label in order:
            pages[label].bring_to_front()
            timings = set_lever(pages[label], LEVER, value)
            charts = [timings.pop(key) for key in list(timings) if key.startswith("chart")]
            sample = {"every chart": max(charts), **timings}
            if "response received" in timings:  # the browser's share after the answer
                sample["drawn after the answer"] = (max(*charts, timings["scorecard"])
                                                    - timings["response received"])
            samples[label].append(sample)
    return {label: median_timings(runs) for label, runs in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=11, help="lever changes per mode")
    parser.add_argument("--compare-with", metavar="REV",
                        help="also measure the explorer of this git revision, side by side")
    parser.add_argument("--screenshot", type=Path, help="write a screenshot of the page")
    arguments = parser.parse_args()
    print(f"CPUs {os.cpu_count()}, load average {os.getloadavg()}")
    revisions = {"this tree": None}
    if arguments.compare_with:
        revisions = {arguments.compare_with: arguments.compare_with, "this tree": None}
    step = (HIGHEST - LOWEST) / (2 * arguments.changes)
    plain = [LOWEST + 2 * i * step for i in range(arguments.changes)]
    uncertain = [value + step for value in plain]
    with ExitStack() as stack:
        launched = stack.enter_context(browser())
        pages = {}
        for label, revision in revisions.items():
            address, listening = stack.enter_context(served(revision))
            page, _ = new_page(launched)
            started = time.perf_counter()
            page.goto(address)
            wait_ready(page)
            usable = time.perf_counter() - started
            print(f"start-up ({label}): listening {listening:.1f} s, page usable {usable:.1f} s,"
                  f" total {listening + usable:.1f} s")
            page.evaluate(MARKERS_SCRIPT)
            pages[label] = page
        labels = list(pages)
        _print("lever change to redraw, median", labels, _measure(pages, plain))
        for page in pages.values():
            page.check("#uncertainty input[type=checkbox]")
            page.wait_for_selector("th:has-text('P(met)')")
            page.wait_for_load_state("networkidle")
        _print("with uncertainty (1,000 draws), median", labels, _measure(pages, uncertain))
        print(f"load average {os.getloadavg()}")
        if arguments.screenshot:
            page = pages["this tree"]
            page.bring_to_front()
            page.click("#pin")
            page.wait_for_selector("#pinned-list li")
            set_lever(page, LEVER, 0.02)
            page.wait_for_load_state("networkidle")
            page.locator("#levers").evaluate("e => e.closest('.panel').scrollTo(0, 0)")
            page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
            page.mouse.move(5, 5)
            time.sleep(1)
            page.screenshot(path=str(arguments.screenshot))
            print(f"\nwrote {arguments.screenshot}")


if __name__ == "__main__":
    main()
