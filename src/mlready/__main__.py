"""The ``mlready`` command's entry point (also ``python -m mlready``).

``mlready --version`` is answered before the command-line machinery is imported: it is the
call scripts and CI make most often, and it should cost no more than starting Python.
"""

from __future__ import annotations

import sys

from mlready import __version__


def main() -> None:
    """Print the version for ``--version``/``-V`` alone; otherwise run the command line."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        print(f"mlready {__version__}")
        return
    from mlready.cli import main as command_line

    command_line()


if __name__ == "__main__":
    main()
