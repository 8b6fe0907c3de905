"""Paths as CI servers resolve the files a finding points at: relative to the checkout."""

from __future__ import annotations

import os


def in_checkout(path: str, variable: str) -> str:
    """``path`` relative to the checkout that the environment ``variable`` names
    (GITHUB_WORKSPACE, CI_PROJECT_DIR), else the working folder; unchanged when it lies
    outside it."""
    checkout = os.environ.get(variable) or os.getcwd()
    relative = os.path.relpath(path, checkout)
    return path if relative.startswith("..") else relative.replace(os.sep, "/")
