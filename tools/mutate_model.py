"""Mutation check of qingdao.mdl: perturb each equation in turn and see whether a check fails.

For every equation that is not a plain constant, four kinds of mutation are made on the
text of the ``.mdl`` (one at a time): scale the right-hand side by 1.1, drop the last
additive term, swap the sign of the first + or -, and shift a time (a DELAY FIXED's delay
or a PULSE's start) by one year. Each mutant is parsed by the ensemble engine and run
through the fast behavioural checks of ``model/checks.py`` (the same checks the tests run:
known answers, identities, 2015-2020 data, start without jumps, extreme conditions). A
mutant is caught when a check fails, the model no longer builds, or a run raises. Prints
the mutations no check catches and the share caught.

How to run (from the repository root)::

    nice python tools/mutate_model.py            # every mutation, a few minutes
    nice python tools/mutate_model.py --limit 20
    nice python tools/mutate_model.py --match "public housing" --match "previous year"
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.checks import FAST_CHECKS  # noqa: E402
from model.ensemble import EnsembleModel  # noqa: E402

MODEL = ROOT / "model" / "qingdao.mdl"
EQUATION = re.compile(r"^([a-z][a-z0-9 ]*?) = (.+?)\n\t~", re.MULTILINE | re.DOTALL)


def _split_additive(expression: str) -> list[int]:
    """Positions of top-level + and - (binary) in ``expression``."""
    depth, positions = 0, []
    for i, char in enumerate(expression):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char in "+-" and depth == 0 and i > 0 and expression[i - 1] == " ":
            positions.append(i)
    return positions


def mutations(text: str):
    """(description, mutated text) for each mutation of each equation."""
    for match in EQUATION.finditer(text):
        name, body = match.group(1), match.group(2)
        if re.fullmatch(r"[-0-9.e+]+", body.strip()) or name.isupper():
            continue
        start, end = match.span(2)

        def replaced(new_body: str, start=start, end=end) -> str:
            return text[:start] + new_body + text[end:]

        if body.startswith("INTEG ("):
            inner = body[len("INTEG ("):]
            flow, _, initial = inner.partition(",\n")
            yield f"{name}: flow x 1.1", replaced(f"INTEG (\n\t({flow.strip()}) * 1.1,\n{initial}")
            if initial.strip()[:-1].strip() != "0":  # 0 x 1.1 would be the same model
                yield f"{name}: initial x 1.1", replaced(
                    f"INTEG (\n\t{flow.strip()},\n\t\t({initial.strip()[:-1]}) * 1.1)")
            positions = _split_additive(flow.strip())
            if positions:
                flow_text = flow.strip()
                yield f"{name}: last flow term dropped", replaced(
                    f"INTEG (\n\t{flow_text[:positions[-1]].rstrip()},\n{initial}")
            continue
        yield f"{name}: x 1.1", replaced(f"({body}) * 1.1")
        positions = _split_additive(body)
        if positions:
            yield f"{name}: last term dropped", replaced(body[:positions[-1]].rstrip())
            first = positions[0]
            swapped = "-" if body[first] == "+" else "+"
            yield f"{name}: sign of the first term swapped", replaced(
                body[:first] + swapped + body[first + 1:])
        for pattern, label in ((r"DELAY FIXED\(([^,]+), accounting year", "delay + 1 year"),
                               (r"PULSE\(output shock start", "pulse a year later")):
            if re.search(pattern, body):
                shifted = re.sub(r"accounting year,", "accounting year + accounting year,", body,
                                 count=1) if "DELAY" in pattern else body.replace(
                    "PULSE(output shock start", "PULSE(output shock start + accounting year")
                yield f"{name}: {label}", replaced(shifted)


def caught(text: str, folder: Path) -> str | None:
    """The first failure of the mutated model, or None when every check passes."""
    path = folder / "qingdao.mdl"
    path.write_text(text, encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            engine = EnsembleModel.from_mdl(path, use_cache=False)
            for check in FAST_CHECKS:
                failures = check(engine)
                if failures:
                    return f"{check.__name__}: {failures[0]}"
    except Exception as error:  # a mutant that does not build or run is caught
        return f"does not run: {type(error).__name__}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="Stop after N mutations.")
    parser.add_argument("--match", action="append", default=None,
                        help="Only mutations whose description contains this (repeatable).")
    arguments = parser.parse_args()
    text = MODEL.read_text(encoding="utf-8")
    missed, total = [], 0
    with tempfile.TemporaryDirectory() as folder:
        for description, mutated in mutations(text):
            if arguments.match and not any(part in description for part in arguments.match):
                continue
            if arguments.limit is not None and total >= arguments.limit:
                break
            total += 1
            if caught(mutated, Path(folder)) is None:
                missed.append(description)
                print(f"NOT CAUGHT  {description}", flush=True)
    share = (total - len(missed)) / total if total else 1.0
    print(f"{total - len(missed)} of {total} mutations caught ({share:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
