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

#: Font families with Chinese glyphs, best first: sans-serif (黑体) before serif (宋体/明体).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Sans CJK JP", "Noto Sans CJK TC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Droid Sans Fallback", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
    "Noto Serif CJK SC", "AR PL UMing CN",
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


def _regular(entry) -> bool:
    """A regular (not bold, not italic) face: what the charts' normal text is drawn in."""
    from matplotlib import font_manager

    weight = entry.weight
    if isinstance(weight, str):
        weight = font_manager.weight_dict.get(weight, 400)
    return entry.style == "normal" and weight <= 500


def _family_from_cache() -> str | None:
    """The first of ``CJK_FAMILIES`` matplotlib knows in a regular face with Chinese glyphs
    (the order of the list decides, never the order fonts were found in)."""
    from matplotlib import font_manager

    regular: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        if _regular(entry):
            regular.setdefault(entry.name, entry.fname)
    for family in CJK_FAMILIES:
        if family in regular and _holds_chinese(regular[family]):
            return family
    return None


def _add_font_files() -> None:
    """Add the CJK font files installed after matplotlib built its cache, all of them and
    in sorted order, so the choice among them is ``_family_from_cache``'s."""
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in sorted(font_manager.findSystemFonts()):
        if path in known or not any(marker in Path(path).name.lower()
                                    for marker in CJK_FILE_MARKERS):
            continue
        if _holds_chinese(path):
            font_manager.fontManager.addfont(path)


def find_cjk_font() -> str | None:
    """Family name of an installed font with Chinese glyphs, or None: the first of
    ``CJK_FAMILIES`` (sans-serif first) with a regular face, the same in every process."""
    family = _family_from_cache()
    if family is None:
        _add_font_files()
        family = _family_from_cache() or _other_family()
    return family


def _other_family() -> str | None:
    """A CJK family not in ``CJK_FAMILIES`` (regular face), sans-serif first, then by name."""
    from matplotlib import font_manager

    names = sorted({entry.name for entry in font_manager.fontManager.ttflist
                    if _regular(entry) and any(marker in Path(entry.fname).name.lower()
                                               for marker in CJK_FILE_MARKERS)
                    and _holds_chinese(entry.fname)},
                   key=lambda name: ("Sans" not in name, "Mono" in name, name))
    return names[0] if names else None


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
        _add_font_files()
