"""The observations file: the shipped one loads; bad files give file, line and column."""

from __future__ import annotations

import pytest

from calibration import DEFAULT_OBSERVATIONS
from calibration.observations import (
    COLUMNS,
    CalibrationDataError,
    load_observations,
    parse_window,
)

HEADER = ",".join(COLUMNS)


def test_shipped_data_stays_within_2015_2020_and_has_sources():
    observations = load_observations(DEFAULT_OBSERVATIONS, (1900, 2100))
    assert all(2015 <= o.first_year and o.last_year <= 2020 for o in observations)
    assert all(o.source and o.definition for o in observations)
    variables = {o.variable for o in observations}
    assert {"population", "gdp_nominal", "urbanization_rate", "energy_consumption"} <= variables


def write(tmp_path, body: str):
    path = tmp_path / "obs.csv"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "line", "key", "fragment"), [
    ("id,variable\nx,population\n", 1, None, "missing columns"),
    (HEADER + "\na,populaton,value,2018,,,1,person,1,d,s\n", 2, "variable",
     "did you mean 'population'"),
    (HEADER + "\na,population,value,2018,,,many,person,1,d,s\n", 2, "value", "not a number"),
    (HEADER + "\na,population,value,2018,,,1,person,0,d,s\n", 2, "sd", "positive"),
    (HEADER + "\na,population,median,2018,,,1,person,1,d,s\n", 2, "statistic", "unknown"),
    (HEADER + "\na,population,value,last,,,1,person,1,d,s\n", 2, "year", "not a year"),
])
def test_bad_rows(tmp_path, body, line, key, fragment):
    with pytest.raises(CalibrationDataError) as caught:
        load_observations(write(tmp_path, body))
    assert caught.value.line == line and caught.value.key == key
    assert fragment in caught.value.message


def test_empty_window_and_bad_window_text(tmp_path):
    with pytest.raises(CalibrationDataError, match="no observation inside the window"):
        load_observations(DEFAULT_OBSERVATIONS, (1990, 1995))
    for text in ("2020", "2020:2015", "a:b"):
        with pytest.raises(CalibrationDataError, match="expected FIRST:LAST"):
            parse_window(text)
    assert parse_window("2015:2019") == (2015, 2019)
