"""Saved analyses are strict JSON: a NaN index is written as null and read back as NaN."""

from __future__ import annotations

import json
import math

import numpy as np

from qdsim.analysis_files import SensitivityFile, save_analysis
from reports.analysis_inputs import number, read_analysis


def _strict(text: str):
    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_sensitivity_with_nan_indices_is_written_as_null_and_read_back(tmp_path):
    nan = float("nan")
    path = tmp_path / "sensitivity.json"
    save_analysis(SensitivityFile(
        attrs={"scenario": "plan", "target": "t", "variable": "x"},
        factors=["a", "b"], years=[2015, 2035],
        S1=[nan, 0.5], S1_conf=[np.float64(nan), 0.1], ST=[nan, 0.6],
        ST_conf=[0.0, np.inf], ST_by_year=[[nan, nan], [0.2, 0.7]],
        ST_conf_by_year=[[nan, nan], [0.1, 0.1]]), path)
    text = path.read_text(encoding="utf-8")
    document = _strict(text)  # fails on a bare NaN or Infinity
    assert document["S1"] == [None, 0.5] and document["ST_conf"] == [0.0, None]
    assert document["S1_conf"] == [None, 0.1]
    analysis = read_analysis(path)
    assert math.isnan(number(analysis.document["ST_by_year"][0][1]))
    assert number(analysis.document["ST_by_year"][1][1]) == 0.7
