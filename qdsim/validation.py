"""One validation layer for everything qdsim reads: files, YAML documents, numbers, options.

Every loader reads its file through :func:`read_text` (a regular file, bounded size, no NUL
bytes, UTF-8 with or without a byte-order mark) and YAML through :func:`load_yaml` (safe
loader; bounded nesting depth and alias expansion, so "billion laughs" documents are
refused; duplicate keys refused; only finite numbers). Commands check their options with
the ``check_*`` functions and hold :func:`exclusive_lock` on their output folder. Every
problem raises an :class:`~qdsim.errors.InputError` (or a plain ``QdsimError`` for
options): one line naming the file, the line and the key.
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qdsim.errors import InputError, QdsimError

#: Largest input text file read (scenario, targets, observations, analysis) [bytes].
MAX_TEXT_BYTES = 8 * 1024 * 1024
#: Deepest nesting of YAML collections accepted.
MAX_YAML_DEPTH = 32
#: Most nodes a YAML document may expand to once aliases are followed.
MAX_YAML_NODES = 100_000
#: Largest integer accepted in YAML (a seed or a year fits easily).
MAX_YAML_INTEGER = 2**63 - 1
#: A file name made from a scenario name: letters, digits, ``_ - .``, matched in full.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


def is_safe_name(name: Any) -> bool:
    """True for a name usable as a file name: the whole text matches :data:`SAFE_NAME`
    (``\\Z``: no trailing newline) and holds no ``..``."""
    return isinstance(name, str) and SAFE_NAME.match(name) is not None and ".." not in name


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not bool) that is finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def read_text(path: Path | str, error: type[InputError] = InputError, *,
              what: str = "file", max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The text of a regular file of at most ``max_bytes``, UTF-8 (a BOM is dropped)."""
    path = Path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise error(path, f"{what} not found") from None
    except OSError as problem:
        raise error(path, f"cannot read the {what}: {problem.strerror or problem}") from None
    if not stat.S_ISREG(status.st_mode):
        raise error(path, f"the {what} is not a regular file")
    if status.st_size > max_bytes:
        raise error(path, f"the {what} is {status.st_size:,} bytes; at most {max_bytes:,}"
                    " are read")
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as problem:
        raise error(path, f"cannot read the {what}: {problem.strerror or problem}") from None
    if len(data) > max_bytes:
        raise error(path, f"the {what} is larger than {max_bytes:,} bytes")
    if b"\x00" in data:
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise error(path, f"the {what} holds a NUL byte: a binary file, not text", line=line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = data[:problem.start].count(b"\n") + 1
        raise error(path, f"the {what} is not UTF-8 text (byte 0x{data[problem.start]:02x}"
                    f" at offset {problem.start}); save it as UTF-8", line=line) from None


class _ValueProblem(Exception):
    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.message, self.line = message, node.start_mark.line + 1


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader with a nesting limit and only finite, bounded numbers."""

    depth = 0
    finite_only = True

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise _ValueProblem(f"nested deeper than {MAX_YAML_DEPTH} levels",
                                    yaml.ScalarNode("tag:yaml.org,2002:null", "", mark, mark))
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if self.finite_only and not math.isfinite(value):
            raise _ValueProblem(f"'{node.value}' is not a finite number", node)
        return value

    def construct_yaml_int(self, node):
        value = super().construct_yaml_int(node)
        if abs(value) > MAX_YAML_INTEGER:
            raise _ValueProblem(f"integer {node.value[:20]} is too large", node)
        return value


_BoundedLoader.add_constructor("tag:yaml.org,2002:float", _BoundedLoader.construct_yaml_float)
_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def _check_tree(node: yaml.Node) -> None:
    """Refuse alias cycles, documents expanding beyond :data:`MAX_YAML_NODES` and
    duplicate keys (PyYAML would silently keep the last)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(current: yaml.Node) -> int:
        key = id(current)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _ValueProblem("an alias refers to itself", current)
        if isinstance(current, yaml.ScalarNode):
            return 1
        active.add(key)
        total = 1
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                    text = f"{key_node.tag}:{key_node.value}"
                    if text in seen:
                        raise _ValueProblem(f"duplicate key '{key_node.value}' (also on line"
                                            f" {seen[text]})", key_node)
                    seen[text] = key_node.start_mark.line + 1
                total += size(key_node) + size(value_node)
                if total > MAX_YAML_NODES:
                    break
        else:
            for child in current.value:
                total += size(child)
                if total > MAX_YAML_NODES:
                    break
        active.discard(key)
        if total > MAX_YAML_NODES:
            raise _ValueProblem(f"the document expands to more than {MAX_YAML_NODES:,} values"
                                " (aliases)", current)
        sizes[key] = total
        return total

    size(node)


@dataclass(frozen=True)
class YamlDocument:
    """A YAML file's data with its node tree (for line numbers)."""

    path: Path
    data: Any
    node: yaml.Node | None


def load_yaml(path: Path | str, error: type[InputError] = InputError, *,
              what: str = "file", finite_only: bool = True) -> YamlDocument:
    """Read ``path`` as one bounded, duplicate-free YAML document of finite numbers.

    ``finite_only=False`` lets ``.nan`` and ``.inf`` through, for files holding records
    (a calibration's fit statistics) whose every input value the caller checks itself.
    """
    path = Path(path)
    text = read_text(path, error, what=what)
    try:
        loader = _BoundedLoader(text)
    except yaml.YAMLError as problem:  # a character YAML does not allow
        raise error(path, f"not YAML text: {str(problem).splitlines()[0]}") from None
    loader.finite_only = finite_only
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_tree(node)
        data = loader.construct_document(node) if node is not None else None
    except _ValueProblem as problem:
        raise error(path, problem.message, line=problem.line) from None
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        message = problem.problem or problem.context or "malformed YAML"
        raise error(path, f"malformed YAML: {message}",
                    line=None if mark is None else mark.line + 1) from None
    except yaml.YAMLError as problem:
        raise error(path, f"malformed YAML: {str(problem).splitlines()[0]}") from None
    except RecursionError:
        raise error(path, f"nested deeper than {MAX_YAML_DEPTH} levels") from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, node)


def key_lines(node: yaml.Node | None) -> dict[str, int]:
    """Line of each key of a mapping node (1-based)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def child_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of ``key`` in a mapping node, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if str(key_node.value) == key:
            return value_node
    return None


# Options ----------------------------------------------------------------------------------

#: Smallest integration step accepted [year]: 20 years at 1/128 year is 2,560 steps.
MIN_TIME_STEP = 1 / 128
MAX_SEED = 2**63 - 1
MAX_SAMPLES = 5_000_000
MAX_WORKERS = 256
SCHEDULER_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)"
                               r":([0-9]{1,5})\Z")


def check_time_step(time_step: float | None, save_period: float = 1.0) -> None:
    """A step in [1/128, save period] [year] that divides the save period, or None."""
    if time_step is None:
        return
    allowed = f"allowed: a divisor of the save period {save_period:g} year, from" \
              f" {MIN_TIME_STEP:g} (e.g. 0.5, 0.25, 0.125)"
    if not math.isfinite(time_step) or not MIN_TIME_STEP <= time_step <= save_period:
        raise QdsimError(f"--time-step {time_step:g}: {allowed}")
    ratio = save_period / time_step
    if abs(ratio - round(ratio)) > 1e-9 * ratio:
        raise QdsimError(f"--time-step {time_step:g}: {allowed}")


def check_count(option: str, value: int, low: int, high: int) -> None:
    """``low <= value <= high`` for an integer option."""
    if not low <= value <= high:
        raise QdsimError(f"{option} {value}: allowed from {low:,} to {high:,}")


def check_seed(seed: int) -> None:
    check_count("--seed", seed, 0, MAX_SEED)


def check_scheduler(address: str | None) -> None:
    """``tcp://HOST:PORT`` or ``tls://HOST:PORT`` with a port from 1 to 65535."""
    if address is None:
        return
    match = SCHEDULER_ADDRESS.match(address)
    if match is None or not 1 <= int(match.group(3)) <= 65535:
        raise QdsimError(f"--scheduler '{address}': expected tcp://HOST:PORT or"
                         " tls://HOST:PORT (port 1-65535)")


def _existing_ancestor(path: Path) -> Path:
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_output_folder(out: Path, option: str = "--out") -> None:
    """``out`` is a folder, or can be created as one, that this user may write."""
    if out.exists() and not out.is_dir():
        raise QdsimError(f"{option} {out}: exists and is not a folder")
    ancestor = _existing_ancestor(out)
    if not ancestor.is_dir():
        raise QdsimError(f"{option} {out}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise QdsimError(f"{option} {out}: no permission to write in {ancestor}")


def check_output_file(out: Path, option: str = "--out") -> None:
    """``out`` is a file (or does not exist) in a folder this user may write."""
    if out.exists() and not out.is_file():
        raise QdsimError(f"{option} {out}: exists and is not a regular file")
    check_output_folder(out.parent, option)


@contextmanager
def exclusive_lock(folder: Path, option: str = "--out") -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (created if missing) while writing into it:
    a second qdsim command writing into the same folder is refused in one line. The lock
    is on the folder itself, so no lock file is left behind; it ends with the process."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as problem:
        raise QdsimError(f"{option} {folder}: cannot use the folder:"
                         f" {problem.strerror or problem}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as problem:
            if problem.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise QdsimError(f"{option} {folder}: another qdsim command is writing there;"
                                 " wait for it to finish or choose another folder") from None
            raise
        remove_stale_temporaries(folder)
        yield
    finally:
        os.close(handle)


#: Temporary names of atomic writes (``.<name>.<8 random>.tmp``) and of a batch store
#: being created (``.batch.zarr.<8 random>``).
_TEMPORARY = re.compile(r"\.(.+\.[A-Za-z0-9_]{8}\.tmp|batch\.zarr\.[A-Za-z0-9_]{8})\Z")


def remove_stale_temporaries(folder: Path) -> int:
    """Remove what a killed qdsim command left in ``folder`` (temporary files and store
    scratch folders of this user). Call it only while holding :func:`exclusive_lock` on
    ``folder``: then no other qdsim command is writing there."""
    removed = 0
    for entry in folder.iterdir() if folder.is_dir() else ():
        if not _TEMPORARY.match(entry.name) or entry.is_symlink():
            continue
        if entry.lstat().st_uid != os.getuid():
            continue
        if entry.is_dir():
            import shutil

            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed


def disk_error(path: Path | str, problem: OSError, what: str = "the file") -> str:
    """One line for a failed write: the path and the reason (disk full, permission)."""
    reason = problem.strerror or str(problem)
    if problem.errno == errno.ENOSPC:
        reason = f"the disk is full ({reason})"
    return f"{path}: cannot write {what}: {reason}; earlier files are left as they were"
