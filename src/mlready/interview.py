"""``mlready init --interactive``: a person answers, a valid checklist.yaml comes out.

Walks through the main columns and thresholds and every written-answer topic
(showing the checklist guide's questions), then validates the result with the
same models ``mlready audit`` uses before anything is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.prompt import Prompt

from mlready.answers import TOPICS
from mlready.errors import SpecError
from mlready.spec import ChecklistSpec, format_validation_error
from mlready.stats.metrics import METRICS

HEADER = """\
# mlready checklist, written by 'mlready init --interactive' on {today}.
# 'mlready init' writes a starter documenting every key; 'mlready checks' lists the checks.
"""


def _number(console: Console, question: str) -> float | None:
    """A number, or None for a blank answer; asks again until it is one."""
    while True:
        text = Prompt.ask(question, default="", console=console, show_default=False).strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            console.print(f"[red]{text!r} is not a number[/red]")


def _metric(console: Console) -> str | None:
    while True:
        name = Prompt.ask(
            "Primary metric (blank: chosen for the task)",
            default="",
            console=console,
            show_default=False,
        ).strip()
        if not name or name in METRICS:
            return name or None
        console.print(f"[red]unknown metric; one of: {', '.join(METRICS)}[/red]")


def _answers(console: Console, owner: str, today: dt.date) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for topic_id, topic in TOPICS.items():
        console.print(f"\n[bold]{topic.title}[/bold] (question {topic.question})")
        for line in topic.guidance:
            console.print(f"  - {line}", highlight=False)
        text = Prompt.ask(
            "Answer (blank: skip for now; n/a: does not apply)",
            default="",
            console=console,
            show_default=False,
        ).strip()
        if not text:
            continue
        entry: dict[str, Any] = {"owner": owner, "date": today.isoformat()}
        if text.lower() in ("n/a", "na"):
            reason = ""
            while not reason:
                reason = Prompt.ask("Why does it not apply?", console=console).strip()
            entry.update(not_applicable=True, reason=reason)
        else:
            entry["answer"] = text
            evidence = Prompt.ask(
                "Evidence (link or path; blank: none)",
                default="",
                console=console,
                show_default=False,
            ).strip()
            if evidence:
                entry["evidence"] = evidence
        answers[topic_id] = entry
    return answers


def interview(console: Console, today: dt.date) -> str:
    """Ask, validate, and return the checklist's YAML text."""
    try:
        return _interview(console, today)
    except EOFError:
        raise SpecError(
            "mlready init --interactive needs answers typed at a terminal, and its input ended",
            hint="run it in a terminal, or run plain 'mlready init' for a commented starter",
        ) from None


def _interview(console: Console, today: dt.date) -> str:
    console.print("[bold]mlready checklist[/bold]: press Enter to keep a default or skip.\n")
    data: dict[str, Any] = {
        "dir": Prompt.ask(
            "Folder with the splits, relative to the checklist", default="splits", console=console
        ),
        "target": Prompt.ask("Target column", default="target", console=console),
    }
    spec: dict[str, Any] = {"data": data}
    sensitive = Prompt.ask(
        "Sensitive attributes for the fairness check, comma-separated (blank: none)",
        default="",
        console=console,
        show_default=False,
    )
    if sensitive.strip():
        data["sensitive"] = [c.strip() for c in sensitive.split(",") if c.strip()]
    primary = _metric(console)
    if primary:
        spec["metrics"] = {"primary": primary}
    limits = {
        "p95_latency_ms": _number(console, "Hard limit: p95 latency in ms (blank: none)"),
        "min_primary_metric": _number(
            console, "Goal: lowest acceptable primary metric (blank: none)"
        ),
    }
    if any(v is not None for v in limits.values()):
        spec["limits"] = {k: v for k, v in limits.items() if v is not None}
    owner = ""
    while not owner:
        owner = Prompt.ask(
            "\nYour name or e-mail (owner of the written answers)", console=console
        ).strip()
    answers = _answers(console, owner, today)
    if answers:
        spec["answers"] = answers
    try:
        ChecklistSpec.model_validate(spec)
    except ValidationError as exc:
        where = "your answers"
        raise SpecError(format_validation_error(exc, lambda *key: where, ChecklistSpec)) from None
    body = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
    return HEADER.format(today=today) + body
