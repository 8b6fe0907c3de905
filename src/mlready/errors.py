"""Errors that stop an audit before it can judge anything (exit code 2).

Each carries a message that names the file, key or column at fault and, where
useful, a hint that says what to do. The CLI prints them as one short block,
never as a traceback (unless ``--debug``).
"""

from __future__ import annotations


class MlreadyError(Exception):
    """The audit cannot run: bad arguments, checklist, data or model file."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class SpecError(MlreadyError):
    """The checklist file is unreadable, malformed or invalid."""


class DataError(MlreadyError):
    """A data split is missing, unreadable, or does not fit the model/checklist."""


class ModelLoadError(MlreadyError):
    """The model file cannot be loaded, or was refused as unsafe."""
