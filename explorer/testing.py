"""Drive the explorer in Debian's Chromium (Playwright), for the browser tests and the
benchmark: a server in a thread, a headless browser that records every request, and
timings of a lever change measured inside the page.

No browser is downloaded: Playwright launches ``/usr/bin/chromium``.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")
#: Installs listeners that note when each chart figure last drew and the scorecard last
#: changed, when a lever's number box last lost focus (the moment a typed value is
#: committed), and the timing of the latest callback request; returns the number of chart
#: panels drawn (seven, in one figure or in several: the listeners work for both).
MARKERS_SCRIPT = """
() => {
  window.__marks = {};
  window.__request = null;
  window.__t0 = 0;
  document.addEventListener('focusout', e => {
    if (e.target.matches('.dash-slider-container input')) window.__t0 = performance.now();
  }, true);
  const figures = document.querySelectorAll('.chart .js-plotly-plot');
  figures.forEach(gd => {
    const id = gd.closest('.chart').id;
    gd.on('plotly_afterplot', () => { window.__marks[id] = performance.now(); });
  });
  window.__expected = figures.length + 1;
  new MutationObserver(() => { window.__marks['scorecard'] = performance.now(); })
    .observe(document.getElementById('scorecard'),
             {subtree: true, childList: true, characterData: true});
  new PerformanceObserver(list => {
    for (const e of list.getEntries())
      if (e.name.includes('_dash-update-component')) window.__request = e;
  }).observe({type: 'resource'});
  return document.querySelectorAll('.chart .cartesianlayer > .subplot').length;
}
"""
#: Keys of :func:`set_lever`'s answer that time the request rather than a redrawn element.
REQUEST_KEYS = ("request sent", "server and network", "response received")


@dataclass
class RunningServer:
    """An explorer served on 127.0.0.1 in a background thread."""

    address: str
    seconds_to_listen: float
    stop: object = field(repr=False)


@contextmanager
def running_server(scenario_paths: Sequence[Path] = (), lang: str = "en"
                   ) -> Iterator[RunningServer]:
    """Build the app and serve it on a free port of 127.0.0.1 until the block ends."""
    from werkzeug.serving import make_server

    from explorer.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    started = time.perf_counter()
    app = create_app(scenario_paths, lang=lang)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningServer(f"http://127.0.0.1:{server.server_port}/",
                            time.perf_counter() - started, server.shutdown)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def browser():
    """Debian's headless Chromium, driven by Playwright, until the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=list(CHROMIUM_FLAGS))
        try:
            yield launched
        finally:
            launched.close()


def new_page(launched, width: int = 1600, height: int = 1100):
    """(page, requests): a page in a fresh context of ``launched`` (see :func:`browser`)
    and the list of every URL it requested."""
    context = launched.new_context(viewport={"width": width, "height": height},
                                   accept_downloads=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    return page, requests


@contextmanager
def browser_page(width: int = 1600, height: int = 1100):
    """(page, requests): a fresh Chromium page and the list of every URL it requested."""
    with browser() as launched:
        yield new_page(launched, width, height)


def lever_input(page, name: str):
    """The number box of lever ``name``."""
    return page.locator(f"[id='{{\"name\":\"{name}\",\"type\":\"lever\"}}'] input[type=number]")


def wait_ready(page, timeout_ms: float = 60_000) -> None:
    """Until the scorecard and every chart have drawn once."""
    page.wait_for_selector("#verdict-population_2025", timeout=timeout_ms)
    page.wait_for_function(
        "() => document.querySelectorAll('.chart .cartesianlayer > .subplot').length >= 7",
        timeout=timeout_ms)


def set_lever(page, name: str, value: float, timeout_ms: float = 30_000) -> dict[str, float]:
    """Type ``value`` into lever ``name`` and leave the box (which commits it); return per
    element the time [ms] from the commit to its redraw (every chart figure and the
    scorecard), and the request's timing (``REQUEST_KEYS``: sent, server and network from
    sending to the first byte of the answer, answer received)."""
    box = lever_input(page, name)
    box.fill(f"{value:g}")
    box.press("Tab")
    page.wait_for_function(
        "() => { const m = window.__marks; const ids = Object.keys(m);"
        " return window.__t0 > 0 && ids.length >= window.__expected"
        " && ids.every(k => m[k] > window.__t0); }",
        timeout=timeout_ms)
    page.wait_for_load_state("networkidle")
    return page.evaluate("""() => {
      const t0 = window.__t0, r = window.__request;
      const out = Object.fromEntries(Object.entries(window.__marks).map(([k, v]) => [k, v - t0]));
      if (r && r.startTime > t0) {
        out['request sent'] = r.startTime - t0;
        out['server and network'] = r.responseStart - r.startTime;
        out['response received'] = r.responseEnd - t0;
      }
      return out;
    }""")


def median_timings(samples: Sequence[dict[str, float]]) -> dict[str, float]:
    """Median [ms] per element over repeated lever changes, and of the slowest element."""
    keys = sorted(samples[0], key=lambda key: (key in REQUEST_KEYS, key))
    medians = {key: statistics.median(s[key] for s in samples if key in s) for key in keys}
    medians["all (slowest element)"] = statistics.median(
        max(v for k, v in s.items() if k not in REQUEST_KEYS) for s in samples)
    return medians
