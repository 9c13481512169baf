"""Synthetic batch results for tests and benchmarks, made from single-run results.

``synthetic_batch`` gives a Dataset shaped like ``qdsim batch`` output (dims scenario,
sample, year; ``sampled_<parameter>`` variables over scenario, sample; a ``seed``
attribute) by spreading each single-run path with lognormal noise that grows after 2020,
so that the history stays put and the uncertainty widens towards 2035 as a real batch's
would. It runs no model.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

#: Relative spread [1] of each variable at the end of the projection (one sd in log).
DEFAULT_SPREAD = 0.08
SPREADS = {"population": 0.05, "urbanization_rate": 0.02, "unemployment_rate": 0.25,
           "gdp_real_growth": 0.25, "co2_emissions": 0.10, "public_housing_units_completed": 0.0}
#: Sampled parameters written beside the results: name -> (unit, low, high) of a uniform draw.
SAMPLED_PARAMETERS = {"tfp_growth_rate": ("1/year", 0.015, 0.035),
                      "total_fertility_rate": ("dmnl", 1.3, 1.9)}


def synthetic_batch(single: xr.Dataset, samples: int, seed: int = 20210101,
                    spread_start: int = 2020) -> xr.Dataset:
    """A batch of ``samples`` noisy copies of every scenario of ``single`` (dims scenario, year).

    Each sample of a scenario gets one standard-normal draw per variable; the log-noise is
    that draw × the variable's spread × (years after ``spread_start``) / (years to the last
    year), so noise is zero up to ``spread_start``. Fractions stay within [0, 1].
    """
    generator = np.random.default_rng(seed)
    years = single["year"].to_numpy()
    ramp = np.clip((years - spread_start) / max(1, years[-1] - spread_start), 0.0, 1.0)
    scenarios = single.sizes["scenario"]
    data_vars = {}
    for name, variable in single.data_vars.items():
        if "year" not in variable.dims or set(variable.dims) - {"scenario", "year"}:
            continue  # like qdsim batch by default: no population by age and sex
        base = variable.transpose("scenario", "year").to_numpy()
        spread = SPREADS.get(name, DEFAULT_SPREAD)
        draws = generator.standard_normal((scenarios, samples, 1))
        values = base[:, None, :] * np.exp(spread * draws * ramp[None, None, :])
        if variable.attrs.get("units") == "fraction":
            values = np.clip(values, 0.0, 1.0)
        data_vars[name] = xr.Variable(("scenario", "sample", "year"), values,
                                      attrs=dict(variable.attrs))
    for name, (unit, low, high) in SAMPLED_PARAMETERS.items():
        data_vars[f"sampled_{name}"] = xr.Variable(
            ("scenario", "sample"), generator.uniform(low, high, (scenarios, samples)),
            attrs={"units": unit, "long_name": f"Sampled value of {name}."})
    # Plain (dims, values) pairs: a coordinate read from NetCDF keeps its on-disk string
    # width in ``encoding``, and writing it again would cut longer names to that width.
    coords = {name: (coord.dims, coord.to_numpy()) for name, coord in single.coords.items()}
    coords["sample"] = ("sample", np.arange(samples))
    batch = xr.Dataset(data_vars, coords=coords, attrs=dict(single.attrs))
    batch.attrs.update({"seed": int(seed), "sampling": "synthetic (reports.testing)",
                        "engine": "synthetic"})
    return batch
