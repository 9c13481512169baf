"""Ensemble engine: the model run for many parameter sets at once, vectorised with numpy.

The code is generated from ``qingdao.mdl`` by :mod:`model.ensemble_builder` (through PySD's
translator, used only for parsing; subscripts in :mod:`model.ensemble_subscripts`) and
integrated with PySD's Euler scheme, so that every variable matches the PySD reference
run (bit for bit at default values, within about 1e-13 relative otherwise: numpy's
vectorised exp and power round differently in the last bit). Each variable is an array
over the ensemble (inside the generated code the ensemble axis is last, after a
subscripted variable's dimensions; results put it first). The ensemble is integrated in
chunks (16,384 runs by default), which bounds memory and keeps arrays near the processor,
on two threads by default (numpy releases the GIL inside its loops).

Where PySD departs from Vensim's documented semantics the engine follows Vensim (each
tested against a value worked out by hand): ``(-2)^2`` written with parentheses is 4
(PySD's parser drops them and gives -4; ``-2^2`` is -4 in all three), and ``:NA:`` is
Vensim's finite -2^109 (PySD: NaN, for which ``x = :NA:`` is never true).

A third difference from PySD is deliberate: every DELAY FIXED stores its input as computed
at the current time, before any state is updated (Vensim's semantics). PySD re-evaluates
the input while it updates its states in alphabetical order, so a DELAY FIXED whose input
depends on another DELAY FIXED (``gdp real previous year`` here) gets a mixed value on
steps where that input is not cached, e.g. when it is not among PySD's return columns.

Example::

    engine = EnsembleModel.from_mdl("model/qingdao.mdl")
    result = engine.run({"total_fertility_rate": np.linspace(1.0, 2.0, 1000)}, 1000,
                        return_columns=["population"], return_times=np.arange(2015, 2036))
    result["population"].shape  # (1000, 21) [person]
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.metadata
import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from time import perf_counter

import numpy as np

from . import cache_safety, ensemble_builder
from .ensemble_builder import (
    CONTROL_NAMES,
    EnsembleError,
    ModelSpecification,
    StatefulObject,
    Statement,
    build_specification,
    generate_source,
)
from .ensemble_codegen import CodePlan, plan_code
from .ensemble_numba import NotCompilable, compiled_simulator, kernel_is_cached
from .ensemble_runtime import HELPERS as _HELPERS
from .ensemble_spec import evaluate_control

# The modules whose source decides the generated code (their digest names cache files).
_BUILDER_MODULES = ("ensemble_builder", "ensemble_codegen", "ensemble_macros", "ensemble_spec",
                    "ensemble_subscripts", "ensemble_translator")

__all__ = ["EnsembleError", "EnsembleModel"]

BACKENDS = ("auto", "numba", "numpy")
# Fewest runs worth a thread of their own on the compiled path (a run takes ~0.1 ms, a
# thread pool ~0.1 ms to start).
COMPILED_RUNS_PER_THREAD = 16
# Seconds of runs of one kind (columns, time-varying inputs) on the numpy path after which
# backend "auto" compiles their kernel (numba takes 30-130 s on qingdao.mdl with its
# cohorts; see benchmarks/bench_backends.py).
COMPILE_AFTER_SECONDS = 3.0
TIME_PRECISION = 1e-5  # PySD's relative precision on final and saving times [time steps]

log = logging.getLogger(__name__)

_specifications: dict[str, ModelSpecification] = {}
_specifications_lock = threading.Lock()


def _cache_file(source_sha256: str) -> Path:
    """Where the specification of a model file is kept between processes.

    ``$QDSIM_CACHE`` or ``$XDG_CACHE_HOME/qdsim`` (``~/.cache/qdsim``); the name holds the
    model file's SHA-256 and a digest of the builder's source and PySD's version, so a
    change to any of them makes a new file.
    """
    root = cache_safety.cache_root()
    builder = hashlib.sha256()
    for module in _BUILDER_MODULES:
        builder.update(Path(ensemble_builder.__file__).with_name(module + ".py").read_bytes())
    builder.update(importlib.metadata.version("pysd").encode())
    return Path(root) / f"ensemble-{source_sha256[:16]}-{builder.hexdigest()[:12]}.json"


def _specification_to_json(spec: ModelSpecification) -> str:
    def statement(item: Statement | None):
        if item is None:
            return None
        return [list(item.targets), item.code, sorted(item.dependencies), item.element]

    return json.dumps({
        "source_sha256": spec.source_sha256, "constants": spec.constants,
        "control_aliases": spec.control_aliases, "real_names": spec.real_names,
        "loop": {name: statement(item) for name, item in spec.loop.items()},
        "initial": {name: statement(item) for name, item in spec.initial.items()},
        "objects": {name: [item.kind, item.element, statement(item.update), list(item.owned)]
                    for name, item in spec.objects.items()},
        "tables": spec.tables, "dimensions": spec.dimensions, "ranges": spec.ranges,
        "arrays": spec.arrays, "lookup_arrays": spec.lookup_arrays,
        "control_expressions": spec.control_expressions})


def _specification_from_json(text: str) -> ModelSpecification:
    data = json.loads(text)

    def statement(item) -> Statement | None:
        if item is None:
            return None
        return Statement(tuple(item[0]), item[1], frozenset(item[2]), item[3])

    return ModelSpecification(
        data["source_sha256"], data["constants"], data["control_aliases"], data["real_names"],
        loop={name: statement(item) for name, item in data["loop"].items()},
        initial={name: statement(item) for name, item in data["initial"].items()},
        objects={name: StatefulObject(kind, name, element, statement(update), tuple(owned))
                 for name, (kind, element, update, owned) in data["objects"].items()},
        tables={name: (tuple(xs), tuple(ys)) for name, (xs, ys) in data["tables"].items()},
        dimensions={name: tuple(dims) for name, dims in data["dimensions"].items()},
        ranges={name: tuple(elements) for name, elements in data["ranges"].items()},
        arrays=data["arrays"],
        lookup_arrays={name: tuple(tables) for name, tables in data["lookup_arrays"].items()},
        control_expressions={name: (code, tuple(names)) for name, (code, names)
                             in data["control_expressions"].items()})


def _load_specification(path: Path, source_sha256: str, use_cache: bool) -> ModelSpecification:
    """The specification of ``path``: from memory, from the cache folder, or parsed."""
    if source_sha256 in _specifications:
        return _specifications[source_sha256]
    cache_file = _cache_file(source_sha256) if use_cache else None
    spec = None
    cached = cache_safety.read_trusted(cache_file) if cache_file is not None else None
    if cached is not None:  # it holds code that is compiled: only our own, unchanged file
        try:
            spec = _specification_from_json(cached.decode("utf-8"))
        except (ValueError, KeyError, TypeError) as error:
            log.warning("ignoring unreadable cache file %s: %s", cache_file, error)
    if spec is None:
        log.info("parsing %s with PySD's Vensim translator", path)
        spec = build_specification(path)
        if cache_file is not None:
            try:
                cache_safety.write_trusted(cache_file,
                                           _specification_to_json(spec).encode("utf-8"))
            except OSError as error:
                log.warning("cannot write cache file %s: %s", cache_file, error)
    _specifications[source_sha256] = spec
    return spec


def _default_chunk_size(specification: ModelSpecification) -> int:
    """Runs per chunk: 16,384 over the largest array's cells, a power of two >= 256."""
    cells = max((int(np.prod([len(specification.ranges[dimension])
                              for dimension in dimensions]))
                 for dimensions in specification.dimensions.values()), default=1)
    if cells <= 1:
        return 16384
    return max(256, 2 ** int(np.log2(131072 / cells)))


class EnsembleModel:
    """A Vensim model compiled to numpy code that runs ``n`` parameter sets at once.

    Attributes
    ----------
    constants : dict[str, float | numpy.ndarray]
        Default value of every constant of the model file by py name, including
        ``initial_time``, ``final_time``, ``time_step`` and ``saveper`` [model units]; an
        array over its dimensions for a subscripted constant.
    variables : tuple[str, ...]
        Py names that :meth:`run` can return (``time`` and every model variable).
    dimensions : dict[str, tuple[str, ...]]
        Subscript ranges of each subscripted variable or constant, in order.
    coordinates : dict[str, tuple[str, ...]]
        Elements of each subscript range used as a dimension.
    chunk_size : int
        Ensemble members integrated together, sized so that one variable's array of a
        chunk stays in the processor's cache: 16,384 runs for a scalar model, fewer for
        a subscripted one (about 131,072 array cells; 512 runs for 101 x 2 cells, the
        fastest of 256 to 16,384 in benchmarks/bench_engines.py's cohort model).
    workers : int
        Threads running chunks in parallel.
    backend : str
        ``"auto"`` (the default, or ``$QDSIM_ENGINE_BACKEND``): the compiled path of
        :mod:`model.ensemble_numba` when numba is installed, the model is one it runs and
        its kernel is compiled (on a background thread the first time: meanwhile the numpy
        path runs); ``"numba"``: compile before the first run, the numpy path only with a
        logged warning; ``"numpy"``: always the numpy path. Both give the same results.
    last_backend : str or None
        The path (``"numba"`` or ``"numpy"``) that ran the latest :meth:`run`.
    """

    def __init__(self, specification: ModelSpecification, *, chunk_size: int | None = None,
                 workers: int | None = None, backend: str | None = None):
        backend = backend or os.environ.get("QDSIM_ENGINE_BACKEND") or "auto"
        if backend not in BACKENDS:
            raise EnsembleError(f"unknown engine backend '{backend}'; expected one of "
                                f"{', '.join(BACKENDS)}")
        self.backend = backend
        self.last_backend: str | None = None
        self.specification = specification
        self.constants = {name: np.array(value) if isinstance(value, list) else value
                          for name, value in specification.constants.items()}
        self.variables = specification.variables
        self.dimensions = {name: dimensions for name, dimensions
                           in specification.dimensions.items() if name in self.variables}
        self.coordinates = {dimension: specification.ranges[dimension]
                            for dimensions in self.dimensions.values()
                            for dimension in dimensions}
        self.chunk_size = chunk_size or _default_chunk_size(specification)
        self.workers = workers or min(2, os.cpu_count() or 1)
        self._tables = {name: (np.array(xs), np.array(ys))
                        for name, (xs, ys) in specification.tables.items()}
        self._tables.update({name: [self._tables[table] for table in tables]
                             for name, tables in specification.lookup_arrays.items()})
        self._arrays = {name: np.array(value)
                        for name, value in specification.arrays.items()}
        self._numpy: dict[tuple, object] = {}  # simulate functions of the numpy path
        self._kernels: dict[tuple, object] = {}  # of the compiled path
        # Each kind's code plan and whether its kernel was in the cache, worked out once:
        # building them on every call cost a numpy-path run about 25 ms (the explorer).
        self._plans: dict[tuple, tuple[CodePlan, bool]] = {}
        self._refused: set[tuple] = set()  # keys the compiled path cannot run
        self._compiling: dict[tuple, threading.Thread] = {}
        self._numpy_seconds: dict[tuple, float] = {}  # time spent on the numpy path
        # The constants the compiled path reads at each step: every scalar one but the
        # simulation controls (see _simulator).
        self._step_inputs = frozenset(
            name for name, value in self.constants.items()
            if np.ndim(value) == 0 and name not in CONTROL_NAMES)
        self._lock = threading.RLock()  # _simulator may compile while holding it

    @classmethod
    def from_mdl(cls, path: str | Path, *, use_cache: bool = True, **options) -> EnsembleModel:
        """Parse the Vensim file ``path`` and build the engine.

        The parsed model is kept in memory and, unless ``use_cache`` is false, in a cache
        folder (see ``_cache_file``), both keyed by the file's SHA-256: later loads skip
        PySD (about a second). ``options`` go to the constructor.
        """
        path = Path(path)
        if not path.is_file():
            raise EnsembleError(f"{path}: model file not found")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with _specifications_lock:
            return cls(_load_specification(path, digest, use_cache), **options)

    # -- time grid -----------------------------------------------------------------------
    def step_times(self, time_step: float | None = None,
                   final_time: float | None = None) -> np.ndarray:
        """Times [year] of the integration steps, accumulated as PySD does (t += dt)."""
        controls = self._controls({}, time_step, final_time)
        return self._times(controls)

    @staticmethod
    def _times(controls: dict[str, float]) -> np.ndarray:
        time, step, final = (controls["initial_time"], controls["time_step"],
                             controls["final_time"])
        times = [time]
        while time + step * TIME_PRECISION < final:
            time = time + step
            times.append(time)
        return np.array(times)

    def _controls(self, params, time_step, final_time) -> dict[str, float]:
        """Simulation control values [year]: keyword, else ``params``, else the model's."""
        keywords = {"time_step": time_step, "final_time": final_time}
        controls: dict[str, float] = {}
        given: set[str] = set()
        for name in CONTROL_NAMES:
            controls[name] = self.constants[name]
            if name in params:
                values = np.unique(np.asarray(params[name], dtype=np.float64))
                if values.size != 1:
                    raise EnsembleError(f"parameter '{name}' must be one value for the "
                                        "whole ensemble")
                controls[name] = float(values[0])
                given.add(name)
            if keywords.get(name) is not None:
                if name in given and float(keywords[name]) != controls[name]:
                    raise EnsembleError(f"'{name}' given twice with different values")
                controls[name] = float(keywords[name])
                given.add(name)
        # A control defined as another in the model (SAVEPER = TIME STEP) or as an
        # expression of constants follows them.
        spec = self.specification
        for _ in CONTROL_NAMES:
            for name, target in spec.control_aliases.items():
                if name not in given:
                    controls[name] = controls[target]
            for name, (code, names) in spec.control_expressions.items():
                if name not in given:
                    values = {other: controls.get(other, self._control_input(other, params))
                              for other in names}
                    controls[name] = evaluate_control(code, values)
        if not controls["time_step"] > 0:
            raise EnsembleError(f"time_step must be positive, got {controls['time_step']}")
        return controls

    def _control_input(self, name: str, params) -> float:
        """A constant read by a control expression: one value for the whole ensemble."""
        if name not in params:
            return float(self.constants[name])
        values = np.unique(np.asarray(params[name], dtype=np.float64))
        if values.size != 1:
            raise EnsembleError(f"parameter '{name}' sets a simulation control value, so it "
                                "must be one value for the whole ensemble")
        return float(values[0])

    # -- code --------------------------------------------------------------------------
    def source(self, return_columns: list[str], time_varying: frozenset[str] = frozenset()):
        """The generated Python source for these columns (to read or debug)."""
        return generate_source(self.specification, list(return_columns), frozenset(time_varying))

    def _simulator(self, return_columns: tuple[str, ...], time_varying: frozenset[str]):
        """The function running one chunk: compiled if available, else numpy.

        With ``backend="numba"`` the kernel is compiled here (seconds, once per machine:
        numba keeps it in the cache folder). With ``"auto"`` a kernel already in the cache
        is loaded here, and otherwise compiled on a background thread while runs take the
        numpy path: no call waits for the compiler, and a long job (a calibration) moves to
        the compiled path when it is ready. The compiling starts once runs of this kind
        have taken ``COMPILE_AFTER_SECONDS`` on the numpy path, so that a short command
        (which would end before the compiler) does not share its processor with it.
        """
        key = (return_columns, time_varying)
        # One kernel serves every set of time-varying inputs: it reads each scalar
        # constant at each step (a constant value has stride 0), so the scenarios of a
        # batch, which vary different inputs in time, share one compilation.
        compiled = return_columns
        with self._lock:
            if compiled in self._kernels:
                return self._kernels[compiled]
            if (self.backend != "numpy" and compiled not in self._refused
                    and compiled not in self._compiling):
                if compiled not in self._plans:
                    plan = plan_code(self.specification, list(return_columns),
                                     self._step_inputs)
                    self._plans[compiled] = (plan, self.backend == "numba"
                                             or kernel_is_cached(self.specification, plan))
                plan, ready = self._plans[compiled]
                if ready:
                    self._compile(compiled, plan)
                    if compiled in self._kernels:
                        return self._kernels[compiled]
                elif self._numpy_seconds.get(compiled, 0.0) >= COMPILE_AFTER_SECONDS:
                    thread = threading.Thread(target=self._compile, args=(compiled, plan),
                                              name="qdsim-compile", daemon=True)
                    self._compiling[compiled] = thread
                    thread.start()
            if key not in self._numpy:
                source = self.source(list(return_columns), time_varying)
                namespace = dict(_HELPERS, _tables=self._tables, _arrays=self._arrays)
                filename = f"<ensemble {self.specification.source_sha256[:12]}>"
                exec(compile(source, filename, "exec"), namespace)  # noqa: S102
                self._numpy[key] = namespace["simulate"]
            return self._numpy[key]

    def _compile(self, key, plan) -> None:
        """Compile ``plan``'s kernel into ``self._kernels``, or note that it cannot be."""
        try:
            simulator = compiled_simulator(self.specification, plan)
        except NotCompilable as error:
            level = logging.WARNING if self.backend == "numba" else logging.INFO
            log.log(level, "running the numpy path: %s", error)
            with self._lock:
                self._refused.add(key)
        else:
            with self._lock:
                self._kernels[key] = simulator
        finally:
            with self._lock:
                self._compiling.pop(key, None)

    def wait_for_compilation(self, timeout: float | None = None) -> None:
        """Wait until the kernels being compiled in the background are ready [s]."""
        for thread in list(self._compiling.values()):
            thread.join(timeout)

    # -- running -----------------------------------------------------------------------
    def _check_name(self, name: str) -> None:
        if name in self.constants:
            return
        if name in self.variables:
            raise EnsembleError(f"'{name}' is computed by the model; only constants can be set")
        close = difflib.get_close_matches(name, list(self.constants), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise EnsembleError(f"unknown parameter '{name}'{hint}")

    def _parameters(self, params, n: int, steps: int, controls):
        """Split ``params`` into per-run values and per-step series, checking shapes."""
        values = {name: np.float64(value) for name, value in self.constants.items()
                  if name not in self.dimensions}
        values.update({name: self.constants[name][..., np.newaxis]
                       for name in self.dimensions if name in self.constants})
        values.update({name: np.float64(value) for name, value in controls.items()})
        series: dict[str, np.ndarray] = {}
        for name, value in params.items():
            self._check_name(name)
            if name in CONTROL_NAMES:
                continue
            array = np.asarray(value, dtype=np.float64)
            if name in self.dimensions:
                values[name] = self._subscripted_parameter(name, array, n)
            elif array.ndim == 0:
                values[name] = np.float64(array)
            elif array.shape == (n,):
                values[name] = array
            elif array.shape in ((steps,), (1, steps)):
                series[name] = array.reshape(steps)
            elif array.shape == (n, steps):
                series[name] = np.ascontiguousarray(array.T)
            else:
                raise EnsembleError(
                    f"parameter '{name}' has shape {array.shape}; expected a number, ({n},) "
                    f"one per run, or ({steps},) / ({n}, {steps}) one per time step")
        return values, series

    def _subscripted_parameter(self, name: str, array: np.ndarray, n: int) -> np.ndarray:
        """A subscripted constant's value in the generated code's layout (ensemble last):
        from an array over its dimensions (shared) or with the runs first (one per run)."""
        shape = self.constants[name].shape
        if array.shape == shape:
            return array[..., np.newaxis]
        if array.shape == (n, *shape):
            return np.moveaxis(array, 0, -1)
        dims = " x ".join(self.dimensions[name])
        raise EnsembleError(
            f"parameter '{name}' has shape {array.shape}; expected {shape} (over {dims}) "
            f"or {(n, *shape)} one per run")

    def _record_plan(self, times: np.ndarray, return_times) -> list[tuple[int, ...]]:
        """For each step, the indices of ``return_times`` that fall on it."""
        step = times[1] - times[0] if len(times) > 1 else 1.0
        plan: list[list[int]] = [[] for _ in times]
        for index, time in enumerate(np.asarray(return_times, dtype=np.float64).ravel()):
            position = int(np.argmin(np.abs(times - time)))
            if abs(times[position] - time) > step * TIME_PRECISION * max(1.0, abs(time)):
                raise EnsembleError(
                    f"return time {time} is not an integration time "
                    f"({times[0]} to {times[-1]} by {step})")
            plan[position].append(index)
        return [tuple(indices) for indices in plan]

    def run(self, params: dict, n: int, *, return_columns: list[str], return_times,
            time_step: float | None = None,
            final_time: float | None = None) -> dict[str, np.ndarray]:
        """Integrate ``n`` runs and return the requested columns at the requested times.

        Parameters
        ----------
        params
            Py name of a constant -> a number, an array of shape (n,) (one value per run),
            or an array of shape (n_steps + 1,) or (n, n_steps + 1) giving the value at
            each integration time ``self.step_times(...)`` (a time-varying parameter).
            When n == n_steps + 1 a 1-D array means one value per run; pass shape
            (1, n_steps + 1) for a path shared by all runs. A subscripted constant takes
            an array over its dimensions (``self.dimensions[name]``), or one with the
            runs first, shape (n, *sizes); it cannot vary in time.
        n
            Number of runs in the ensemble.
        return_columns
            Py names of the variables to return.
        return_times
            Times [year] to return; each must be an integration time.
        time_step, final_time
            Override the model's TIME STEP and FINAL TIME [year].

        Returns
        -------
        dict mapping each column to an array of shape (n, len(return_times)) [model units],
        or (n, len(return_times), *sizes of its dimensions) for a subscripted variable
        (a view of a time-major array with the ensemble last: each time is contiguous).
        """
        n = int(n)
        if n < 1:
            raise EnsembleError(f"n must be at least 1, got {n}")
        columns = tuple(dict.fromkeys(return_columns))
        for column in columns:
            if column not in self.variables:
                close = difflib.get_close_matches(column, list(self.variables), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise EnsembleError(f"unknown return column '{column}'{hint}")
        for name in params:
            self._check_name(name)
        controls = self._controls(params, time_step, final_time)
        times = self._times(controls)
        plan = self._record_plan(times, return_times)
        values, series = self._parameters(params, n, len(times), controls)
        simulate = self._simulator(columns, frozenset(series))
        self.last_backend = getattr(simulate, "backend", "numpy")
        started = perf_counter()
        count = np.asarray(return_times).size
        outputs = [np.empty((count, *self._shape(column), n)) for column in columns]

        chunks = -(-n // self.chunk_size)
        if self.last_backend == "numba" and n >= COMPILED_RUNS_PER_THREAD * self.workers:
            chunks = max(chunks, self.workers)  # a compiled chunk costs no per-call overhead
        if self.workers > 1 and chunks > 1:
            chunks = min(n, -(-chunks // self.workers) * self.workers)
        size = -(-n // chunks)
        starts = range(0, n, size)

        def run_chunk(start: int) -> None:
            stop = min(start + size, n)
            chunk_values = {name: value[..., start:stop] if value.ndim and value.shape[-1] == n
                            else value for name, value in values.items()}
            chunk_series = {name: path[:, start:stop] if path.ndim == 2 else path
                            for name, path in series.items()}
            with np.errstate(all="ignore"):
                simulate(chunk_values, chunk_series, times, controls["time_step"],
                         stop - start, plan, [output[..., start:stop] for output in outputs])

        if self.workers > 1 and len(starts) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                list(pool.map(run_chunk, starts))
        else:
            for start in starts:
                run_chunk(start)
        if self.last_backend == "numpy":
            with self._lock:
                self._numpy_seconds[columns] = (self._numpy_seconds.get(columns, 0.0)
                                                + perf_counter() - started)
        return {column: np.moveaxis(output, -1, 0)
                for column, output in zip(columns, outputs, strict=True)}

    def _shape(self, name: str) -> tuple[int, ...]:
        """Sizes of the dimensions of ``name`` (empty for a scalar)."""
        return tuple(len(self.coordinates[dimension])
                     for dimension in self.dimensions.get(name, ()))
