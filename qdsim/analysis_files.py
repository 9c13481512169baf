"""One typed schema per analysis file kind, used to write the file and to read it back.

``qdsim solve``, ``sensitivity``, ``attribute`` and ``check-plan`` save JSON with ``--out``;
``qdsim report`` shows it. Each kind is one pydantic model below, a subclass of
:class:`AnalysisFile` whose ``qdsim_analysis`` field names the kind: the command builds
the model and :func:`save_analysis` writes it (non-finite numbers as null: JSON has no
NaN), and :func:`read_analysis_file` checks a file against the model of its kind, so
drawing it cannot fail half-way. Kinds are registered by subclassing, in the order the
report shows them; a new kind is its computation, one model here and its rendering.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from model import MODEL_PATH
from model.pysd_engine import file_sha256
from qdsim import __version__
from qdsim.errors import ResultsError
from qdsim.outputs import atomic_path

#: A JSON number (not a boolean); null stands for a value that was not finite.
Number = StrictInt | StrictFloat
Name = Annotated[StrictStr, Field(min_length=1)]
#: Names pydantic adds to an error's location for the member of a union that failed.
UNION_MEMBER_TAGS = ("int", "float")
SAVED_BY = "qdsim solve/sensitivity/attribute/check-plan --out FILE.json"


class _Record(BaseModel):
    """A part of an analysis file; fields it does not name are kept as written."""

    model_config = ConfigDict(extra="allow")


class AnalysisFile(_Record):
    """What every analysis file holds: its kind, the model it ran and the version."""

    kinds: ClassVar[dict[str, type[AnalysisFile]]] = {}
    qdsim_analysis: str
    model_sha256: str = ""  # set by save_analysis; a file without one is refused
    qdsim_version: str = ""

    @classmethod
    def __pydantic_init_subclass__(cls, **options: Any) -> None:
        super().__pydantic_init_subclass__(**options)
        kind = cls.model_fields["qdsim_analysis"].default
        if isinstance(kind, str):
            AnalysisFile.kinds[kind] = cls

    @property
    def target_id(self) -> str | None:
        """The target the analysis is about (None when it is about no single target)."""
        return getattr(self, "target", None)

    @property
    def scenario_name(self) -> str | None:
        """The scenario the analysis ran on (None when it ran on no single scenario)."""
        return getattr(self, "scenario", None)


# -- solve ------------------------------------------------------------------------------
class NoteMessage(_Record):
    id: Name
    values: dict[str, Any] = Field(default_factory=dict)


class SolutionRecord(_Record):
    """``qdsim.whatif.Solution`` as saved."""

    parameter: Name
    mode: Name
    amount: Number | None = None
    value_2025: Number | None = None
    search_range: tuple[Number | None, Number | None]
    best_projected: Number
    best_amount: Number
    notes: list[str] = Field(default_factory=list)
    note_messages: list[NoteMessage] = Field(default_factory=list)


class CalibratedRecord(_Record):
    """The 2016-2020 calibrated estimate of the solved parameter and its 90% interval."""

    estimate: Number
    q05: Number
    q95: Number


class RelatedRecord(_Record):
    """Mean of the related output [model unit a year] in the solved run."""

    variable: Name
    mean_2016_2020: Number
    mean_2021_2025: Number


class SolveFile(AnalysisFile):
    qdsim_analysis: Literal["solve"] = "solve"
    scenario: Name
    target: Name
    solution: SolutionRecord
    calibrated: CalibratedRecord | None = None
    related: RelatedRecord | None = None


# -- frontier ---------------------------------------------------------------------------
class VariedColumn(_Record):
    """A column of a frontier table: the parameter and how it is varied."""

    parameter: Name
    mode: Literal["value", "shift", "scale"]

    @property
    def column(self) -> str:
        return f"{self.parameter} ({self.mode})"


def _table_rows(table: dict[str, list[Any]], minimum_columns: int) -> int:
    if len(table) < minimum_columns:
        raise ValueError(f"the table needs at least {minimum_columns} columns")
    lengths = {len(values) for values in table.values()}
    if len(lengths) != 1:
        raise ValueError("the table's columns must be lists of one length")
    rows = lengths.pop()
    if rows == 0:
        raise ValueError("the table has no rows")
    return rows


class FrontierFile(AnalysisFile):
    """Combinations that just meet a target: a grid over ``varied[:-1]``, the last solved."""

    qdsim_analysis: Literal["frontier"] = "frontier"
    scenario: Name
    target: Name
    varied: list[VariedColumn]
    table: dict[str, list[Number | None]]

    @model_validator(mode="after")
    def _shape(self) -> FrontierFile:
        _table_rows(self.table, 2)
        if [v.column for v in self.varied] != list(self.table):
            raise ValueError("'varied' must name the table's columns in order")
        return self


# -- sensitivity ------------------------------------------------------------------------
class SensitivityAttributes(_Record):
    scenario: Name
    target: Name
    variable: Name


class SensitivityFile(AnalysisFile):
    """Sobol indices per factor, and per year and factor (``*_by_year``)."""

    qdsim_analysis: Literal["sensitivity"] = "sensitivity"
    attrs: SensitivityAttributes
    factors: Annotated[list[Name], Field(min_length=1)]
    years: Annotated[list[StrictInt], Field(min_length=1)]
    S1: list[Number | None]
    S1_conf: list[Number | None]
    ST: list[Number | None]
    ST_conf: list[Number | None]
    ST_by_year: list[list[Number | None]]
    ST_conf_by_year: list[list[Number | None]]

    @model_validator(mode="after")
    def _shape(self) -> SensitivityFile:
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            if len(getattr(self, key)) != len(self.factors):
                raise ValueError(f"'{key}' must be a list of {len(self.factors)} numbers")
        for key in ("ST_by_year", "ST_conf_by_year"):
            rows = getattr(self, key)
            if len(rows) != len(self.years) or any(len(r) != len(self.factors) for r in rows):
                raise ValueError(f"'{key}' must be a list of {len(self.years)} rows (one per"
                                 f" year) of {len(self.factors)} numbers")
        return self

    @property
    def target_id(self) -> str | None:
        return self.attrs.target

    @property
    def scenario_name(self) -> str | None:
        return self.attrs.scenario


# -- attribution ------------------------------------------------------------------------
class AttributionTable(_Record):
    parameter: list[Name]
    one_at_a_time: list[Number | None]
    shapley: list[Number | None]


class AttributionFile(AnalysisFile):
    """A target's difference between two scenarios split among their parameters."""

    qdsim_analysis: Literal["attribution"] = "attribution"
    scenario: Name
    reference: Name
    target: Name
    reference_value: Number
    scenario_value: Number
    difference: Number
    table: AttributionTable

    @model_validator(mode="after")
    def _shape(self) -> AttributionFile:
        _table_rows({"parameter": self.table.parameter,
                     "one_at_a_time": self.table.one_at_a_time,
                     "shapley": self.table.shapley}, 3)
        return self


# -- plan check -------------------------------------------------------------------------
class CheckRecord(_Record):
    """``qdsim.plan_check.Check`` as saved; ``key`` and ``values`` render it in any
    language (``qdsim.messages``)."""

    name: Name
    verdict: Name
    explanation: Name
    implied: Number
    comparison: Number
    unit: StrictStr
    key: str = ""
    values: dict[str, Any] = Field(default_factory=dict)


class PlanCheckFile(AnalysisFile):
    qdsim_analysis: Literal["plan_check"] = "plan_check"
    checks: Annotated[list[CheckRecord], Field(min_length=1)]


#: Kinds in the order the report shows them.
KINDS = tuple(AnalysisFile.kinds)


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def save_analysis(record: AnalysisFile, path: Path) -> None:
    """Write ``record`` as JSON with the model hash and the version, atomically."""
    record = record.model_copy(update={"model_sha256": file_sha256(MODEL_PATH),
                                       "qdsim_version": __version__})
    document = _finite(record.model_dump(mode="python"))
    with atomic_path(Path(path)) as temporary:
        temporary.write_text(json.dumps(document, ensure_ascii=False, indent=1,
                                        allow_nan=False, default=_plain), encoding="utf-8")


def _plain(value: Any) -> Any:
    number = float(value) if hasattr(value, "__float__") else None
    if number is None:
        return str(value)
    return number if math.isfinite(number) else None


def read_analysis_file(path: Path, document: Any) -> AnalysisFile:
    """``document`` (parsed JSON from ``path``) checked against the model of its kind;
    ``ResultsError`` in one line when it is not a complete analysis of a known kind."""
    if not isinstance(document, dict) or "qdsim_analysis" not in document:
        raise ResultsError(path, "a JSON file without 'qdsim_analysis' is not a saved qdsim"
                           f" analysis; write one with `{SAVED_BY}`")
    kind = document["qdsim_analysis"]
    if kind not in AnalysisFile.kinds:
        raise ResultsError(path, f"unknown analysis kind {kind!r}; known: {', '.join(KINDS)}")
    model_hash = document.get("model_sha256")
    if not isinstance(model_hash, str) or not model_hash:
        raise ResultsError(path, "the analysis records no model_sha256, so it cannot be"
                           " matched with the results; save it again with a current qdsim")
    try:
        return AnalysisFile.kinds[kind].model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]
                         if part not in UNION_MEMBER_TAGS)
        problem = str(first["msg"]).removeprefix("Value error, ")
        raise ResultsError(path, f"not a complete '{kind}' analysis: "
                           + (f"'{where}': {problem}" if where else problem)) from None
