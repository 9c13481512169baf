"""Reading the "what it would take" analyses a report shows beside the results.

``qdsim solve``, ``sensitivity``, ``attribute`` and ``check-plan`` save JSON with
``--out`` (``qdsim.analysis_files.save_analysis``): a document whose ``qdsim_analysis``
names its kind (solve, frontier, sensitivity, attribution, plan_check) and which records
the ``model_sha256`` of the model it ran. Among the inputs of ``qdsim report`` a path
ending in ``.json`` is such a document; every other path is a results file.

Each document is checked here, before anything is written: it must be readable JSON of a
known kind, valid against the schema its command wrote it with
(``qdsim.analysis_files``), so that drawing it cannot fail half-way. Its model hash is
checked against the results' in ``check_models``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qdsim.analysis_files import KINDS as KINDS
from qdsim.analysis_files import AnalysisFile, read_analysis_file
from qdsim.errors import ResultsError
from qdsim.validation import read_text

ANALYSIS_SUFFIX = ".json"


@dataclass(frozen=True)
class Analysis:
    """One saved analysis: its file, kind and the whole JSON document."""

    path: Path
    kind: str
    document: dict[str, Any]
    record: AnalysisFile | None = None

    @property
    def model_sha256(self) -> str:
        return str(self.document["model_sha256"])

    @property
    def target(self) -> str | None:
        """The target id the analysis is about (None for the plan check)."""
        return self._record().target_id

    @property
    def scenario(self) -> str | None:
        """The scenario the analysis ran on (None for the plan check)."""
        return self._record().scenario_name

    def _record(self) -> AnalysisFile:
        return self.record or read_analysis_file(self.path, self.document)


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
    record = read_analysis_file(path, document)
    return Analysis(path, record.qdsim_analysis, document, record)


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
