"""The calibration estimator: weighted least squares, then a posterior sample.

Follows scikit-learn's convention: settings go in the constructor, :meth:`Calibrator.fit`
does the work and sets attributes ending in ``_``. Steps:

1. global search: ``scipy.optimize.differential_evolution`` with ``vectorized=True``, so
   each generation is one ensemble-engine call over the whole population;
2. local refinement: ``scipy.optimize.least_squares`` (trust-region reflective, within the
   bounds) with a finite-difference Jacobian computed in one ensemble call per iteration;
3. posterior: ``emcee`` (ensemble sampler, Foreman-Mackey et al. 2013) with the priors of
   the free-parameters file (normal, truncated to the bounds, or flat inside them) and the
   Gaussian error model of the observations file (independent errors, known sd), every
   walker of a step in one engine call; its convergence is checked
   (:mod:`calibration.diagnostics`) and an unconverged sample raises
   :class:`~calibration.diagnostics.ConvergenceError`;
4. identification: posterior width against the prior width, one-at-a-time slices of the
   cost across the bounds (flat slices), and strongly correlated pairs.

Steps 1 and 2 minimise the negative log posterior (MAP): the chi-square of the data plus,
for each normal prior, the squared standardized distance from its mean, which least
squares takes as one more residual.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from calibration.diagnostics import chain_diagnostics, require_convergence, thinning_interval
from calibration.fit_statistics import FitStatistics, fit_statistics
from calibration.observations import CalibrationDataError, Observation
from model.parameters import parameter_catalogue
from qdsim.ensemble_runs import simulate
from qdsim.scenario import ParameterValue, suggest
from qdsim.targets import summarize

log = logging.getLogger(__name__)
DEFAULT_FREE_PARAMETERS = Path(__file__).resolve().parent / "free_parameters.yaml"
PENALTY = 1e10  # cost of a parameter set whose run is not finite [dimensionless]


@dataclass(frozen=True)
class FreeParameter:
    """A parameter to estimate, its bounds and its prior [model unit].

    ``prior_mean``/``prior_sd`` give a normal prior truncated to [low, high]; without them
    the prior is flat between the bounds.
    """

    name: str
    low: float
    high: float
    prior_mean: float | None = None
    prior_sd: float | None = None

    @property
    def has_prior(self) -> bool:
        return self.prior_sd is not None

    @property
    def prior_width_sd(self) -> float:
        """Standard deviation of the prior [model unit] (flat: width / sqrt 12)."""
        if self.prior_sd is not None:
            return self.prior_sd
        return (self.high - self.low) / math.sqrt(12.0)


def load_free_parameters(path: Path | str = DEFAULT_FREE_PARAMETERS) -> list[FreeParameter]:
    """Read ``name: [low, high]`` or ``name: {bounds: [low, high], normal: [mean, sd]}``
    entries and check them against the model's ranges."""
    path = Path(path)
    catalogue = parameter_catalogue()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CalibrationDataError(path, f"cannot read free parameters: {error}") from error
    if not isinstance(data, dict) or not data:
        raise CalibrationDataError(path, "expected a mapping of parameter names to [low, high]")
    free = []
    for name, bounds in data.items():
        if name not in catalogue:
            raise CalibrationDataError(path, f"unknown parameter{suggest(name, tuple(catalogue))}",
                                       key=name)
        info = catalogue[name]
        prior = None
        if isinstance(bounds, dict):
            unknown = sorted(set(bounds) - {"bounds", "normal"})
            if unknown:
                raise CalibrationDataError(path, f"unknown entry '{unknown[0]}'; allowed:"
                                           " bounds, normal", key=name)
            prior = bounds.get("normal")
            bounds = bounds.get("bounds")
            if prior is not None and not (
                    isinstance(prior, list) and len(prior) == 2
                    and all(isinstance(v, int | float) for v in prior) and prior[1] > 0):
                raise CalibrationDataError(path, "'normal' must be [mean, sd] with sd > 0",
                                           key=name)
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not info.minimum <= bounds[0] < bounds[1] <= info.maximum):
            raise CalibrationDataError(path, f"bounds must be [low, high] inside the allowed"
                                       f" range [{info.minimum:g}, {info.maximum:g}]", key=name)
        free.append(FreeParameter(name, float(bounds[0]), float(bounds[1]),
                                  *((float(prior[0]), float(prior[1])) if prior else ())))
    return free


class Calibrator:
    """Estimate free parameters from observations with the ensemble engine.

    Parameters
    ----------
    free_parameters
        What to estimate, with bounds (default: ``calibration/free_parameters.yaml``).
    base_parameters
        Values of the other parameters (default: the model file's defaults).
    seed
        Seed of every random step (global search, walkers' start, sampler).
    population_size, max_generations
        Differential evolution: members per free parameter, and generations.
    walkers, steps, burn_in, thin
        Posterior sampler: walkers, steps per walker, steps discarded, and thinning (keep
        every ``thin``-th step of each walker; ``None``, the default: half the largest
        integrated autocorrelation time, so that the stored sample keeps nearly all of the
        chain's information (its effective size) in a file a few times smaller).
    check_convergence
        Raise :class:`~calibration.diagnostics.ConvergenceError` when the sample fails the
        convergence rule (off only for tests of the point estimate).
    """

    def __init__(self, free_parameters: Sequence[FreeParameter] | None = None, *,
                 base_parameters: Mapping[str, ParameterValue] | None = None, seed: int = 2020,
                 population_size: int = 10, max_generations: int = 300, walkers: int = 32,
                 steps: int = 2500, burn_in: int = 500, thin: int | None = None,
                 check_convergence: bool = True) -> None:
        self.free_parameters = list(free_parameters or load_free_parameters())
        self.base_parameters = dict(base_parameters or {})
        self.seed = seed
        self.population_size = population_size
        self.max_generations = max_generations
        self.walkers = max(walkers, 2 * len(self.free_parameters) + 2)
        self.steps = steps
        self.burn_in = min(burn_in, steps // 2)
        self.thin = thin
        self.check_convergence = check_convergence

    # -- model evaluation ------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [p.name for p in self.free_parameters]

    @property
    def bounds(self) -> np.ndarray:
        return np.array([[p.low, p.high] for p in self.free_parameters])

    def model_values(self, matrix: np.ndarray) -> np.ndarray:
        """The observations' statistics for each row of ``matrix`` (S, p): shape (S, m)."""
        matrix = np.atleast_2d(matrix)
        observations = self.observations_
        first = min(o.first_year for o in observations)
        years = np.arange(min(first, 2015), max(o.last_year for o in observations) + 1,
                          dtype=float)
        variables = sorted({o.variable for o in observations})
        draws = {name: matrix[:, column] for column, name in enumerate(self.names)}
        runs = simulate(self.base_parameters, matrix.shape[0], variables, years, draws=draws)
        return np.column_stack([
            summarize(runs[o.variable], years, o.statistic, year=o.year, period=o.period,
                      label=o.id) for o in observations])

    def residuals(self, matrix: np.ndarray) -> np.ndarray:
        """Standardized residuals (model - observed) / sd, shape (S, m); non-finite -> large."""
        values = self.model_values(matrix)
        observed = np.array([o.value for o in self.observations_])
        sd = np.array([o.sd for o in self.observations_])
        residuals = (values - observed) / sd
        return np.where(np.isfinite(residuals), residuals, math.sqrt(PENALTY))

    def cost(self, matrix: np.ndarray) -> np.ndarray:
        """Weighted sum of squares (chi-square) of each row of ``matrix`` (S, p)."""
        return np.sum(self.residuals(matrix) ** 2, axis=1)

    def prior_residuals(self, matrix: np.ndarray) -> np.ndarray:
        """(value - prior mean) / prior sd for each normal prior, shape (S, q)."""
        matrix = np.atleast_2d(matrix)
        columns = [i for i, p in enumerate(self.free_parameters) if p.has_prior]
        means = np.array([self.free_parameters[i].prior_mean for i in columns])
        sds = np.array([self.free_parameters[i].prior_sd for i in columns])
        return (matrix[:, columns] - means) / sds

    def objective(self, matrix: np.ndarray) -> np.ndarray:
        """Minus twice the log posterior up to a constant: chi-square plus prior terms."""
        return self.cost(matrix) + np.sum(self.prior_residuals(matrix) ** 2, axis=1)

    def _all_residuals(self, x: np.ndarray) -> np.ndarray:
        return np.concatenate([self.residuals(x[None, :])[0], self.prior_residuals(x)[0]])

    # -- fitting -----------------------------------------------------------------------
    def fit(self, observations: Sequence[Observation]) -> Calibrator:
        """Estimate the parameters; sets ``params_``, ``fit_stats_``, ``posterior_``, ..."""
        from scipy.optimize import differential_evolution, least_squares

        self.observations_ = list(observations)
        if not self.observations_:
            raise CalibrationDataError(None, "no observations to fit")
        started = time.perf_counter()
        bounds = self.bounds
        global_result = differential_evolution(
            lambda population: self.objective(population.T), bounds, vectorized=True,
            updating="deferred", popsize=self.population_size, maxiter=self.max_generations,
            seed=self.seed, polish=False, tol=1e-8, init="sobol")
        log.info("global search: cost %.4g after %d evaluations", global_result.fun,
                 global_result.nfev)
        local_result = least_squares(
            self._all_residuals, global_result.x,
            jac=self._jacobian, bounds=(bounds[:, 0], bounds[:, 1]), method="trf",
            x_scale=bounds[:, 1] - bounds[:, 0])
        best = local_result.x if 2 * local_result.cost <= global_result.fun else global_result.x
        self.map_ = {name: float(value) for name, value in zip(self.names, best, strict=True)}
        self.global_cost_ = float(global_result.fun)
        # Laplace approximation at the MAP (Gauss-Newton, J'J from the data and prior
        # residuals) spreads the walkers' start over the posterior's scale.
        jacobian = self._jacobian(best)
        covariance = np.linalg.pinv(jacobian.T @ jacobian)
        self.posterior_, self.acceptance_fraction_, self.diagnostics_ = (
            self._sample_posterior(best, covariance))
        if self.check_convergence:
            require_convergence(self.diagnostics_)
        # Single runs use the posterior median of each parameter (issue 12): the fit
        # statistics below describe that run, the one every scenario inherits.
        median = self.posterior_.median().to_numpy()
        self.params_ = {name: float(value) for name, value in zip(self.names, median,
                                                                   strict=True)}
        self.cost_ = float(self.cost(median[None, :])[0])
        self.map_cost_ = float(self.cost(best[None, :])[0])
        self.residuals_ = self.residuals(median[None, :])[0]
        self.model_values_ = self.model_values(median[None, :])[0]
        self.fit_stats_, self.moments_ = self._statistics(self.model_values_)
        self.identification_ = self._identify(median)
        self.elapsed_ = time.perf_counter() - started
        return self

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        width = self.bounds[:, 1] - self.bounds[:, 0]
        steps = 1e-6 * width
        direction = np.where(x + steps <= self.bounds[:, 1], 1.0, -1.0)
        matrix = np.vstack([x, x + np.diag(steps * direction)])
        residuals = np.hstack([self.residuals(matrix), self.prior_residuals(matrix)])
        return ((residuals[1:] - residuals[0]) / (steps * direction)[:, None]).T

    def _statistics(self, values: np.ndarray) -> tuple[dict[str, FitStatistics], list[dict]]:
        frame = pd.DataFrame({"variable": [o.variable for o in self.observations_],
                              "statistic": [o.statistic for o in self.observations_],
                              "year": [o.year for o in self.observations_],
                              "observed": [o.value for o in self.observations_],
                              "simulated": values})
        levels = frame[frame["statistic"] == "value"].sort_values(["variable", "year"])
        stats = {variable: fit_statistics(group["simulated"].to_numpy(),
                                          group["observed"].to_numpy())
                 for variable, group in levels.groupby("variable")}
        moments = [{"id": o.id, "observed": o.value, "simulated": float(v),
                    "difference": float(v - o.value)}
                   for o, v in zip(self.observations_, values, strict=True)
                   if o.statistic != "value"]
        return stats, moments

    def _log_probability(self, matrix: np.ndarray) -> np.ndarray:
        inside = np.all((matrix >= self.bounds[:, 0]) & (matrix <= self.bounds[:, 1]), axis=1)
        result = np.full(matrix.shape[0], -np.inf)
        if inside.any():
            result[inside] = -0.5 * self.objective(matrix[inside])
        return result

    def _sample_posterior(self, best: np.ndarray, covariance: np.ndarray
                          ) -> tuple[pd.DataFrame, float, dict]:
        import emcee

        rng = np.random.default_rng(self.seed)
        width = self.bounds[:, 1] - self.bounds[:, 0]
        variance = np.nan_to_num(np.abs(np.diag(covariance)), nan=(0.25 * width) ** 2)
        scale = np.sqrt(np.clip(variance, (1e-3 * width) ** 2, (0.25 * width) ** 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            correlation = covariance / np.sqrt(np.outer(variance, variance) + 1e-300)
        correlation = np.where(np.isfinite(correlation), correlation, 0.0)
        np.fill_diagonal(correlation, 1.0)
        try:
            factor = np.linalg.cholesky(correlation + 1e-9 * np.eye(len(best)))
        except np.linalg.LinAlgError:
            factor = np.eye(len(best))
        start = best + (rng.standard_normal((self.walkers, len(best))) @ factor.T) * scale
        start = np.clip(start, self.bounds[:, 0] + 1e-9 * width, self.bounds[:, 1] - 1e-9 * width)
        sampler = emcee.EnsembleSampler(self.walkers, len(best), self._log_probability,
                                        vectorize=True,
                                        moves=[(emcee.moves.DEMove(), 0.8),
                                               (emcee.moves.DESnookerMove(), 0.2)])
        sampler._random = np.random.mtrand.RandomState(self.seed)  # seeded, no global RNG
        sampler.run_mcmc(start, self.steps, progress=False)
        diagnostics = chain_diagnostics(sampler.get_chain(discard=self.burn_in), self.names)
        thin = self.thin or thinning_interval(diagnostics)
        diagnostics["thin"] = thin
        chain = sampler.get_chain(discard=self.burn_in, thin=thin, flat=True)
        return (pd.DataFrame(chain, columns=self.names),
                float(np.mean(sampler.acceptance_fraction)), diagnostics)

    def _identify(self, best: np.ndarray, points: int = 21) -> dict:
        prior_sd = np.array([p.prior_width_sd for p in self.free_parameters])
        posterior_sd = self.posterior_.std().to_numpy()
        grid = np.linspace(self.bounds[:, 0], self.bounds[:, 1], points)
        matrix = np.repeat(best[None, :], points * len(best), axis=0)
        for column in range(len(best)):
            matrix[column * points:(column + 1) * points, column] = grid[:, column]
        slices = (self.cost(matrix) - self.cost(best[None, :])[0]).reshape(len(best), points)
        correlation = self.posterior_.corr().to_numpy()
        parameters = {}
        for index, name in enumerate(self.names):
            ratio = float(posterior_sd[index] / prior_sd[index])
            rise = float(np.max(slices[index]))
            low, high = self.bounds[index]
            at_bound = bool(min(best[index] - low, high - best[index]) <= 1e-3 * (high - low))
            parameters[name] = {
                "posterior_sd_over_prior_sd": ratio,
                "slice_cost_rise": rise,
                "at_bound": at_bound,
                "pinned_down": bool(ratio < 0.5 and rise > 4.0 and not at_bound),
            }
        pairs = [(self.names[i], self.names[j], float(correlation[i, j]))
                 for i in range(len(best)) for j in range(i + 1, len(best))
                 if abs(correlation[i, j]) > 0.8]
        return {"parameters": parameters, "correlated_pairs": pairs}
