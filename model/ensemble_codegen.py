"""Python source of the ensemble engine's ``simulate`` function, from a specification.

:func:`generate_source` keeps only what the requested columns need, hoists what cannot
change during a run out of the time loop, and writes one ``simulate`` function. The
helpers it calls (``_np``, ``_as_state``, ``_delay_fixed_push``, ...) are supplied by
``model/ensemble.py`` when the source is compiled.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .ensemble_spec import EnsembleError, ModelSpecification, StatefulObject, Statement

# Helper names of the generated code whose value never changes during a run.
FIXED_HELPERS = frozenset({"_np", "_dt", "_n", "_interpolate", "_interpolate_each", "_pulse",
                           "_xidz", "_fill", "_modulo", "_pulse_train"})


def topological_order(names: set[str], statements: dict[str, Statement]) -> list[Statement]:
    """Statements defining ``names``, each after the statements it reads from."""
    ordered: list[Statement] = []
    emitted: set[str] = set()  # by code: a statement may define several names
    state: dict[str, int] = {}  # 1 while visiting, 2 when done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2 or name not in names:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            elements = " -> ".join(statements[item].element for item in cycle)
            raise EnsembleError(f"the model has a simultaneous equation loop: {elements}")
        state[name] = 1
        statement = statements[name]
        for dependency in sorted(statement.dependencies):
            visit(dependency, path + [name])
        for target in statement.targets:
            state[target] = 2
        if statement.code not in emitted:
            emitted.add(statement.code)
            ordered.append(statement)

    for name in sorted(names):
        visit(name, [])
    return ordered


class _FixedHoister(ast.NodeTransformer):
    """Replaces sub-expressions of loop statements that cannot change during a run.

    Each maximal sub-expression reading only fixed names becomes a variable computed once
    before the loop. The same operations run on the same values, so results are unchanged
    to the last bit; Python's left-to-right grouping (``a / b * c * x`` is
    ``((a / b) * c) * x``) leaves the fixed prefix of such chains as one sub-tree.
    """

    def __init__(self, fixed: set[str]):
        self.fixed = fixed | FIXED_HELPERS
        self.definitions: dict[str, str] = {}  # source -> variable name

    def visit(self, node):
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant)):
            names = {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}
            if names - FIXED_HELPERS and names <= self.fixed:
                source = ast.unparse(node)
                name = self.definitions.setdefault(source, f"_fixed_{len(self.definitions)}")
                return ast.Name(id=name, ctx=ast.Load())
        return super().visit(node)

    def hoist(self, code: str) -> str:
        return ast.unparse(self.visit(ast.parse(code)))

    def source(self) -> str:
        return "".join(f"{name} = {source}\n" for source, name in self.definitions.items())


def _indent(code: str, depth: int) -> str:
    return "".join("    " * depth + line + "\n" for line in code.splitlines())


@dataclass
class CodePlan:
    """The parts of a ``simulate`` function, before they are written out.

    ``initial`` runs once at the initial time (with the values fixed for the run hoisted
    out of the loop), ``loop`` at each step, ``updates`` between steps (stateful objects).
    """

    columns: tuple[str, ...]
    constants: tuple[str, ...]  # every constant, sorted
    time_varying: tuple[str, ...]  # constants given a value per step, sorted
    tables: tuple[str, ...]  # lookups and subscripted lookups
    arrays: tuple[str, ...]  # fixed helper arrays (subscripted models)
    initial: str
    loop: str
    updates: str


def plan_code(spec: ModelSpecification, return_columns: list[str],
              time_varying: frozenset[str]) -> CodePlan:
    """The statements ``simulate`` needs to compute ``return_columns``, in order."""
    owner = {owned: obj for obj in spec.objects.values() for owned in obj.owned}
    # What the requested columns need, following objects to the inputs of their updates.
    needed: set[str] = set()
    active: dict[str, StatefulObject] = {}
    pending = list(return_columns)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        if name in spec.loop:
            pending.extend(spec.loop[name].dependencies)
        obj = owner.get(name)
        if obj is not None and obj.name not in active:
            active[obj.name] = obj
            if obj.update is not None:
                pending.extend(obj.update.dependencies)
    # Values fixed for a whole run are computed once, before the time loop.
    fixed = {name for name in spec.constants if name not in time_varying}
    fixed |= {name for name, obj in spec.objects.items() if obj.kind in ("initial",)}
    fixed |= set(spec.tables) | set(spec.lookup_arrays) | set(spec.arrays)
    changed = True
    while changed:
        changed = False
        for name, statement in spec.loop.items():
            if name not in fixed and name not in owner and statement.dependencies <= fixed:
                fixed.add(name)
                changed = True
    loop_names = {name for name in needed if name in spec.loop and name not in fixed}
    initial_needed: set[str] = set()
    pending = [name for name in needed if name in spec.loop and name in fixed]
    pending += [target for obj in active.values() for target in spec.initial[obj.name].targets]
    while pending:
        name = pending.pop()
        if name in initial_needed or name not in spec.initial:
            continue
        initial_needed.add(name)
        pending.extend(spec.initial[name].dependencies)

    hoister = _FixedHoister(fixed)
    loop_body = "".join(hoister.hoist(statement.code) + "\n" for statement in
                        topological_order(loop_names, spec.loop))
    body = "".join(statement.code + "\n" for statement in
                   topological_order(initial_needed, spec.initial))
    updates = [obj.update.code for obj in active.values() if obj.update is not None]
    return CodePlan(tuple(return_columns), tuple(sorted(spec.constants)),
                    tuple(sorted(time_varying)),
                    (*sorted(spec.tables), *sorted(spec.lookup_arrays)), tuple(sorted(spec.arrays)),
                    body + hoister.source(), loop_body, "\n".join(sorted(updates)))


def generate_source(spec: ModelSpecification, return_columns: list[str],
                    time_varying: frozenset[str]) -> str:
    """Source of ``simulate(...)`` computing ``return_columns``.

    ``time_varying`` names the constants given a value per time step. The function reads
    ``_parameters[name]`` (scalar or array over the chunk) for the other constants,
    ``_series[name][k]`` for time-varying ones, and writes ``_outputs[i][j] = column_i``
    at each step ``k`` for every time index ``j`` in ``_record[k]``.
    """
    plan = plan_code(spec, return_columns, time_varying)
    lines = ["def simulate(_parameters, _series, _times, _dt, _n, _record, _outputs):",
             "    time = _times[0]", "    _initializing = True"]
    for name in plan.constants:
        if name in time_varying:
            lines += [f"    _series_{name} = _series[{name!r}]", f"    {name} = _series_{name}[0]"]
        else:
            lines.append(f"    {name} = _parameters[{name!r}]")
    lines += [f"    {name} = _tables[{name!r}]" for name in plan.tables]
    lines += [f"    {name} = _arrays[{name!r}]" for name in plan.arrays]
    lines.append(_indent(plan.initial, 1).rstrip("\n"))
    lines += [f"    _output_{index} = _outputs[{index}]" for index in range(len(return_columns))]
    lines += ["    _initializing = False", "    _last = len(_times) - 1",
              "    for _k in range(_last + 1):",
              "        time = _times[_k]"]
    lines += [f"        {name} = _series_{name}[_k]" for name in plan.time_varying]
    lines.append(_indent(plan.loop, 2).rstrip("\n"))
    lines.append("        for _j in _record[_k]:")
    lines += [f"            _output_{index}[_j] = {name}"
              for index, name in enumerate(return_columns)]
    lines += ["        if _k == _last:", "            break"]
    lines.append(_indent(plan.updates or "pass", 2).rstrip("\n"))
    return "\n".join(line for line in lines if line) + "\n"
