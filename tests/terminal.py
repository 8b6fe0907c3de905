"""Running the real command on a pseudo-terminal, as a user at a terminal sees it."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def on_a_terminal(command: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> str:
    """Everything ``command`` writes to its terminal (stdout and stderr), escape codes
    included, read until it closes the terminal."""
    main, child = pty.openpty()
    with subprocess.Popen(
        list(command), stdin=subprocess.DEVNULL, stdout=child, stderr=child, cwd=cwd, env=dict(env)
    ) as process:
        os.close(child)
        chunks = []
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        process.wait()
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")
