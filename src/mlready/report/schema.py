"""The JSON Schema of the audit report, generated from the pydantic models.

The schema ships with the package (``report/audit-report.schema.json``) so CI
consumers can validate reports; a test keeps it equal to the models. After
changing a model, regenerate it with ``python -m mlready.report.schema``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from mlready.results import AuditReport

SCHEMA_FILE = "audit-report.schema.json"


def generated_schema() -> dict[str, Any]:
    """The schema of ``AuditReport`` as serialised to JSON."""
    schema = AuditReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mlready audit report"
    return schema


def shipped_schema() -> dict[str, Any]:
    """The schema file shipped in the package."""
    text = resources.files("mlready.report").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def main() -> None:
    """Rewrite the shipped schema file from the models."""
    path = Path(__file__).with_name(SCHEMA_FILE)
    path.write_text(json.dumps(generated_schema(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
