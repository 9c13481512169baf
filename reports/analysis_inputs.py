"""Reading the "what it would take" analyses a report shows beside the results.

``qdsim solve``, ``sensitivity``, ``attribute`` and ``check-plan`` save JSON with
``--out`` (``qdsim.analysis_output.save_analysis``): a document whose ``qdsim_analysis``
names its kind (solve, frontier, sensitivity, attribution, plan_check) and which records
the ``model_sha256`` of the model it ran. Among the inputs of ``qdsim report`` a path
ending in ``.json`` is such a document; every other path is a results file.

Each document is checked here, before anything is written: it must be readable JSON of a
known kind with the fields its kind needs, shaped as the commands write them, so that
drawing it cannot fail half-way. Its model hash is checked against the results' in
``check_models``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qdsim.errors import ResultsError
from qdsim.validation import read_text

ANALYSIS_SUFFIX = ".json"
#: Kinds in the order the report shows them.
KINDS = ("solve", "frontier", "sensitivity", "attribution", "plan_check")
SAVED_BY = "qdsim solve/sensitivity/attribute/check-plan --out FILE.json"


@dataclass(frozen=True)
class Analysis:
    """One saved analysis: its file, kind and the whole JSON document."""

    path: Path
    kind: str
    document: dict[str, Any]

    @property
    def model_sha256(self) -> str:
        return str(self.document["model_sha256"])

    @property
    def target(self) -> str | None:
        """The target id the analysis is about (None for the plan check)."""
        if self.kind == "sensitivity":
            return str(self.document["attrs"]["target"])
        return None if self.kind == "plan_check" else str(self.document["target"])

    @property
    def scenario(self) -> str | None:
        """The scenario the analysis ran on (None for the plan check)."""
        if self.kind == "sensitivity":
            return str(self.document["attrs"]["scenario"])
        return None if self.kind == "plan_check" else str(self.document["scenario"])


def is_analysis_path(path: Path | str) -> bool:
    """True for an input that names an analysis JSON file rather than results."""
    return Path(path).suffix.lower() == ANALYSIS_SUFFIX


def split_inputs(paths: Sequence[Path | str]) -> tuple[list[Path], list[Path]]:
    """(results paths, analysis paths), each in the order given."""
    results = [Path(p) for p in paths if not is_analysis_path(p)]
    analyses = [Path(p) for p in paths if is_analysis_path(p)]
    return results, analyses


def number(value: Any) -> float:
    """A JSON number as float; null (a non-finite value when saved) as NaN."""
    return math.nan if value is None else float(value)


class _Shape:
    """Checks of one document's fields; each failure is a ``ResultsError`` naming the file."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind = path, kind

    def fail(self, message: str) -> None:
        raise ResultsError(self.path, f"not a complete '{self.kind}' analysis: {message}")

    def mapping(self, parent: dict, key: str, *, optional: bool = False) -> dict | None:
        value = parent.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            self.fail(f"'{key}' must be an object")
        return value

    def text(self, parent: dict, *keys: str) -> None:
        for key in keys:
            if not isinstance(parent.get(key), str) or not parent[key]:
                self.fail(f"'{key}' must be a non-empty string")

    def numbers(self, parent: dict, *keys: str, length: int | None = None,
                optional: bool = False) -> None:
        """Each key holds a number (or null), or a list of ``length`` of them."""
        for key in keys:
            if key not in parent and optional:
                continue
            value = parent.get(key)
            values = value if length is not None else [value]
            if not isinstance(values, list) or (length is not None and len(values) != length):
                self.fail(f"'{key}' must be a list of {length} numbers")
            if not all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                       for v in values):
                self.fail(f"'{key}' must hold numbers")
            if length is None and value is None and not optional:
                self.fail(f"'{key}' must be a number")

    def matrix(self, parent: dict, key: str, rows: int, columns: int) -> None:
        value = parent.get(key)
        if not isinstance(value, list) or len(value) != rows:
            self.fail(f"'{key}' must be a list of {rows} rows (one per year)")
        for row in value:
            self.numbers({key: row}, key, length=columns)

    def table(self, parent: dict, columns: Sequence[str] | None = None,
              minimum_columns: int = 1) -> int:
        """``parent['table']`` is {column: list}, lists of one length; returns that length."""
        table = self.mapping(parent, "table")
        if columns is not None:
            missing = [c for c in columns if c not in table]
            if missing:
                self.fail(f"the table lacks the column '{missing[0]}'")
        if len(table) < minimum_columns:
            self.fail(f"the table needs at least {minimum_columns} columns")
        lengths = {len(v) if isinstance(v, list) else -1 for v in table.values()}
        if len(lengths) != 1 or -1 in lengths:
            self.fail("the table's columns must be lists of one length")
        rows = lengths.pop()
        if rows == 0:
            self.fail("the table has no rows")
        return rows


def _check_solve(shape: _Shape, document: dict) -> None:
    shape.text(document, "scenario", "target")
    solution = shape.mapping(document, "solution")
    shape.text(solution, "parameter", "mode")
    shape.numbers(solution, "amount", "value_2025", optional=True)
    shape.numbers(solution, "best_projected", "best_amount")
    shape.numbers(solution, "search_range", length=2)
    if not isinstance(solution.get("notes", []), list):
        shape.fail("'notes' must be a list")
    calibrated = shape.mapping(document, "calibrated", optional=True)
    if calibrated is not None:
        shape.numbers(calibrated, "estimate", "q05", "q95")
    related = shape.mapping(document, "related", optional=True)
    if related is not None:
        shape.text(related, "variable")
        shape.numbers(related, "mean_2016_2020", "mean_2021_2025")


def _check_frontier(shape: _Shape, document: dict) -> None:
    shape.text(document, "scenario", "target")
    rows = shape.table(document, minimum_columns=2)
    for column in document["table"]:
        shape.numbers(document["table"], column, length=rows)


def _check_sensitivity(shape: _Shape, document: dict) -> None:
    attrs = shape.mapping(document, "attrs")
    shape.text(attrs, "scenario", "target", "variable")
    factors, years = document.get("factors"), document.get("years")
    if not isinstance(factors, list) or not factors or not all(
            isinstance(f, str) for f in factors):
        shape.fail("'factors' must be a non-empty list of names")
    if not isinstance(years, list) or not years or not all(
            isinstance(y, int) for y in years):
        shape.fail("'years' must be a non-empty list of years")
    shape.numbers(document, "S1", "S1_conf", "ST", "ST_conf", length=len(factors))
    for key in ("ST_by_year", "ST_conf_by_year"):
        shape.matrix(document, key, len(years), len(factors))


def _check_attribution(shape: _Shape, document: dict) -> None:
    shape.text(document, "scenario", "reference", "target")
    shape.numbers(document, "reference_value", "scenario_value", "difference")
    rows = shape.table(document, ("parameter", "one_at_a_time", "shapley"))
    if not all(isinstance(p, str) for p in document["table"]["parameter"]):
        shape.fail("'parameter' must hold names")
    shape.numbers(document["table"], "one_at_a_time", "shapley", length=rows)


def _check_plan_check(shape: _Shape, document: dict) -> None:
    checks = document.get("checks")
    if not isinstance(checks, list) or not checks:
        shape.fail("'checks' must be a non-empty list")
    for check in checks:
        if not isinstance(check, dict):
            shape.fail("each check must be an object")
        shape.text(check, "name", "verdict", "explanation")
        shape.numbers(check, "implied", "comparison")
        if not isinstance(check.get("unit"), str):
            shape.fail("'unit' must be a string")


CHECKS = {"solve": _check_solve, "frontier": _check_frontier,
          "sensitivity": _check_sensitivity, "attribution": _check_attribution,
          "plan_check": _check_plan_check}


class _NotFinite(ValueError):
    pass


def _json_constant(name: str) -> None:
    """``NaN`` (an undefined value, as older files wrote it) reads as null; infinities are
    refused."""
    if name == "NaN":
        return None
    raise _NotFinite(name)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text[:30])
    return value


def read_analysis(path: Path | str) -> Analysis:
    """Read and check one analysis file; ``ResultsError`` (one line) when it is missing,
    not JSON, not a qdsim analysis, of an unknown kind or lacking what its kind needs."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(path, "analysis file not found" if not path.exists()
                           else "an analysis must be a JSON file, not a folder")
    text = read_text(path, ResultsError, what="analysis file")
    try:
        document = json.loads(text, parse_constant=_json_constant, parse_float=_json_float)
    except _NotFinite as error:
        raise ResultsError(path, f"not a valid analysis: {error} is not a finite number"
                           ) from None
    except json.JSONDecodeError as error:
        raise ResultsError(path, f"not a readable JSON file ({error.msg} at line"
                           f" {error.lineno}, column {error.colno})") from error
    except RecursionError:
        raise ResultsError(path, "not a valid analysis: nested too deeply") from None
    if not isinstance(document, dict) or "qdsim_analysis" not in document:
        raise ResultsError(path, "a JSON file without 'qdsim_analysis' is not a saved qdsim"
                           f" analysis; write one with `{SAVED_BY}`")
    kind = document["qdsim_analysis"]
    if kind not in KINDS:
        raise ResultsError(path, f"unknown analysis kind {kind!r}; known: {', '.join(KINDS)}")
    model_hash = document.get("model_sha256")
    if not isinstance(model_hash, str) or not model_hash:
        raise ResultsError(path, "the analysis records no model_sha256, so it cannot be"
                           " matched with the results; save it again with a current qdsim")
    CHECKS[kind](_Shape(path, kind), document)
    return Analysis(path, kind, document)


def read_analyses(paths: Sequence[Path | str]) -> list[Analysis]:
    """Every analysis file, checked, in the order given."""
    return [read_analysis(path) for path in paths]


def check_models(analyses: Sequence[Analysis], model_sha256: str) -> None:
    """Refuse an analysis made with another model file than the results'."""
    for analysis in analyses:
        if analysis.model_sha256 != model_sha256:
            raise ResultsError(analysis.path, f"analysis from another model version"
                               f" (model_sha256 {analysis.model_sha256[:12]}, the results'"
                               f" is {model_sha256[:12]}); rerun it with the model of the"
                               " results")


def check_targets(analyses: Sequence[Analysis], target_ids: Sequence[str]) -> None:
    """Refuse an analysis of a target the report does not know (its unit and name come
    from the report's targets)."""
    known = set(target_ids)
    for analysis in analyses:
        if analysis.target is not None and analysis.target not in known:
            raise ResultsError(analysis.path, f"target '{analysis.target}' is not among the"
                               " report's targets; give the targets file the analysis used"
                               " with --targets")
