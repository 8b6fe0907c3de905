"""The model an audit runs: opened from the checklist's settings, sandboxed by default.

:class:`ModelUnderAudit` is how ``audit``, ``monitor``, ``compare`` and ``profile`` open the
model file: its sandboxed process starts while mlready reads the data, and the report
records which layers of the sandbox were in force.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from mlready.errors import SpecError
from mlready.io.model import (
    LoadedModel,
    check_model_file,
    load_model,
    loaded_in_memory,
    require_predict,
)
from mlready.results import SandboxLayer, SandboxRecord
from mlready.sandbox.process import ModelProcess, ModelProcessFailure
from mlready.sandbox.remote import launched
from mlready.sandbox.settings import SandboxSettings
from mlready.spec import ChecklistSpec


def model_load_options(spec: ChecklistSpec, trust: bool) -> dict[str, Any]:
    """How the checklist and --trust-model say to load the model (``load_model``'s keywords)."""
    return {
        "trust": trust,
        "pinned_sha256": spec.model.sha256,
        "extra_allowed": list(spec.model.allow),
    }


def sandbox_for(spec: ChecklistSpec, sandbox: SandboxSettings | None) -> SandboxSettings | None:
    """``sandbox``, requiring every layer when it leaves that to the checklist and
    ``model.sandbox`` says so."""
    if sandbox is None or sandbox.required is not None:
        return sandbox
    return dataclasses.replace(sandbox, required=spec.model.sandbox == "required")


class CallersModel:
    """A fitted model the caller already holds (the Python API): it is in the caller's
    process, where it was built, so there is no file to scan and nothing to sandbox; it
    offers what :class:`ModelUnderAudit` offers."""

    problem: str | None = None
    sandbox: SandboxSettings | None = None

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def __enter__(self) -> CallersModel:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def load(self) -> LoadedModel:
        """The caller's model, with a temporary file of it for the latency check."""
        loaded = loaded_in_memory(self.estimator)
        require_predict(loaded)
        return loaded

    def sandbox_record(self) -> SandboxRecord:
        return SandboxRecord(mode="in memory")


class ModelUnderAudit:
    """The model to audit, opened in two steps so that its sandboxed process starts (imports
    its libraries, locks itself down) while mlready reads the data: entering the ``with``
    block starts it, :meth:`load` waits for it; leaving the block ends it. In
    predictions-only mode there is no model to load (the file is only fingerprinted).
    :attr:`problem` says why a model that failed in its process cannot be used."""

    def __init__(
        self, path: Path | None, spec: ChecklistSpec, trust: bool, sandbox: SandboxSettings | None
    ) -> None:
        self.path, self.spec, self.trust = path, spec, trust
        self.sandbox = sandbox_for(spec, sandbox)
        self.problem: str | None = None
        self.process: ModelProcess | None = None

    def __enter__(self) -> ModelUnderAudit:
        if self.spec.data.prediction is not None:
            return self
        if self.path is None:
            raise SpecError(
                "no model file given",
                hint="pass MODEL, or set data.prediction for predictions-only mode",
            )
        options = model_load_options(self.spec, self.trust)
        if self.sandbox is not None:
            # Checks the suffix and reads the file here, and scans it in the child: a
            # compressed pickle is never decompressed in mlready's own process.
            self.process = ModelProcess(self.path, options, self.sandbox)
        else:
            # In-process the scan runs here anyway: say a refusal before the data is read.
            check_model_file(self.path, **options)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.close()

    def load(self) -> LoadedModel | None:
        """The loaded model; None in predictions-only mode, or when it failed in its
        process (see :attr:`problem`)."""
        if self.spec.data.prediction is not None or self.path is None:
            return None
        if self.process is None:
            loaded = load_model(self.path, **model_load_options(self.spec, self.trust))
            require_predict(loaded)
            return loaded
        try:
            return launched(self.process)
        except ModelProcessFailure as exc:
            self.problem = exc.message
            return None

    def sandbox_record(self) -> SandboxRecord:
        """How the model's code was contained in this run, for the report."""
        if self.spec.data.prediction is not None:
            return SandboxRecord(mode="not run")
        if self.process is None:
            return SandboxRecord(mode="in-process")
        layers = [SandboxLayer(**layer) for layer in self.process.layers]
        return SandboxRecord(mode="sandboxed", layers=layers)
