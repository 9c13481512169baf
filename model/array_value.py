"""The value of a subscripted constant, as a scenario holds it.

An :class:`ArrayValue` is an immutable mapping from a cell's elements joined by commas
(``"a0,male"``) to its value [model unit], covering every cell of the constant's
dimensions in order. Being a ``dict`` it is saved in JSON as it is (scenario hashes,
result attributes); :meth:`ArrayValue.array` gives the numpy array the ensemble engine
takes and :meth:`ArrayValue.data_array` the labelled one PySD takes.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import xarray as xr


class ArrayValue(dict):
    """Every cell of a subscripted constant: ``"e1,e2" -> value`` [model unit]."""

    def __init__(self, cells: dict[str, float], dimensions: tuple[str, ...],
                 coordinates: tuple[tuple[str, ...], ...]):
        expected = [",".join(cell) for cell in itertools.product(*coordinates)]
        if list(cells) != expected:
            raise ValueError("an ArrayValue needs every cell, in order")
        super().__init__((key, float(value)) for key, value in cells.items())
        self.dimensions = tuple(dimensions)
        self.coordinates = tuple(tuple(elements) for elements in coordinates)

    @classmethod
    def from_array(cls, values, dimensions, coordinates) -> ArrayValue:
        values = np.asarray(values, dtype=np.float64)
        cells = {",".join(cell): float(value) for cell, value in zip(
            itertools.product(*coordinates), values.ravel(), strict=True)}
        return cls(cells, tuple(dimensions), tuple(tuple(c) for c in coordinates))

    def array(self) -> np.ndarray:
        """The values as an array over the dimensions [model unit]."""
        return np.array(list(self.values())).reshape(
            [len(elements) for elements in self.coordinates])

    def data_array(self) -> xr.DataArray:
        """The values as an ``xarray.DataArray`` with named dimensions (for PySD)."""
        import xarray as xr

        return xr.DataArray(self.array(), dict(zip(self.dimensions, map(list,
                                                                        self.coordinates),
                                                   strict=True)), list(self.dimensions))

    def __format__(self, spec: str) -> str:
        return "[" + ", ".join(format(value, spec) for value in self.values()) + "]"

    def __reduce__(self):
        return ArrayValue, (dict(self), self.dimensions, self.coordinates)

    def _immutable(self, *arguments, **keywords):
        raise TypeError("an ArrayValue cannot be changed")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _immutable
