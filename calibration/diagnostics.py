"""Convergence diagnostics of the posterior sampler, and the rule that refuses a bad sample.

For a chain of shape (steps, walkers, parameters) after burn-in:

- **split R-hat** (Gelman et al. 2013, *Bayesian Data Analysis*, 3rd ed., section 11.4):
  each walker's chain is cut in two halves and the halves are treated as chains; values
  near 1 mean the between-chain and within-chain variances agree;
- **integrated autocorrelation time** tau [steps], ``emcee.autocorr.integrated_time``
  on the walkers' mean (Goodman & Weare 2010; Foreman-Mackey et al. 2013);
- **effective sample size** = steps × walkers / tau [draws].

A sample counts as converged when, for every parameter, R-hat ≤ ``MAX_R_HAT``, the kept
chain is at least ``MIN_TAU_MULTIPLE`` autocorrelation times long, and the effective sample
size is at least ``MIN_EFFECTIVE_SAMPLE_SIZE``. emcee's guide asks for about 50 tau for a
precise tau; 20 tau is enough for the medians and 5-95% intervals used here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qdsim.errors import QdsimError

MAX_R_HAT = 1.05  # [dimensionless]
MIN_TAU_MULTIPLE = 20.0  # kept steps per autocorrelation time [dimensionless]
MIN_EFFECTIVE_SAMPLE_SIZE = 400.0  # [draws]


class ConvergenceError(QdsimError):
    """The posterior sampler did not converge; nothing is written."""


def split_r_hat(chain: np.ndarray) -> np.ndarray:
    """Split R-hat of each parameter of ``chain`` (steps, walkers, parameters)."""
    steps = chain.shape[0] // 2
    if steps < 2:
        raise ValueError("split R-hat needs at least four steps")
    halves = np.concatenate([chain[:steps], chain[steps:2 * steps]], axis=1)
    within = halves.var(axis=0, ddof=1).mean(axis=0)
    between = steps * halves.mean(axis=0).var(axis=0, ddof=1)
    pooled = (steps - 1) / steps * within + between / steps
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(np.where(within > 0, pooled / within, np.inf))


def autocorrelation_time(chain: np.ndarray) -> np.ndarray:
    """Integrated autocorrelation time [steps] of each parameter (emcee's estimator)."""
    import emcee

    return np.asarray(emcee.autocorr.integrated_time(chain, tol=0), dtype=float)


def chain_diagnostics(chain: np.ndarray, names: Sequence[str]) -> dict:
    """R-hat, tau and effective sample size per parameter, the thresholds and the verdict."""
    r_hat = split_r_hat(chain)
    tau = autocorrelation_time(chain)
    steps, walkers = chain.shape[:2]
    effective = steps * walkers / tau
    parameters = {
        name: {"r_hat": float(r_hat[i]), "autocorrelation_time": float(tau[i]),
               "effective_sample_size": float(effective[i])}
        for i, name in enumerate(names)}
    failures = [
        f"{name}: R-hat {entry['r_hat']:.3f} > {MAX_R_HAT}" for name, entry in parameters.items()
        if not entry["r_hat"] <= MAX_R_HAT]
    failures += [
        f"{name}: chain of {steps} steps is under {MIN_TAU_MULTIPLE:g} autocorrelation times"
        f" ({entry['autocorrelation_time']:.1f} steps)" for name, entry in parameters.items()
        if not steps >= MIN_TAU_MULTIPLE * entry["autocorrelation_time"]]
    failures += [
        f"{name}: effective sample size {entry['effective_sample_size']:.0f}"
        f" < {MIN_EFFECTIVE_SAMPLE_SIZE:g}" for name, entry in parameters.items()
        if not entry["effective_sample_size"] >= MIN_EFFECTIVE_SAMPLE_SIZE]
    return {"steps_after_burn_in": int(steps), "walkers": int(walkers),
            "thresholds": {"max_r_hat": MAX_R_HAT, "min_tau_multiple": MIN_TAU_MULTIPLE,
                           "min_effective_sample_size": MIN_EFFECTIVE_SAMPLE_SIZE},
            "parameters": parameters, "converged": not failures, "failures": failures}


def thinning_interval(diagnostics: dict) -> int:
    """Steps between stored draws [steps]: half the largest integrated autocorrelation time.

    Draws that close are still strongly correlated, so keeping every one of them adds little
    information to the sample (its effective size) while the stored file grows with them.
    """
    taus = [entry["autocorrelation_time"] for entry in diagnostics["parameters"].values()]
    finite = [tau for tau in taus if np.isfinite(tau)]
    return max(1, int(max(finite, default=2.0) // 2))


def require_convergence(diagnostics: dict) -> None:
    """Raise :class:`ConvergenceError` naming the worst failures of an unconverged chain."""
    if diagnostics["converged"]:
        return
    failures = diagnostics["failures"]
    more = f" (and {len(failures) - 2} more)" if len(failures) > 2 else ""
    raise ConvergenceError("posterior sample not converged, nothing written: "
                           + "; ".join(failures[:2]) + more
                           + "; raise --steps or check the priors")
