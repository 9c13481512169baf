"""The plain data the ensemble engine's builder produces from a Vensim model.

A :class:`ModelSpecification` holds statements of generated Python (one per variable, plus
the parts of stateful objects), the constants with their default values, lookup tables,
and, for subscripted models, each variable's dimensions and each dimension's elements.
It is what the cache folder keeps (see ``model/ensemble.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Number

CONTROL_NAMES = ("initial_time", "final_time", "time_step", "saveper")

# Vensim's :NA: is the finite value -2^109, so that ``x = :NA:`` can be tested (Vensim's
# documentation, "NA"). PySD's parser turns it into NaN; the engine follows Vensim.
VENSIM_NA = -(2.0 ** 109)


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
    """Everything the engine needs from one ``.mdl`` file, as plain data.

    ``constants`` maps a py name to a number, or for a subscripted constant to nested
    lists over its dimensions (``dimensions[name]``, each listed in ``ranges``).
    ``arrays`` are fixed helper arrays of the generated code (masks, lookup indices);
    ``lookup_arrays`` maps a subscripted lookup to its tables, one per element (flat).
    """

    source_sha256: str
    constants: dict[str, float | list]
    control_aliases: dict[str, str]  # control variable defined as another, e.g. saveper
    real_names: dict[str, str]  # py name -> Vensim name, for every variable
    loop: dict[str, Statement] = field(default_factory=dict)
    initial: dict[str, Statement] = field(default_factory=dict)
    objects: dict[str, StatefulObject] = field(default_factory=dict)
    tables: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(default_factory=dict)
    dimensions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ranges: dict[str, tuple[str, ...]] = field(default_factory=dict)
    arrays: dict[str, list] = field(default_factory=dict)
    lookup_arrays: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Control variable given as an expression of constants -> (numpy source, names read).
    control_expressions: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def variables(self) -> tuple[str, ...]:
        """Py names that ``run`` can return (every variable and constant, and ``time``)."""
        return ("time", *self.real_names)


def numeric(value) -> bool:
    """Whether ``value`` (a node of PySD's AST) is a number literal."""
    return isinstance(value, Number) and not isinstance(value, bool)


def evaluate_control(code: str, values: dict) -> float:
    """The value of a control expression (numpy source over scalar ``values``)."""
    import numpy

    try:
        value = eval(code, {"_np": numpy, "__builtins__": {}}, dict(values))  # noqa: S307
    except (NameError, TypeError, ValueError, ZeroDivisionError) as error:
        raise EnsembleError(f"cannot evaluate the control expression {code}: {error}") from None
    return float(value)
