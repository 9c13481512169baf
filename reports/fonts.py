"""Fonts for the charts: a CJK font for Chinese labels, found among the installed fonts.

English needs no extra font (matplotlib's DejaVu Sans). For ``--lang zh`` a font with
Chinese glyphs is looked up with matplotlib's ``font_manager``; if none is installed the
report stops with one line saying how to install one, rather than drawing boxes.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

from qdsim.errors import QdsimError

log = logging.getLogger(__name__)

#: Font families with Chinese glyphs, best first.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Sans CJK JP", "Noto Sans CJK TC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Droid Sans Fallback", "AR PL UMing CN", "Noto Serif CJK SC", "SimHei", "Microsoft YaHei",
    "PingFang SC", "Heiti SC",
)
#: Parts of font file names that mark a CJK font not yet in matplotlib's font cache.
CJK_FILE_MARKERS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "droidsansfallback",
                    "uming", "ukai", "simhei", "msyh", "pingfang")
INSTALL_HINT = "apt-get install fonts-noto-cjk"
#: A few characters every Chinese chart uses; the font must hold all of them.
PROBE_TEXT = "青岛常住人口万亿元"


class FontMissingError(QdsimError):
    """No installed font can draw Chinese labels."""


def _holds_chinese(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
        return all(font.get_char_index(ord(character)) for character in PROBE_TEXT)
    except (OSError, RuntimeError, ValueError):
        return False


def _family_from_cache() -> str | None:
    from matplotlib import font_manager

    by_name = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in by_name and _holds_chinese(by_name[family]):
            return family
    return None


def _family_from_files() -> str | None:
    """Add CJK fonts installed after matplotlib built its cache, and return one's name."""
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        if any(marker in Path(path).name.lower() for marker in CJK_FILE_MARKERS):
            if not _holds_chinese(path):
                continue
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def find_cjk_font() -> str | None:
    """Family name of an installed font with Chinese glyphs, or None."""
    return _family_from_cache() or _family_from_files()


def require_font(lang: str) -> str | None:
    """The CJK family to use for ``lang`` (None for English); raises when zh has none."""
    if lang != "zh":
        return None
    family = find_cjk_font()
    if family is None:
        raise FontMissingError(f"--lang zh: no font with Chinese glyphs is installed; install"
                               f" one (e.g. `{INSTALL_HINT}`) or use --lang en")
    log.info("Chinese labels drawn with %s", family)
    return family


def chart_style(cjk_family: str | None) -> dict[str, object]:
    """matplotlib settings for the charts, with ``cjk_family`` first when given."""
    families = ["DejaVu Sans"] if cjk_family is None else [cjk_family, "DejaVu Sans"]
    return {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "axes.unicode_minus": cjk_family is None,
        "svg.fonttype": "path",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "font.size": 10,
    }


@contextmanager
def chart_fonts(cjk_family: str | None):
    """Apply ``chart_style`` while the block draws charts."""
    import matplotlib

    with matplotlib.rc_context(chart_style(cjk_family)):
        yield


def ensure_family(cjk_family: str | None) -> None:
    """Make ``cjk_family`` known to matplotlib in this process (a fresh worker may not have
    the fonts added with ``addfont`` in its parent)."""
    if cjk_family is None:
        return
    from matplotlib import font_manager

    if not any(entry.name == cjk_family for entry in font_manager.fontManager.ttflist):
        find_cjk_font()
