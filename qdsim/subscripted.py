"""Subscripted parameters in scenario files, and subscripted outputs in results.

Scenario syntax (README, "Scenarios"): a subscripted constant is set as a whole array by
a list (nested lists for 2 or 3 dimensions, in the order of the elements in the model
file), or element by element by a mapping from element to value (nested mappings for
several dimensions, or keys naming one element per dimension separated by commas,
``"a0, male"``); elements not named keep the value the scenario inherits. Every value is
checked against the parameter's allowed range; a wrong element or shape is one error line
naming the file, line and key.

Results: a subscripted output variable gets its dimensions (``age``, ``sex``, ...) after
``scenario``, ``sample`` and ``year``, each with its elements as coordinates
(``qdsim.ensemble_runs.output_dimensions``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from model.array_value import ArrayValue
from qdsim.errors import ScenarioError

__all__ = ["ArrayValue", "parse_array_value"]


def parse_array_value(path: Path, line: int, key: str, value: Any, base: ArrayValue,
                      check: Callable[[Any], float]) -> ArrayValue:
    """``value`` from a scenario file as a whole :class:`ArrayValue` over ``base``'s cells.

    ``check(number)`` validates one number (range, type) and returns it as a float.
    """
    array = base.array().copy()
    names = base.dimensions
    coordinates = base.coordinates

    def fail(message: str) -> ScenarioError:
        return ScenarioError(path, message, line=line, key=key)

    def describe(position: int) -> str:
        return f"{names[position]} ({', '.join(coordinates[position])})"

    def whole(item, position: int, index: tuple[int, ...]) -> None:
        if position == len(names):
            array[index] = check(item)
            return
        size = len(coordinates[position])
        if not isinstance(item, list) or len(item) != size:
            got = f"{len(item)} values" if isinstance(item, list) else repr(item)
            raise fail(f"expected a list of {size} values over {describe(position)}, got "
                       f"{got}")
        for number, part in enumerate(item):
            whole(part, position + 1, (*index, number))

    def element(name: Any, position: int) -> int:
        text = str(name).strip()
        if text not in coordinates[position]:
            raise fail(f"unknown element '{text}' of {describe(position)}")
        return coordinates[position].index(text)

    def by_element(item, position: int, index: tuple[int, ...]) -> None:
        if position == len(names):
            array[index] = check(item)
            return
        if not isinstance(item, Mapping):
            raise fail(f"expected a mapping from elements of {describe(position)} to values, "
                       f"got {item!r}")
        for name, part in item.items():
            parts = [piece for piece in str(name).split(",")]
            if len(parts) > 1:
                if position + len(parts) > len(names):
                    raise fail(f"'{name}' names {len(parts)} elements; the parameter has "
                               f"{len(names)} dimensions ({', '.join(names)})")
                cell = tuple(element(piece, position + offset)
                             for offset, piece in enumerate(parts))
                by_element(part, position + len(parts), (*index, *cell))
            else:
                by_element(part, position + 1, (*index, element(name, position)))

    if isinstance(value, list):
        whole(value, 0, ())
    elif isinstance(value, Mapping):
        by_element(value, 0, ())
    else:
        raise fail(f"a subscripted parameter over {', '.join(names)} takes a list or a "
                   f"mapping of elements, not {value!r}")
    return ArrayValue.from_array(array, names, coordinates)
