"""The message catalogue: every sentence is a template id plus its numbers, in both
languages; the plan check's sentences follow the targets file, not hard-coded figures."""

from __future__ import annotations

import re
import string
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from cli import app
from qdsim.messages import TEXT, message
from qdsim.plan_check import check_plan
from qdsim.targets import load_targets

TARGETS = {t.id: t for t in load_targets()}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_of_each_template_take_the_same_numbers():
    for key, (zh, en) in TEXT.items():
        assert _fields(zh) <= _fields(en) | {"name"}, key  # zh may name the target too
        assert _fields(en) <= _fields(zh) | {"name"}, key


def test_plan_check_sentences_take_their_figures_from_the_targets(plan):
    changed = dict(TARGETS)
    changed["population_2025"] = replace(TARGETS["population_2025"], value=10_500_000)
    changed["gdp_growth_2021_2025"] = replace(TARGETS["gdp_growth_2021_2025"], value=0.06)
    changed["labour_productivity_2025"] = replace(TARGETS["labour_productivity_2025"],
                                                  value=240_000)
    changed["new_urban_jobs_2021_2025"] = replace(TARGETS["new_urban_jobs_2021_2025"],
                                                  value=1_500_000)
    checks = check_plan(plan, changed)
    english = " ".join(f"{c.name} {c.explanation}" for c in checks)
    chinese = " ".join(" ".join(c.text("zh")) for c in checks)
    for figure in ("7%", "25万元", "1100万", "175万"):
        restated = re.compile(r"(?<![\d.])" + figure)
        assert not restated.search(english) and not restated.search(chinese), figure
    for figure in ("6% growth", "24万元 per worker", "1050万 residents", "150万 new jobs"):
        assert figure in english
    for figure in ("年均增长6%", "24万元/人", "1050万常住人口", "城镇新增就业150万人"):
        assert figure in chinese
    assert all(c.explanation == c.text("en")[1] and c.name == c.text("en")[0] for c in checks)


def test_chinese_commands_leave_no_english_sentence(scenario_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(scenario_dir / "plan.yaml"), "--out",
                                 str(tmp_path), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert f"已写入2个文件到{tmp_path}" in result.output and "wrote" not in result.output
    assert "2035年前" in result.output and "by 2035" not in result.output
    assert message("by_year", "en", year=2035) == "by 2035"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_solver_notes_render_from_their_ids(lang):
    note = message("note_crossings", lang, count=3)
    assert re.search(r"\b3\b|3次", note)
