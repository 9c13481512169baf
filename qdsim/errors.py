"""Error types of the qdsim library. ``cli.py`` turns each into one line and exit code 2."""

from __future__ import annotations

import difflib
from pathlib import Path


class QdsimError(Exception):
    """Base class of every error the user can fix by changing an input."""


class InputError(QdsimError):
    """Bad input located in a file: names the file, the line and the key when known."""

    def __init__(self, path: Path | str | None, message: str, *, line: int | None = None,
                 key: str | None = None) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.key = key
        self.message = message
        super().__init__(self.describe())

    def describe(self) -> str:
        """``file:line: key 'x': message`` with the parts that are known."""
        location = self.path or "<input>"
        if self.line is not None:
            location += f":{self.line}"
        subject = f" key '{self.key}':" if self.key else ""
        return f"{location}:{subject} {self.message}"


class ScenarioError(InputError):
    """A scenario file is missing, malformed or names values the model does not allow."""


class TargetError(InputError):
    """The targets file or a target override is invalid."""


class ResultsError(InputError):
    """A results file is missing, corrupt or from another model."""


class EngineError(QdsimError):
    """The model could not be run with the given inputs."""


def suggest(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
