"""The commented starter ``checklist.yaml`` written by ``mlready init``, and the bundled
example's checklist (``checklist.yaml`` at the top of the repository, ``mlready demo``).

Generated from the pydantic models (field descriptions and defaults), so it documents
every key and can never drift from the code; the example is the same text with the
example's values in place of the defaults.
"""

from __future__ import annotations

import textwrap
from typing import Any

import yaml
from pydantic import BaseModel

from mlready.check import Check
from mlready.questions import question
from mlready.spec import CheckConfig, ChecklistSpec

HEADER = """\
# mlready checklist: what the audit checks, and the bars it holds the model to.
# Every key is shown with its default value; delete what you do not change.
# Paths are relative to this file. Docs: 'mlready checks', 'mlready explain ID'.
"""


def yaml_value(value: Any) -> str:
    """``value`` as inline YAML (pydantic models as mappings)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    dumped: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False)
    return dumped.removesuffix("\n...\n").strip()


def _comment(text: str | None, indent: str) -> list[str]:
    if not text:
        return []
    return [f"{indent}# {line}" for line in textwrap.wrap(text, 88 - len(indent))]


def _fields(model: BaseModel, depth: int, skip: tuple[str, ...] = ()) -> list[str]:
    indent = "  " * depth
    lines: list[str] = []
    for name, field in type(model).model_fields.items():
        if name in skip:
            continue
        value = getattr(model, name)
        lines += _comment(field.description, indent)
        if isinstance(value, BaseModel):
            lines.append(f"{indent}{name}:")
            lines += _fields(value, depth + 1)
        elif (
            isinstance(value, dict)
            and value
            and all(isinstance(v, BaseModel) for v in value.values())
        ):
            lines += _block(name, value, indent)
        else:
            lines.append(f"{indent}{name}: {yaml_value(value)}")
    return lines


def _block(name: str, models: dict[str, BaseModel], indent: str) -> list[str]:
    """A mapping of models (written answers) as block YAML: they hold sentences."""
    dumped = {
        key: model.model_dump(mode="json", exclude_defaults=True) for key, model in models.items()
    }
    text = yaml.safe_dump(
        {name: dumped}, sort_keys=False, width=88 - len(indent), allow_unicode=True
    )
    return [f"{indent}{line}" for line in text.splitlines()]


def _check_section(check: Check, config: CheckConfig | None) -> list[str]:
    q = question(check.question)
    enabled = config.enabled if config is not None else not check.capabilities.off_by_default
    lines = [f"  # {check.title} (checklist question {q.number}: {q.text})", f"  {check.id}:"]
    lines += [
        "    # Off by default: set to true to run it."
        if check.capabilities.off_by_default
        else "    # Run this check.",
        f"    enabled: {yaml_value(enabled)}",
        "    # fail: a failure fails the build; warn: it only warns.",
        f"    severity: {config.severity if config is not None else 'fail'}",
        "    # Accept a failure until a date (shown as waived, fails again after it):",
    ]
    if config is not None and config.waive is not None:
        lines.append(f"    waive: {yaml_value(config.waive.model_dump(mode='json'))}")
    else:
        lines.append(
            "    # waive: {reason: fix scheduled in ticket 123, owner: Dana Lee, expires: "
            "2026-12-31}"
        )
    params = check.Params.model_validate(config.options()) if config else check.Params()
    return lines + _fields(params, depth=2)


ANSWERS_EXAMPLE = """\
# Written answers, one per topic, for what no data can answer (questions 4-11):
# ground_truth_process, data_lineage, goals, integration, drift_strategy,
# monitoring_plan, ethics_review. 'mlready init --interactive' asks for them.
# answers:
#   integration:
#     answer: Nightly batch scoring feeds the CRM; an analyst reviews every decision.
#     owner: Dana Lee <dana@example.com>
#     evidence: https://wiki.example.com/model-42/integration
#     date: 2026-11-26
#   data_lineage:
#     not_applicable: true
#     reason: public benchmark data, collected and labelled by its publisher
#     owner: Dana Lee
#     date: 2026-11-26"""


def starter_checklist(
    checks: dict[str, Check], spec: ChecklistSpec | None = None, header: str = HEADER
) -> str:
    """The text of a checklist documenting every key of the spec and of every installed
    check: with their defaults (``mlready init``), or with ``spec``'s values."""
    spec = spec or ChecklistSpec()
    lines = header.splitlines()
    lines += _fields(spec, depth=0, skip=("checks",))
    if "answers: {}" in lines:
        at = lines.index("answers: {}") + 1
        lines[at:at] = ANSWERS_EXAMPLE.splitlines()
    lines += ["# Per-check settings, by check id ('mlready checks' lists them).", "checks:"]
    for check in checks.values():
        lines += _check_section(check, spec.checks.get(check.id))
    return "\n".join(lines) + "\n"
