"""`qdsim explore`: bad options and a busy port give one line and exit code 2."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from cli import app


@pytest.mark.parametrize("arguments, message", [
    (["--lang", "fr"], "--lang 'fr': allowed values are en and zh"),
    (["--port", "70000"], "--port 70000: allowed values are 0-65535"),
    (["missing.yaml"], "missing.yaml: file not found"),
])
def test_bad_options_give_one_line_and_exit_code_2(arguments, message):
    result = CliRunner().invoke(app, ["explore", *arguments])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {message}"


def test_a_busy_port_gives_one_line_and_exit_code_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["explore", "--port", str(port)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: --host 127.0.0.1 --port {port}: cannot listen")
    assert len(result.output.strip().splitlines()) == 1
