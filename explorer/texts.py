"""Words on the explorer page, in Chinese and English.

Every phrase comes from the project's one catalogue (``qdsim/messages.py``) through
``adapter.label``, the page's own words included.
"""

from __future__ import annotations

from explorer import adapter

LANGUAGES = ("zh", "en")


def text(key: str, lang: str) -> str:
    """The phrase ``key`` in ``lang`` from the project's one catalogue (qdsim/messages.py),
    where the page's own words (buttons, lever panel, sectors) stand beside the reports'."""
    return adapter.label(key, lang)


def check_language(lang: object) -> str:
    """``lang`` if it is zh or en, else en (a tampered value never reaches a lookup)."""
    return lang if lang in LANGUAGES else "en"
