"""The catalogue of settable parameters, read from the model file itself.

Every constant of ``qingdao.mdl`` is a parameter. Its unit, allowed range and one-line
description come from the Vensim units field (``~ unit [min,max] ~``) and comment, as PySD
reports them in ``model.doc``; nothing is restated here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from model import MODEL_PATH
from model.array_value import ArrayValue
from model.pysd_engine import load_pysd_model, model_documentation

#: Simulation-control constants: set through run options, not scenario parameters.
CONTROL_NAMES = frozenset({"initial_time", "final_time", "time_step", "saveper"})


@dataclass(frozen=True)
class ParameterInfo:
    """One settable model constant.

    ``minimum``/``maximum`` bound every allowed value [model unit]; ``time_varying`` says
    whether a year→value path is allowed (start values are fixed at the start of the run).
    A subscripted constant has ``dimensions`` and an :class:`ArrayValue` as ``default``
    (no path over years).
    """

    name: str
    vensim_name: str
    unit: str
    default: float | ArrayValue
    minimum: float
    maximum: float
    description: str
    time_varying: bool
    dimensions: tuple[str, ...] = ()  # subscript ranges of a subscripted constant


def is_start_value(name: str) -> bool:
    """True for constants used only to set up 2015 (``initial_*``, ``*_2015``, ``*_2016*``).

    The model's naming convention (model/PARAMETERS.md) marks them; a path over time would
    be meaningless for them, so scenarios may only give them a single number.
    """
    return name.startswith("initial_") or "_2015" in name or "_2016" in name


@lru_cache(maxsize=4)
def _catalogue(mdl_path: str) -> dict[str, ParameterInfo]:
    documentation = model_documentation(Path(mdl_path))
    model = load_pysd_model(Path(mdl_path))
    catalogue: dict[str, ParameterInfo] = {}
    for record in documentation.to_dict(orient="records"):
        py_name = record["Py Name"]
        if record["Type"] != "Constant" or py_name in CONTROL_NAMES:
            continue
        low, high = record["Limits"]
        value = getattr(model.components, py_name)()
        dimensions = tuple(getattr(value, "dims", ()))
        catalogue[py_name] = ParameterInfo(
            name=py_name,
            vensim_name=record["Real Name"],
            unit=str(record["Units"]),
            default=ArrayValue.from_array(
                value.values, dimensions, [list(map(str, value.coords[dimension].values))
                                           for dimension in dimensions])
            if dimensions else float(value),
            minimum=-math.inf if low is None or math.isnan(low) else float(low),
            maximum=math.inf if high is None or math.isnan(high) else float(high),
            description=str(record["Comment"]).strip(),
            time_varying=not is_start_value(py_name) and not dimensions,
            dimensions=dimensions,
        )
    return dict(sorted(catalogue.items()))


def parameter_catalogue(mdl_path: Path = MODEL_PATH) -> dict[str, ParameterInfo]:
    """Every settable parameter of the model, keyed by its snake_case name."""
    return _catalogue(str(Path(mdl_path).resolve()))
