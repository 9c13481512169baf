"""Products of a calibration: the scenario file, the posterior sample and the fit report.

``calibrated.yaml`` is an ordinary scenario (``scenarios/baseline.yaml`` extends it) with
a ``calibration`` record: bounds, estimates, fit statistics, moments, identification,
the data file's hash, the window, the model hash and the date. The posterior sample sits
beside it as ``<stem>_posterior.nc`` (draw × parameter). Both are written atomically, and
the scenario file records the sample's SHA-256 (``posterior_sha256``): a calibration
killed between the two replacements leaves a pair that ``qdsim`` refuses in one line
instead of mixing a new sample with the old estimates.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from calibration.estimator import Calibrator
from model import MODEL_PATH
from model.pysd_engine import file_sha256
from qdsim import __version__
from qdsim.outputs import atomic_path, write_atomically
from qdsim.posterior import posterior_path, read_posterior  # noqa: F401 (re-exported)


def _rounded(value: float, digits: int = 6) -> float:
    if not math.isfinite(value) or value == 0:
        return float(value)
    return float(f"{value:.{digits}g}")


def calibration_record(calibrator: Calibrator, data_file: Path, data_sha256: str,
                       window: tuple[int, int]) -> dict:
    """The ``calibration`` block of the scenario file."""
    posterior = calibrator.posterior_
    summary = {
        name: {"mean": _rounded(posterior[name].mean()), "sd": _rounded(posterior[name].std()),
               "q05": _rounded(posterior[name].quantile(0.05)),
               "median": _rounded(posterior[name].median()),
               "q95": _rounded(posterior[name].quantile(0.95))}
        for name in calibrator.names
    }
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "qdsim_version": __version__,
        "model_sha256": file_sha256(MODEL_PATH),
        "data_file": data_file.name,
        "data_sha256": data_sha256,
        "window": list(window),
        "method": ("MAP by differential evolution + least squares (data weighted by 1/sd^2,"
                   " normal priors as extra residuals), then emcee; parameters are the"
                   " posterior medians"),
        "point_estimate": "posterior median",
        "map": {name: _rounded(value, 8) for name, value in calibrator.map_.items()},
        "map_chi_square": _rounded(calibrator.map_cost_),
        "seed": calibrator.seed,
        "chi_square": _rounded(calibrator.cost_),
        "observations": len(calibrator.observations_),
        "elapsed_seconds": round(calibrator.elapsed_, 1),
        "bounds": {p.name: [p.low, p.high] for p in calibrator.free_parameters},
        "priors": {p.name: ({"normal": [p.prior_mean, p.prior_sd]} if p.has_prior else "flat")
                   for p in calibrator.free_parameters},
        "diagnostics": {
            "converged": calibrator.diagnostics_["converged"],
            "walkers": calibrator.diagnostics_["walkers"],
            "steps_after_burn_in": calibrator.diagnostics_["steps_after_burn_in"],
            "thin": calibrator.diagnostics_.get("thin"),
            "thresholds": calibrator.diagnostics_["thresholds"],
            "parameters": {name: {key: _rounded(value, 4) for key, value in entry.items()}
                           for name, entry in calibrator.diagnostics_["parameters"].items()},
        },
        "posterior_file": None,  # filled in by write_calibration
        "posterior_draws": len(posterior),
        "acceptance_fraction": _rounded(calibrator.acceptance_fraction_, 3),
        "posterior_summary": summary,
        "fit": {variable: {key: _rounded(value, 4) for key, value in stats.as_dict().items()}
                for variable, stats in calibrator.fit_stats_.items()},
        "moments": [{key: (_rounded(value) if isinstance(value, float) else value)
                     for key, value in moment.items()} for moment in calibrator.moments_],
        "identification": {
            "parameters": {name: {key: (_rounded(value, 3) if isinstance(value, float) else value)
                                  for key, value in entry.items()}
                           for name, entry in calibrator.identification_["parameters"].items()},
            "correlated_pairs": [[a, b, _rounded(r, 3)]
                                 for a, b, r in calibrator.identification_["correlated_pairs"]],
        },
    }


def write_calibration(calibrator: Calibrator, out: Path, data_file: Path, data_sha256: str,
                      window: tuple[int, int]) -> None:
    """Write ``out`` (scenario YAML) and its posterior sample, each atomically."""
    out = Path(out)
    record = calibration_record(calibrator, data_file, data_sha256, window)
    posterior_file = posterior_path(out)
    record["posterior_file"] = posterior_file.name
    document = {
        "name": "calibrated",
        "title": {"zh": f"{window[0]}-{window[1]}年历史校准参数",
                  "en": f"Parameters calibrated to {window[0]}-{window[1]}"},
        "description": (f"Written by `qdsim calibrate`: the posterior medians of the parameters"
                        f" fitted to {data_file.name} over {window[0]}-{window[1]} (priors in"
                        " calibration/free_parameters.yaml); every other value is the model"
                        " file's default. Do not edit by hand; rerun the command."),
        "parameters": {name: _rounded(value, 8) for name, value in calibrator.params_.items()},
        "calibration": record,
    }
    draws = calibrator.posterior_
    # "estimate" is the value single runs use (the posterior median); draws act as shifts
    # from it, so ensembles centre on the single run.
    estimates = [calibrator.params_[name] for name in draws.columns]
    posterior = xr.Dataset(
        {"draws": (("draw", "parameter"), draws.to_numpy()),
         "estimate": (("parameter",), np.asarray(estimates, dtype=float)),
         "map": (("parameter",), np.asarray([calibrator.map_[n] for n in draws.columns]))},
        coords={"draw": np.arange(len(draws)), "parameter": list(draws.columns)},
        attrs={"model_sha256": record["model_sha256"], "data_sha256": data_sha256,
               "seed": calibrator.seed, "window": f"{window[0]}:{window[1]}"},
    )
    # The scenario file records the sample's hash: if the run stops between the two
    # replacements, the new sample beside the old file is refused, not silently used.
    content = bytes(posterior.to_netcdf(engine="h5netcdf"))
    record["posterior_sha256"] = hashlib.sha256(content).hexdigest()
    write_atomically(posterior_file, lambda temporary: temporary.write_bytes(content))
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    with atomic_path(out) as temporary:
        temporary.write_text("# Written by `qdsim calibrate`. Do not edit by hand.\n" + text,
                             encoding="utf-8")
