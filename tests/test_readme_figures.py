"""Every figure the README states comes from the commands it quotes: rerun them and
compare each number with the README's at the README's printed precision."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"-?[0-9][0-9,]*(?:\.[0-9]+)?")


def _script():
    spec = importlib.util.spec_from_file_location("make_readme_figures",
                                                  ROOT / "docs" / "make_readme_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _numbers(text: str) -> list[tuple[float, int]]:
    """(value, decimals printed) of every number in ``text``, ignoring years in headers."""
    found = []
    for token in NUMBER.findall(text):
        decimals = len(token.split(".")[1]) if "." in token else 0
        found.append((float(token.replace(",", "")), decimals))
    return found


def test_fill_replaces_marked_figures_and_refuses_unknown_markers():
    script = _script()
    text = "a <!--f:x-->1.0<!--/f--> b <!--f:y-->\n| t |\n<!--/f-->"
    assert script.marked(text) == {"x": "1.0", "y": "\n| t |\n"}
    assert script.fill(text, {"x": "2.5", "y": "| u |"}) == (
        "a <!--f:x-->2.5<!--/f--> b <!--f:y-->| u |<!--/f-->")
    with pytest.raises(script.FigureError, match="'y' has no figure"):
        script.fill(text, {"x": "2.5"})


@pytest.mark.slow
def test_readme_figures_equal_the_commands_output(tmp_path):
    script = _script()
    stated = script.marked(script.README.read_text(encoding="utf-8"))
    computed = script.compute(tmp_path)
    assert set(stated) == set(computed)
    for key, text in stated.items():
        readme, tool = _numbers(text), _numbers(computed[key])
        assert len(readme) == len(tool) > 0, key
        for (value, decimals), (actual, _) in zip(readme, tool, strict=True):
            # the README rounds the tool's number to the decimals it prints
            assert abs(value - actual) <= 0.5 * 10.0 ** -decimals + 1e-9, (key, value, actual)
