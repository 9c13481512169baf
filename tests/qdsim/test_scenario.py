"""Scenario loading: the shipped files load; every kind of bad input names file, line, key."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdsim.errors import ScenarioError
from qdsim.scenario import load_scenario, load_scenarios

GOOD = """\
name: {name}
title: {{zh: 测试, en: Test}}
description: A test scenario.
{extra}
"""


def write(folder: Path, filename: str, text: str) -> Path:
    path = folder / filename
    path.write_text(text, encoding="utf-8")
    return path


def scenario_text(name: str = "test", extra: str = "") -> str:
    return GOOD.format(name=name, extra=extra)


def error_of(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value


def test_every_shipped_scenario_loads_with_titles_in_both_languages(scenario_dir):
    files = sorted(scenario_dir.glob("*.yaml"))
    assert len(files) >= 6
    scenarios = load_scenarios(files)
    assert {s.name for s in scenarios} >= {"baseline", "plan"}
    for scenario in scenarios:
        assert scenario.title_zh and scenario.title_en and scenario.description
        assert scenario.path.stem == scenario.name


def test_extends_merges_parent_then_child(tmp_path):
    write(tmp_path, "parent.yaml", scenario_text("parent", "parameters:\n"
          "  tfp_growth_rate: 0.02\n  investment_share: 0.4\n"))
    child = write(tmp_path, "child.yaml", scenario_text("child", "extends: parent\n"
                  "parameters:\n  investment_share: {2020: 0.4, 2030: 0.3}\n"))
    scenario = load_scenario(child)
    assert scenario.parameters["tfp_growth_rate"] == 0.02
    assert scenario.parameters["investment_share"] == ((2020.0, 0.4), (2030.0, 0.3))
    assert scenario.chain == (child.resolve(), (tmp_path / "parent.yaml").resolve())


def test_scenario_is_immutable_and_hash_tracks_parameters(tmp_path):
    first = load_scenario(write(tmp_path, "a.yaml", scenario_text(
        "a", "parameters:\n  tfp_growth_rate: 0.02\n")))
    second = load_scenario(write(tmp_path, "b.yaml", scenario_text(
        "a", "parameters:\n  tfp_growth_rate: 0.021\n")))
    with pytest.raises(TypeError):
        first.parameters["tfp_growth_rate"] = 0.5
    with pytest.raises(AttributeError):
        first.name = "other"
    assert first.sha256() != second.sha256()
    assert first.sha256() == load_scenario(tmp_path / "a.yaml").sha256()


@pytest.mark.parametrize(("extra", "line", "key", "fragment"), [
    ("parameters:\n  tfp_growth_rat: 0.02\n", 5, "tfp_growth_rat",
     "did you mean 'tfp_growth_rate'"),
    ("parameters:\n  tfp_growth_rate: fast\n", 5, "tfp_growth_rate", "expected a number"),
    ("parameters:\n  tfp_growth_rate: true\n", 5, "tfp_growth_rate", "expected a number"),
    ("parameters:\n  tfp_growth_rate: 0.5\n", 5, "tfp_growth_rate",
     "outside the allowed range [-0.05, 0.1]"),
    ("parameters:\n  tfp_growth_rate:\n    2025: 0.02\n    2021: 0.03\n", 7,
     "tfp_growth_rate", "path years must increase"),
    ("parameters:\n  tfp_growth_rate:\n    2021: 0.02\n    2025: 0.9\n", 7,
     "tfp_growth_rate", "outside the allowed range"),
    ("parameters:\n  initial_population: {2015: 9e6, 2020: 1e7}\n", 5, "initial_population",
     "start value takes a single number"),
    ("parameters: [1, 2]\n", 4, "parameters", "expected a mapping"),
    ("paramters:\n  tfp_growth_rate: 0.02\n", 4, "paramters", "did you mean 'parameters'"),
    ("uncertain:\n  tfp_growth_rate: {distribution: uniform, low: 0.03, high: 0.01}\n", 5,
     "tfp_growth_rate", "'low' must be below 'high'"),
    ("uncertain:\n  tfp_growth_rate: {distribution: gauss, mean: 0.02}\n", 5,
     "tfp_growth_rate", "distribution 'gauss' unknown"),
    ("uncertain:\n  tfp_growth_rate: {distribution: uniform, low: 0.0, high: 0.5}\n", 5,
     "tfp_growth_rate", "outside the allowed range"),
])
def test_bad_parameters_name_file_line_and_key(tmp_path, extra, line, key, fragment):
    path = write(tmp_path, "bad.yaml", scenario_text("bad", extra))
    error = error_of(path)
    assert error.path == str(path.resolve())
    assert error.line == line
    assert error.key == key
    assert fragment in error.message
    assert "\n" not in str(error)


def test_malformed_yaml_gives_the_line(tmp_path):
    path = write(tmp_path, "broken.yaml", "name: broken\ntitle: {zh: a, en: b\n"
                 "description: x\n")
    error = error_of(path)
    assert "malformed YAML" in error.message
    assert error.line in (2, 3, 4)


def test_yaml_is_read_safely(tmp_path):
    path = write(tmp_path, "unsafe.yaml", "name: !!python/object/apply:os.system ['echo hi']\n")
    assert "malformed YAML" in error_of(path).message


def test_missing_file(tmp_path):
    error = error_of(tmp_path / "nowhere.yaml")
    assert error.message == "file not found"


def test_missing_parent(tmp_path):
    path = write(tmp_path, "orphan.yaml", scenario_text("orphan", "extends: ghost\n"))
    error = error_of(path)
    assert error.key == "extends" and error.line == 4 and "not found" in error.message


def test_cycle_in_extends(tmp_path):
    write(tmp_path, "a.yaml", scenario_text("a", "extends: b\n"))
    write(tmp_path, "b.yaml", scenario_text("b", "extends: a\n"))
    error = error_of(tmp_path / "a.yaml")
    assert "cycle in extends: a.yaml -> b.yaml -> a.yaml" in error.message
    assert error.key == "extends"


@pytest.mark.parametrize("name", ["../x", "/etc/y", "a/b", "..", "", "x" * 65, "-dash"])
def test_unsafe_scenario_names_are_refused(tmp_path, name):
    path = write(tmp_path, "unsafe_name.yaml", scenario_text(repr(name)))
    error = error_of(path)
    assert error.key == "name" and error.line == 1
    assert "not a safe file name" in error.message


def test_title_needs_both_languages(tmp_path):
    path = write(tmp_path, "t.yaml", "name: t\ntitle: {en: only}\ndescription: d\n")
    error = error_of(path)
    assert error.key == "title" and error.line == 2


def test_duplicate_names_across_files(tmp_path):
    first = write(tmp_path, "one.yaml", scenario_text("same"))
    second = write(tmp_path, "two.yaml", scenario_text("same"))
    with pytest.raises(ScenarioError, match="also used by"):
        load_scenarios([first, second])


def test_relative_changes_apply_to_the_inherited_value(tmp_path):
    write(tmp_path, "parent.yaml", scenario_text("parent", "parameters:\n"
          "  tfp_growth_rate: 0.02\n  investment_share: {2020: 0.4, 2030: 0.3}\n"))
    child = write(tmp_path, "child.yaml", scenario_text("child", "extends: parent\n"
                  "parameters:\n  tfp_growth_rate: {shift: 0.01, start: 2020, full: 2022}\n"
                  "  investment_share: {scale: 0.5}\n"
                  "  total_fertility_rate: {scale: 0.5, full: 2025}\n"))
    scenario = load_scenario(child)
    assert scenario.parameters["tfp_growth_rate"] == ((2020.0, 0.02), (2022.0, 0.03))
    assert scenario.parameters["investment_share"] == ((2020.0, 0.2), (2030.0, 0.15))
    # No inherited value in the files: the model's default (1.1) is the base.
    assert scenario.parameters["total_fertility_rate"] == ((2024.0, 1.1), (2025.0, 0.55))


def test_relative_change_out_of_range_or_malformed(tmp_path):
    too_far = write(tmp_path, "far.yaml", scenario_text("far", "parameters:\n"
                    "  tfp_growth_rate: {shift: 0.5, full: 2022}\n"))
    error = error_of(too_far)
    assert error.line == 5 and "outside the allowed range" in error.message
    both = write(tmp_path, "both.yaml", scenario_text("both", "parameters:\n"
                 "  tfp_growth_rate: {shift: 0.01, scale: 2}\n"))
    assert "one of 'shift' or 'scale'" in error_of(both).message
