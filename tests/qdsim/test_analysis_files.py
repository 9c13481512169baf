"""One schema per analysis file kind: what the writer saves, the reader takes back;
non-finite numbers are saved as null; a file that breaks its schema is refused in one line."""

from __future__ import annotations

import json
import math

import pytest

from qdsim.analysis_files import (
    KINDS,
    AnalysisFile,
    FrontierFile,
    SensitivityFile,
    read_analysis_file,
    save_analysis,
)
from qdsim.errors import ResultsError


def _sensitivity() -> SensitivityFile:
    return SensitivityFile.model_validate({
        "attrs": {"scenario": "plan", "target": "population_2025", "variable": "population",
                  "runs": 24},
        "factors": ["a", "b"], "years": [2015, 2016],
        "S1": [0.5, math.nan], "S1_conf": [0.1, math.nan], "ST": [0.6, math.nan],
        "ST_conf": [0.1, math.nan], "ST_by_year": [[math.nan, math.nan], [0.2, 0.8]],
        "ST_conf_by_year": [[math.nan, math.nan], [0.1, 0.1]]})


def test_the_kinds_are_registered_in_report_order():
    assert KINDS == ("solve", "frontier", "sensitivity", "attribution", "plan_check")
    assert all(issubclass(AnalysisFile.kinds[kind], AnalysisFile) for kind in KINDS)


def test_saved_file_reads_back_as_the_same_record_with_null_for_nan(tmp_path):
    record = _sensitivity()
    path = tmp_path / "sensitivity.json"
    save_analysis(record, path)
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text
    document = json.loads(text)
    assert document["S1"] == [0.5, None] and document["ST_by_year"][0] == [None, None]
    assert len(document["model_sha256"]) == 64
    back = read_analysis_file(path, document)
    assert isinstance(back, SensitivityFile)
    assert (back.target_id, back.scenario_name) == ("population_2025", "plan")
    assert back.attrs.model_extra == {"runs": 24}


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("varied"), "'varied'"),
    (lambda d: d["varied"].reverse(), "'varied' must name the table's columns in order"),
    (lambda d: d["table"]["b (shift)"].append(1.0), "lists of one length"),
    (lambda d: d["table"]["b (shift)"].__setitem__(0, True), "'table.b (shift).0'"),
])
def test_a_file_that_breaks_its_schema_is_refused_in_one_line(tmp_path, change, message):
    document = FrontierFile.model_validate({
        "scenario": "plan", "target": "population_2025",
        "varied": [{"parameter": "a", "mode": "value"}, {"parameter": "b", "mode": "shift"}],
        "table": {"a (value)": [1.0, 2.0], "b (shift)": [0.1, None]}}).model_dump()
    document["model_sha256"] = "0" * 64
    change(document)
    with pytest.raises(ResultsError) as raised:
        read_analysis_file(tmp_path / "frontier.json", document)
    line = str(raised.value)
    assert "\n" not in line and "not a complete 'frontier' analysis" in line and message in line
