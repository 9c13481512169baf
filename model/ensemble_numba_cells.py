"""Array statements of the compiled path written as loops over their cells.

Written as numpy expressions inside numba, ``ageing_out[0:100, :] = population_by_age[0:100,
:] * ageing_pulse / time_step`` makes a temporary array per operation and step; on
qingdao.mdl (101 ages x 2 sexes) that allocation costs more than the arithmetic. Here such a
statement becomes loops over its box computing each cell as a scalar expression::

    for _c0 in range(100):
        for _c1 in range(2):
            ageing_out[0 + _c0, _c1] = population_by_age[0 + _c0, _c1] * ageing_pulse / time_step

Each cell gets the operations numpy applies to it, in the same order, so the results are
the same to the last bit. Scalar parts (a SUM, a call on scalars) are computed once before
the loops. A variable computed at each step writes into an array made once per kernel call
(``_buffer_<name>``): every value kept from one step to the next (stocks, delay pipes,
smooth stages, INITIAL values, recorded outputs) is a copy, never one of these arrays.

Only statements whose shapes are known when the code is written (from the model's
dimensions and the constant slices of the generated code) and that combine cells one to
one are rewritten; anything else stays a numpy expression (see
:mod:`model.ensemble_numba_code`).
"""

from __future__ import annotations

import ast
import copy
from typing import Any


class NotElementwise(Exception):
    """The expression is not one that this module writes cell by cell."""


# numpy functions applied cell by cell, with their scalar form in the compiled code.
CELL_FUNCTIONS = {
    "minimum": "_minimum", "maximum": "_maximum", "where": "_where",
    **{name: f"np.{name}" for name in ("exp", "log", "sqrt", "sin", "cos", "tan", "arcsin",
                                       "arccos", "arctan", "abs", "trunc", "power",
                                       "logical_and", "logical_or", "logical_not")},
}
CELL_HELPERS = ("_xidz", "_modulo", "_pulse", "_pulse_train")


def broadcast(*shapes):
    """numpy's broadcast shape of ``shapes`` (None if one is unknown or they clash)."""
    if any(shape is None for shape in shapes):
        return None
    rank = max((len(shape) for shape in shapes), default=0)
    result = []
    for axis in range(rank):
        sizes = {shape[axis - rank + len(shape)] for shape in shapes
                 if axis - rank + len(shape) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            return None
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def _integer(node) -> int | None:
    """The value of an integer literal (``3``, ``-1``), else None."""
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def literal_shape(node, runs_last: bool):
    """A shape written in the code: ``(101, 2)``, or ``(101, 2, _n)`` / ``_n``."""
    if runs_last:
        if isinstance(node, ast.Name) and node.id == "_n":
            return ()
        if not (isinstance(node, ast.Tuple) and node.elts and isinstance(node.elts[-1], ast.Name)
                and node.elts[-1].id == "_n"):
            return None
        node = ast.Tuple(node.elts[:-1], ast.Load())
    if not isinstance(node, ast.Tuple):
        return None
    sizes = [_integer(item) for item in node.elts]
    return None if any(size is None for size in sizes) else tuple(sizes)


class Shapes:
    """The shape of each expression of the numpy code for one run (None: unknown)."""

    def __init__(self):
        self.known: dict[str, tuple[int, ...] | None] = {}

    def of(self, node):
        if isinstance(node, ast.Constant):
            return ()
        if isinstance(node, ast.Name):
            return self.known.get(node.id)
        if isinstance(node, ast.BinOp):
            return broadcast(self.of(node.left), self.of(node.right))
        if isinstance(node, ast.UnaryOp):
            return self.of(node.operand)
        if isinstance(node, ast.Compare):
            return broadcast(self.of(node.left), *map(self.of, node.comparators))
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        return None

    def items(self, node: ast.Subscript):
        """(base shape, [(kind, value)]) of a basic index, or None."""
        base = self.of(node.value)
        if base is None:
            return None
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        items: list[tuple[str, Any]] = []
        axis = 0
        for element in elements:
            if isinstance(element, ast.Constant) and element.value is None:
                items.append(("new", None))
                continue
            if axis >= len(base):
                return None
            size = base[axis]
            if isinstance(element, ast.Slice):
                bounds = [None if part is None else _integer(part)
                          for part in (element.lower, element.upper)]
                if element.step is not None or any(
                        part is not None and bound is None
                        for part, bound in zip((element.lower, element.upper), bounds,
                                               strict=True)):
                    return None
                chosen = range(size)[slice(*bounds)]
                items.append(("slice", (chosen.start, len(chosen))))
            elif isinstance(element, ast.List):
                values = [_integer(item) for item in element.elts]
                if any(value is None for value in values):
                    return None
                items.append(("list", tuple(value % size for value in values)))
            else:
                value = _integer(element)
                if value is None:
                    return None
                items.append(("single", value % size))
            axis += 1
        items += [("slice", (0, size)) for size in base[axis:]]
        return base, items

    def subscript(self, node: ast.Subscript):
        described = self.items(node)
        if described is None:
            return None
        shape = []
        for kind, value in described[1]:
            if kind == "new":
                shape.append(1)
            elif kind == "slice":
                shape.append(value[1])
            elif kind == "list":
                shape.append(len(value))
        return tuple(shape)

    def call(self, node: ast.Call):
        function, arguments = node.func, node.args
        if isinstance(function, ast.Attribute):
            if function.attr == "transpose":
                base, order = self.of(function.value), ast.literal_eval(arguments[0])
                return None if base is None else tuple(base[axis] for axis in order[:-1])
            if not (isinstance(function.value, ast.Name) and function.value.id == "_np"):
                return None
            if function.attr in ("sum", "prod", "min", "max"):
                base = self.of(arguments[0])
                axis = next(keyword.value for keyword in node.keywords if keyword.arg == "axis")
                return None if base is None else base[len(ast.literal_eval(axis)):]
            if function.attr == "empty":
                return literal_shape(arguments[0], True)
            if function.attr in CELL_FUNCTIONS:
                return broadcast(*map(self.of, arguments))
            return None
        if not isinstance(function, ast.Name):
            return None
        name = function.id
        if name in ("_as_state", "_frozen"):
            size = arguments[1]
            if isinstance(size, ast.Constant) and size.value is None:
                return self.of(arguments[0])
            return literal_shape(size, True)
        if name == "_fill":
            return literal_shape(arguments[1], False)
        if name in ("_interpolate", "_smooth_change"):
            return self.of(arguments[0])
        if name == "_stages":
            order, size = _integer(arguments[1]), literal_shape(arguments[2], True)
            return None if order is None or size is None else (order, *size)
        if name == "_delay_fixed_push":  # the pipe: (length, *shape), length unknown
            ring = self.of(arguments[0])
            return None if ring is None else ring[1:]
        if name in CELL_HELPERS:
            return broadcast(*map(self.of, arguments))
        return None


class CellLoops:
    """Writes array statements as loops (see the module); ``rewrite`` rewrites a scalar
    expression of the numpy code as compiled code (the caller's rules), ``buffered``
    says whether variables get an array made once per kernel call."""

    def __init__(self, shapes: Shapes, rewrite, scalar_rank):
        self.shapes = shapes
        self.rewrite = rewrite
        self.scalar_rank = scalar_rank
        self.buffered = False
        self.buffers: dict[str, tuple[int, ...]] = {}
        self.count = 0

    def statement(self, node: ast.Assign) -> list[ast.stmt] | None:
        """Loops computing ``node``, or None to keep it a numpy expression."""
        target, value = node.targets[0], node.value
        try:
            if isinstance(target, ast.Name):
                return self.whole(target.id, value)
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                return self.part(target, value)
        except NotElementwise:
            return None
        return None

    def whole(self, name: str, value) -> list[ast.stmt] | None:
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and isinstance(value.func.value, ast.Name) and value.func.value.id == "_np"
                and value.func.attr == "empty"):
            shape = self.shapes.of(value)
            if not shape or not self.buffered:
                return None
            return [self.allocate(name, shape)]
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id == "_fill":
            shape, inner = self.shapes.of(value), value.args[0]
            if not shape or (isinstance(inner, ast.Name)
                             and self.shapes.of(inner) == shape):
                return None  # an alias of an array, kept as it is
            before: list[ast.stmt] = []
            body = self.cell(inner, self.align(inner, shape, self.indices(shape)), before)
            store = ast.Subscript(ast.Name(name, ast.Load()),
                                  ast.Tuple(self.indices(shape), ast.Load()), ast.Store())
            return [*before, self.allocate(name, shape), *self.loops(shape, store, body)]
        return None

    def part(self, target: ast.Subscript, value) -> list[ast.stmt] | None:
        box = self.shapes.of(target)
        name = target.value.id if isinstance(target.value, ast.Name) else ""
        if not box or not name:
            return None
        for node in ast.walk(value):  # a read of the target itself: only of the same cells
            if isinstance(node, ast.Name) and node.id == name:
                reads = [item for item in ast.walk(value) if isinstance(item, ast.Subscript)
                         and isinstance(item.value, ast.Name) and item.value.id == name]
                if len(reads) != sum(1 for item in ast.walk(value)
                                     if isinstance(item, ast.Name) and item.id == name) or \
                        any(ast.dump(read.slice) != ast.dump(target.slice) for read in reads):
                    return None
        before: list[ast.stmt] = []
        indices = self.indices(box)
        body = self.cell(value, self.align(value, box, indices), before)
        store = self.cell_of_subscript(target, indices)
        store.ctx = ast.Store()
        return [*before, *self.loops(box, store, body)]

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def indices(shape) -> list[ast.expr]:
        return [ast.Name(f"_c{axis}", ast.Load()) for axis in range(len(shape))]

    @staticmethod
    def loops(shape, store, body) -> list[ast.stmt]:
        statement: ast.stmt = ast.Assign([store], body, lineno=0)
        for axis in reversed(range(len(shape))):
            statement = ast.For(ast.Name(f"_c{axis}", ast.Store()),
                                ast.Call(ast.Name("range", ast.Load()),
                                         [ast.Constant(shape[axis])], []),
                                [statement], [], lineno=0)
        return [statement]

    def allocate(self, name: str, shape) -> ast.stmt:
        if self.buffered:
            self.buffers[name] = shape
            value: ast.expr = ast.Name(f"_buffer_{name}", ast.Load())
        else:
            value = ast.parse(f"np.empty({shape!r})", mode="eval").body
        return ast.Assign([ast.Name(name, ast.Store())], value, lineno=0)

    def align(self, node, shape, indices) -> list[ast.expr]:
        """Indices of ``node``'s cell for the cell ``indices`` of ``shape`` (broadcast)."""
        own = self.shapes.of(node)
        if own is None or broadcast(own, shape) != tuple(shape):
            raise NotElementwise
        offset = len(shape) - len(own)
        return [ast.Constant(0) if size == 1 and shape[axis + offset] != 1
                else indices[axis + offset] for axis, size in enumerate(own)]

    def hoist(self, node, before: list[ast.stmt]) -> ast.expr:
        """A scalar sub-expression, computed once before the loops."""
        if self.scalar_rank(node) != 0:
            raise NotElementwise
        name = f"_cell_scalar_{self.count}"
        self.count += 1
        before.append(ast.Assign([ast.Name(name, ast.Store())],
                                 self.rewrite(copy.deepcopy(node)), lineno=0))
        return ast.Name(name, ast.Load())

    def cell(self, node, indices, before) -> ast.expr:
        """The scalar expression of ``node``'s cell ``indices`` (one per axis)."""
        shape = self.shapes.of(node)
        if shape is None:
            raise NotElementwise
        if isinstance(node, ast.Constant):
            return copy.copy(node)
        if not shape:
            if isinstance(node, ast.Name):
                return ast.Name(node.id, ast.Load())
            return self.hoist(node, before)
        if isinstance(node, ast.Name):
            return ast.Subscript(ast.Name(node.id, ast.Load()),
                                 ast.Tuple(list(indices), ast.Load()), ast.Load())
        if isinstance(node, ast.BinOp):
            return ast.BinOp(self.part_cell(node.left, shape, indices, before), node.op,
                             self.part_cell(node.right, shape, indices, before))
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(node.op, self.cell(node.operand, indices, before))
        if isinstance(node, ast.Compare):
            return ast.Compare(self.part_cell(node.left, shape, indices, before), node.ops,
                               [self.part_cell(item, shape, indices, before)
                                for item in node.comparators])
        if isinstance(node, ast.Subscript):
            selected = self.cell_of_subscript(node, indices)
            return self.cell(node.value, selected.slice.elts, before) \
                if isinstance(selected.slice, ast.Tuple) else self.cell(
                    node.value, [selected.slice], before)
        if isinstance(node, ast.Call):
            return self.call_cell(node, shape, indices, before)
        raise NotElementwise

    def part_cell(self, node, shape, indices, before) -> ast.expr:
        return self.cell(node, self.align(node, shape, indices), before)

    def cell_of_subscript(self, node: ast.Subscript, indices) -> ast.Subscript:
        """``base[...]`` selecting the cell ``indices`` of ``node`` in its base."""
        described = self.shapes.items(node)
        if described is None:
            raise NotElementwise
        selected: list[ast.expr] = []
        position = 0
        for kind, value in described[1]:
            if kind == "new":
                position += 1
            elif kind == "single":
                selected.append(ast.Constant(value))
            elif kind == "slice":
                start, index = value[0], indices[position]
                selected.append(index if start == 0 else ast.BinOp(
                    ast.Constant(start), ast.Add(), index))
                position += 1
            else:  # a list of indices: a tuple of constants, indexed
                selected.append(ast.Subscript(
                    ast.Tuple([ast.Constant(item) for item in value], ast.Load()),
                    indices[position], ast.Load()))
                position += 1
        slice_node = ast.Tuple(selected, ast.Load()) if len(selected) != 1 else selected[0]
        return ast.Subscript(ast.Name(node.value.id, ast.Load())
                             if isinstance(node.value, ast.Name) else node.value,
                             slice_node, ast.Load())

    def call_cell(self, node: ast.Call, shape, indices, before) -> ast.expr:
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr == "transpose":
            order = ast.literal_eval(node.args[0])[:-1]
            selected: list[ast.expr] = [ast.Constant(0)] * len(order)
            for axis, source in enumerate(order):
                selected[source] = indices[axis]
            return self.cell(function.value, selected, before)
        if (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                and function.value.id == "_np" and function.attr in CELL_FUNCTIONS):
            target = CELL_FUNCTIONS[function.attr]
        elif isinstance(function, ast.Name) and function.id in CELL_HELPERS:
            target = function.id
        elif isinstance(function, ast.Name) and function.id == "_interpolate":
            table = node.args[1]
            if not isinstance(table, ast.Name):
                raise NotElementwise
            return ast.Call(ast.parse("np.interp", mode="eval").body,
                            [self.part_cell(node.args[0], shape, indices, before),
                             ast.Name(f"{table.id}__xs", ast.Load()),
                             ast.Name(f"{table.id}__ys", ast.Load())], [])
        else:
            raise NotElementwise
        return ast.Call(ast.parse(target, mode="eval").body,
                        [self.part_cell(argument, shape, indices, before)
                         for argument in node.args], [])
