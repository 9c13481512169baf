"""The statements of the numpy path rewritten for one run inside a numba kernel.

The numpy path's arrays end with the ensemble axis (``(age, sex, m)``; a scalar is
``(m,)``), and its indexing never touches that axis. Inside the kernel a run's values are
the same arrays without it: a scalar is a float, ``population_by_age`` is ``(101, 2)``, so
most statements (slices, slice assignments, broadcasting, ``[:, None]``) are valid numba
as they are. :class:`KernelCode` rewrites the rest, knowing each value's rank (its number
of axes before the ensemble axis, worked out statement by statement from the model's
dimensions):

* shapes that name the run count (``_np.empty((101, 2, _n))``, a state's ``size``) lose it;
* SUM / PROD / VMIN / VMAX (``_np.sum(x, axis=(0, 1))``, always over leading axes) become
  a loop written for that rank, combining the cells in numpy's order for a chunk of runs
  (C order, one cell after the other), so sums agree with the numpy path to the last bit
  except when the numpy path runs one run alone (numpy then sums pairwise);
* helpers of ``model/ensemble_runtime.py`` become their scalar twin, or their array twin
  (``_as_array``, ``_fill_array``, ``_stages_array``, ...: same operations in the same
  order) when a value has subscripts;
* lookups read tables written into the module as constant arrays.

Anything else raises :class:`NotCompilable` naming it, and the engine runs the numpy path.
"""

from __future__ import annotations

import ast

import numpy as np

from .ensemble_numba_cells import CellLoops, Shapes, literal_shape
from .ensemble_spec import ModelSpecification


class NotCompilable(Exception):
    """The model or the generated code uses something the compiled path does not run."""


# numpy functions the generated code calls, and their form in the compiled code (the
# scalar twin for scalars; np.minimum, np.maximum and np.where for arrays).
NUMPY_FUNCTIONS = {
    "minimum": "_minimum", "maximum": "_maximum", "where": "_where",
    **{name: f"np.{name}" for name in ("exp", "log", "sqrt", "sin", "cos", "tan", "arcsin",
                                       "arccos", "arctan", "abs", "trunc", "power",
                                       "logical_and", "logical_or", "logical_not")},
}
REDUCTIONS = {"sum": "out += item", "prod": "out *= item",
              "min": "out = {minimum}(out, item)", "max": "out = {maximum}(out, item)"}
# Helpers whose arguments combine elementwise: (scalar twin, array twin or None).
ELEMENTWISE_HELPERS = {"_pulse": ("_pulse", None), "_pulse_train": ("_pulse_train", None),
                       "_xidz": ("_xidz", "_xidz_array"),
                       "_modulo": ("_modulo", "_modulo_array")}

# Twins of model/ensemble_runtime.py's helpers, written into each compiled module so that
# the module's numba cache depends on nothing outside it. Same operations in the same
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


@njit(**_options)
def _as_array(value, shape):
    state = np.empty(shape)
    state[...] = value
    return state


@njit(**_options)
def _fill_array(value, shape):
    if value.shape == shape:
        return value
    return _as_array(value, shape)


@njit(**_options)
def _stages_array(value, order, shape):
    state = np.empty((order,) + shape)
    state[...] = value
    return state


@njit(**_options)
def _smooth_change_array(state, value, smooth_time, order):
    targets = np.empty_like(state)
    targets[0] = value
    targets[1:] = state[:-1]
    return (targets - state) * order / smooth_time


@njit(**_options)
def _delay_fixed_start_array(value, delay_time, time_step, shape):
    length = np.int64(np.rint(max(delay_time / time_step, 1.0) + SMALL_VENSIM))
    ring = np.empty((length,) + shape)
    ring[...] = value
    return _as_array(value, shape), ring, length


@njit(**_options)
def _delay_fixed_push_array(ring, length, step, value):
    ring[step % length] = value
    return ring[(step + 1) % length].copy()


@njit(**_options)
def _xidz_array(numerator, denominator, value_if_zero):
    return np.where(np.abs(denominator) < SMALL_VENSIM, value_if_zero,
                    numerator / denominator)


@njit(**_options)
def _modulo_array(value, base):
    return value - np.where(base < SMALL_VENSIM, value, base * np.trunc(value / base))


@njit(**_options)
def _interpolate_cells(x, index, xs, ys, starts):
    result = np.empty(index.shape)
    for cell in np.ndindex(index.shape):
        table = index[cell]
        result[cell] = np.interp(x, xs[starts[table]:starts[table + 1]],
                                 ys[starts[table]:starts[table + 1]])
    return result


@njit(**_options)
def _interpolate_cells_array(x, index, xs, ys, starts):
    values = x + 0.0 * index
    tables = index + np.zeros(values.shape, np.int64)
    result = np.empty(values.shape)
    for cell in np.ndindex(values.shape):
        table = tables[cell]
        result[cell] = np.interp(values[cell], xs[starts[table]:starts[table + 1]],
                                 ys[starts[table]:starts[table + 1]])
    return result


@njit(**_options)
def _record(out, position, j, i, value):
    cell = position
    for item in value.flat:
        out[cell, j, i] = item
        cell += 1
'''


def reduction_source(operation: str, rank: int, count: int) -> str:
    """Source of ``_{operation}_{rank}_{count}(x)``: ``x`` (``rank`` axes) reduced over
    its first ``count`` axes, cell after cell in C order starting from the first cell, as
    numpy reduces a chunk of runs (the ensemble axis last, kept)."""
    loops = [f"for i{axis} in range(x.shape[{axis}]):" for axis in range(count)]
    scalar = count == rank
    combine = REDUCTIONS[operation].format(minimum="_minimum" if scalar else "np.minimum",
                                           maximum="_maximum" if scalar else "np.maximum")
    first = "x[" + ", ".join(["0"] * count) + "]" + ("" if scalar else ".copy()")
    lines = ["", "", "@njit(**_options)", f"def _{operation}_{rank}_{count}(x):",
             f"    out = {first}", "    first = True"]
    lines += ["    " * (depth + 1) + loop for depth, loop in enumerate(loops)]
    inner = "    " * (count + 1)
    item = "x[" + ", ".join(f"i{axis}" for axis in range(count)) + "]"
    lines += [f"{inner}item = {item}", f"{inner}if first:", f"{inner}    first = False",
              f"{inner}else:", f"{inner}    {combine}", "    return out"]
    return "\n".join(lines) + "\n"


def _without_runs(shape: ast.expr) -> ast.Tuple:
    """A shape ``(101, 2, _n)`` without its last item, the run count."""
    if not (isinstance(shape, ast.Tuple) and shape.elts and isinstance(shape.elts[-1], ast.Name)
            and shape.elts[-1].id == "_n"):
        raise NotCompilable(f"the shape {ast.unparse(shape)}")
    return ast.Tuple(shape.elts[:-1], ast.Load())


def _call(name: str, arguments: list[ast.expr]) -> ast.Call:
    return ast.Call(ast.parse(name, mode="eval").body, arguments, [])


class KernelCode(ast.NodeTransformer):
    """Rewrites blocks of the numpy code as code for one run in numba (see the module).

    ``ranks`` maps each name assigned so far to its number of axes (0 for a scalar), so
    the blocks must be rewritten in the order they run (initial, loop, updates).
    """

    def __init__(self, spec: ModelSpecification, tables):
        self.tables = set(tables)
        self.lookup_arrays = set(spec.lookup_arrays)
        self.ranks: dict[str, int] = {"time": 0, "_dt": 0, "_k": 0, "_n": 0}
        self.ranks.update({name: len(spec.dimensions.get(name, ()))
                           for name in spec.constants})
        self.ranks.update({name: np.ndim(value) - 1 for name, value in spec.arrays.items()})
        self.reductions: set[tuple[str, int, int]] = set()
        self.shapes = Shapes()
        self.shapes.known.update({name: () for name in self.ranks})
        self.shapes.known.update({name: tuple(len(spec.ranges[dimension])
                                              for dimension in spec.dimensions[name])
                                  for name in spec.constants if spec.dimensions.get(name)})
        self.shapes.known.update({name: np.shape(value)[:-1]
                                  for name, value in spec.arrays.items()})
        self.cells = CellLoops(self.shapes, self.visit, self.rank)

    def rewrite(self, code: str) -> str:
        return ast.unparse(self.visit(ast.parse(code))) if code.strip() else ""

    # -- ranks of the numpy code's expressions ------------------------------------------
    def rank(self, node: ast.expr) -> int:
        if isinstance(node, ast.Constant):
            return 0
        if isinstance(node, ast.Name):
            if node.id not in self.ranks:
                raise NotCompilable(f"the name {node.id} (shape unknown)")
            return self.ranks[node.id]
        if isinstance(node, ast.BinOp):
            return max(self.rank(node.left), self.rank(node.right))
        if isinstance(node, ast.UnaryOp):
            return self.rank(node.operand)
        if isinstance(node, ast.Compare):
            return max(self.rank(item) for item in (node.left, *node.comparators))
        if isinstance(node, ast.BoolOp):
            return max(self.rank(item) for item in node.values)
        if isinstance(node, ast.Subscript):
            return self.subscript_rank(node)
        if isinstance(node, ast.Call):
            return self.call_rank(node)
        raise NotCompilable(f"the expression {ast.unparse(node)}")

    def subscript_rank(self, node: ast.Subscript) -> int:
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        kept = consumed = 0
        for item in items:
            if isinstance(item, ast.Constant) and item.value is None:
                kept += 1
            elif isinstance(item, (ast.Slice, ast.List)):
                kept, consumed = kept + 1, consumed + 1
            elif isinstance(item, (ast.Constant, ast.UnaryOp)):
                consumed += 1
            else:
                raise NotCompilable(f"the index {ast.unparse(node)}")
        return kept + self.rank(node.value) - consumed

    @staticmethod
    def size_rank(size: ast.expr) -> int:
        """Rank of a state of ``size`` (``_n``, or a shape ending with ``_n``)."""
        if isinstance(size, ast.Name) and size.id == "_n":
            return 0
        return len(_without_runs(size).elts)

    def call_rank(self, node: ast.Call) -> int:
        function, arguments = node.func, node.args
        if isinstance(function, ast.Attribute):
            if isinstance(function.value, ast.Name) and function.value.id == "_np":
                if function.attr in REDUCTIONS:
                    return self.rank(arguments[0]) - len(self.axes(node))
                if function.attr == "empty":
                    return self.size_rank(arguments[0])
                return max(self.rank(argument) for argument in arguments)
            if function.attr == "transpose":
                return self.rank(function.value)
        elif isinstance(function, ast.Name):
            name = function.id
            if name in ("_as_state", "_frozen"):
                size = arguments[1]
                if isinstance(size, ast.Constant) and size.value is None:
                    return self.rank(arguments[0])
                return self.size_rank(size)
            if name == "_fill":
                return len(arguments[1].elts) if isinstance(arguments[1], ast.Tuple) else -1
            if name == "_stages":
                return 1 + self.size_rank(arguments[2])
            if name == "_smooth_change":
                return self.rank(arguments[0])
            if name == "_delay_fixed_push":
                return self.rank(arguments[0]) - 1
            if name == "_interpolate":
                return self.rank(arguments[0])
            if name == "_interpolate_each":
                return max(self.rank(arguments[0]), self.rank(arguments[1]))
            if name in ELEMENTWISE_HELPERS:
                return max(self.rank(argument) for argument in arguments)
        raise NotCompilable(f"the call {ast.unparse(node)}")

    @staticmethod
    def axes(node: ast.Call) -> tuple[int, ...]:
        axis = next((keyword.value for keyword in node.keywords if keyword.arg == "axis"),
                    None)
        try:
            axes = ast.literal_eval(axis) if axis is not None else None
        except ValueError:
            axes = None
        if not isinstance(axes, tuple) or axes != tuple(range(len(axes))):
            raise NotCompilable(f"the reduction {ast.unparse(node)}")
        return axes

    # -- rewriting ----------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign):
        value = node.value
        target = node.targets[0]
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "_delay_fixed_start"):
            return self.delay_fixed_start(node)
        if (isinstance(value, ast.BinOp) and isinstance(value.right, ast.BinOp)
                and isinstance(value.right.left, ast.Call)
                and isinstance(value.right.left.func, ast.Name)
                and value.right.left.func.id == "_smooth_change"
                and self.rank(value.right.left.args[0]) == 1):
            # A scalar SMOOTH's update, ``s = s + _smooth_change(s, input, time, order) *
            # _dt``, becomes an update in place (no array made at each step).
            self.generic_visit(value.right.left)
            state, *arguments = value.right.left.args
            return ast.Expr(_call("_smooth_update", [state, *arguments, value.right.right]))
        rank, shape = self.rank(value), self.shapes.of(value)
        loops = (self.cells.statement(node)
                 if rank or isinstance(target, ast.Subscript) else None)
        if isinstance(target, ast.Name):
            self.ranks[target.id], self.shapes.known[target.id] = rank, shape
        if loops is not None:
            return loops
        self.generic_visit(node)
        if not isinstance(target, ast.Name) and not (
                isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                and target.value.id in self.ranks):
            raise NotCompilable(f"the assignment to {ast.unparse(target)}")
        return node

    def delay_fixed_start(self, node: ast.Assign):
        start, targets = node.value, node.targets[0]
        assert isinstance(start, ast.Call) and isinstance(targets, ast.Tuple)
        value, delay_time, time_step, size = start.args
        rank = self.size_rank(size)
        if self.rank(delay_time) != 0:
            raise NotCompilable("DELAY FIXED with a delay time per element")
        names = [item.id for item in targets.elts if isinstance(item, ast.Name)]
        self.ranks.update(zip(names, (rank, rank + 1, 0), strict=True))
        shape = literal_shape(size, True)
        self.shapes.known.update(zip(names, (shape, None if shape is None else (-1, *shape), ()),
                                     strict=True))
        self.generic_visit(node)
        if rank:
            node.value = _call("_delay_fixed_start_array",
                               [value, delay_time, time_step, _without_runs(size)])
        return node

    def visit_Subscript(self, node: ast.Subscript):
        self.generic_visit(node)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        items = [_call("np.array", [item]) if isinstance(item, ast.List) else item
                 for item in items]
        node.slice = ast.Tuple(items, ast.Load()) if len(items) > 1 else items[0]
        return node

    def visit_Call(self, node: ast.Call):
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr == "transpose":
            self.generic_visit(node)
            order = ast.literal_eval(node.args[0])
            node.args = [ast.parse(repr(tuple(order[:-1])), mode="eval").body]
            return node
        if (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                and function.value.id == "_np"):
            return self.numpy_call(node, function.attr)
        if not isinstance(function, ast.Name):
            raise NotCompilable(f"the call {ast.unparse(node)}")
        return self.helper_call(node, function.id)

    def numpy_call(self, node: ast.Call, attribute: str):
        if attribute in REDUCTIONS:
            rank, count = self.rank(node.args[0]), len(self.axes(node))
            self.generic_visit(node)
            self.reductions.add((attribute, rank, count))
            return _call(f"_{attribute}_{rank}_{count}", [node.args[0]])
        if attribute == "empty":
            return _call("np.empty", [_without_runs(node.args[0])])
        if attribute not in NUMPY_FUNCTIONS:
            raise NotCompilable(f"numpy function {attribute}")
        arrays = max(self.rank(argument) for argument in node.args) > 0
        self.generic_visit(node)
        target = NUMPY_FUNCTIONS[attribute]
        if arrays and attribute in ("minimum", "maximum", "where"):
            target = f"np.{attribute}"
        node.func = ast.parse(target, mode="eval").body
        return node

    def helper_call(self, node: ast.Call, name: str):
        arguments = node.args
        if name == "_interpolate":
            self.generic_visit(node)
            table = arguments[1]
            if not (isinstance(table, ast.Name) and table.id in self.tables):
                raise NotCompilable(f"the lookup call {ast.unparse(node)}")
            return _call("np.interp", [arguments[0], ast.Name(f"{table.id}__xs", ast.Load()),
                                       ast.Name(f"{table.id}__ys", ast.Load())])
        if name == "_interpolate_each":
            table = arguments[2]
            if not (isinstance(table, ast.Name) and table.id in self.lookup_arrays):
                raise NotCompilable(f"the lookup call {ast.unparse(node)}")
            helper = ("_interpolate_cells_array" if self.rank(arguments[0])
                      else "_interpolate_cells")
            self.generic_visit(node)
            return _call(helper, [arguments[0], arguments[1],
                                  *(ast.Name(f"{table.id}__{part}", ast.Load())
                                    for part in ("xs", "ys", "starts"))])
        if name == "_delay_fixed_start":  # see delay_fixed_start
            self.generic_visit(node)
            return node
        if name in ELEMENTWISE_HELPERS:
            scalar, array = ELEMENTWISE_HELPERS[name]
            arrays = max(self.rank(argument) for argument in arguments) > 0
            if arrays and array is None:
                raise NotCompilable(f"the helper {name} on an array")
            self.generic_visit(node)
            node.func = ast.Name(array if arrays and array else scalar, ast.Load())
            return node
        rank = self.call_rank(node)
        value_rank = self.rank(arguments[0])
        self.generic_visit(node)
        if name in ("_as_state", "_frozen"):
            size = arguments[1]
            if isinstance(size, ast.Constant) and size.value is None:
                return _call("np.copy", [arguments[0]]) if rank else node
            return _call("_as_array", [arguments[0], _without_runs(size)]) if rank else node
        if name == "_fill":
            if rank < 0:
                raise NotCompilable(f"the call {ast.unparse(node)}")
            if value_rank:
                return _call("_fill_array", [arguments[0], arguments[1]])
            return _call("np.full", [arguments[1], arguments[0]])
        if name == "_stages":
            if rank == 1:
                return node
            return _call("_stages_array", [arguments[0], arguments[1],
                                           _without_runs(arguments[2])])
        if name == "_smooth_change":
            return _call("_smooth_change_array", arguments)
        if name == "_delay_fixed_push":
            return _call("_delay_fixed_push_array", arguments) if rank else node
        raise NotCompilable(f"the helper {name}")
