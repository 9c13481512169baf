"""The CJK font is chosen the same way whatever order the system lists its fonts in:
sans-serif first, a regular face, and drawing with it logs no findfont warning."""

from __future__ import annotations

import copy
import logging
import random

import pytest

from reports import fonts


@pytest.fixture
def fresh_cache(monkeypatch):
    """A font manager that knows no CJK font yet, as when fonts were installed after
    matplotlib built its cache."""
    from matplotlib import font_manager

    system = font_manager.findSystemFonts()
    stub = copy.copy(font_manager.fontManager)
    stub.ttflist = [entry for entry in font_manager.fontManager.ttflist
                    if not any(marker in entry.fname.lower()
                               for marker in fonts.CJK_FILE_MARKERS)]
    monkeypatch.setattr(font_manager, "fontManager", stub)
    monkeypatch.setattr(font_manager, "findfont", stub.findfont)  # what text drawing calls
    return monkeypatch, system, stub


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_cjk_font_choice_ignores_the_order_fonts_are_found_in(cjk_font, fresh_cache, order,
                                                              caplog):
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    monkeypatch, system, stub = fresh_cache
    listed = sorted(system)
    if order == "reversed":
        listed.reverse()
    elif order == "shuffled":
        random.Random(3).shuffle(listed)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: list(listed))
    family = fonts.find_cjk_font()
    assert family == cjk_font  # the same as with matplotlib's own cache
    assert "Serif" not in family and "Mono" not in family
    faces = [entry for entry in stub.ttflist if entry.name == family]
    assert any(fonts._regular(entry) for entry in faces)
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        with fonts.chart_fonts(family):
            figure = Figure()
            figure.text(0.1, 0.5, "青岛常住人口")
            figure.canvas.draw()
            properties = figure.texts[0].get_fontproperties()
            chosen = font_manager.fontManager.findfont(properties)
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    assert fonts._holds_chinese(chosen) and "Bold" not in chosen and "Serif" not in chosen
