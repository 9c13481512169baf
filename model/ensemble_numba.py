"""The ensemble engine's compiled path: the generated code as one numba function.

The numpy path evaluates each equation on a whole chunk of runs at once, so every one of
its ~250 operations per time step pays numpy's call overhead (about a microsecond) and
streams its arrays through memory. This path writes the same statements (the same
:class:`model.ensemble_codegen.CodePlan`) as scalar code inside two loops, over the runs
and, inside, over the time steps, and compiles it with numba: one run's state stays in
registers, and a call costs microseconds, so small ensembles (calibration's 42 walkers, the
explorer's single run) gain most, and large ones gain too.

Each operation is the one numpy performs (IEEE double precision, the same order of
operations, numpy's NaN rules for minimum and maximum), so results equal the numpy path
and PySD to about 1e-13 relative: numba's exp and power come from the C library, numpy's
vectorised ones can round differently in the last bit.

Subscripted models run too: :mod:`model.ensemble_numba_code` rewrites the statements for
one run (the arrays without their ensemble axis). The constructs compiled are INTEG,
INITIAL, DELAY FIXED, SMOOTH, TREND, FORECAST, lookups (subscripted ones too), the scalar
builtins and SUM / PROD / VMIN / VMAX; :class:`NotCompilable` names anything else (the
material delays DELAY1 / DELAY3 / DELAY N, a DELAY FIXED with a delay time per element),
and the engine then runs the numpy path.
The generated module is written into the cache folder (``model/cache_safety.py``) and
compiled with ``cache=True``, so numba's machine code is kept beside it, in
``__pycache__``: compiling takes seconds once; later processes load it in milliseconds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sys
import threading
from pathlib import Path

import numpy as np

from . import cache_safety
from .ensemble_codegen import CodePlan
from .ensemble_numba_code import HELPERS_SOURCE, KernelCode, NotCompilable, reduction_source
from .ensemble_spec import ModelSpecification

log = logging.getLogger(__name__)
_loading = threading.Lock()  # one kernel module imported at a time (they register first)

__all__ = ["NotCompilable", "compiled_simulator", "kernel_is_cached", "kernel_source"]

try:  # numba is optional: without it the engine runs the numpy path
    import numba  # noqa: F401

    NUMBA_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the installation
    NUMBA_AVAILABLE = False

SIGNATURE = ("void(float64[::1], int64[::1], int64[::1], float64[::1], int64[:, ::1], "
             "float64[::1], float64, int64[::1], int64[::1], float64[:, :, ::1])")


def _indent(code: str, depth: int) -> str:
    return "".join("    " * depth + line + "\n" for line in code.splitlines() if line)


def _constant_lines(spec: ModelSpecification, plan: CodePlan) -> list[str]:
    """Statements reading each constant of run ``_i`` (see :func:`kernel_source`)."""
    series = {name: index for index, name in enumerate(plan.time_varying)}
    lines = []
    for index, name in enumerate(plan.constants):
        shape = tuple(len(spec.ranges[dimension])
                      for dimension in spec.dimensions.get(name, ()))
        start = f"_offset[{index}] + _i * _stride[{index}]"
        if name in series:
            number = series[name]
            lines += [f"        _run_{number} = _series_place[{number}, 0] + _i * "
                      f"_series_place[{number}, 2]",
                      f"        {name} = _series[_run_{number}]"]
        elif shape:
            cells = int(np.prod(shape))
            lines.append(f"        {name} = _values[{start}:{start} + {cells}].reshape({shape!r})")
        else:
            lines.append(f"        {name} = _values[{start}]")
    return lines


def _module_constants(spec: ModelSpecification, plan: CodePlan) -> list[str]:
    """Lookup tables and fixed helper arrays as constant arrays of the kernel's module."""
    lines = []
    for name in plan.tables:
        if name in spec.lookup_arrays:
            tables = spec.lookup_arrays[name]
            if any(table is None for table in tables):
                raise NotCompilable(f"the subscripted lookup {name} with undefined elements")
            cells = [spec.tables[table] for table in tables if table is not None]
            every_x = [float(x) for xs, _ in cells for x in xs]
            every_y = [float(y) for _, ys in cells for y in ys]
            starts = np.cumsum([0] + [len(xs) for xs, _ in cells])
            lines += [f"{name}__xs = np.array({every_x!r})",
                      f"{name}__ys = np.array({every_y!r})",
                      f"{name}__starts = np.array({starts.tolist()!r}, dtype=np.int64)"]
            continue
        xs, ys = spec.tables[name]
        lines.append(f"{name}__xs = np.array({[float(x) for x in xs]!r})")
        lines.append(f"{name}__ys = np.array({[float(y) for y in ys]!r})")
    for name in plan.arrays:  # shape (*dims, 1): the ensemble axis is dropped
        lines.append(f"{name} = np.ascontiguousarray(np.array({spec.arrays[name]!r})[..., 0])")
    return lines


def kernel_source(spec: ModelSpecification, plan: CodePlan) -> str:
    """Source of a module defining ``kernel``: ``plan`` for each run of a chunk.

    ``kernel(values, offset, stride, series, series_place, times, dt, record_start,
    record_index, out)``: constant number c (``plan.constants`` order) of run i starts at
    ``values[offset[c] + i * stride[c]]`` (stride 0 for a value shared by all runs), its
    cells in C order for a subscripted constant; time-varying constant number s
    (``plan.time_varying`` order) is ``series[offset + k * step + i * run]`` at step k,
    with ``offset, step, run = series_place[s]`` (a stride 0 for a value that does not
    change with the step or the run);
    column number c at ``times[k]`` goes to ``out[position, j, i]`` for ``j in
    record_index[record_start[k]:record_start[k + 1]]``, where ``position`` counts the
    cells of the columns before it (a subscripted column fills one row per cell).
    Reading without branches keeps numba's compile time down (it grows with the blocks).
    """
    code = KernelCode(spec, plan.tables)
    initial = code.rewrite(plan.initial)
    code.cells.buffered = True  # variables computed at each step: arrays made once
    loop = code.rewrite(plan.loop)
    code.cells.buffered = False
    updates = code.rewrite(plan.updates)
    lines = [HELPERS_SOURCE]
    lines += [reduction_source(*reduction) for reduction in sorted(code.reductions)]
    lines += _module_constants(spec, plan)
    lines += ["", "",
              f"@njit({SIGNATURE!r}, **_options)",
              "def kernel(_values, _offset, _stride, _series, _series_place, _times, _dt,",
              "           _record_start, _record_index, _out):",
              "    _n = 1", "    _last = _times.shape[0] - 1",
              *(f"    _buffer_{name} = np.empty({shape!r})"
                for name, shape in code.cells.buffers.items()),
              "    for _i in range(_out.shape[2]):",
              "        time = _times[0]", "        _initializing = True"]
    lines += _constant_lines(spec, plan)
    series = {name: index for index, name in enumerate(plan.time_varying)}
    lines.append(_indent(initial, 2).rstrip("\n"))
    lines += ["        _initializing = False",
              "        for _k in range(_last + 1):",
              "            time = _times[_k]"]
    lines += [f"            {name} = _series[_run_{number} + _k * _series_place[{number}, 1]]"
              for name, number in series.items()]
    lines.append(_indent(loop, 3).rstrip("\n"))
    lines.append("            for _r in range(_record_start[_k], _record_start[_k + 1]):")
    lines.append("                _j = _record_index[_r]")
    position = 0
    for name in plan.columns:
        if code.ranks.get(name, 0):
            lines.append(f"                _record(_out, {position}, _j, _i, {name})")
        else:
            lines.append(f"                _out[{position}, _j, _i] = {name}")
        position += column_cells(spec, name)
    lines += ["            if _k == _last:", "                break"]
    lines.append(_indent(updates or "pass", 3).rstrip("\n"))
    return "\n".join(line for line in lines if line) + "\n"


def column_cells(spec: ModelSpecification, name: str) -> int:
    """Cells of the column ``name``: 1 for a scalar, the product of its dimensions'
    sizes for a subscripted variable."""
    return int(np.prod([len(spec.ranges[dimension])
                        for dimension in spec.dimensions.get(name, ())]))


def _kernel_path(source: str) -> tuple[str, Path]:
    """Module name and file of the kernel compiled from ``source``."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:24]
    return f"_qdsim_kernel_{digest}", Path(cache_safety.cache_root()) / "numba" / (
        f"kernel_{digest}.py")


def kernel_is_cached(spec: ModelSpecification, plan: CodePlan) -> bool:
    """Whether ``plan``'s kernel is loaded or in numba's cache (ready in well under a
    second); False when it would have to be compiled, or cannot be."""
    if not NUMBA_AVAILABLE:
        return False
    try:
        source = kernel_source(spec, plan)
    except NotCompilable:
        return False
    module_name, path = _kernel_path(source)
    if module_name in sys.modules:
        return True
    return (cache_safety.read_trusted(path) == source.encode("utf-8")
            and any((path.parent / "__pycache__").glob(f"{path.stem}.*.nbi")))


def load_kernel(source: str):
    """Compile ``source`` (from :func:`kernel_source`) and return its ``kernel``.

    The module is written to ``<cache>/numba/kernel_<sha256>.py`` and imported from
    there only if its content is exactly ``source`` (as ``cache_safety`` checks), so that
    numba can keep its machine code beside it.
    """
    with _loading:
        return _load_kernel(source)


def _load_kernel(source: str):
    module_name, path = _kernel_path(source)
    if module_name in sys.modules:
        return sys.modules[module_name].kernel
    folder = path.parent
    folder.mkdir(mode=0o700, exist_ok=True)
    if cache_safety.read_trusted(path) != source.encode("utf-8"):
        cache_safety.write_trusted(path, source.encode("utf-8"))
    try:
        return _import(module_name, path)
    except Exception as error:  # noqa: BLE001 - numba's cache errors have many types
        # A cache entry numba cannot load (written by another numba, or damaged): drop
        # this module's entries and compile again.
        log.warning("compiling %s again: %s: %s", path.name, type(error).__name__, error)
        for stale in (folder / "__pycache__").glob(f"{path.stem}.*"):
            stale.unlink(missing_ok=True)
        return _import(module_name, path)


def _import(module_name: str, path: Path):
    """Import the module at ``path`` as ``module_name`` and return its ``kernel``.

    The module is registered before it runs: numba's cache records the module's name and
    imports it by that name when it loads the machine code.
    """
    specification = importlib.util.spec_from_file_location(module_name, path)
    if specification is None or specification.loader is None:
        raise NotCompilable(f"cannot import {path}")
    module = importlib.util.module_from_spec(specification)
    sys.modules[module_name] = module
    try:
        specification.loader.exec_module(module)  # compiles, or loads numba's cache
    except BaseException:
        del sys.modules[module_name]
        raise
    return module.kernel


class CompiledSimulator:
    """The compiled ``kernel`` behind the numpy path's ``simulate`` signature."""

    backend = "numba"

    def __init__(self, plan: CodePlan, kernel, subscripted: frozenset[str] = frozenset()):
        self.plan = plan
        self.kernel = kernel
        self.subscripted = subscripted  # the subscripted constants

    def _pack(self, values, series, size: int):
        """Every constant's values in one array, with the offset and the stride (0 when
        shared by the runs) of each (see :func:`kernel_source`)."""
        plan = self.plan
        rows = []  # (runs or 1, cells) per constant
        for name in plan.constants:
            if name in plan.time_varying:  # read from the series (see _series)
                rows.append(np.empty((1, 0)))
                continue
            value = np.asarray(values[name], dtype=np.float64)
            if name in self.subscripted:  # (*dims, runs or 1): runs first, cells in C order
                rows.append(np.moveaxis(value, -1, 0).reshape(value.shape[-1], -1))
            else:
                rows.append(value.reshape(-1, 1))
        shared = [number for number, row in enumerate(rows) if row.shape[0] == 1]
        varying = [number for number, row in enumerate(rows) if row.shape[0] != 1]
        offset = np.zeros(len(rows), dtype=np.int64)
        stride = np.zeros(len(rows), dtype=np.int64)
        parts, position = [], 0
        for number in shared + varying:
            row = rows[number]
            offset[number] = position
            stride[number] = row.shape[1] if row.shape[0] != 1 else 0
            parts.append(row.ravel())
            position += row.size
        flat = np.concatenate(parts) if parts else np.empty(0)
        return flat, offset, stride

    def _series(self, values, series):
        """The values of the constants the kernel reads at each step, in one array, and
        where each starts with its strides per step and per run (see
        :func:`kernel_source`): a path given per step (shared, or (steps, runs)), or a
        value that does not change (shared, or one per run)."""
        parts, position = [], 0
        place = np.zeros((len(self.plan.time_varying), 3), dtype=np.int64)
        for number, name in enumerate(self.plan.time_varying):
            if name in series:
                data = np.asarray(series[name], dtype=np.float64)
                step, run = (data.shape[1], 1) if data.ndim == 2 else (1, 0)
            else:
                data = np.asarray(values[name], dtype=np.float64)
                step, run = 0, int(data.ndim > 0)
            place[number] = position, step, run
            parts.append(np.ascontiguousarray(data).ravel())
            position += parts[-1].size
        return (np.concatenate(parts) if parts else np.empty(0)), place

    def __call__(self, values, series, times, time_step, size, record, outputs) -> None:
        flat, offset, stride = self._pack(values, series, size)
        stacked, place = self._series(values, series)
        counts = np.array([len(indices) for indices in record], dtype=np.int64)
        record_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        record_index = np.array([index for indices in record for index in indices],
                                dtype=np.int64)
        count = outputs[0].shape[0] if outputs else 0
        cells = [int(np.prod(output.shape[1:-1])) for output in outputs]
        out = np.empty((sum(cells), count, size))
        self.kernel(flat, offset, stride, stacked, place,
                    np.ascontiguousarray(times, dtype=np.float64), float(time_step),
                    record_start, record_index, out)
        position = 0
        for output, number in zip(outputs, cells, strict=True):
            # rows (cells, times, runs) -> (times, *dims, runs)
            block = out[position:position + number].reshape(*output.shape[1:-1], count, size)
            output[...] = np.moveaxis(block, -2, 0)
            position += number


def compiled_simulator(spec: ModelSpecification, plan: CodePlan) -> CompiledSimulator:
    """The compiled simulator of ``plan``; :class:`NotCompilable` if it cannot be built
    (numba missing, a construct it does not run, or numba refusing the code)."""
    if not NUMBA_AVAILABLE:
        raise NotCompilable("numba is not installed")
    source = kernel_source(spec, plan)
    try:
        kernel = load_kernel(source)
    except Exception as error:  # numba's typing and lowering errors have many types
        raise NotCompilable(f"numba cannot compile the model: {type(error).__name__}: "
                            f"{str(error).splitlines()[0] if str(error) else ''}") from error
    return CompiledSimulator(plan, kernel, frozenset(
        name for name in plan.constants if spec.dimensions.get(name)))
