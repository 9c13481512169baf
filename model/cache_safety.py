"""Caches whose content is later executed (PySD's translation, the ensemble engine's
specification, which holds the code it compiles) are used only when nobody else could
have written them.

The cache folder (``$QDSIM_CACHE`` or ``$XDG_CACHE_HOME/qdsim``) must belong to this user
and not be writable by group or others; otherwise a private temporary folder is used for
this process. Each cached file is written with a ``.sha256`` file beside it, and read back
only when both are regular files of this user, not writable by others, and the content
still has that hash.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
_fallback: Path | None = None


def configured_root() -> Path:
    """``$QDSIM_CACHE``, else ``$XDG_CACHE_HOME/qdsim`` (``~/.cache/qdsim``)."""
    explicit = os.environ.get("QDSIM_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qdsim"


def _owned_and_closed(path: Path, kind: int) -> bool:
    """True when ``path`` (not a link) is of ``kind``, ours and not group/other-writable."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return (stat.S_IFMT(status.st_mode) == kind and status.st_uid == os.getuid()
            and not status.st_mode & 0o022)


def is_private_folder(path: Path) -> bool:
    return _owned_and_closed(path, stat.S_IFDIR)


def cache_root() -> Path:
    """The cache folder, created private (0700) if missing; a private temporary folder
    (removed at exit) when the configured one belongs to someone else or others may write
    into it."""
    global _fallback
    root = configured_root()
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        pass
    if is_private_folder(root):
        return root
    if _fallback is None:
        _fallback = Path(tempfile.mkdtemp(prefix="qdsim-cache-"))
        atexit.register(shutil.rmtree, _fallback, True)
        log.warning("cache folder %s is not private to this user; using %s for this run",
                    root, _fallback)
    return _fallback


def _digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def record_digest(path: Path) -> None:
    """Write ``<path>.sha256`` for a file just written into a private folder."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    _digest_path(path).write_text(digest, encoding="ascii")


def write_trusted(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (mode 0600, atomically) and its digest beside it."""
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, suffix=".tmp",
                                     delete=False) as handle:
        handle.write(content)
    os.replace(handle.name, path)
    record_digest(path)


def read_trusted(path: Path) -> bytes | None:
    """The content of a cached file, or None when it is missing or cannot be trusted
    (folder or file not ours or writable by others, a link, or a changed content)."""
    path = Path(path)
    digest_file = _digest_path(path)
    if not path.exists():
        return None
    if not digest_file.exists():
        log.info("cache file %s has no digest; it is made again", path)
        return None
    if not (is_private_folder(path.parent) and _owned_and_closed(path, stat.S_IFREG)
            and _owned_and_closed(digest_file, stat.S_IFREG)):
        log.warning("ignoring cache file %s: not this user's or writable by others", path)
        return None
    try:
        content = path.read_bytes()
        recorded = digest_file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if hashlib.sha256(content).hexdigest() != recorded:
        log.warning("ignoring cache file %s: its content changed since it was written", path)
        return None
    return content
