"""Write docs/scenarios.md: every scenario key, an example per distribution, and the list
of parameters generated from the model file.

The prose and examples are below; the key lists, the fields of each distribution and the
parameter table come from the code and the model (``qdsim.scenario``,
``qdsim.uncertainty``, ``model.parameters.parameter_catalogue``), so they cannot drift.
``tests/test_docs.py`` checks that the file is current and that every example is a valid
scenario. Run ``python docs/make_scenarios_doc.py`` after changing the model or the
scenario format.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.parameters import parameter_catalogue  # noqa: E402
from qdsim.scenario import RELATIVE_KEYS, TOP_LEVEL_KEYS  # noqa: E402
from qdsim.uncertainty import (  # noqa: E402
    APPLY_MODES,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    SAMPLING_METHODS,
)

OUTPUT = ROOT / "docs" / "scenarios.md"

#: One complete example scenario per distribution (each extends the shipped baseline).
EXAMPLES = {
    "uniform": """\
name: faster_tfp
title: {zh: 全要素生产率增速不确定, en: Uncertain TFP growth}
description: TFP growth anywhere between 1.5% and 3.5% a year, every value equally likely.
extends: baseline
uncertain:
  tfp_growth_rate: {distribution: uniform, low: 0.015, high: 0.035}
""",
    "triangular": """\
name: fertility_range
title: {zh: 生育率三角分布, en: Fertility between 0.9 and 1.7}
description: Total fertility most likely 1.3, at least 0.9 and at most 1.7.
extends: baseline
uncertain:
  total_fertility_rate: {distribution: triangular, low: 0.9, mode: 1.3, high: 1.7}
""",
    "normal": """\
name: migration_normal
title: {zh: 迁移率正态分布, en: Normally distributed migration}
description: Net migration rate around 1% a year (sd 0.3 points), cut at 0.2% and 2%.
extends: baseline
uncertain:
  base_net_migration_rate: {distribution: normal, mean: 0.01, sd: 0.003, low: 0.002,
                            high: 0.02}
""",
    "lognormal": """\
name: perception_lognormal
title: {zh: 迁移感知时间对数正态分布, en: Lognormal migration perception time}
description: Migrants perceive jobs and income in a median 1 year, log-sd 0.3, cut at 0.5 and 3.
extends: baseline
uncertain:
  migration_perception_time: {distribution: lognormal, median: 1, sigma: 0.3, low: 0.5,
                              high: 3}
""",
    "choice": """\
name: hukou_choice
title: {zh: 户籍开放程度离散选择, en: Two household-registration regimes}
description: Household registration either half open (70%) or largely open (30%).
extends: baseline
uncertain:
  household_registration_openness: {distribution: choice, values: [0.5, 0.8],
                                    weights: [0.7, 0.3]}
""",
    "posterior": """\
name: posterior_draws
title: {zh: 校准后验抽样, en: Draws from the calibration posterior}
description: TFP growth and the 2015 capital-output ratio drawn jointly from the posterior.
extends: baseline
uncertain:
  tfp_growth_rate: {distribution: posterior}
  initial_capital_output_ratio: {distribution: posterior}
""",
    "ar1": """\
name: growth_shocks
title: {zh: 增长年度冲击, en: Year-to-year growth shocks}
description: TFP growth shocked each year from 2021 by an AR(1) of sd 1 point and rho 0.5.
extends: baseline
uncertain:
  tfp_growth_shock: {distribution: ar1, sd: 0.01, rho: 0.5, from: 2021}
""",
}

#: What each top-level key holds.
TOP_LEVEL = {
    "name": "the scenario's name: letters, digits, `_`, `.` and `-`, at most 64 characters;"
            " it names the result files (`results/<name>.nc`).",
    "title": "a mapping with `zh` and `en`: the titles in tables, charts and reports.",
    "description": "the story of the scenario, shown in reports beside its assumptions.",
    "extends": "another scenario (a name in the same folder, or a `.yaml` path relative to"
               " this file) whose parameters and `uncertain:` block this one inherits and"
               " overrides; chains are followed, cycles refused.",
    "parameters": "parameter name → value: a constant, a path of year → value points, or a"
                  " change of the inherited value (below).",
    "uncertain": "parameter name → distribution (below): what a batch samples.",
    "calibration": "written by `qdsim calibrate` in `calibration/calibrated.yaml`: where the"
                   " values came from (data file and hash, window, fit); results record it.",
}

#: What each distribution field means.
FIELD_MEANINGS = {
    "low": "lower bound", "high": "upper bound", "mode": "most likely value",
    "mean": "mean", "sd": "standard deviation", "median": "median (e^mu)",
    "sigma": "standard deviation of the logarithm", "values": "the possible values",
    "weights": "their relative weights (default: equal)",
    "file": "posterior sample (default: the shipped `calibration/calibrated_posterior.nc`)",
    "rho": "autocorrelation from one year to the next, between -1 and 1",
    "from": "first year shocked (default and earliest: 2021)",
    "to": "last year shocked (default: the model's final year)",
}
DISTRIBUTION_NOTES = {
    "uniform": "every value between `low` and `high` equally likely.",
    "triangular": "density rising from `low` to `mode`, falling to `high`.",
    "normal": "truncated to `low`/`high`; with `apply: replace` (the default) give both,"
              " inside the parameter's allowed range.",
    "lognormal": "positive; truncated like the normal.",
    "choice": "one of `values` with probabilities proportional to `weights`.",
    "posterior": "joint draws of the calibrated parameters from the posterior sample of"
                 " `qdsim calibrate`, applied as shifts from the calibrated estimate.",
    "ar1": "a path of year-to-year shocks per draw, added to the scenario's value of a"
           " parameter with a path over years: x_t = rho x_(t-1) + e_t, e_t ~ N(0, `sd`)"
           " (the innovation sd), from x = 0 before `from`, so 2015-2020 stay as observed;"
           " the shock of year t acts over [t-1, t), 0 after `to`; `low`/`high` clip it"
           " (default ±4 stationary sd, sd/√(1−rho²)). Each year's innovation is its own"
           " dimension of the sampling design; results record the mean of each path as"
           " `sampled_<parameter>`.",
}


def _code(names) -> str:
    return ", ".join(f"`{name}`" for name in names) or "–"


def _number(value: float) -> str:
    return f"{value:g}"


def parameter_table() -> str:
    """Markdown table of every settable parameter, from the model file."""
    lines = ["| parameter | unit | default | allowed range | path over years | description |",
             "|---|---|---:|---|---|---|"]
    for info in sorted(parameter_catalogue().values(), key=lambda i: i.name):
        description = info.description.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{info.name}` | {info.unit} | {_number(info.default)} |"
                     f" [{_number(info.minimum)}, {_number(info.maximum)}] |"
                     f" {'yes' if info.time_varying else 'no (start value)'} |"
                     f" {description} |")
    return "\n".join(lines)


def distribution_table() -> str:
    lines = ["| distribution | required fields | optional fields | draws |",
             "|---|---|---|---|"]
    for name in REQUIRED_FIELDS:
        lines.append(f"| `{name}` | {_code(REQUIRED_FIELDS[name])} |"
                     f" {_code(OPTIONAL_FIELDS[name])} | {DISTRIBUTION_NOTES[name]} |")
    return "\n".join(lines)


def render() -> str:
    """The whole of docs/scenarios.md."""
    fields = sorted({f for group in (REQUIRED_FIELDS, OPTIONAL_FIELDS)
                     for names in group.values() for f in names})
    parts = [
        "# Scenario files",
        "",
        "<!-- Generated by docs/make_scenarios_doc.py from the code and model/qingdao.mdl;"
        " edit the script, not this file. -->",
        "",
        "A scenario is a YAML file in `scenarios/`. `qdsim validate FILE` checks it; `qdsim"
        " params` lists the parameters (also below). Values are in the model's units (a"
        " fraction, not a percent: 7% is `0.07`).",
        "",
        "## Top-level keys",
        "",
        *[f"- `{key}`: {TOP_LEVEL[key]}" for key in TOP_LEVEL_KEYS],
        "",
        "## Parameter values",
        "",
        "```yaml",
        "parameters:",
        "  total_fertility_rate: 1.1                          # a constant",
        "  household_registration_openness: {2020: 0.3, 2025: 1.0}  # a path over years",
        "  tfp_growth_rate: {shift: 0.01, start: 2020, full: 2022}  # a change of the"
        " inherited value",
        "  investment_share: {scale: 0.9}",
        "```",
        "",
        "- A **path** is year → value: linear between points, held after the last. Start"
        " values (marked `no` in the table below) take a constant only.",
        f"- A **change** ({_code(RELATIVE_KEYS)}) takes one of `shift` (added) or `scale`"
        " (multiplied) and optional years: the inherited value holds up to `start`, the"
        " full change applies from `full`, linearly between (`start` alone means `full` ="
        " `start` + 1; no years: from the start).",
        "- Every value, and every point of a changed path, must lie in the parameter's"
        " allowed range.",
        "",
        "## Uncertain assumptions",
        "",
        "The `uncertain:` block maps a parameter to a distribution; `qdsim batch`, `qdsim"
        " targets --samples` and `qdsim sensitivity` sample it (Latin hypercube or Sobol,"
        f" {_code(SAMPLING_METHODS)}, with a recorded seed). Fields: `distribution`,"
        f" `apply` and {_code(fields)}.",
        "",
        distribution_table(),
        "",
        *[f"- `{field}`: {FIELD_MEANINGS[field]}" for field in fields],
        "",
        f"`apply` ({_code(APPLY_MODES)}) says how a draw acts on the scenario's value:"
        " `replace` (the default; the draw is the value, constants only, and the draws must"
        " lie in the allowed range), `shift` (added to every point of the value or path) or"
        " `scale` (multiplies it). Posterior draws always apply as `shift`.",
        "",
        "### An example per distribution",
        "",
    ]
    for name, example in EXAMPLES.items():
        parts += [f"`{name}`:", "", "```yaml", example.rstrip("\n"), "```", ""]
    parts += ["## Parameters", "",
              f"Generated from `model/qingdao.mdl` ({len(parameter_catalogue())} parameters;"
              " sources of each value in `model/PARAMETERS.md`).", "", parameter_table(), ""]
    return "\n".join(parts)


def main() -> None:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
