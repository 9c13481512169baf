"""Property test: random arithmetic expressions (unary minus, ^, *, /, +, -, comparisons,
IF THEN ELSE, MIN, MAX, nesting) give the same values in the ensemble engine as in PySD.

Each example writes one synthetic model holding several generated equations and compares
every one at every saved time. The generator keeps clear of the one place where PySD and
Vensim differ (a parenthesised negative literal raised to a power, ``(-2)^2``: see
tests/model/test_ensemble_language.py) and of divisions by zero and overflows, which PySD
reports as Python errors rather than values.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.ensemble import EnsembleModel
from tests.model.test_ensemble import assert_parity, run_pysd, translate, write_model

VARIABLES = {"x": "3", "y": "-1.5", "z": "Time + 0.5"}  # z runs from 0.5 to 10.5
LITERALS = st.sampled_from(["0", "1", "2", "3", "0.5", "2.5", "10"])
COMPARISONS = ["<", "<=", ">", ">=", "=", "<>"]


def atom() -> st.SearchStrategy[str]:
    return st.one_of(LITERALS, st.sampled_from(sorted(VARIABLES)))


@st.composite
def expression(draw, depth: int = 3) -> str:
    """A Vensim expression whose value stays finite on the model's variables."""
    if depth == 0:
        return draw(atom())
    kind = draw(st.sampled_from(["atom", "negative", "power", "binary", "divide", "if",
                                 "minmax"]))
    inner = expression(depth - 1)
    if kind == "atom":
        return draw(atom())
    if kind == "negative":  # a unary minus on a literal, a name or a parenthesised term
        return "-" + draw(st.one_of(atom(), inner.map(lambda text: f"({text})")))
    if kind == "power":  # bases of all signs, small whole exponents (no overflow, no NaN)
        base = draw(st.one_of(atom(), atom().map(lambda text: "-" + text),
                              inner.map(lambda text: f"({text})")))
        exponent = draw(st.sampled_from(["0", "1", "2", "3", "-1", "-2"]))
        if exponent.startswith("-"):
            base = f"(ABS({base}) + 1)"  # a negative power of a number away from zero
        return f"({base} ^ {exponent})" if draw(st.booleans()) else f"{base} ^ {exponent}"
    if kind == "binary":
        operator = draw(st.sampled_from(["+", "-", "*"]))
        return f"({draw(inner)} {operator} {draw(inner)})"
    if kind == "divide":  # by a number that is never zero
        return f"({draw(inner)} / (ABS({draw(inner)}) + 0.25))"
    if kind == "if":
        comparison = draw(st.sampled_from(COMPARISONS))
        return (f"IF THEN ELSE({draw(inner)} {comparison} {draw(inner)}, {draw(inner)}, "
                f"{draw(inner)})")
    function = draw(st.sampled_from(["MIN", "MAX"]))
    return f"{function}({draw(inner)}, {draw(inner)})"


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(equations=st.lists(expression(), min_size=6, max_size=6))
def test_random_expressions_match_pysd(tmp_path_factory, equations):
    directory = tmp_path_factory.mktemp("expressions")
    names = {f"value {index}": equation for index, equation in enumerate(equations)}
    path = write_model(directory, {**VARIABLES, **names})
    frame = run_pysd(translate(path, directory / "pysd"))
    engine = EnsembleModel.from_mdl(path, use_cache=False)
    times = frame.index.to_numpy(dtype=float)
    columns = [name.replace(" ", "_") for name in names]
    result = engine.run({}, 2, return_columns=columns, return_times=times)
    for column, (name, equation) in zip(columns, names.items(), strict=True):
        expected = frame[name].to_numpy(dtype=float)
        assert np.all(np.isfinite(expected)), equation
        assert_parity(result[column][1], expected, f"{name} = {equation}")
