"""Functions the ensemble engine's generated code calls (numpy, vectorised over the
ensemble and any subscript dimensions; semantics as pysd/py_backend, cited at each).

Every state has shape ``(..., m)``: subscript dimensions first, the ensemble last (``m``
runs of a chunk); ``size`` arguments are ``m`` for a scalar or the full shape tuple.
"""

from __future__ import annotations

import numpy as np

from .ensemble_spec import EnsembleError

SMALL_VENSIM = 1e-6  # what Vensim (and PySD) treats as zero in PULSE, RAMP, XIDZ


def _shape(size) -> tuple[int, ...]:
    """A state's shape from ``size``: the ensemble size, or a tuple ending with it."""
    return (int(size),) if isinstance(size, (int, np.integer)) else tuple(size)


def _as_state(value, size) -> np.ndarray:
    """A fresh float array of shape ``_shape(size)`` holding ``value`` (broadcast)."""
    return np.array(np.broadcast_to(value, _shape(size)), dtype=np.float64)


def _frozen(value, size=None) -> np.ndarray:
    """A private float copy of ``value`` (an INITIAL value must never change), broadcast
    to ``_shape(size)`` unless ``size`` is None."""
    if size is None:
        return np.array(value, dtype=np.float64)
    return _as_state(value, size)


def _fill(value, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` as a subscripted variable: shape ``shape`` plus the ensemble axis (of the
    value's own size, 1 for a value shared by every run); a view, never copied."""
    value = np.asarray(value)
    ensemble = value.shape[-1] if value.ndim else 1
    return np.broadcast_to(value, (*shape, ensemble))


def _stages(value, order: int, size: int) -> np.ndarray:
    """State of an order-``order`` smooth: every stage at ``value``, shape (order, size)."""
    return np.repeat(_as_state(value, size)[np.newaxis, :], order, axis=0)


def _smooth_change(state, value, smooth_time, order: int) -> np.ndarray:
    """Derivative of a SMOOTH's stages, as PySD's ``Smooth.ddt``."""
    targets = np.empty_like(state)
    targets[0] = value
    targets[1:] = state[:-1]
    return (targets - state) * order / smooth_time


def _delay_start(value, delay_time, order: int, time_step: float, size: int, element: str):
    """Initial stages of a DELAY1/DELAY3: each holds ``value * delay_time``."""
    if order * time_step > np.min(delay_time):
        raise EnsembleError(
            f"variable '{element}': delay time below {order} time steps; PySD would lower "
            "the delay's order, which the ensemble engine does not do")
    return np.repeat(_as_state(value * delay_time, size)[np.newaxis, :], order, axis=0)


def _delay_change(state, value, delay_time) -> np.ndarray:
    """Derivative of a material delay's stages, as PySD's ``Delay.ddt``."""
    outflows = state / delay_time
    inflows = np.empty_like(outflows)
    inflows[0] = value
    inflows[1:] = outflows[:-1]
    return (inflows - outflows) * state.shape[0]


def _delay_fixed_start(value, delay_time, time_step: float, size: int):
    """Output, pipe and length of a DELAY FIXED at the initial time.

    As PySD: the pipe holds round(max(delay_time / time_step, 1)) copies of ``value``. With
    one length for the whole ensemble the pipe is a list of arrays (no copying); otherwise
    a 2-D array indexed per member.
    """
    length = np.rint(np.maximum(np.asarray(delay_time, dtype=np.float64) / time_step, 1.0)
                     + SMALL_VENSIM).astype(np.int64)
    if np.all(length == length.flat[0]):
        steps = int(length.flat[0])
        return value, [value] * steps, steps
    shape = _shape(size)
    pipe = np.empty((int(length.max()), *shape))
    pipe[:] = value
    return _as_state(value, size), pipe, np.broadcast_to(length, shape)


def _delay_fixed_push(pipe, length, step: int, value):
    """Store ``value`` for the step ``step`` and return the output of the next step.

    The arrays put in a list pipe are never modified afterwards (the generated code never
    writes in place), so keeping references is safe.
    """
    if isinstance(pipe, list):
        pipe[step % length] = value
        return pipe[(step + 1) % length]
    here = (step % length)[np.newaxis]
    np.put_along_axis(pipe, here, np.broadcast_to(value, length.shape)[np.newaxis], axis=0)
    return np.take_along_axis(pipe, ((step + 1) % length)[np.newaxis], axis=0)[0]


def _interpolate(x, table):
    """Look ``x`` up in ``table`` (xs, ys): linear between points, end values held."""
    xs, ys = table
    return np.interp(x, xs, ys)


def _delay_n_step(state, times, value, delay_time, time_step: float):
    """A DELAY N one step on: the stages' delay times shift by one (the newest first),
    then each stage passes on state / its delay time, as PySD's ``DelayN.ddt``."""
    times = np.concatenate([np.broadcast_to(delay_time, times.shape[1:])[np.newaxis],
                            times[:-1]])
    outflows = state / times
    inflows = np.empty_like(outflows)
    inflows[0] = value
    inflows[1:] = outflows[:-1]
    return state + (inflows - outflows) * state.shape[0] * time_step, times


def _modulo(value, base):
    """Vensim MODULO: ``value - base * INTEGER(value / base)`` (sign of ``value``), 0 when
    ``base`` < 1e-6 (PySD's QUANTUM)."""
    return value - np.where(base < SMALL_VENSIM, value, base * np.trunc(value / base))


def _pulse_train(time: float, start, interval, width, end):
    """Vensim PULSE TRAIN: 1 for ``width`` every ``interval`` from ``start`` until ``end``
    [time] (one pulse if ``interval`` is 0), with PySD's tolerance of 1e-6."""
    train = ((start <= time) & (time < end)
             & (np.mod(time - start + SMALL_VENSIM, interval) < width))
    single = (start - SMALL_VENSIM <= time) & (time < start + width)
    return np.where(np.equal(interval, 0), single, train) * 1.0


def _interpolate_each(x, index, tables):
    """Look each cell of ``x`` up in its own table: ``tables[index]`` (a subscripted
    lookup; ``index`` holds each cell's table number, broadcast against ``x``)."""
    x, index = np.broadcast_arrays(np.asarray(x, dtype=np.float64), index)
    result = np.empty(x.shape)
    for number in np.unique(index):
        cells = index == number
        xs, ys = tables[number]
        result[cells] = np.interp(x[cells], xs, ys)
    return result


def _pulse(time: float, start, width):
    """Vensim PULSE: 1 from ``start`` for ``width`` [time], else 0 (PySD's tolerance)."""
    return np.where((start - SMALL_VENSIM <= time) & (time < start + width), 1.0, 0.0)


def _xidz(numerator, denominator, value_if_zero):
    """Vensim XIDZ (and ZIDZ with 0): the ratio, or ``value_if_zero`` if |denominator| < 1e-6."""
    return np.where(np.abs(denominator) < SMALL_VENSIM, value_if_zero, numerator / denominator)


HELPERS = {
    "_np": np, "_as_state": _as_state, "_frozen": _frozen, "_stages": _stages,
    "_smooth_change": _smooth_change, "_delay_start": _delay_start,
    "_delay_change": _delay_change, "_delay_fixed_start": _delay_fixed_start,
    "_delay_fixed_push": _delay_fixed_push, "_interpolate": _interpolate, "_pulse": _pulse,
    "_xidz": _xidz, "_fill": _fill, "_interpolate_each": _interpolate_each,
    "_delay_n_step": _delay_n_step, "_modulo": _modulo, "_pulse_train": _pulse_train,
}
