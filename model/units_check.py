"""Dimensional check of every equation of ``qingdao.mdl``, with pint.

The model file is parsed by PySD's Vensim translator (the same ``AbstractModel`` the two
engines run); each equation's expression tree is walked and the unit of every term is
computed from the declared units of the variables it reads (Vensim unit syntax: ``dmnl``,
``fraction``, ``1/year``, ``CNY/(person*year)``, ``^`` for powers). An equation balances
when

* every sum, difference, comparison, MIN/MAX and both branches of IF THEN ELSE have one
  unit (a literal 0 fits any unit; another literal number is dimensionless);
* the arguments of EXP and LN and any exponent are dimensionless, and a quantity with a
  unit is raised only to a literal number;
* an INTEG's flow is the stock's unit per year and its initial value the stock's unit;
  a DELAY FIXED, SMOOTH or DELAY has the unit of its input and initial value and a delay
  time in years (a literal time counts as years); PULSE takes times in years;
* the expression's unit equals the declared unit.

Example::

    problems = check_units("model/qingdao.mdl")
    for problem in problems:
        print(problem.line())
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from numbers import Number
from pathlib import Path

import numpy as np
import pint

from .errors import ModelError

__all__ = ["UnitProblem", "check_units", "parse_units"]

# Units of the model that are not physical: each is its own base dimension.
_BASE_UNITS = ("CNY", "USD", "person", "dwelling", "tce", "tCO2")
# Vensim names of dimensionless units.
_DIMENSIONLESS = ("dmnl", "fraction")


class UnitError(Exception):
    """An expression whose terms do not have matching units."""


@dataclass(frozen=True)
class UnitProblem:
    """One unbalanced equation: the variable, its declared unit and what is wrong."""

    variable: str
    declared: str
    message: str

    def line(self) -> str:
        return f"{self.variable} [{self.declared}]: {self.message}"


@lru_cache(maxsize=1)
def _registry() -> pint.UnitRegistry:
    registry: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for name in _BASE_UNITS:
        registry.define(f"{name} = [{name.lower()}_dimension]")
    return registry


def parse_units(text: str) -> pint.Quantity:
    """A Vensim unit string as a pint quantity of magnitude 1 (``dmnl`` -> dimensionless).

    Raises :class:`UnitError` for a unit pint cannot read.
    """
    expression = text.strip()
    for name in _DIMENSIONLESS:
        expression = re.sub(rf"\b{name}\b", "1", expression)
    expression = re.sub(r"\bm2\b", "meter**2", expression)
    expression = expression.replace("^", "**") or "1"
    try:
        return _registry().Quantity(1, expression)
    except Exception as error:  # pint raises several unrelated types for bad text
        raise UnitError(f"unit '{text}' cannot be read ({error})") from error


def _name(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip().lower())


class _Literal:
    """A number written in an equation: fits any unit if 0, else dimensionless."""

    def __init__(self, value: float):
        self.value = value


class _Checker:
    def __init__(self, units: dict[str, pint.Quantity]):
        self.units = units
        self.one = _registry().Quantity(1, "")
        self.year = _registry().Quantity(1, "year")

    def unit(self, node):
        """Unit of ``node`` (a pint quantity, or a :class:`_Literal` for a bare number)."""
        if isinstance(node, Number) and not isinstance(node, bool):
            return _Literal(float(node))  # type: ignore[arg-type]
        kind = type(node).__name__
        handler = getattr(self, "_" + kind, None)
        if handler is None:
            raise UnitError(f"cannot check the units of {kind}")
        return handler(node)

    def as_quantity(self, value, like=None):
        """A literal as a quantity: 0 takes the unit of ``like``, others are dimensionless."""
        if isinstance(value, _Literal):
            if value.value == 0 and like is not None and not isinstance(like, _Literal):
                return like
            return self.one
        return value

    def same(self, values, what: str):
        quantities = [value for value in values if not isinstance(value, _Literal)]
        reference = quantities[0] if quantities else self.one
        for value in values:
            quantity = self.as_quantity(value, reference)
            if quantity.dimensionality != reference.dimensionality:
                raise UnitError(f"{what} mixes {_show(reference)} and {_show(quantity)}")
        return reference if quantities else values[0]

    def dimensionless(self, value, what: str) -> None:
        if not self.as_quantity(value).dimensionless:
            raise UnitError(f"{what} must be dimensionless, not {_show(value)}")

    def time(self, value, what: str) -> None:
        if isinstance(value, _Literal):
            return
        if value.dimensionality != self.year.dimensionality:
            raise UnitError(f"{what} must be in years, not {_show(value)}")

    def _ReferenceStructure(self, node):
        name = node.reference
        if name == "time":
            return self.year
        if name not in self.units:
            raise UnitError(f"'{name}' has no declared unit")
        return self.units[name]

    def _ArithmeticStructure(self, node):
        values = [self.unit(argument) for argument in node.arguments]
        operators = list(node.operators)
        if len(values) == 1:
            return values[0]
        # Vensim precedence: ^ binds tightest, then * and /, then + and -.
        values, operators = self._fold(values, operators, {"^"}, self._power)
        values, operators = self._fold(values, operators, {"*", "/"}, self._product)
        values, operators = self._fold(values, operators, {"+", "-"}, self._sum)
        comparison = {"=", "<>", "<", ">", "<=", ">=", ":AND:", ":OR:"}
        values, operators = self._fold(values, operators, comparison, self._compare)
        if operators:
            raise UnitError(f"cannot check the operators {operators}")
        return values[0]

    _LogicStructure = _ArithmeticStructure

    @staticmethod
    def _fold(values, operators, kinds, combine):
        if not any(operator in kinds for operator in operators):
            return values, operators
        out_values, out_operators = [values[0]], []
        for operator, value in zip(operators, values[1:], strict=True):
            if operator in kinds:
                out_values[-1] = combine(out_values[-1], operator, value)
            else:
                out_values.append(value)
                out_operators.append(operator)
        return out_values, out_operators

    def _power(self, base, _operator, exponent):
        self.dimensionless(exponent, "an exponent")
        if isinstance(base, _Literal) or self.as_quantity(base).dimensionless:
            return self.one
        if not isinstance(exponent, _Literal):
            raise UnitError(f"{_show(base)} is raised to a variable power")
        return base**exponent.value

    def _product(self, left, operator, right):
        if isinstance(left, _Literal) and isinstance(right, _Literal):
            return self.one
        left, right = self.as_quantity(left), self.as_quantity(right)
        return left * right if operator == "*" else left / right

    def _sum(self, left, operator, right):
        return self.same([left, right], "a sum or difference")

    def _compare(self, left, operator, right):
        if operator in (":AND:", ":OR:"):
            return self.one
        self.same([left, right], "a comparison")
        return self.one

    def _CallStructure(self, node):
        function = node.function.reference
        values = [self.unit(argument) for argument in node.arguments]
        if function in ("exp", "ln", "log", "sin", "cos", "tan"):
            for value in values:
                self.dimensionless(value, f"the argument of {function.upper()}")
            return self.one
        if function in ("min", "max"):
            return self.same(values, function.upper())
        if function == "pulse_train":  # start, width, interval and end are times
            for value in values:
                self.time(value, "a time of PULSE TRAIN")
            return self.one
        if function in ("sum", "vmin", "vmax"):  # over subscripts: the unit of the array
            return values[0]
        if function in self.units:  # a lookup called with its input: the lookup's unit
            return self.units[function]
        if function == "abs" or function == "integer":
            return values[0]
        if function == "sqrt":
            return self.as_quantity(values[0]) ** 0.5
        if function == "if_then_else":
            return self.same(values[1:], "IF THEN ELSE")
        if function in ("pulse", "step", "ramp"):
            for value in values[1:] if function != "pulse" else values:
                self.time(value, f"a time of {function.upper()}")
            return self.one if function == "pulse" else values[0]
        if function in ("zidz", "xidz"):
            ratio = self._product(values[0], "/", values[1])
            if function == "xidz":
                self.same([ratio, values[2]], "XIDZ")
            return ratio
        raise UnitError(f"cannot check the units of the function {function.upper()}")

    def _IntegStructure(self, node):
        flow = self.as_quantity(self.unit(node.flow))
        initial = self.unit(node.initial)
        return _Stock(flow * self.year, initial)

    def _DelayFixedStructure(self, node):
        self.time(self.unit(node.delay_time), "the delay time")
        return self.same([self.unit(node.input), self.unit(node.initial)],
                         "DELAY FIXED's input and initial value")

    def _SmoothStructure(self, node):
        self.time(self.unit(node.smooth_time), "the smoothing time")
        return self.same([self.unit(node.input), self.unit(node.initial)],
                         "SMOOTH's input and initial value")

    def _DelayStructure(self, node):
        self.time(self.unit(node.delay_time), "the delay time")
        return self.same([self.unit(node.input), self.unit(node.initial)],
                         "DELAY's input and initial value")

    def _InitialStructure(self, node):
        return self.unit(node.initial)


@dataclass(frozen=True)
class _Stock:
    """Unit of an INTEG: its flow times a year, and its initial value."""

    accumulated: pint.Quantity
    initial: object


def _show(value) -> str:
    if isinstance(value, _Literal):
        return "a number"
    units = f"{value.units:C}" if not value.dimensionless else "dmnl"
    units = re.sub(r"\bmeter\^2\b", "m2", units.replace(" ", "").replace("**", "^"))
    return units or "dmnl"


def _check_element(checker: _Checker, expression, declared: pint.Quantity) -> None:
    if isinstance(expression, (Number, np.ndarray)):  # constants are in the declared unit
        return
    value = checker.unit(expression)
    if isinstance(value, _Stock):
        if value.accumulated.dimensionality != declared.dimensionality:
            raise UnitError(f"flow x year is {_show(value.accumulated)}, the stock is "
                            f"{_show(declared)}")
        initial = checker.as_quantity(value.initial, declared)
        if initial.dimensionality != declared.dimensionality:
            raise UnitError(f"initial value is {_show(initial)}, the stock is {_show(declared)}")
        return
    quantity = checker.as_quantity(value, declared)
    if quantity.dimensionality != declared.dimensionality:
        raise UnitError(f"expression is {_show(quantity)}")


def check_units(mdl_path: str | Path) -> list[UnitProblem]:
    """Every equation of ``mdl_path`` whose units do not balance (empty when all balance).

    Raises :class:`model.errors.ModelError` when the file is missing or PySD cannot parse it.
    """
    from pysd.translators.vensim.vensim_file import VensimFile

    mdl_path = Path(mdl_path)
    if not mdl_path.is_file():
        raise ModelError(f"{mdl_path}: model file not found")
    try:
        vensim_file = VensimFile(str(mdl_path))
        vensim_file.parse()
        model = vensim_file.get_abstract_model()
    except Exception as error:  # PySD's parser raises assorted types
        raise ModelError(f"{mdl_path}: PySD cannot parse the model ({error})") from error
    elements = [element for section in model.sections for element in section.elements]
    units: dict[str, pint.Quantity] = {}
    problems: list[UnitProblem] = []
    for element in elements:
        try:
            units[_name(element.name)] = parse_units(element.units or "")
        except UnitError as error:
            problems.append(UnitProblem(element.name, element.units or "", str(error)))
    checker = _Checker(units)
    for element in elements:
        declared = units.get(_name(element.name))
        if declared is None:
            continue
        for component in element.components:
            if type(component.ast).__name__ == "LookupsStructure":
                continue
            try:
                _check_element(checker, component.ast, declared)
            except UnitError as error:
                problems.append(UnitProblem(element.name, element.units, str(error)))
    return problems
