"""Translate a Vensim model into numpy source code for the ensemble engine.

PySD's translator parses the ``.mdl`` file into an ``AbstractModel`` (dataclasses in
``pysd/translators/structures``). This module walks that tree and turns every model
element into a line of Python in which each variable is a numpy array over the ensemble
axis. It does not copy any equation: change the ``.mdl`` and the generated code follows.

Two sets of statements come out of :func:`build_specification`:

* loop statements, evaluated once per time step (auxiliaries, and the inputs of stocks,
  delays and smooths), ordered later by their dependency graph;
* initial statements, evaluated once at the initial time: the same auxiliaries plus the
  initial values of every stateful object (INTEG, DELAY FIXED, SMOOTH, DELAY, INITIAL).

:func:`generate_source` keeps only what the requested columns need, hoists what cannot
change during a run out of the time loop, and writes one ``simulate`` function. The
helpers it calls (``_np``, ``_as_state``, ``_delay_fixed_push``, ...) are supplied by
``model/ensemble.py`` when the source is compiled.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from numbers import Number
from pathlib import Path

CONTROL_NAMES = ("initial_time", "final_time", "time_step", "saveper")

# Vensim's :NA: is the finite value -2^109, so that ``x = :NA:`` can be tested (Vensim's
# documentation, "NA"). PySD's parser turns it into NaN; the engine follows Vensim.
VENSIM_NA = -(2.0 ** 109)

# A negative number literal in parentheses raised to a power, e.g. ``(-2)^2``, in the raw
# text of an equation (PySD's parser folds both ``-2`` and ``(-2)`` into the literal -2).
PARENTHESIZED_NEGATIVE_BASE = re.compile(
    r"\(\s*-\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*\)\s*\^")

# Vensim name of each AST structure the engine cannot run, for error messages.
UNSUPPORTED_STRUCTURES = {
    "DelayNStructure": "DELAY N", "SmoothNStructure": "SMOOTH N", "TrendStructure": "TREND",
    "ForecastStructure": "FORECAST", "SampleIfTrueStructure": "SAMPLE IF TRUE",
    "GetDataStructure": "GET XLS/DIRECT DATA", "GetLookupsStructure": "GET XLS/DIRECT LOOKUPS",
    "GetConstantsStructure": "GET XLS/DIRECT CONSTANTS", "DataStructure": "a data variable",
    "GameStructure": "GAME", "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
    "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    "SubscriptsReferenceStructure": "subscripts",
}

# Vensim function (PySD's lower-case name) -> (numpy template, number of arguments).
FUNCTIONS = {
    "abs": ("_np.abs({0})", 1), "exp": ("_np.exp({0})", 1), "sqrt": ("_np.sqrt({0})", 1),
    "ln": ("_np.log({0})", 1), "log": ("(_np.log({0}) / _np.log({1}))", 2),
    "sin": ("_np.sin({0})", 1), "cos": ("_np.cos({0})", 1), "tan": ("_np.tan({0})", 1),
    "arcsin": ("_np.arcsin({0})", 1), "arccos": ("_np.arccos({0})", 1),
    "arctan": ("_np.arctan({0})", 1), "power": ("_np.power({0}, {1})", 2),
    "min": ("_np.minimum({0}, {1})", 2), "max": ("_np.maximum({0}, {1})", 2),
    "integer": ("_np.trunc({0})", 1),
    "if_then_else": ("_np.where({0}, {1}, {2})", 3),
    "zidz": ("_xidz({0}, {1}, 0.0)", 2), "xidz": ("_xidz({0}, {1}, {2})", 3),
    # PySD: value * (time + time_step / 2 > start)
    "step": ("({0} * (time + _dt / 2 > {1}))", 2),
    # PySD: (time + SMALL_VENSIM > start) * slope * (min(finish, time) - start)
    "ramp": ("((time + 1e-06 > {1}) * {0} * (_np.minimum({2}, time) - {1}))", 3),
    "pulse": ("_pulse(time, {0}, {1})", 2),
}

# How each stateful structure becomes generated code. "loop" parts are evaluated at each
# step, "initial" parts once; in the templates {o} is the object's name. Semantics follow
# pysd/py_backend/statefuls.py (Integ, DelayFixed, Smooth, Delay, Initial).
STATEFUL_TEMPLATES = {
    "IntegStructure": {
        "prefix": "_integ", "loop": {"flow": "flow"}, "initial": {"init": "initial"},
        "owned": (), "output": None,
        "update": "{o} = {o} + {o}__flow * _dt",
        "start": "{o} = _as_state({o}__init, _n)"},
    "DelayFixedStructure": {
        "prefix": "_delayfixed", "loop": {"input": "input"},
        "initial": {"init": "initial", "delay": "delay_time"},
        "owned": ("__ring", "__order"), "output": None,
        "update": "{o} = _delay_fixed_push({o}__ring, {o}__order, _k, {o}__input)",
        "start": "{o}, {o}__ring, {o}__order = _delay_fixed_start({o}__init, {o}__delay, _dt, "
                 "_n)"},
    "SmoothStructure": {
        "prefix": "_smooth", "loop": {"input": "input", "time": "smooth_time"},
        "initial": {"init": "initial"}, "owned": ("__state",), "output": None,
        "update": "{o}__state = {o}__state + _smooth_change({o}__state, {o}__input, {o}__time, "
                  "{order}) * _dt\n{o} = {o}__state[-1]",
        "start": "{o}__state = _stages({o}__init, {order}, _n)\n{o} = {o}__state[-1]"},
    "DelayStructure": {
        "prefix": "_delay", "loop": {"input": "input", "time": "delay_time"},
        "initial": {"init": "initial"}, "owned": ("__state",),
        # The output divides by the current delay time, as PySD's Delay.__call__ does.
        "output": "{o} = {o}__state[-1] / {o}__time",
        "update": "{o}__state = {o}__state + _delay_change({o}__state, {o}__input, {o}__time) "
                  "* _dt",
        "start": "{o}__state = _delay_start({o}__init, {o}__time, {order}, _dt, _n, "
                 "{element})\n{o} = {o}__state[-1] / {o}__time"},
    "InitialStructure": {
        "prefix": "_initial", "loop": {}, "initial": {"init": "initial"}, "owned": (),
        "output": None, "update": None, "start": "{o} = _frozen({o}__init)"},
}

# Helper names of the generated code whose value never changes during a run.
FIXED_HELPERS = frozenset({"_np", "_dt", "_n", "_interpolate", "_pulse", "_xidz"})

INFIX_OPERATORS = {"^": "**", "*": "*", "/": "/", "+": "+", "-": "-", "=": "==", "<>": "!=",
                   ">=": ">=", ">": ">", "<=": "<=", "<": "<"}
FUNCTION_OPERATORS = {":AND:": "_np.logical_and", ":OR:": "_np.logical_or"}


class EnsembleError(Exception):
    """The model uses something the ensemble engine cannot run, or a run was asked wrongly."""


@dataclass
class Statement:
    """Python source defining ``targets`` from the names in ``dependencies``."""

    targets: tuple[str, ...]
    code: str
    dependencies: frozenset[str]
    element: str  # Vensim name of the model element it comes from (for messages)


@dataclass
class StatefulObject:
    """A stock, delay, smooth or INITIAL value created by one model element.

    ``name`` is its output's identifier; ``update`` advances it by one time step (empty for
    INITIAL); ``owned`` lists the identifiers it keeps between steps.
    """

    kind: str
    name: str
    element: str
    update: Statement | None
    owned: tuple[str, ...]


@dataclass
class ModelSpecification:
    """Everything the engine needs from one ``.mdl`` file, as plain data."""

    source_sha256: str
    constants: dict[str, float]
    control_aliases: dict[str, str]  # control variable defined as another, e.g. saveper
    real_names: dict[str, str]  # py name -> Vensim name, for every variable
    loop: dict[str, Statement] = field(default_factory=dict)
    initial: dict[str, Statement] = field(default_factory=dict)
    objects: dict[str, StatefulObject] = field(default_factory=dict)
    tables: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(default_factory=dict)

    @property
    def variables(self) -> tuple[str, ...]:
        """Py names that ``run`` can return (every variable and constant, and ``time``)."""
        return ("time", *self.real_names)


def _numeric(value) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


class _ElementTranslator:
    """Translates the expression of one element, creating its stateful objects."""

    def __init__(self, builder: _SpecificationBuilder, element_name: str, identifier: str):
        self.builder = builder
        self.element = element_name
        self.identifier = identifier
        self.dependencies: set[str] = set()

    def fail(self, construct: str) -> EnsembleError:
        return EnsembleError(
            f"variable '{self.element}' uses {construct}, which the ensemble engine does not "
            "support")

    def expression(self, node) -> str:
        """numpy source of ``node``; the names it reads are added to ``self.dependencies``."""
        kind = type(node).__name__
        if _numeric(node):
            value = float(node)
            if value != value:  # NaN is how PySD's parser writes :NA:
                value = VENSIM_NA
            return f"({value!r})" if value < 0 else repr(value)
        handler = getattr(self, "_" + kind, None)
        if handler is None:
            raise self.fail(UNSUPPORTED_STRUCTURES.get(kind, kind))
        return handler(node)

    def _ReferenceStructure(self, node) -> str:
        if node.subscripts is not None:
            raise self.fail("subscripts")
        name = self.builder.resolve(node.reference, self)
        if name in self.builder.tables:
            raise self.fail(f"the lookup table '{node.reference}' without an argument")
        self.dependencies.add(name)
        return name

    def power_base(self, node) -> str:
        """Source of ``node`` as the base of ``^``.

        Vensim applies a unary minus after the power (``-2^2`` is -4), and PySD's parser
        folds the minus of ``-2`` into the literal. A negative literal base is therefore
        written unparenthesised (Python's ``-2.0 ** 2.0`` is -4.0), unless the equation
        wrote it in parentheses, ``(-2)^2``, which Vensim evaluates to 4 (PySD gives -4:
        the parser drops the parentheses; the engine follows Vensim).
        """
        if not (_numeric(node) and float(node) < 0):
            return self.expression(node)
        if self.builder.parenthesized_negative_bases(self.element, self):
            return f"({float(node)!r})"
        return repr(float(node))

    def _ArithmeticStructure(self, node) -> str:
        operators = list(node.operators)
        codes = [self.power_base(argument)
                 if index < len(operators) and operators[index] == "^"
                 else self.expression(argument)
                 for index, argument in enumerate(node.arguments)]
        if len(codes) == 1:
            if operators[0] == "negative":
                return f"(-{codes[0]})"
            if operators[0] == ":NOT:":
                return f"_np.logical_not({codes[0]})"
            raise self.fail(f"the unary operator {operators[0]}")
        # Fold from the right as PySD's builder does, so that flat operator lists parse the
        # same way (Python precedence for infix operators, nesting for AND/OR).
        right = codes.pop()
        while operators:
            operator, left = operators.pop(), codes.pop()
            if operator in INFIX_OPERATORS:
                right = f"{left} {INFIX_OPERATORS[operator]} {right}"
            elif operator in FUNCTION_OPERATORS:
                right = f"{FUNCTION_OPERATORS[operator]}({left}, {right})"
            else:
                raise self.fail(f"the operator {operator}")
        return f"({right})"

    _LogicStructure = _ArithmeticStructure

    def _CallStructure(self, node) -> str:
        function = node.function.reference
        arguments = [self.expression(argument) for argument in node.arguments]
        table = self.builder.cleanspace.get(function)
        if table in self.builder.tables:
            if len(arguments) != 1:
                raise self.fail(f"the lookup '{function}' with {len(arguments)} arguments")
            return self.lookup_call(arguments[0], table)
        if function not in FUNCTIONS:
            raise self.fail(function.upper().replace("_", " "))
        template, arity = FUNCTIONS[function]
        if len(arguments) != arity:
            raise self.fail(f"{function.upper()} with {len(arguments)} arguments")
        if "time" in template:
            self.dependencies.add("time")
        return template.format(*arguments)

    def lookup_call(self, argument: str, table: str) -> str:
        self.dependencies.add(table)
        return f"_interpolate({argument}, {table})"

    def _InlineLookupsStructure(self, node) -> str:
        argument = self.expression(node.argument)
        name = self.builder.new_name(self.identifier, "_table")
        self.builder.add_table(name, node.lookups, self)
        return self.lookup_call(argument, name)

    def _part(self, name: str, role: str, node, each_step: bool) -> str:
        """Translate ``node`` into the statement ``name__role``, evaluated at each step
        (a loop statement) or only at the initial time; returns its identifier."""
        translator = _ElementTranslator(self.builder, self.element, self.identifier)
        code = translator.expression(node)
        identifier = f"{name}__{role}"
        spec = self.builder.specification
        (spec.loop if each_step else spec.initial)[identifier] = Statement(
            (identifier,), f"{identifier} = {code}", frozenset(translator.dependencies),
            self.element)
        return identifier

    def _stateful(self, node) -> str:
        """Create the stateful object of an INTEG, DELAY FIXED, SMOOTH, DELAY or INITIAL."""
        template = STATEFUL_TEMPLATES[type(node).__name__]
        if getattr(node, "non_negative", False):
            raise self.fail("a non-negative stock")
        order = getattr(node, "order", 1)
        if not _numeric(order) or int(order) != order or order < 1:
            raise self.fail(f"a delay or smooth of order {order!r}")
        name = self.builder.new_name(self.identifier, template["prefix"])
        self.dependencies.add(name)
        loop = {self._part(name, role, getattr(node, field_name), True)
                for role, field_name in template["loop"].items()}
        initial = {self._part(name, role, getattr(node, field_name), False)
                   for role, field_name in template["initial"].items()}
        fill = {"o": name, "order": int(order), "element": repr(self.element)}
        targets = (name, *(name + suffix for suffix in template["owned"]))

        def statement(key: str, dependencies: set[str]) -> Statement | None:
            if template[key] is None:
                return None
            code = template[key].format(**fill)
            used = {part for part in loop if part in code} | dependencies
            return Statement(targets, code, frozenset(used), self.element)

        if template["output"]:
            self.builder.specification.loop[name] = statement("output", {name + "__state"})
        self.builder.add_object(template["prefix"][1:], name, self.element,
                                statement("update", set()), statement("start", initial),
                                targets[1:])
        return name

    _IntegStructure = _DelayFixedStructure = _SmoothStructure = _stateful
    _DelayStructure = _InitialStructure = _stateful


class _SpecificationBuilder:
    """Walks PySD's abstract model and fills a :class:`ModelSpecification`."""

    def __init__(self, abstract_model, source_sha256: str,
                 raw_equations: dict[str, str] | None = None):
        from pysd.builders.python.namespace import NamespaceManager

        sections = abstract_model.sections
        if len(sections) != 1:
            raise EnsembleError("the model defines macros, which the ensemble engine does not "
                                "support")
        self.section = sections[0]
        # PySD's own namespace manager, fed in PySD's order, gives PySD's py names.
        self.namespace = NamespaceManager()
        for element in self.section.elements:
            self.namespace.add_to_namespace(element.name)
        self.cleanspace = self.namespace.cleanspace
        self.specification = ModelSpecification(source_sha256, {}, {}, {})
        self.raw_equations = raw_equations or {}
        self.tables = self.specification.tables

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

    def resolve(self, reference: str, translator: _ElementTranslator) -> str:
        if reference not in self.cleanspace:
            raise translator.fail(f"the unknown name '{reference}' (a subscript?)")
        return self.cleanspace[reference]

    def add_table(self, name: str, lookups, translator: _ElementTranslator) -> None:
        if lookups.type != "interpolate":
            raise translator.fail(f"a lookup of type '{lookups.type}'")
        pairs = sorted(zip((float(x) for x in lookups.x), (float(y) for y in lookups.y),
                           strict=True))
        xs = tuple(x for x, _ in pairs)
        if len(set(xs)) != len(xs):
            raise translator.fail("a lookup with repeated x values")
        self.tables[name] = (xs, tuple(y for _, y in pairs))

    def add_object(self, kind: str, name: str, element: str, update: Statement | None,
                   start: Statement, owned: tuple[str, ...]) -> None:
        spec = self.specification
        spec.objects[name] = StatefulObject(kind, name, element, update, (name, *owned))
        for target in start.targets:
            spec.initial[target] = start

    def build(self) -> ModelSpecification:
        spec = self.specification
        elements = []
        for element in self.section.elements:
            identifier = self.namespace.namespace[element.name]
            if len(element.components) != 1 or element.components[0].subscripts != ([], []):
                raise EnsembleError(f"variable '{element.name}' uses subscripts, which the "
                                    "ensemble engine does not support")
            component = element.components[0]
            translator = _ElementTranslator(self, element.name, identifier)
            if type(component).__name__ == "AbstractLookup":
                if type(component.ast).__name__ != "LookupsStructure":
                    raise translator.fail(UNSUPPORTED_STRUCTURES.get(
                        type(component.ast).__name__, "an external lookup"))
                self.add_table(identifier, component.ast, translator)
            elif type(component).__name__ == "AbstractData":
                raise translator.fail("a data variable")
            else:
                elements.append((element, identifier, component.ast, translator))
        for element, identifier, node, translator in elements:
            spec.real_names[identifier] = element.name
            if _numeric(node):
                value = float(node)
                spec.constants[identifier] = VENSIM_NA if value != value else value
            elif identifier in CONTROL_NAMES and type(node).__name__ == "ReferenceStructure":
                spec.control_aliases[identifier] = self.resolve(node.reference, translator)
            else:
                code = translator.expression(node)
                statement = Statement((identifier,), f"{identifier} = {code}",
                                      frozenset(translator.dependencies), element.name)
                spec.loop[identifier] = statement
        for name in CONTROL_NAMES:
            if name not in spec.constants and name not in spec.control_aliases:
                raise EnsembleError(f"the control variable {name} must be a number")
        for name, target in spec.control_aliases.items():
            spec.constants[name] = spec.constants[target]
        # Every loop statement can also be needed while initialising.
        for name, statement in spec.loop.items():
            spec.initial.setdefault(name, statement)
        # Fail now, not at the first run, on a simultaneous equation loop.
        _topological_order(set(spec.loop), spec.loop)
        _topological_order(set(spec.initial), spec.initial)
        return spec


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


def _negative_literal_bases(nodes) -> int:
    """How many negative number literals are the base of a ``^`` in ``nodes`` (ASTs)."""
    count = 0
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if type(node).__name__ in ("ArithmeticStructure", "LogicStructure"):
            count += sum(1 for index, operator in enumerate(node.operators)
                         if operator == "^" and _numeric(node.arguments[index])
                         and float(node.arguments[index]) < 0)
        if hasattr(node, "__dataclass_fields__"):
            pending.extend(getattr(node, name) for name in node.__dataclass_fields__)
        elif isinstance(node, (list, tuple)):
            pending.extend(node)
    return count


def _topological_order(names: set[str], statements: dict[str, Statement]) -> list[Statement]:
    """Statements defining ``names``, each after the statements it reads from."""
    ordered: list[Statement] = []
    emitted: set[str] = set()  # by code: a statement may define several names
    state: dict[str, int] = {}  # 1 while visiting, 2 when done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2 or name not in names:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            elements = " -> ".join(statements[item].element for item in cycle)
            raise EnsembleError(f"the model has a simultaneous equation loop: {elements}")
        state[name] = 1
        statement = statements[name]
        for dependency in sorted(statement.dependencies):
            visit(dependency, path + [name])
        for target in statement.targets:
            state[target] = 2
        if statement.code not in emitted:
            emitted.add(statement.code)
            ordered.append(statement)

    for name in sorted(names):
        visit(name, [])
    return ordered


class _FixedHoister(ast.NodeTransformer):
    """Replaces sub-expressions of loop statements that cannot change during a run.

    Each maximal sub-expression reading only fixed names becomes a variable computed once
    before the loop. The same operations run on the same values, so results are unchanged
    to the last bit; Python's left-to-right grouping (``a / b * c * x`` is
    ``((a / b) * c) * x``) leaves the fixed prefix of such chains as one sub-tree.
    """

    def __init__(self, fixed: set[str]):
        self.fixed = fixed | FIXED_HELPERS
        self.definitions: dict[str, str] = {}  # source -> variable name

    def visit(self, node):
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant)):
            names = {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}
            if names - FIXED_HELPERS and names <= self.fixed:
                source = ast.unparse(node)
                name = self.definitions.setdefault(source, f"_fixed_{len(self.definitions)}")
                return ast.Name(id=name, ctx=ast.Load())
        return super().visit(node)

    def hoist(self, code: str) -> str:
        return ast.unparse(self.visit(ast.parse(code)))

    def source(self) -> str:
        return "".join(f"{name} = {source}\n" for source, name in self.definitions.items())


def _indent(code: str, depth: int) -> str:
    return "".join("    " * depth + line + "\n" for line in code.splitlines())


def generate_source(spec: ModelSpecification, return_columns: list[str],
                    time_varying: frozenset[str]) -> str:
    """Source of ``simulate(...)`` computing ``return_columns``.

    ``time_varying`` names the constants given a value per time step. The function reads
    ``_parameters[name]`` (scalar or array over the chunk) for the other constants,
    ``_series[name][k]`` for time-varying ones, and writes ``_outputs[i][j] = column_i``
    at each step ``k`` for every time index ``j`` in ``_record[k]``.
    """
    owner = {owned: obj for obj in spec.objects.values() for owned in obj.owned}
    # What the requested columns need, following objects to the inputs of their updates.
    needed: set[str] = set()
    active: dict[str, StatefulObject] = {}
    pending = list(return_columns)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        if name in spec.loop:
            pending.extend(spec.loop[name].dependencies)
        obj = owner.get(name)
        if obj is not None and obj.name not in active:
            active[obj.name] = obj
            if obj.update is not None:
                pending.extend(obj.update.dependencies)
    # Values fixed for a whole run are computed once, before the time loop.
    fixed = {name for name in spec.constants if name not in time_varying}
    fixed |= {name for name, obj in spec.objects.items() if obj.kind in ("initial",)}
    fixed |= set(spec.tables)
    changed = True
    while changed:
        changed = False
        for name, statement in spec.loop.items():
            if name not in fixed and name not in owner and statement.dependencies <= fixed:
                fixed.add(name)
                changed = True
    loop_names = {name for name in needed if name in spec.loop and name not in fixed}
    initial_needed: set[str] = set()
    pending = [name for name in needed if name in spec.loop and name in fixed]
    pending += [target for obj in active.values() for target in spec.initial[obj.name].targets]
    while pending:
        name = pending.pop()
        if name in initial_needed or name not in spec.initial:
            continue
        initial_needed.add(name)
        pending.extend(spec.initial[name].dependencies)

    lines = ["def simulate(_parameters, _series, _times, _dt, _n, _record, _outputs):",
             "    time = _times[0]"]
    for name in sorted(spec.constants):
        if name in time_varying:
            lines += [f"    _series_{name} = _series[{name!r}]", f"    {name} = _series_{name}[0]"]
        else:
            lines.append(f"    {name} = _parameters[{name!r}]")
    lines += [f"    {name} = _tables[{name!r}]" for name in sorted(spec.tables)]
    hoister = _FixedHoister(fixed)
    loop_body = "".join(hoister.hoist(statement.code) + "\n" for statement in
                        _topological_order(loop_names, spec.loop))
    body = "".join(statement.code + "\n" for statement in
                   _topological_order(initial_needed, spec.initial))
    lines.append(_indent(body + hoister.source(), 1).rstrip("\n"))
    lines += [f"    _output_{index} = _outputs[{index}]" for index in range(len(return_columns))]
    lines += ["    _last = len(_times) - 1", "    for _k in range(_last + 1):",
              "        time = _times[_k]"]
    lines += [f"        {name} = _series_{name}[_k]" for name in sorted(time_varying)]
    lines.append(_indent(loop_body, 2).rstrip("\n"))
    lines.append("        for _j in _record[_k]:")
    lines += [f"            _output_{index}[_j] = {name}"
              for index, name in enumerate(return_columns)]
    lines += ["        if _k == _last:", "            break"]
    updates = [obj.update.code for obj in active.values() if obj.update is not None]
    lines.append(_indent("\n".join(sorted(updates)) or "pass", 2).rstrip("\n"))
    return "\n".join(line for line in lines if line) + "\n"
