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

Only scalar models are compiled (no subscripts) with the constructs used by scalar models
(INTEG, INITIAL, DELAY FIXED, SMOOTH, TREND, FORECAST, lookups, the scalar builtins);
:class:`NotCompilable` names anything else, and the engine then runs the numpy path.
The generated module is written into the cache folder (``model/cache_safety.py``) and
compiled with ``cache=True``, so numba's machine code is kept beside it, in
``__pycache__``: compiling takes seconds once; later processes load it in milliseconds.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import logging
import sys
import threading
from pathlib import Path

import numpy as np

from . import cache_safety
from .ensemble_codegen import CodePlan
from .ensemble_spec import ModelSpecification

log = logging.getLogger(__name__)
_loading = threading.Lock()  # one kernel module imported at a time (they register first)


class NotCompilable(Exception):
    """The model or the generated code uses something the compiled path does not run."""


try:  # numba is optional: without it the engine runs the numpy path
    import numba  # noqa: F401

    NUMBA_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the installation
    NUMBA_AVAILABLE = False

# numpy functions the generated code calls, and their scalar form in the compiled code.
NUMPY_FUNCTIONS = {
    "minimum": "_minimum", "maximum": "_maximum", "where": "_where",
    **{name: f"np.{name}" for name in ("exp", "log", "sqrt", "sin", "cos", "tan", "arcsin",
                                       "arccos", "arctan", "abs", "trunc", "power",
                                       "logical_and", "logical_or", "logical_not")},
}
# Helpers of model/ensemble_runtime.py with a scalar twin below (same arguments).
SCALAR_HELPERS = frozenset({"_as_state", "_frozen", "_pulse", "_xidz", "_modulo",
                            "_pulse_train", "_delay_fixed_start", "_delay_fixed_push",
                            "_stages"})

# Scalar twins of model/ensemble_runtime.py's helpers, written into each compiled module so
# that the module's numba cache depends on nothing outside it. Same operations in the same
# order as the numpy versions (see each one there for the semantics and PySD's source).
HELPERS_SOURCE = '''
import numpy as np
from numba import njit

SMALL_VENSIM = 1e-06
_options = dict(cache=True, nogil=True, error_model="numpy")


@njit(**_options)
def _minimum(a, b):
    return a if (a <= b or a != a) else b


@njit(**_options)
def _maximum(a, b):
    return a if (a >= b or a != a) else b


@njit(**_options)
def _where(condition, a, b):
    return a if condition else b


@njit(**_options)
def _as_state(value, size):
    return np.float64(value)


@njit(**_options)
def _frozen(value, size):
    return np.float64(value)


@njit(**_options)
def _pulse(time, start, width):
    return 1.0 if (start - SMALL_VENSIM <= time) and (time < start + width) else 0.0


@njit(**_options)
def _xidz(numerator, denominator, value_if_zero):
    return value_if_zero if np.abs(denominator) < SMALL_VENSIM else numerator / denominator


@njit(**_options)
def _modulo(value, base):
    return value - (value if base < SMALL_VENSIM else base * np.trunc(value / base))


@njit(**_options)
def _pulse_train(time, start, interval, width, end):
    if interval == 0:
        return 1.0 if (start - SMALL_VENSIM <= time) and (time < start + width) else 0.0
    on = ((start <= time) and (time < end)
          and (np.mod(time - start + SMALL_VENSIM, interval) < width))
    return 1.0 if on else 0.0


@njit(**_options)
def _delay_fixed_start(value, delay_time, time_step, size):
    length = np.int64(np.rint(max(delay_time / time_step, 1.0) + SMALL_VENSIM))
    ring = np.empty(length)
    ring[:] = value
    return np.float64(value), ring, length


@njit(**_options)
def _delay_fixed_push(ring, length, step, value):
    ring[step % length] = value
    return ring[(step + 1) % length]


@njit(**_options)
def _stages(value, order, size):
    state = np.empty(order)
    state[:] = value
    return state


@njit(**_options)
def _smooth_update(state, value, smooth_time, order, time_step):
    for stage in range(state.shape[0] - 1, -1, -1):
        target = value if stage == 0 else state[stage - 1]
        state[stage] = state[stage] + (target - state[stage]) * order / smooth_time * time_step
'''

SIGNATURE = ("void(float64[::1], int64[::1], int64[::1], float64[:, :, ::1], int64[::1], "
             "float64[::1], float64, int64[::1], int64[::1], float64[:, :, ::1])")


class _ScalarCode(ast.NodeTransformer):
    """Rewrites one block of the numpy code as scalar code for numba."""

    def __init__(self, tables: set[str]):
        self.tables = tables

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        function = node.func
        if (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                and function.value.id == "_np"):
            if function.attr not in NUMPY_FUNCTIONS:
                raise NotCompilable(f"numpy function {function.attr}")
            node.func = ast.parse(NUMPY_FUNCTIONS[function.attr], mode="eval").body
            return node
        if not isinstance(function, ast.Name):
            raise NotCompilable(f"the call {ast.unparse(node)}")
        if function.id == "_interpolate":
            table = node.args[1]
            if not (isinstance(table, ast.Name) and table.id in self.tables):
                raise NotCompilable(f"the lookup call {ast.unparse(node)}")
            return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "interp", ast.Load()),
                            [node.args[0], ast.Name(f"{table.id}__xs", ast.Load()),
                             ast.Name(f"{table.id}__ys", ast.Load())], [])
        if function.id not in SCALAR_HELPERS:
            raise NotCompilable(f"the helper {function.id}")
        return node

    def visit_Assign(self, node: ast.Assign):
        # A SMOOTH's update, ``s = s + _smooth_change(s, input, time, order) * _dt``,
        # becomes an update in place (no array made at each step).
        value = node.value
        if (isinstance(value, ast.BinOp) and isinstance(value.right, ast.BinOp)
                and isinstance(value.right.left, ast.Call)
                and isinstance(value.right.left.func, ast.Name)
                and value.right.left.func.id == "_smooth_change"):
            self.generic_visit(value.right.left)
            state, *arguments = value.right.left.args
            call = ast.Call(ast.Name("_smooth_update", ast.Load()),
                            [state, *arguments, value.right.right], [])
            return ast.Expr(call)
        self.generic_visit(node)
        return node

    def rewrite(self, code: str) -> str:
        return ast.unparse(self.visit(ast.parse(code))) if code.strip() else ""


def _indent(code: str, depth: int) -> str:
    return "".join("    " * depth + line + "\n" for line in code.splitlines() if line)


def kernel_source(spec: ModelSpecification, plan: CodePlan) -> str:
    """Source of a module defining ``kernel``: ``plan`` for each run of a chunk.

    ``kernel(values, offset, stride, series, series_stride, times, dt, record_start,
    record_index, out)``: constant number c (``plan.constants`` order) of run i is
    ``values[offset[c] + i * stride[c]]`` (stride 0 for a value shared by all runs);
    time-varying constant number s (``plan.time_varying`` order) is
    ``series[s, k, i * series_stride[s]]`` at step k; column number c at ``times[k]`` goes
    to ``out[c, j, i]`` for ``j in record_index[record_start[k]:record_start[k + 1]]``.
    Reading without branches keeps numba's compile time down (it grows with the blocks).
    """
    if spec.dimensions or spec.arrays or spec.lookup_arrays:
        raise NotCompilable("subscripts")
    scalar = _ScalarCode(set(plan.tables))
    initial, loop, updates = (scalar.rewrite(code)
                              for code in (plan.initial, plan.loop, plan.updates))
    lines = [HELPERS_SOURCE]
    for name in plan.tables:
        xs, ys = spec.tables[name]
        lines.append(f"{name}__xs = np.array({[float(x) for x in xs]!r})")
        lines.append(f"{name}__ys = np.array({[float(y) for y in ys]!r})")
    lines += ["", "",
              f"@njit({SIGNATURE!r}, **_options)",
              "def kernel(_values, _offset, _stride, _series, _series_stride, _times, _dt,",
              "           _record_start, _record_index, _out):",
              "    _n = 1", "    _last = _times.shape[0] - 1",
              "    for _i in range(_out.shape[2]):",
              "        time = _times[0]", "        _initializing = True"]
    series = {name: index for index, name in enumerate(plan.time_varying)}
    for index, name in enumerate(plan.constants):
        if name in series:
            number = series[name]
            lines += [f"        _run_{number} = _i * _series_stride[{number}]",
                      f"        {name} = _series[{number}, 0, _run_{number}]"]
        else:
            lines.append(f"        {name} = _values[_offset[{index}] + _i * _stride[{index}]]")
    lines.append(_indent(initial, 2).rstrip("\n"))
    lines += ["        _initializing = False",
              "        for _k in range(_last + 1):",
              "            time = _times[_k]"]
    lines += [f"            {name} = _series[{number}, _k, _run_{number}]"
              for name, number in series.items()]
    lines.append(_indent(loop, 3).rstrip("\n"))
    lines.append("            for _r in range(_record_start[_k], _record_start[_k + 1]):")
    lines.append("                _j = _record_index[_r]")
    lines += [f"                _out[{index}, _j, _i] = {name}"
              for index, name in enumerate(plan.columns)]
    lines += ["            if _k == _last:", "                break"]
    lines.append(_indent(updates or "pass", 3).rstrip("\n"))
    return "\n".join(line for line in lines if line) + "\n"


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

    def __init__(self, plan: CodePlan, kernel):
        self.plan = plan
        self.kernel = kernel

    def __call__(self, values, series, times, time_step, size, record, outputs) -> None:
        plan = self.plan
        # Shared values first, then one row of ``size`` per value that varies by run.
        shared = [name for name in plan.constants
                  if name not in series and np.ndim(values[name]) == 0]
        varying = [name for name in plan.constants
                   if name not in series and np.ndim(values[name]) != 0]
        flat = np.empty(len(shared) + len(varying) * size)
        offset = np.zeros(len(plan.constants), dtype=np.int64)
        stride = np.zeros(len(plan.constants), dtype=np.int64)
        position = {name: index for index, name in enumerate(plan.constants)}
        for number, name in enumerate(shared):
            flat[number] = values[name]
            offset[position[name]] = number
        for number, name in enumerate(varying):
            start = len(shared) + number * size
            flat[start:start + size] = values[name]
            offset[position[name]], stride[position[name]] = start, 1
        paths = [np.asarray(series[name], dtype=np.float64) for name in plan.time_varying]
        per_run = np.array([path.ndim == 2 for path in paths], dtype=np.int64)
        width = size if per_run.any() else 1
        steps = len(times)
        stacked = np.empty((len(paths), steps, width))
        for number, path in enumerate(paths):
            stacked[number] = path if path.ndim == 2 else path[:, np.newaxis]
        counts = np.array([len(indices) for indices in record], dtype=np.int64)
        record_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        record_index = np.array([index for indices in record for index in indices],
                                dtype=np.int64)
        count = outputs[0].shape[0] if outputs else 0
        out = np.empty((len(outputs), count, size))
        self.kernel(flat, offset, stride, stacked, per_run,
                    np.ascontiguousarray(times, dtype=np.float64), float(time_step),
                    record_start, record_index, out)
        for index, output in enumerate(outputs):
            output[...] = out[index]


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
    return CompiledSimulator(plan, kernel)
