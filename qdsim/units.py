"""Planners' display units: the model computes in base units, tables and plots show these.

Each entry maps a model unit to (Chinese label, English label, factor); the display value
is the model value times the factor.
"""

from __future__ import annotations

DISPLAY_UNITS: dict[str, tuple[str, str, float]] = {
    "person": ("万人", "10k persons", 1e-4),
    "CNY": ("亿元", "100 million yuan", 1e-8),
    "CNY/person": ("万元/人", "10k yuan/person", 1e-4),
    "USD/person": ("美元/人", "USD/person", 1.0),
    "fraction": ("%", "%", 100.0),
    "dwelling": ("万套", "10k units", 1e-4),
    "tce": ("万吨标准煤", "10k tce", 1e-4),
    "tCO2": ("万吨CO2", "10k tCO2", 1e-4),
    "m2": ("万平方米", "10k m²", 1e-4),
    "m2/person": ("平方米/人", "m²/person", 1.0),
    "tce/CNY": ("吨标准煤/万元", "tce/10k yuan", 1e4),
    "tCO2/CNY": ("吨CO2/万元", "tCO2/10k yuan", 1e4),
    "year": ("年", "year", 1.0),
    "dmnl": ("指数", "index", 1.0),
    "person/year": ("万人/年", "10k persons/year", 1e-4),
    "1/year": ("%/年", "%/year", 100.0),
}


def display(unit: str, lang: str = "en") -> tuple[str, float]:
    """(label, factor) for showing a value in ``unit``; unknown units show as they are."""
    zh, en, factor = DISPLAY_UNITS.get(unit, (unit, unit, 1.0))
    return (zh if lang == "zh" else en), factor
