"""The HTML report in headless Chromium: every image loads, the page is not blank, and the
file needs no network; assumptions say where each value was set, provenance which
calibration each scenario inherits.

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

from qdsim.outputs import read_results, write_netcdf
from reports.assumptions import parameter_catalogue_or_empty, scenario_assumptions
from reports.inputs import read_report_inputs

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


@pytest.mark.parametrize("report_name", ["mixed_report", "chinese_report", "analysis_report",
                                         "analysis_report_zh"])
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


def test_origins_appear_in_the_assumptions_table(single_report, single_results, plan):
    inputs = read_report_inputs(single_results[:2])
    rows = {row.parameter: row for row in scenario_assumptions(
        inputs, "plan", parameter_catalogue_or_empty(), "en")}
    assert rows["tfp_growth_rate"].origin == plan.origins["tfp_growth_rate"]
    assert re.fullmatch(r"plan\.yaml:\d+", rows["tfp_growth_rate"].origin)
    assert re.fullmatch(r"calibrated\.yaml:\d+", rows["job_destruction_rate"].origin)
    assert re.fullmatch(r"baseline\.yaml:\d+", rows["cny_per_usd"].origin)
    page = (single_report / "report.html").read_text(encoding="utf-8")
    assert f'<td class="unit">{plan.origins["tfp_growth_rate"]}</td>' in page


def test_results_without_origins_or_calibration_still_report(single_results, tmp_path):
    from reports.build import _provenance

    old = read_results(single_results[1]).drop_vars(["scenario_origins",
                                                     "scenario_calibration"])
    write_netcdf(old, tmp_path / "old.nc")
    inputs = read_report_inputs([single_results[0], tmp_path / "old.nc"])  # old with new
    catalogue = parameter_catalogue_or_empty()
    origins = {row.origin for row in scenario_assumptions(inputs, "plan", catalogue, "en")}
    assert origins == {"set in the scenario file"}
    assert any(row.origin.startswith("calibrated.yaml:") for row in scenario_assumptions(
        inputs, "baseline", catalogue, "en"))
    provenance = _provenance(inputs, "en", "now")
    assert "do not record a calibration (written by an earlier qdsim): plan" in provenance
    assert "calibrated.yaml" in provenance and "Warning" not in provenance


def test_a_calibration_from_another_model_is_warned_about(single_results, tmp_path):
    from reports.build import _provenance, calibration_warnings

    dataset = read_results(single_results[0])
    record = json.loads(str(dataset["scenario_calibration"].values[0]))
    assert record["model_sha256"] == dataset.attrs["model_sha256"]  # shipped: consistent
    record["model_sha256"] = "a" * 64
    dataset = dataset.assign_coords(scenario_calibration=("scenario", [json.dumps(record)]))
    write_netcdf(dataset, tmp_path / "stale.nc")
    inputs = read_report_inputs([tmp_path / "stale.nc"])
    (warning,) = calibration_warnings(inputs, "en")
    assert "another version of the model file" in warning and "aaaaaaaaaaaa" in warning
    assert '<p class="warning"><strong>Warning:</strong>' in _provenance(inputs, "en", "now")
    assert calibration_warnings(read_report_inputs(single_results[:1]), "en") == []
