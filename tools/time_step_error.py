"""Integration error of qingdao.mdl: how much halving the time step moves the 2035 results.

Draws every constant uniformly within the middle half of its allowed range (seeded), runs
the ensemble engine at each time step asked for and at half of it, and prints, per output,
the share of draws whose 2035 value moves by 1% or more and the 99th percentile of the
relative change. The test in tests/model/test_model_checks.py asserts the model's own step.

How to run (from the repository root)::

    nice python tools/time_step_error.py --steps 0.25 0.125 0.0625 --draws 20000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.ensemble import EnsembleModel  # noqa: E402
from model.parameters import parameter_catalogue  # noqa: E402

OUTPUTS = ["population", "gdp_real", "gdp_per_capita", "employment", "co2_emissions",
           "housing_floor_area"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=float, nargs="+", default=[0.25, 0.125, 0.0625])
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    arguments = parser.parse_args()
    model = ROOT / "model" / "qingdao.mdl"
    engine = EnsembleModel.from_mdl(model)
    generator = np.random.default_rng(arguments.seed)
    draws = {}
    for name, info in parameter_catalogue(model).items():
        quarter = (info.maximum - info.minimum) / 4
        draws[name] = generator.uniform(info.minimum + quarter, info.maximum - quarter,
                                        arguments.draws)
    print("step     " + "  ".join(f"{name:>22}" for name in OUTPUTS))
    for step in arguments.steps:
        coarse = engine.run(draws, arguments.draws, return_columns=OUTPUTS,
                            return_times=[2035.0], time_step=step)
        fine = engine.run(draws, arguments.draws, return_columns=OUTPUTS,
                          return_times=[2035.0], time_step=step / 2)
        cells = []
        for name in OUTPUTS:
            change = np.abs(fine[name][:, 0] / coarse[name][:, 0] - 1)
            share = np.mean(~(change < 0.01))
            cells.append(f"{share:6.2%} >=1%, p99 {np.nanpercentile(change, 99):6.3%}")
        print(f"{step:<8g} " + "  ".join(f"{cell:>22}" for cell in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
