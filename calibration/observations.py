"""Reading and checking an observations file for calibration.

Any CSV with the columns of ``calibration/data/observations.csv`` works: each row is a
figure to fit, a model variable and a statistic of it, a value and an error sd in the
model's unit. Rows are kept when their year (or their period's last year) lies in the
window. Every problem raises :class:`CalibrationDataError` with the file and line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

from qdsim.errors import InputError
from qdsim.scenario import suggest
from qdsim.validation import read_text
from qdsim.variables import OUTPUT_VARIABLES

COLUMNS = ("id", "variable", "statistic", "year", "period_start", "period_end", "value",
           "unit", "sd", "definition", "source")
STATISTICS = ("value", "mean_growth", "total", "change")
EXTRA_FIELDS = "\x00extra"


class CalibrationDataError(InputError):
    """The observations file or the window is unusable."""


@dataclass(frozen=True)
class Observation:
    """One observed figure: ``statistic`` of ``variable`` equals ``value`` ± ``sd``."""

    id: str
    variable: str
    statistic: str
    year: int | None
    period: tuple[int, int] | None
    value: float
    unit: str
    sd: float
    definition: str
    source: str

    @property
    def last_year(self) -> int:
        return self.period[1] if self.period else int(self.year)

    @property
    def first_year(self) -> int:
        return self.period[0] - 1 if self.period else int(self.year)


def parse_window(text: str) -> tuple[int, int]:
    """``"2015:2020"`` -> (2015, 2020)."""
    start, sep, end = text.partition(":")
    try:
        window = (int(start), int(end))
    except ValueError:
        window = None
    if not sep or window is None or window[0] > window[1]:
        raise CalibrationDataError(None, f"--window '{text}': expected FIRST:LAST years,"
                                   " e.g. 2015:2020", key="window")
    return window


def _number(path: Path, line: int, column: str, text: str, *, integer: bool = False):
    try:
        value = int(text) if integer else float(text)
        if integer and not 1900 <= value <= 2100:
            raise ValueError(text)
    except ValueError:
        raise CalibrationDataError(path, f"'{text}' is not {'a year' if integer else 'a number'}",
                                   line=line, key=column) from None
    if not integer and not math.isfinite(value):
        raise CalibrationDataError(path, f"'{text}' is not finite", line=line, key=column)
    return value


def _row(path: Path, line: int, row: dict[str, str]) -> Observation:
    variable = row["variable"].strip()
    if variable not in OUTPUT_VARIABLES:
        raise CalibrationDataError(path, f"unknown variable '{variable}'"
                                   f"{suggest(variable, OUTPUT_VARIABLES)}", line=line,
                                   key="variable")
    statistic = row["statistic"].strip()
    if statistic not in STATISTICS:
        raise CalibrationDataError(path, f"unknown statistic '{statistic}'; allowed:"
                                   f" {', '.join(STATISTICS)}", line=line, key="statistic")
    year = period = None
    if statistic == "value":
        year = _number(path, line, "year", row["year"].strip(), integer=True)
    else:
        period = (_number(path, line, "period_start", row["period_start"].strip(), integer=True),
                  _number(path, line, "period_end", row["period_end"].strip(), integer=True))
        if period[0] > period[1]:
            raise CalibrationDataError(path, "period_start is after period_end", line=line,
                                       key="period_start")
    sd = _number(path, line, "sd", row["sd"].strip())
    if sd <= 0:
        raise CalibrationDataError(path, "sd must be positive", line=line, key="sd")
    return Observation(
        id=row["id"].strip() or f"row{line}", variable=variable, statistic=statistic,
        year=year, period=period, value=_number(path, line, "value", row["value"].strip()),
        unit=row["unit"].strip(), sd=sd, definition=row["definition"].strip(),
        source=row["source"].strip(),
    )


def load_observations(path: Path | str, window: tuple[int, int] = (2015, 2020)
                      ) -> list[Observation]:
    """Observations in ``path`` whose years fall inside ``window`` (inclusive)."""
    path = Path(path)
    text = read_text(path, CalibrationDataError, what="observations file")
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=EXTRA_FIELDS)
    observations = []
    try:
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CalibrationDataError(path, f"missing columns: {', '.join(missing)}", line=1)
        for row in reader:
            line = reader.line_num
            if EXTRA_FIELDS in row or any(row[c] is None for c in COLUMNS):
                raise CalibrationDataError(path, f"expected {len(reader.fieldnames)} fields"
                                           " (one per column); quote a text holding a comma",
                                           line=line)
            observations.append(_row(path, line, row))
    except csv.Error as error:
        raise CalibrationDataError(path, f"malformed CSV: {error}", line=reader.line_num
                                   ) from None
    kept = [o for o in observations if window[0] <= o.first_year and o.last_year <= window[1]]
    if not kept:
        raise CalibrationDataError(path, f"no observation inside the window"
                                   f" {window[0]}:{window[1]}", key="window")
    return kept


def file_hash(path: Path | str) -> str:
    """SHA-256 of the observations file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
