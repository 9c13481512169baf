"""Translate a Vensim model into numpy source code for the ensemble engine.

PySD's translator parses the ``.mdl`` file into an ``AbstractModel`` (dataclasses in
``pysd/translators/structures``). This module walks that tree and turns every model
element into Python in which each variable is a numpy array over the ensemble axis (see
:mod:`model.ensemble_translator` for one equation, :mod:`model.ensemble_subscripts` for
subscripts). It does not copy any equation: change the ``.mdl`` and the generated code
follows.

Two sets of statements come out of :func:`build_specification`:

* loop statements, evaluated once per time step (auxiliaries, and the inputs of stocks,
  delays and smooths), ordered later by their dependency graph;
* initial statements, evaluated once at the initial time: the same auxiliaries plus the
  initial values of every stateful object (INTEG, DELAY FIXED, SMOOTH, DELAY, INITIAL).

:func:`model.ensemble_codegen.generate_source` turns them into one ``simulate`` function.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from .ensemble_codegen import generate_source, topological_order
from .ensemble_macros import MacroSection
from .ensemble_spec import (
    CONTROL_NAMES,
    VENSIM_NA,
    EnsembleError,
    ModelSpecification,
    StatefulObject,
    Statement,
    evaluate_control,
    numeric,
)
from .ensemble_subscripts import (
    Axis,
    Ranges,
    SubscriptError,
    box,
    box_index,
    element_dimensions,
    except_mask,
    full_shape,
    positions,
)
from .ensemble_translator import UNSUPPORTED_STRUCTURES, ElementTranslator

__all__ = ["CONTROL_NAMES", "EnsembleError", "ModelSpecification", "StatefulObject",
           "Statement", "build_specification", "generate_source"]

# A negative number literal in parentheses raised to a power, e.g. ``(-2)^2``, in the raw
# text of an equation (PySD's parser folds both ``-2`` and ``(-2)`` into the literal -2).
PARENTHESIZED_NEGATIVE_BASE = re.compile(
    r"\(\s*-\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*\)\s*\^")


def _constant_value(node) -> float | np.ndarray | None:
    """The number or array of a constant equation, or None if it is not one."""
    if isinstance(node, np.ndarray):
        values = node.astype(np.float64)
        return np.where(np.isnan(values), VENSIM_NA, values)
    if numeric(node):
        value = float(node)
        return VENSIM_NA if value != value else value
    return None


class _SpecificationBuilder:
    """Walks PySD's abstract model and fills a :class:`ModelSpecification`."""

    def __init__(self, abstract_model, source_sha256: str,
                 raw_equations: dict[str, str] | None = None):
        from pysd.builders.python.namespace import NamespaceManager

        sections = abstract_model.sections
        self.section = next(section for section in sections if section.type == "main")
        self.macros = {}
        for section in sections:
            if section.type == "macro":
                macro = MacroSection(section)
                self.macros["_".join(section.name.lower().split())] = macro
        try:
            self.ranges = Ranges(self.section.subscripts)
        except SubscriptError as error:
            raise EnsembleError(str(error)) from None
        # PySD's own namespace manager, fed in PySD's order, gives PySD's py names.
        self.namespace = NamespaceManager()
        for element in self.section.elements:
            self.namespace.add_to_namespace(element.name)
        self.cleanspace = self.namespace.cleanspace
        self.specification = ModelSpecification(source_sha256, {}, {}, {})
        self.specification.ranges = dict(self.ranges.elements)
        self.raw_equations = raw_equations or {}
        self.tables = self.specification.tables
        self.dimensions = self.specification.dimensions
        self.lookup_dimensions: dict[str, tuple[str, ...]] = {}

    def parenthesized_negative_bases(self, element: str, translator) -> bool:
        """Whether the negative literal bases of ``^`` in ``element`` are in parentheses.

        Counts ``(-number)^`` in the element's raw text against the negative literal
        bases in its parsed form: all or none must be parenthesised (a mixture cannot be
        told apart after parsing and is refused).
        """
        text = self.raw_equations.get(element, "")
        written = len(PARENTHESIZED_NEGATIVE_BASE.findall(text))
        if written == 0:
            return False
        parsed = _negative_literal_bases(
            [component.ast for candidate in self.section.elements
             if candidate.name == element for component in candidate.components])
        if written != parsed:
            raise translator.fail("both (-number)^ and -number^ in one equation")
        return True

    def new_name(self, identifier: str, prefix: str) -> str:
        return self.namespace.make_python_identifier(identifier, prefix=prefix)

    def resolve(self, reference: str, translator: ElementTranslator) -> str:
        if reference not in self.cleanspace:
            raise translator.fail(f"the unknown name '{reference}' (a subscript?)")
        return self.cleanspace[reference]

    def table(self, lookups, translator: ElementTranslator) -> tuple[tuple, tuple]:
        if lookups.type != "interpolate":
            raise translator.fail(f"a lookup of type '{lookups.type}'")
        pairs = sorted(zip((float(x) for x in lookups.x), (float(y) for y in lookups.y),
                           strict=True))
        xs = tuple(x for x, _ in pairs)
        if len(set(xs)) != len(xs):
            raise translator.fail("a lookup with repeated x values")
        return xs, tuple(y for _, y in pairs)

    def add_table(self, name: str, lookups, translator: ElementTranslator) -> None:
        self.tables[name] = self.table(lookups, translator)

    def add_object(self, kind: str, name: str, element: str, update: Statement | None,
                   start: Statement, owned: tuple[str, ...]) -> None:
        spec = self.specification
        spec.objects[name] = StatefulObject(kind, name, element, update, (name, *owned))
        for target in start.targets:
            spec.initial[target] = start

    # -- subscripted elements ------------------------------------------------------------
    def parts(self, element, identifier: str, dimensions):
        """(equation, axes, index source, :EXCEPT: mask or None) of each equation of
        ``element``, checking that they define every element once."""
        shape = full_shape(self.ranges, dimensions)
        covered = np.zeros(shape, dtype=np.int64)
        result = []
        for component in element.components:
            subscripts, exceptions = component.subscripts
            axes = box(self.ranges, dimensions, subscripts)
            mask = except_mask(self.ranges, axes, exceptions) if exceptions else None
            cells = np.zeros(shape, dtype=np.int64)
            selection = np.ix_(*(positions(self.ranges, axis) for axis in axes))
            cells[selection] = 1 if mask is None else mask
            covered += cells
            if mask is not None:
                axes, mask = _narrowed(axes, mask)
            result.append((component, axes, box_index(self.ranges, axes), mask))
        if (covered != 1).any():
            problem = "twice" if (covered > 1).any() else "not at all"
            raise SubscriptError(f"some of its elements are defined {problem}")
        return result

    def subscripted_lookup(self, element, identifier: str, dimensions) -> None:
        translator = ElementTranslator(self, element.name, identifier)
        flat: list[str | None] = [None] * int(np.prod(full_shape(self.ranges, dimensions)))
        grid = np.arange(len(flat)).reshape(full_shape(self.ranges, dimensions))
        for component, axes, _, keep in self.parts(element, identifier, dimensions):
            if type(component.ast).__name__ != "LookupsStructure":
                raise translator.fail("an external lookup")
            cells = grid[np.ix_(*(positions(self.ranges, axis) for axis in axes))]
            table = self.table(component.ast, translator)
            for position, cell in np.ndenumerate(cells):
                if keep is None or keep[position]:
                    flat[int(cell)] = f"{identifier}__{int(cell)}"
                    self.tables[f"{identifier}__{int(cell)}"] = table
        self.specification.lookup_arrays[identifier] = tuple(flat)
        self.specification.arrays[f"{identifier}__index"] = grid[..., np.newaxis].tolist()
        self.specification.dimensions[f"{identifier}__index"] = dimensions
        self.lookup_dimensions[identifier] = dimensions

    def subscripted_constant(self, element, identifier, dimensions) -> bool:
        """Store ``element`` as a subscripted constant if every equation is a number."""
        values = [_constant_value(component.ast) for component in element.components]
        if any(value is None for value in values):
            return False
        array = np.full(full_shape(self.ranges, dimensions), np.nan)
        for (_, axes, _, mask), value in zip(self.parts(element, identifier, dimensions),
                                             values, strict=True):
            selection = np.ix_(*(positions(self.ranges, axis) for axis in axes))
            block = np.broadcast_to(value, [len(axis.elements) for axis in axes])
            array[selection] = block if mask is None else np.where(mask, block,
                                                                   array[selection])
        self.specification.constants[identifier] = array.tolist()
        return True

    def subscripted_statement(self, element, identifier: str, dimensions) -> Statement:
        shape = full_shape(self.ranges, dimensions)
        parts = self.parts(element, identifier, dimensions)
        dependencies: set[str] = set()
        lines = []
        for number, (component, axes, index, mask) in enumerate(parts):
            translator = ElementTranslator(self, element.name, identifier, axes)
            code = translator.expression(component.ast)
            dependencies |= translator.dependencies
            whole = all(len(axis.elements) == size for axis, size in zip(axes, shape,
                                                                         strict=True))
            if len(parts) == 1 and whole:
                lines.append(f"{identifier} = _fill({code}, {shape!r})")
            elif mask is None:
                lines.append(f"{identifier}[{index}] = {code}")
            else:
                mask_name = f"{identifier}__except_{number}"
                self.specification.arrays[mask_name] = mask[..., np.newaxis].tolist()
                dependencies.add(mask_name)
                lines.append(f"{identifier}[{index}] = _np.where({mask_name}, {code}, "
                             f"{identifier}[{index}])")
        if len(lines) > 1 or not lines[0].startswith(f"{identifier} ="):
            lines.insert(0, f"{identifier} = _np.empty({shape + ('_n',)!r})".replace(
                "'_n'", "_n"))
        return Statement((identifier,), "\n".join(lines), frozenset(dependencies),
                         element.name)

    # -- the whole model -----------------------------------------------------------------
    def element_dimensions(self, element) -> tuple[str, ...]:
        try:
            return element_dimensions(
                self.ranges, [component.subscripts[0] for component in element.components])
        except SubscriptError as error:
            raise EnsembleError(f"variable '{element.name}': {error}") from None

    def build(self) -> ModelSpecification:
        spec = self.specification
        elements = []
        for element in self.section.elements:
            identifier = self.namespace.namespace[element.name]
            dimensions = self.element_dimensions(element)
            component = element.components[0]
            translator = ElementTranslator(self, element.name, identifier)
            kind = type(component).__name__
            if kind == "AbstractData":
                raise translator.fail("a data variable")
            if not dimensions and len(element.components) != 1:
                raise translator.fail("several equations without subscripts")
            if kind == "AbstractLookup" and dimensions:
                self.guard(self.subscripted_lookup, element, identifier, dimensions)
            elif kind == "AbstractLookup":
                if type(component.ast).__name__ != "LookupsStructure":
                    raise translator.fail(UNSUPPORTED_STRUCTURES.get(
                        type(component.ast).__name__, "an external lookup"))
                self.add_table(identifier, component.ast, translator)
            else:
                if dimensions:
                    self.dimensions[identifier] = dimensions
                elements.append((element, identifier, dimensions, translator))
        for element, identifier, dimensions, translator in elements:
            spec.real_names[identifier] = element.name
            node = element.components[0].ast
            if dimensions:
                if not self.guard(self.subscripted_constant, element, identifier, dimensions):
                    spec.loop[identifier] = self.guard(self.subscripted_statement, element,
                                                       identifier, dimensions)
            elif _constant_value(node) is not None and not isinstance(node, np.ndarray):
                spec.constants[identifier] = _constant_value(node)
            elif identifier in CONTROL_NAMES and type(node).__name__ == "ReferenceStructure":
                spec.control_aliases[identifier] = self.resolve(node.reference, translator)
            elif identifier in CONTROL_NAMES:
                code = translator.expression(node)
                spec.control_expressions[identifier] = (
                    code, tuple(sorted(translator.dependencies)))
            else:
                code = translator.expression(node)
                statement = Statement((identifier,), f"{identifier} = {code}",
                                      frozenset(translator.dependencies), element.name)
                spec.loop[identifier] = statement
        self.control_defaults()
        # Every loop statement can also be needed while initialising.
        for name, statement in spec.loop.items():
            spec.initial.setdefault(name, statement)
        # Fail now, not at the first run, on a simultaneous equation loop.
        topological_order(set(spec.loop), spec.loop)
        topological_order(set(spec.initial), spec.initial)
        return spec

    def control_defaults(self) -> None:
        """Default values of the controls given as another control or an expression."""
        spec = self.specification
        for name, (_, names) in spec.control_expressions.items():
            wrong = [other for other in names if other not in spec.constants
                     and other not in CONTROL_NAMES or other in self.dimensions]
            if wrong:
                raise EnsembleError(
                    f"the control variable {spec.real_names[name]} reads '{wrong[0]}'; it "
                    "may only read constants and other control variables")
        pending = [name for name in CONTROL_NAMES if name not in spec.constants]
        for _ in range(len(CONTROL_NAMES)):
            for name in list(pending):
                if name in spec.control_aliases and spec.control_aliases[name] in spec.constants:
                    spec.constants[name] = spec.constants[spec.control_aliases[name]]
                elif name in spec.control_expressions and all(
                        other in spec.constants for other in spec.control_expressions[name][1]):
                    spec.constants[name] = evaluate_control(spec.control_expressions[name][0],
                                                            spec.constants)
                else:
                    continue
                pending.remove(name)
        if pending:
            raise EnsembleError(f"the control variable {pending[0]} must be a number, another "
                                "control variable or an expression of constants")

    @staticmethod
    def guard(method, element, *arguments):
        """Call ``method``, turning a subscript problem into an error naming ``element``."""
        try:
            return method(element, *arguments)
        except SubscriptError as error:
            raise EnsembleError(f"variable '{element.name}': {error}") from None


def build_specification(mdl_path: str | Path) -> ModelSpecification:
    """Parse ``mdl_path`` with PySD's Vensim translator and describe it for the engine."""
    from pysd.translators.vensim.vensim_file import VensimFile

    mdl_path = Path(mdl_path)
    if not mdl_path.is_file():
        raise EnsembleError(f"{mdl_path}: model file not found")
    source_sha256 = hashlib.sha256(mdl_path.read_bytes()).hexdigest()
    vensim_file = VensimFile(str(mdl_path))
    vensim_file.parse()
    raw_equations: dict[str, str] = {}
    for section in vensim_file.sections:
        for component in section.components:
            raw_equations[component.name] = (raw_equations.get(component.name, "") + "\n"
                                             + str(component.expression))
    return _SpecificationBuilder(vensim_file.get_abstract_model(), source_sha256,
                                 raw_equations).build()


def _narrowed(axes: list[Axis], mask: np.ndarray) -> tuple[list[Axis], np.ndarray | None]:
    """The box of an :EXCEPT: equation cut down to the cells it defines when those form
    a box (one set of elements per axis), so that it is computed only there."""
    keeps = [mask.any(axis=tuple(other for other in range(mask.ndim) if other != position))
             for position in range(mask.ndim)]
    outer = np.ones(mask.shape, dtype=bool)
    for position, keep in enumerate(keeps):
        outer &= keep.reshape([-1 if other == position else 1 for other in range(mask.ndim)])
    if not np.array_equal(outer, mask) or not mask.any():
        return axes, mask
    return [Axis(axis.written, axis.dimension,
                 tuple(element for element, kept in zip(axis.elements, keep, strict=True)
                       if kept))
            for axis, keep in zip(axes, keeps, strict=True)], None


def _negative_literal_bases(nodes) -> int:
    """How many negative number literals are the base of a ``^`` in ``nodes`` (ASTs)."""
    count = 0
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if type(node).__name__ in ("ArithmeticStructure", "LogicStructure"):
            count += sum(1 for index, operator in enumerate(node.operators)
                         if operator == "^" and numeric(node.arguments[index])
                         and float(node.arguments[index]) < 0)
        if hasattr(node, "__dataclass_fields__"):
            pending.extend(getattr(node, name) for name in node.__dataclass_fields__)
        elif isinstance(node, (list, tuple)):
            pending.extend(node)
    return count
