"""The HTML report in headless Chromium: every image loads, the page is not blank, and the
file needs no network.

Skipped only when Chromium is absent and this is not CI; in CI (``CI`` set) it must run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run")
#: Appended to a copy of the page: on load, record each image's state and natural size.
IMAGE_PROBE = (
    "<script>window.addEventListener('load', function () {"
    " var found = Array.from(document.images).map(function (image) {"
    " return [image.complete, image.naturalWidth, image.naturalHeight]; });"
    " var out = document.createElement('pre'); out.id = 'image-probe';"
    " out.textContent = JSON.stringify(found); document.body.appendChild(out); });</script>")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on the CI machine; .ci/run installs it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return path


def _run(chromium: str, profile, *arguments: str) -> str:
    completed = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                *arguments], capture_output=True, text=True, timeout=120,
                               check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def _loaded_images(chromium: str, report, tmp_path) -> list[list]:
    page = (report / "report.html").read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", IMAGE_PROBE + "</body>"), encoding="utf-8")
    dom = _run(chromium, tmp_path / "profile", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="image-probe">(.*?)</pre>', dom, re.S)
    assert found, "the probe did not run"
    return json.loads(found.group(1))


@pytest.mark.parametrize("report_name", ["mixed_report", "chinese_report"])
def test_every_image_loads_and_the_page_is_not_blank(report_name, request, chromium, tmp_path):
    report = request.getfixturevalue(report_name)
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    images = _loaded_images(chromium, report, tmp_path)
    assert len(images) == len(manifest["charts"])
    assert all(complete and width > 100 and height > 100 for complete, width, height in images)

    screenshot = tmp_path / "page.png"
    _run(chromium, tmp_path / "profile", f"--screenshot={screenshot}",
         "--window-size=1200,3000", (report / "report.html").as_uri())
    with Image.open(screenshot) as image:
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.shape == (3000, 1200)
    assert pixels.std() > 20  # a blank or single-colour page has almost none
    assert (pixels < 128).mean() > 0.01  # some dark ink: text, lines


@pytest.mark.parametrize("report_name", ["single_report", "chinese_report"])
def test_html_is_self_contained(report_name, request):
    page = (request.getfixturevalue(report_name) / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count('src="data:image/png;base64,') >= 10


def test_html_holds_scorecard_tables_assumptions_and_provenance(mixed_report, batch_file):
    from qdsim.outputs import read_results

    page = (mixed_report / "report.html").read_text(encoding="utf-8")
    results = read_results(batch_file)
    for section in ("scorecard", "charts", "tables", "assumptions", "observations",
                    "provenance"):
        assert f'id="{section}"' in page
    assert results.attrs["model_sha256"] in page
    for digest in results["scenario_sha256"].to_numpy():
        assert str(digest) in page
    assert "tfp_growth_rate" in page and "sampled (median, 5%-95%)" in page
    assert "cny_per_usd" in page  # the baseline's exchange-rate path, from the results
    assert ">7<" in page  # the batch's seed
