"""A subscripted benchmark model: today's ``model/qingdao.mdl`` plus a one-year cohort
ageing chain of 101 ages (0 to 100+) x 2 sexes.

The chain is written here as Vensim text and appended to a copy of the model file in a
temporary folder (the model's own equations stay only in ``qingdao.mdl``). It holds no
number of its own: births are the model's ``birth flow`` split equally between the sexes,
deaths apply the model's mortality rate of each broad age group (and its multiplier) to
the one-year cohorts of that group, and the 2015 population is the model's, spread
evenly over the cohorts. It exists to measure speed on arrays, not to project anything.

Constructs exercised: ranges and subranges, a mapping (younger ages -> older ages) for
the ageing flow, per-subrange equations, :EXCEPT:, SUM over ``!`` dimensions and
subranges, ELMCOUNT, INITIAL and INTEG on a 101 x 2 array.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parents[1] / "model" / "qingdao.mdl"
SKETCH_MARKER = "\\\\\\---///"  # where the sketch section of an .mdl file starts

AGES = 101  # one-year cohorts 0 .. 99 and an open-ended 100+

# The model's broad age groups -> (first, last) one-year cohort.
GROUPS = {"0 14": (0, 14), "15 59": (15, 59), "60 64": (60, 64), "65 plus": (65, 100)}


def chain_equations() -> str:
    """Vensim text of the cohort chain, reading the model's births and mortality."""
    last = AGES - 1
    lines = [
        f"cohort age: (a0-a{last})", "\t~\t\n\t~\tOne-year age cohorts, 100 is 100+.\n\t|",
        f"cohort older ages: (a1-a{last})", "\t~\t\n\t~\tCohorts that are aged into.\n\t|",
        f"cohort younger ages: (a0-a{last - 1}) -> cohort older ages",
        "\t~\t\n\t~\tCohorts that age into the next one.\n\t|",
        "cohort sex: female, male", "\t~\t\n\t~\tSexes.\n\t|",
    ]
    for group, (first, final) in GROUPS.items():
        lines += [f"cohort group {group}: (a{first}-a{final})",
                  f"\t~\t\n\t~\tCohorts of the age group {group}.\n\t|"]
    equations = {
        "cohort population[cohort age, cohort sex]": (
            "INTEG(cohort births[cohort age, cohort sex] + cohort ageing in[cohort age, "
            "cohort sex] - cohort ageing out[cohort age, cohort sex] - cohort deaths[cohort "
            "age, cohort sex], initial cohort population[cohort age, cohort sex])", "person"),
        "initial cohort population[cohort age, cohort sex]": (
            "INITIAL(population) / ELMCOUNT(cohort age) / ELMCOUNT(cohort sex)", "person"),
        "cohort births[a0, cohort sex]": ("birth flow / ELMCOUNT(cohort sex)",
                                          "person/year"),
        "cohort births[cohort age, cohort sex] :EXCEPT: [a0, cohort sex]": ("0",
                                                                           "person/year"),
        f"cohort ageing out[cohort age, cohort sex] :EXCEPT: [a{last}, cohort sex]": (
            "cohort population[cohort age, cohort sex] / cohort width", "person/year"),
        f"cohort ageing out[a{last}, cohort sex]": ("0", "person/year"),
        "cohort ageing in[a0, cohort sex]": ("0", "person/year"),
        "cohort ageing in[cohort older ages, cohort sex]": (
            "cohort ageing out[cohort younger ages, cohort sex]", "person/year"),
        "cohort width": ("1", "year"),
        "cohort total": ("SUM(cohort population[cohort age!, cohort sex!])", "person"),
        "cohort by sex[cohort sex]": ("SUM(cohort population[cohort age!, cohort sex])",
                                      "person"),
    }
    for group in GROUPS:
        subrange = f"cohort group {group}"
        equations[f"cohort deaths[{subrange}, cohort sex]"] = (
            f"cohort population[{subrange}, cohort sex] * mortality rate {group} "
            "* mortality multiplier", "person/year")
        equations[f"cohort population {group}"] = (
            f"SUM(cohort population[{subrange}!, cohort sex!])", "person")
    for name, (equation, unit) in equations.items():
        lines += [f"{name} = {equation}",
                  f"\t~\t{unit}\n\t~\tBenchmark cohort chain (benchmarks/cohort_model.py).\n\t|"]
    return "\n".join(lines) + "\n\n"


def write_cohort_model(directory: Path) -> Path:
    """Write ``qingdao_cohorts.mdl`` (the model file plus the chain) into ``directory``."""
    text = MODEL_PATH.read_text(encoding="utf-8")
    position = text.index(SKETCH_MARKER) if SKETCH_MARKER in text else len(text)
    path = Path(directory) / "qingdao_cohorts.mdl"
    path.write_text(text[:position] + chain_equations() + text[position:], encoding="utf-8")
    return path


def copy_model(directory: Path) -> Path:
    """A plain copy of the model file in ``directory`` (PySD writes next to it)."""
    return Path(shutil.copy(MODEL_PATH, Path(directory) / MODEL_PATH.name))
