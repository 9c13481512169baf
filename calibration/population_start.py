"""Single-year population inputs of the cohort model (issue 11), from
``calibration/data/population`` (sources and traps in its README).

Arrays built here and written as constants into ``model/qingdao.mdl``
(``python -m calibration.population_start --write``):

* ``mortality schedule[age, sex]`` [1/year]: central death rates of China's 2010 census
  (unadjusted, ``china_2010_life_table_derived.csv``) for their *shape*, all ages and both
  sexes scaled by one factor so that life expectancy at birth is Qingdao's 80.85 years
  (2016, ``mortality_life_expectancy.csv``); the census's own sex gap (4.8 years) is kept.
* ``fertility schedule[age]`` [dmnl]: China's 2020 distribution of births by mother's age
  (``fertility_asfr.csv`` ``asfr_shape``, sums to 1 over 15-49), so births = total
  fertility rate x SUM(women x schedule).
* ``migration propensity[age]`` [dmnl]: the Rogers-Castro "fundamental" schedule
  (``migration_hukou.csv``; Rogers & Castro 1981) normalised to sum to 1: out-migration
  rates by age relative to the residents' mean.
* ``in migrant schedule[age, sex]`` [dmnl]: in-migrants by age and sex, the Rogers-Castro
  rate times the origin population (China's 2010 census by single year and sex), sums to 1.
* ``initial population share[age, sex]`` [dmnl]: the end-2015 structure, reverse-survived
  from the 2020 census by the model itself (a fixed point: the end-2015 cohort aged a is
  scaled until the model's cohort aged a+5 at the census date, 2020-11-01 = model time
  2019.8125, equals the 2020 census table; the 95+ cohorts share one factor). The 2020
  table is ``qingdao_age_sex_estimate.csv`` (Shandong's group shape raked to Qingdao's
  published margins) split into single years with the shape of the same cohorts in China's
  2010 census (age x in 2020 = age x-10 in 2010); ages 1-4 by Shandong's resident birth
  rates of their birth years (``vital_events.csv``; 2018 interpolated).

Units: persons, years. Library code: no printing (the ``__main__`` block reports).
"""

from __future__ import annotations

import argparse
import csv
import math
import re
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "calibration" / "data" / "population"
MODEL = ROOT / "model" / "qingdao.mdl"
CALIBRATED = ROOT / "calibration" / "calibrated.yaml"
AGES = 101  # 0 .. 99 and 100+
SEXES = ("female", "male")  # the order of the model's ``sex`` dimension
CENSUS_TIME = 2019.8125  # 2020-11-01 in model time (end of 2019 + 10 months), on the 1/16 grid
QINGDAO_E0 = 80.85  # 2016, health commission (mortality_life_expectancy.csv)
MALE_BIRTH_SHARE = 112.52 / 212.52  # Shandong 2020 census sex ratio at birth (vital_events.csv)
# Shandong resident birth rates [per 1000] of the birth years of ages 1-4 at the 2020 census
# (vital_events.csv: 2019 11.77, 2017 17.54, 2016 17.89; 2018 missing, the mean of 2017 and
# 2019).
BIRTH_RATES_AGES_1_4 = (11.77, (17.54 + 11.77) / 2, 17.54, 17.89)
# True once calibration/calibrated.yaml holds a fit of the cohort model (issue 11).
CALIBRATED_FOR_COHORTS = True
ROGERS_CASTRO = {"a1": 0.02, "alpha1": 0.1, "a2": 0.06, "alpha2": 0.1, "mu2": 20.0,
                 "lambda2": 0.4, "c": 0.003}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _single_year(rows, indicator: str, area: str, year: str) -> dict[str, np.ndarray]:
    out = {sex: np.zeros(AGES) for sex in SEXES}
    for row in rows:
        if ((row["indicator"], row["area"], row["year"]) == (indicator, area, year)
                and row["sex"] in SEXES
                and (row["age_to"] == row["age_from"] or row["age_from"] == "100")):
            out[row["sex"]][int(row["age_from"])] = float(row["value"])
    return out


def census_2020() -> np.ndarray:
    """Qingdao at the 2020 census by single year 0..100+ and sex [person], (101, 2)."""
    china = _single_year(_rows("china_2010_single_year_age_sex.csv"), "census_population",
                         "China", "2010")
    table = np.zeros((AGES, 2))
    for row in _rows("qingdao_age_sex_estimate.csv"):
        if row["year"] != "2020" or row["sex"] not in SEXES:
            continue
        column = SEXES.index(row["sex"])
        low = int(row["age_from"])
        high = int(row["age_to"]) if row["age_to"] else low
        ages = np.arange(low, high + 1)
        if low == 1:
            weights = np.array(BIRTH_RATES_AGES_1_4)
        elif low >= 5:
            weights = china[row["sex"]][ages - 10]
        else:
            weights = np.ones(len(ages))
        table[ages, column] = float(row["value"]) * weights / weights.sum()
    return table


def _life_expectancy(rates: np.ndarray) -> float:
    """e0 of central death rates m_x (0..100+) [year]: a_x = 0.5, a_0 = 0.07 + 1.7 m_0
    (the derivation of china_2010_life_table_derived.csv), open interval L = l / m."""
    separation = np.full(AGES, 0.5)
    separation[0] = 0.07 + 1.7 * rates[0]
    probability = rates / (1 + (1 - separation) * rates)
    survivors = np.concatenate([[1.0], np.cumprod(1 - probability[:-1])])
    lived = survivors[:-1] - probability[:-1] * survivors[:-1] * (1 - separation[:-1])
    return float(lived.sum() + survivors[-1] / rates[-1])


def mortality_schedule() -> tuple[np.ndarray, float]:
    """m[age, sex] [1/year] with e0 (births weighted by sex) = Qingdao's, and the factor."""
    shape = np.zeros((AGES, 2))
    for row in _rows("china_2010_life_table_derived.csv"):
        if row["indicator"] == "lifetable_mx" and row["sex"] in SEXES:
            shape[int(row["age_from"]), SEXES.index(row["sex"])] = float(row["value"])

    def e0(factor: float) -> float:
        female, male = (_life_expectancy(factor * shape[:, i]) for i in range(2))
        return MALE_BIRTH_SHARE * male + (1 - MALE_BIRTH_SHARE) * female

    low, high = 0.1, 3.0
    for _ in range(80):  # bisection: e0 falls as the factor rises
        middle = (low + high) / 2
        low, high = (middle, high) if e0(middle) > QINGDAO_E0 else (low, middle)
    factor = (low + high) / 2
    return factor * shape, factor


def fertility_schedule() -> np.ndarray:
    """Share of a woman's lifetime births at each age (China 2020), zero outside 15-49."""
    schedule = np.zeros(AGES)
    for row in _rows("fertility_asfr.csv"):
        if row["indicator"] == "asfr_shape":
            schedule[int(row["age_from"])] = float(row["value"])
    return schedule / schedule.sum()


def migration_propensity() -> np.ndarray:
    """Rogers-Castro fundamental schedule over ages 0..100 [1/year], normalised to sum to
    1 (only its shape matters: out-migration rates relative to the residents' mean)."""
    p = ROGERS_CASTRO
    x = np.arange(AGES, dtype=float)
    rate = (p["a1"] * np.exp(-p["alpha1"] * x)
            + p["a2"] * np.exp(-p["alpha2"] * (x - p["mu2"])
                               - np.exp(-p["lambda2"] * (x - p["mu2"]))) + p["c"])
    return rate / rate.sum()


def in_migrant_schedule() -> np.ndarray:
    """In-migrants by age and sex, sums to 1: the Rogers-Castro rate at each age times the
    population of the origin (China's 2010 census by single year and sex)."""
    china = _single_year(_rows("china_2010_single_year_age_sex.csv"), "census_population",
                         "China", "2010")
    origin = np.stack([china[sex] for sex in SEXES], axis=1)
    schedule = migration_propensity()[:, None] * origin
    return schedule / schedule.sum()


def first_guess() -> np.ndarray:
    """The 2020 table moved back five years (ages 95+ share the 100+ group) [person]."""
    target = census_2020()
    start = np.zeros_like(target)
    start[:AGES - 5] = target[5:]
    start[AGES - 5:] = target[-1] / 6
    return start


def reverse_survived_start(engine, parameters: dict, iterations: int = 25
                           ) -> tuple[np.ndarray, float]:
    """End-2015 population by age and sex [person] whose model run meets the 2020 census
    table at every age 5..100+ (fixed point), and the largest remaining relative gap."""
    start = first_guess()
    target = census_2020()
    gap = math.inf
    for _ in range(iterations):
        total = start.sum()
        params = dict(parameters, initial_population=total,
                      initial_population_share=(start / total)[None])
        model = engine.run(params, 1, return_columns=["population_by_age"],
                           return_times=[CENSUS_TIME])["population_by_age"][0, 0]
        ratio = np.ones_like(start)
        ratio[:AGES - 5] = target[5:] / model[5:]
        ratio[AGES - 5:] = target[-1] / model[-1]
        gap = float(np.abs(ratio - 1).max())
        start = start * ratio
    return start, gap


# Births of each year relative to 2020 on the registered basis (vital_events.csv): 2015
# about 63,000, 2016 118,400, 2017 93,700 in January-October (x 12/10), 2020 66,500; 2018
# and 2019 follow Shandong's resident birth rates between 2017 (17.54) and 2020 (8.56):
# 2019 11.77, 2018 the mean of 2017 and 2019.
_RATIO_2017 = 93_700 * 12 / 10 / 66_500
_SHANDONG = {2018: (17.54 + 11.77) / 2, 2019: 11.77}
BIRTH_RATIOS = {2015: 63_000 / 66_500, 2016: 118_400 / 66_500, 2017: _RATIO_2017,
                **{year: 1 + (_RATIO_2017 - 1) * (rate - 8.56) / (17.54 - 8.56)
                   for year, rate in _SHANDONG.items()}}


def fertility_path(parameters: dict, iterations: int = 4) -> dict[int, float]:
    """Fertility of each year 2015-2019 relative to 2020 such that the model's births
    relative to its 2020 births equal ``BIRTH_RATIOS`` (the women of childbearing age
    change meanwhile, so the ratios of fertility differ from those of births). Writes each
    trial into the model file (lookups are not run inputs)."""
    from model.ensemble import EnsembleModel

    path = dict(BIRTH_RATIOS)
    years = np.arange(2015, 2021)
    for _ in range(iterations):
        write_lookup("fertility path", fertility_lookup(path))
        births = EnsembleModel.from_mdl(MODEL).run(parameters, 1, return_columns=["births"],
                            return_times=years)["births"][0]
        for index, year in enumerate(years[:-1]):
            path[int(year)] *= BIRTH_RATIOS[int(year)] / (births[index] / births[-1])
    write_lookup("fertility path", fertility_lookup(path))
    return path


def fertility_lookup(path: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """The path as lookup points: births of year Y come from model times [Y-1, Y); the
    end-2015 rate (the model's 2015 births) from time 2015 alone."""
    xs = [2015.0, 2015.0625, 2015.99, 2016.0, 2016.99, 2017.0, 2017.99, 2018.0, 2018.99,
          2019.0, 2100.0]
    ys = [path[2015], path[2016], path[2016], path[2017], path[2017], path[2018],
          path[2018], path[2019], path[2019], 1.0, 1.0]
    return np.array(xs), np.array(ys)


def write_lookup(name: str, points: tuple[np.ndarray, np.ndarray], path: Path = MODEL
                 ) -> None:
    """Replace the points of a lookup in the model file (its range line is kept)."""
    text = path.read_text(encoding="utf-8")
    body = ",".join(f"({x:.10g},{y:.6g})" for x, y in zip(*points, strict=True))
    pattern = re.compile(rf"^({re.escape(name)}\(\n\t\[[^\]]*\]),[^\n]*\)$", re.M)
    text, count = pattern.subn(lambda match: f"{match.group(1)},{body})", text)
    if count != 1:
        raise ValueError(f"{path}: lookup {name!r} found {count} times")
    path.write_text(text, encoding="utf-8")


CENSUS_0_14 = 1_552_097  # Qingdao 2020 census, residents aged 0-14 (vital_events README)


def births_conversion(engine, parameters: dict) -> float:
    """Resident births per registered birth such that the model's residents aged 0-14 at
    the 2020 census equal the census count: registered births fix the product of the
    fertility level and this ratio, the census's children (the one resident-basis count
    of recent births) fix the ratio. Solved by scaling the ratio and the fertility rate
    together (registered births unchanged)."""
    ratio = float(parameters.get("resident_to_registered_births_ratio",
                                 engine.constants["resident_to_registered_births_ratio"]))
    fertility = float(parameters.get("total_fertility_rate",
                                     engine.constants["total_fertility_rate"]))

    def children(factor: float) -> float:
        params = dict(parameters, resident_to_registered_births_ratio=ratio * factor,
                      total_fertility_rate=fertility * factor)
        return float(engine.run(params, 1, return_columns=["population_0_14"],
                                return_times=[CENSUS_TIME])["population_0_14"][0, 0])

    low, high = 0.8, 1.2
    for _ in range(30):  # the children rise with the factor
        middle = (low + high) / 2
        low, high = (middle, high) if children(middle) < CENSUS_0_14 else (low, middle)
    return ratio * (low + high) / 2


def write_scalar(name: str, value: float, path: Path = MODEL) -> None:
    """Replace the value of a scalar constant in the model file."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"^({re.escape(name)} = )[-0-9.e+]+$", re.M)
    text, count = pattern.subn(lambda match: f"{match.group(1)}{value:.4f}", text)
    if count != 1:
        raise ValueError(f"{path}: constant {name!r} found {count} times")
    path.write_text(text, encoding="utf-8")


def _table(array: np.ndarray) -> str:
    if array.ndim == 1:
        return ",".join(f"{value:.6g}" for value in array)
    # 8 significant digits: PySD 3.14 writes array constants into its Python model with
    # numpy's repr (8 digits), so longer numbers would differ between the engines by ~5e-9
    return ";".join(",".join(f"{value:.8g}" for value in row) for row in array) + ";"


def write_constants(arrays: dict[str, np.ndarray], path: Path = MODEL) -> None:
    """Replace the right-hand side of each named constant in the model file."""
    text = path.read_text(encoding="utf-8")
    for name, array in arrays.items():
        pattern = re.compile(rf"^({re.escape(name)}\[[^\]]*\] = )[^~]*?(\n\t~)", re.M)
        text, count = pattern.subn(lambda match, a=array: match.group(1) + _table(a)
                                   + match.group(2), text)
        if count != 1:
            raise ValueError(f"{path}: constant {name!r} found {count} times")
    path.write_text(text, encoding="utf-8")


def calibrated_parameters(engine) -> dict[str, float]:
    """The calibrated scalar values, except those of the population sector's new meaning
    (the total fertility rate is now the 2020 level; the 2016-2019 path is separate)."""
    values = yaml.safe_load(CALIBRATED.read_text(encoding="utf-8"))["parameters"]
    changed = {"resident_to_registered_births_ratio"}  # set here from the census
    if not CALIBRATED_FOR_COHORTS:
        changed.add("total_fertility_rate")
    return {k: float(v) for k, v in values.items() if k in engine.constants
            and np.ndim(engine.constants[k]) == 0 and k not in changed}


def main() -> None:
    from model.ensemble import EnsembleModel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the arrays into the .mdl")
    arguments = parser.parse_args()
    mortality, factor = mortality_schedule()
    fixed = {"mortality schedule": mortality, "fertility schedule": fertility_schedule(),
             "migration propensity": migration_propensity(),
             "in migrant schedule": in_migrant_schedule()}
    if arguments.write:
        guess = first_guess()
        write_constants(dict(fixed, **{"initial population share": guess / guess.sum()}))
    engine = EnsembleModel.from_mdl(MODEL)
    start, gap = reverse_survived_start(engine, calibrated_parameters(engine))
    total = start.sum()
    print(f"mortality factor {factor:.4f}; reverse-survived end-2015 total {total:,.0f} "
          f"(observed 9,446,000); largest gap at the census {gap:.2e}")
    groups = {"0-14": (0, 15), "15-59": (15, 60), "60+": (60, AGES), "65+": (65, AGES)}
    print("end-2015 shares: " + ", ".join(
        f"{k} {start[a:b].sum() / total:.4f}" for k, (a, b) in groups.items()))
    if arguments.write:
        write_constants({"initial population share": start / total})
    path = fertility_path(calibrated_parameters(engine)) if arguments.write else {}
    print("fertility path relative to 2020: " + ", ".join(
        f"{year} {value:.4f}" for year, value in path.items()))
    if arguments.write:
        engine = EnsembleModel.from_mdl(MODEL)
        ratio = births_conversion(engine, calibrated_parameters(engine))
        write_scalar("resident to registered births ratio", ratio)
        print(f"resident births per registered birth (census 0-14): {ratio:.4f}")


if __name__ == "__main__":
    main()
