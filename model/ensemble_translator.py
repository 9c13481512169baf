"""Translate one equation of PySD's abstract syntax tree into numpy source.

Used by :mod:`model.ensemble_builder`; each variable becomes an array over the ensemble
(the last axis; subscripted variables have their dimensions before it, see
:mod:`model.ensemble_subscripts`). Stateful structures (INTEG, SMOOTH, DELAY, DELAY FIXED,
INITIAL) create objects whose parts are evaluated at each step or only at the start.
"""

from __future__ import annotations

from typing import Any

from .ensemble_spec import VENSIM_NA, EnsembleError, Statement, numeric
from .ensemble_subscripts import Axis, SubscriptError, reference_code

# Vensim name of each AST structure the engine cannot run, for error messages.
UNSUPPORTED_STRUCTURES = {
    "SampleIfTrueStructure": "SAMPLE IF TRUE",
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
    # PySD's parser reorders PULSE TRAIN(start, width, interval, end) to
    # (start, interval, width, end).
    "pulse_train": ("_pulse_train(time, {0}, {1}, {2}, {3})", 4),
    "modulo": ("_modulo({0}, {1})", 2),
}

# Reductions over the dimensions marked ``!`` in their argument.
REDUCTIONS = {"sum": "_np.sum", "prod": "_np.prod", "vmin": "_np.min", "vmax": "_np.max"}

# How each stateful structure becomes generated code. "loop" parts are evaluated at each
# step, "initial" parts once; in the templates {o} is the object's name and {shape} the
# shape of its state ("_n" for a scalar). Semantics follow pysd/py_backend/statefuls.py.
STATEFUL_TEMPLATES: dict[str, dict[str, Any]] = {
    "IntegStructure": {
        "prefix": "_integ", "loop": {"flow": "flow"}, "initial": {"init": "initial"},
        "owned": (), "output": None,
        "update": "{o} = {o} + {o}__flow * _dt",
        "start": "{o} = _as_state({o}__init, {shape})"},
    "DelayFixedStructure": {
        "prefix": "_delayfixed", "loop": {"input": "input"},
        "initial": {"init": "initial", "delay": "delay_time"},
        "owned": ("__ring", "__order"), "output": None,
        "update": "{o} = _delay_fixed_push({o}__ring, {o}__order, _k, {o}__input)",
        "start": "{o}, {o}__ring, {o}__order = _delay_fixed_start({o}__init, {o}__delay, _dt, "
                 "{shape})"},
    "SmoothStructure": {
        "prefix": "_smooth", "loop": {"input": "input", "time": "smooth_time"},
        "initial": {"init": "initial"}, "owned": ("__state",), "output": None,
        "update": "{o}__state = {o}__state + _smooth_change({o}__state, {o}__input, {o}__time, "
                  "{order}) * _dt\n{o} = {o}__state[-1]",
        "start": "{o}__state = _stages({o}__init, {order}, {shape})\n{o} = {o}__state[-1]"},
    "DelayStructure": {
        "prefix": "_delay", "loop": {"input": "input", "time": "delay_time"},
        "initial": {"init": "initial"}, "owned": ("__state",),
        # The output divides by the current delay time, as PySD's Delay.__call__ does.
        "output": "{o} = {o}__state[-1] / {o}__time",
        "update": "{o}__state = {o}__state + _delay_change({o}__state, {o}__input, {o}__time) "
                  "* _dt",
        "start": "{o}__state = _delay_start({o}__init, {o}__time, {order}, _dt, {shape}, "
                 "{element})\n{o} = {o}__state[-1] / {o}__time"},
    "InitialStructure": {
        "prefix": "_initial", "loop": {}, "initial": {"init": "initial"}, "owned": (),
        "output": None, "update": None, "start": "{o} = _frozen({o}__init, {shape})"},
    # DELAY N keeps the delay time of each stage, as PySD's DelayN: with a delay time that
    # varies, the output divides by the delay time stored at the previous step.
    "DelayNStructure": {
        "prefix": "_delayn", "loop": {"input": "input", "time": "delay_time"},
        "initial": {"init": "initial"}, "owned": ("__state", "__times"),
        "output": "{o} = {o}__state[-1] / {o}__times[0]",
        "update": "{o}__state, {o}__times = _delay_n_step({o}__state, {o}__times, "
                  "{o}__input, {o}__time, _dt)",
        "start": "{o}__state = _delay_start({o}__init, {o}__time, {order}, _dt, {shape}, "
                 "{element})\n{o}__times = _stages({o}__time, {order}, {shape})\n"
                 "{o} = {o}__state[-1] / {o}__times[0]"},
    # TREND and FORECAST as Vensim documents them (and PySD runs them): AV = INTEG((input -
    # AV) / average time, ...); TREND = ZIDZ(input - AV, average time * ABS(AV));
    # FORECAST = input * (1 + ZIDZ(input - AV, average time * AV) * horizon).
    "TrendStructure": {
        "prefix": "_trend", "loop": {"input": "input", "time": "average_time"},
        "initial": {"init": "initial_trend"}, "owned": ("__state",),
        "output": "{o} = _xidz({o}__input - {o}__state, {o}__time * _np.abs({o}__state), 0.0)",
        "update": "{o}__state = {o}__state + ({o}__input - {o}__state) / {o}__time * _dt",
        "start": "{o}__state = _as_state({o}__input / (1 + {o}__init * {o}__time), {shape})\n"
                 "{o} = _xidz({o}__input - {o}__state, {o}__time * _np.abs({o}__state), 0.0)"},
    "ForecastStructure": {
        "prefix": "_forecast",
        "loop": {"input": "input", "time": "average_time", "horizon": "horizon"},
        "initial": {"init": "initial_trend"}, "owned": ("__state",),
        "output": "{o} = {o}__input * (1 + _xidz({o}__input - {o}__state, {o}__time * "
                  "{o}__state, 0.0) * {o}__horizon)",
        "update": "{o}__state = {o}__state + ({o}__input - {o}__state) / {o}__time * _dt",
        "start": "{o}__state = _as_state({o}__input / (1 + {o}__init), {shape})\n"
                 "{o} = {o}__input * (1 + _xidz({o}__input - {o}__state, {o}__time * "
                 "{o}__state, 0.0) * {o}__horizon)"},
}
# SMOOTH N is a SMOOTH of the given order.
STATEFUL_TEMPLATES["SmoothNStructure"] = STATEFUL_TEMPLATES["SmoothStructure"]

INFIX_OPERATORS = {"^": "**", "*": "*", "/": "/", "+": "+", "-": "-", "=": "==", "<>": "!=",
                   ">=": ">=", ">": ">", "<=": "<=", "<": "<"}
FUNCTION_OPERATORS = {":AND:": "_np.logical_and", ":OR:": "_np.logical_or"}


def bang_subscripts(node) -> list[str]:
    """Range names marked ``!`` in the references of ``node``, in order of appearance."""
    found: list[str] = []
    pending = [node]
    while pending:
        item = pending.pop(0)
        if type(item).__name__ == "SubscriptsReferenceStructure":
            found += [name[:-1] for name in item.subscripts
                      if name.endswith("!") and name[:-1] not in found]
        elif hasattr(item, "__dataclass_fields__"):
            pending[0:0] = [getattr(item, name) for name in item.__dataclass_fields__]
        elif isinstance(item, (list, tuple)):
            pending[0:0] = list(item)
    return found


class ElementTranslator:
    """Translates the equation of one element (or one subscripted part of it) over
    ``context`` (its axes; empty for a scalar), creating its stateful objects."""

    def __init__(self, builder, element_name: str, identifier: str,
                 context: list[Axis] | None = None):
        self.builder = builder
        self.element = element_name
        self.identifier = identifier
        self.dependencies: set[str] = set()
        self.context: list[Axis] = list(context or [])
        self.reductions = 0  # leading context axes that a SUM/PROD/VMIN/VMAX reduces
        self.arrayed = False  # whether the last expression read a subscripted variable
        self.scope: dict[str, str] = {}  # a macro's own names -> identifiers of one call

    def fail(self, construct: str) -> EnsembleError:
        return EnsembleError(
            f"variable '{self.element}' uses {construct}, which the ensemble engine does not "
            "support")

    def expression(self, node) -> str:
        """numpy source of ``node``; the names it reads are added to ``self.dependencies``."""
        kind = type(node).__name__
        if numeric(node):
            value = float(node)
            if value != value:  # NaN is how PySD's parser writes :NA:
                value = VENSIM_NA
            return f"({value!r})" if value < 0 else repr(value)
        handler = getattr(self, "_" + kind, None)
        if handler is None:
            raise self.fail(UNSUPPORTED_STRUCTURES.get(kind, kind))
        return handler(node)

    def subscripted(self, name: str, dimensions, subscripts) -> str:
        """Source of a subscripted reference lined up with this equation's axes."""
        try:
            code = reference_code(name, dimensions, list(subscripts),
                                  self.builder.ranges, self.context, self.reductions)
        except SubscriptError as error:
            raise EnsembleError(f"variable '{self.element}': {error}") from None
        self.arrayed = True
        return code

    def _ReferenceStructure(self, node) -> str:
        if node.reference in self.scope:
            self.dependencies.add(self.scope[node.reference])
            return self.scope[node.reference]
        if self.scope and node.reference != "time":
            raise self.fail(f"'{node.reference}' inside a macro, which is not a macro "
                            "parameter or element")
        name = self.builder.resolve(node.reference, self)
        if name in self.builder.tables or name in self.builder.lookup_dimensions:
            raise self.fail(f"the lookup table '{node.reference}' without an argument")
        self.dependencies.add(name)
        dimensions = self.builder.dimensions.get(name, ())
        if not dimensions:
            if node.subscripts is not None:
                raise self.fail(f"subscripts on '{node.reference}', which has none")
            return name
        if node.subscripts is None:
            raise self.fail(f"the subscripted '{node.reference}' without subscripts")
        return self.subscripted(name, dimensions, node.subscripts.subscripts)

    def power_base(self, node) -> str:
        """Source of ``node`` as the base of ``^``.

        Vensim applies a unary minus after the power (``-2^2`` is -4), and PySD's parser
        folds the minus of ``-2`` into the literal. A negative literal base is therefore
        written unparenthesised (Python's ``-2.0 ** 2.0`` is -4.0), unless the equation
        wrote it in parentheses, ``(-2)^2``, which Vensim evaluates to 4 (PySD gives -4:
        the parser drops the parentheses; the engine follows Vensim).
        """
        if not (numeric(node) and float(node) < 0):
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

    def reduction(self, function: str, argument) -> str:
        """SUM / PROD / VMIN / VMAX over the ranges marked ``!`` in ``argument``."""
        outer = {axis.written for axis in self.context[:self.reductions]}
        names = [name for name in bang_subscripts(argument) if name not in outer]
        if not names:
            raise self.fail(f"{function.upper()} without a subscript marked '!'")
        try:
            axes = [Axis(name, name, self.builder.ranges.members(name)) for name in names]
        except SubscriptError as error:
            raise EnsembleError(f"variable '{self.element}': {error}") from None
        saved = (self.context, self.reductions)
        self.context = axes + self.context
        self.reductions += len(axes)
        self.arrayed = False
        try:
            code = self.expression(argument)
            if not self.arrayed:
                raise self.fail(f"{function.upper()} of an expression without subscripts")
        finally:
            self.context, self.reductions = saved
        return f"{REDUCTIONS[function]}({code}, axis={tuple(range(len(axes)))!r})"

    def _CallStructure(self, node) -> str:
        function = node.function.reference
        table = self.builder.cleanspace.get(function)
        if table not in self.builder.tables and table not in self.builder.lookup_dimensions:
            table = None  # a function, even if a variable has the same name
        if function in REDUCTIONS and table is None:
            if len(node.arguments) != 1:
                raise self.fail(f"{function.upper()} with {len(node.arguments)} arguments")
            return self.reduction(function, node.arguments[0])
        if function == "elmcount" and table is None:
            reference = node.arguments[0]
            elements = self.builder.ranges.named(getattr(reference, "reference", ""))
            if len(node.arguments) != 1 or elements is None:
                raise self.fail("ELMCOUNT of something other than a subscript range")
            return repr(float(len(elements)))
        arguments = [self.expression(argument) for argument in node.arguments]
        if function == "active_initial" and table is None:
            # ACTIVE INITIAL(value, initial value): the initial value while initialising.
            if len(arguments) != 2:
                raise self.fail(f"ACTIVE INITIAL with {len(arguments)} arguments")
            self.dependencies.add("_initializing")
            return f"({arguments[1]} if _initializing else {arguments[0]})"
        if table in self.builder.tables or table in self.builder.lookup_dimensions:
            if len(arguments) != 1:
                raise self.fail(f"the lookup '{function}' with {len(arguments)} arguments")
            return self.lookup_call(arguments[0], table, node.function.subscripts)
        if function in self.builder.macros and table is None:
            from .ensemble_macros import expand_call

            return expand_call(self, self.builder.macros[function], node.arguments)
        if function not in FUNCTIONS:
            raise self.fail(function.upper().replace("_", " "))
        template, arity = FUNCTIONS[function]
        if len(arguments) != arity:
            raise self.fail(f"{function.upper()} with {len(arguments)} arguments")
        if "time" in template:
            self.dependencies.add("time")
        return template.format(*arguments)

    def lookup_call(self, argument: str, table: str, subscripts=None) -> str:
        self.dependencies.add(table)
        dimensions = self.builder.lookup_dimensions.get(table)
        if dimensions is None:
            if subscripts is not None:
                raise self.fail(f"subscripts on the lookup '{table}', which has none")
            return f"_interpolate({argument}, {table})"
        if subscripts is None:
            raise self.fail(f"the subscripted lookup '{table}' without subscripts")
        index = self.subscripted(f"{table}__index", dimensions, subscripts.subscripts)
        self.dependencies.add(f"{table}__index")
        return f"_interpolate_each({argument}, {index}, {table})"

    def _InlineLookupsStructure(self, node) -> str:
        argument = self.expression(node.argument)
        name = self.builder.new_name(self.identifier, "_table")
        self.builder.add_table(name, node.lookups, self)
        return self.lookup_call(argument, name)

    def _part(self, name: str, role: str, node, each_step: bool) -> str:
        """Translate ``node`` into the statement ``name__role``, evaluated at each step
        (a loop statement) or only at the initial time; returns its identifier."""
        translator = ElementTranslator(self.builder, self.element, self.identifier,
                                       self.context)
        translator.scope = self.scope
        code = translator.expression(node)
        identifier = f"{name}__{role}"
        spec = self.builder.specification
        (spec.loop if each_step else spec.initial)[identifier] = Statement(
            (identifier,), f"{identifier} = {code}", frozenset(translator.dependencies),
            self.element)
        return identifier

    def state_shape(self) -> str:
        """Source of the shape of a state over this equation's axes and the ensemble."""
        if not self.context:
            return "_n"
        return "(" + "".join(f"{len(axis.elements)}, " for axis in self.context) + "_n)"

    def _stateful(self, node) -> str:
        """Create the stateful object of an INTEG, DELAY FIXED, SMOOTH, DELAY or INITIAL."""
        template = STATEFUL_TEMPLATES[type(node).__name__]
        if getattr(node, "non_negative", False):
            raise self.fail("a non-negative stock")
        if self.reductions:
            raise self.fail("a stock, delay or smooth inside SUM, PROD, VMIN or VMAX")
        order = getattr(node, "order", 1)
        if not numeric(order) or int(order) != order or order < 1:
            raise self.fail(f"a delay or smooth of order {order!r}")
        name = self.builder.new_name(self.identifier, template["prefix"])
        self.dependencies.add(name)
        loop = {self._part(name, role, getattr(node, field_name), True)
                for role, field_name in template["loop"].items()}
        initial = {self._part(name, role, getattr(node, field_name), False)
                   for role, field_name in template["initial"].items()}
        shape = self.state_shape()
        if template["prefix"] == "_initial" and not self.context:
            shape = "None"  # a scalar INITIAL keeps the shape of its value
        fill = {"o": name, "order": int(order), "element": repr(self.element),
                "shape": shape}
        targets = (name, *(name + suffix for suffix in template["owned"]))

        def statement(key: str, dependencies: set[str]) -> Statement | None:
            if template[key] is None:
                return None
            code = template[key].format(**fill)
            used = {part for part in loop if part in code} | dependencies
            return Statement(targets, code, frozenset(used), self.element)

        if template["output"]:
            self.builder.specification.loop[name] = statement(
                "output", {name + suffix for suffix in template["owned"]})
        self.builder.add_object(template["prefix"][1:], name, self.element,
                                statement("update", set()), statement("start", initial),
                                targets[1:])
        return name

    _IntegStructure = _DelayFixedStructure = _SmoothStructure = _stateful
    _DelayStructure = _InitialStructure = _DelayNStructure = _SmoothNStructure = _stateful
    _TrendStructure = _ForecastStructure = _stateful
