"""docs/scenarios.md is current with the code and the model, and every example in it is a
valid scenario whose uncertain block can be sampled."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from qdsim.sampling import design
from qdsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("make_scenarios_doc",
                                                  ROOT / "docs" / "make_scenarios_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scenarios_doc_is_generated_from_the_current_code_and_model():
    generator = _generator()
    written = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert written == generator.render(), "run python docs/make_scenarios_doc.py"
    from model.parameters import parameter_catalogue
    from qdsim.scenario import TOP_LEVEL_KEYS
    from qdsim.uncertainty import REQUIRED_FIELDS

    for name in parameter_catalogue():
        assert f"| `{name}` |" in written
    for key in TOP_LEVEL_KEYS:
        assert f"- `{key}`:" in written
    assert set(generator.EXAMPLES) == set(REQUIRED_FIELDS)  # an example per distribution


def _examples() -> list[str]:
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    return [block for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
            if block.startswith("name:")]


@pytest.mark.parametrize("index", range(7))
def test_every_example_is_a_valid_scenario(index, tmp_path, scenario_dir):
    examples = _examples()
    assert len(examples) == 7
    text = examples[index].replace("extends: baseline",
                                   f"extends: {scenario_dir / 'baseline.yaml'}")
    path = tmp_path / "example.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    changed = set(re.findall(r"^  (\w+): \{distribution", text, flags=re.M))
    assert changed and changed <= set(scenario.uncertain)
    draws = design(scenario, 16, seed=1)
    for name in changed:
        assert np.isfinite(draws.sampled[name]).all() and len(draws.sampled[name]) == 16
