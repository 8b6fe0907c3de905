"""The conventions users bring from other command-line tools: -h and -V, help text as
written, flags without placeholders, square brackets printed literally, and colour that
follows --color and NO_COLOR."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mlready import __version__
from mlready.cli import app
from tests.terminal import on_a_terminal

COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # a style code (a live progress line also moves the cursor)


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), prog_name="mlready")


def _mlready(*args: str, terminal: bool = False, **env: str) -> str:
    """What the real command writes to stderr: to a pipe, or to a pseudo-terminal."""
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment |= {"TERM": "xterm", **env}
    command = [sys.executable, "-m", "mlready.cli", *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
        return done.stderr
    return on_a_terminal(command, environment)


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("command", [[], ["audit"], ["validate"], ["contract", "infer"]])
def test_short_and_long_help(flag, command) -> None:
    result = _invoke(*command, flag)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: {' '.join(['mlready', *command])} ")


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_short_and_long_version(flag) -> None:
    result = _invoke(flag)
    assert result.exit_code == 0
    assert result.output == f"mlready {__version__}\n"


def test_flags_show_no_placeholder() -> None:
    text = _invoke("audit", "--help").output
    assert "<bool>" not in text
    for flag in ("--quick", "--trust-model", "-q, --quiet", "--debug"):
        line = next(line for line in text.splitlines() if line.strip().startswith(flag))
        assert line.split()[len(flag.split())] not in ("<bool>", "BOOLEAN"), line


def test_square_brackets_in_messages_and_listings_are_printed_as_written(tmp_path) -> None:
    # '[plots]' is what Rich markup took for a style and swallowed
    stderr = _mlready("audit", str(tmp_path / "m[plots].pkl"), "--data", str(tmp_path))
    assert "m[plots].pkl does not exist" in stderr, stderr
    listing = _invoke("checks").output
    assert "batch_sizes: [1, 32, 1024]" in listing


def test_colour_follows_color_and_no_color(tmp_path) -> None:
    args = ("audit", str(tmp_path / "missing.pkl"), "--data", str(tmp_path))
    assert COLOUR.search(_mlready(*args, terminal=True))  # auto, on a terminal
    assert not COLOUR.search(_mlready(*args))  # auto, to a pipe (a CI log)
    assert COLOUR.search(_mlready("--color", "always", *args))
    assert not COLOUR.search(_mlready("--color", "never", *args, terminal=True))
    plain = _mlready(*args, terminal=True, NO_COLOR="1")
    assert "31m" not in "".join(COLOUR.findall(plain)), plain  # no red (bold may stay)
    assert COLOUR.search(_mlready("--color", "always", *args, NO_COLOR="1"))  # the flag wins


HEAVY = ("pandas", "scipy", "pyarrow", "sklearn", "numpy", "matplotlib")


def _imported_by(args: list[str], modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` the ``mlready`` entry point imports to run ``args`` (which
    must succeed: a command refused early would import nothing and prove nothing)."""
    probe = (
        "import sys\n"
        f"sys.argv = ['mlready', *{args!r}]\n"
        "from mlready.__main__ import main\n"
        "code = 0\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code or 0\n"
        f"print(code, [m for m in {modules!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    code, imported = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert code == "0", done.stdout + done.stderr
    return ast.literal_eval(imported)  # a printed list


@pytest.mark.parametrize("args", [["--version"], ["-h"], ["audit", "--help"], ["validate", "-h"]])
def test_version_and_help_import_none_of_the_data_libraries(args) -> None:
    """Start-up is what a user feels on every call: these import no data library at all
    (a module count, not a timing, so a busy machine cannot fail it)."""
    assert _imported_by(args, HEAVY) == []


def test_commands_about_checks_and_checklists_import_no_data_library(tmp_path) -> None:
    """Listing, explaining and documenting checks, and validating a checklist (the
    pre-commit hook), read every check's declaration but run none: pandas, scipy, pyarrow
    and scikit-learn stay unimported (numpy, which metric names sit beside, may load)."""
    data_libraries = ("pandas", "scipy", "pyarrow", "sklearn", "matplotlib")
    starter = tmp_path / "checklist.yaml"
    for args in (
        ["checks"],
        ["explain", "performance_monitoring"],
        ["init", "--output", str(starter)],
        ["check-config", str(starter)],
    ):
        assert _imported_by(args, data_libraries) == [], args
    assert "performance_monitoring:" in starter.read_text()


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_version_is_answered_before_the_command_line_is_imported(flag) -> None:
    assert _imported_by([flag], ("typer", "rich", "pydantic")) == []
    done = subprocess.run([sys.executable, "-m", "mlready", flag], capture_output=True, text=True)
    assert done.stdout == f"mlready {__version__}\n"
