"""Terminal output: a summary table of check results and the verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlready.numbers import fmt
from mlready.report.sentences import sandbox_summary
from mlready.results import AuditReport, Status

if TYPE_CHECKING:
    from mlready.compare import Comparison
    from mlready.quality.results import ValidationReport

STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.WAIVED: "magenta",
    Status.FAIL: "red",
    Status.ERROR: "bold red",
    Status.SKIP: "dim",
}


def print_summary(report: AuditReport, console: Console, title: str = "mlready audit") -> None:
    """Print one row per check, then the verdict."""
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("Q", justify="right", style="dim")
    table.add_column("check")
    table.add_column("status")
    table.add_column("message", overflow="fold")
    for result in report.checks:
        style = STYLES[result.status]
        table.add_row(
            str(result.question),
            result.id,
            f"[{style}]{result.status.value}[/{style}]",
            escape(result.message),
        )
    console.print(table)
    unmet = [q.number for q in report.questions if q.status == "unmet"]
    if unmet:
        console.print(
            f"[dim]Checklist questions unmet: {', '.join(map(str, unmet))} "
            "(the report says what is missing).[/dim]"
        )
    if report.scorecard is not None:
        card = report.scorecard
        sections = ", ".join(f"{name} {fmt(points)}" for name, points in card.sections.items())
        console.print(f"[dim]ML Test Score {fmt(card.final)} ({sections})[/dim]")
    missing = report.sandbox is not None and bool(report.sandbox.missing)
    console.print(
        f"[{'yellow' if missing else 'dim'}]Sandbox: {escape(sandbox_summary(report.sandbox))}[/]"
    )
    style = STYLES[report.status] if report.status != Status.SKIP else "dim"
    console.print(f"[{style}]Verdict: {escape(report.verdict)}[/{style}]")


def print_comparison(report: Comparison, console: Console) -> None:
    """One row per candidate model: the trade-off table."""
    table = Table(title="mlready compare", title_justify="left")
    for column in (
        report.primary_metric,
        "p95 ms",
        "rows/s",
        "peak MB",
        "size MB",
        "cost/1k",
        "Pareto",
        "limits",
    ):
        table.add_column(column, justify="right")
    table.add_column("model", justify="left")
    for c in report.candidates:
        limits = "all met" if not c.breaches else f"[red]{len(c.breaches)} broken[/red]"
        table.add_row(
            fmt(c.metric),
            fmt(c.p95_latency_ms),
            fmt(c.throughput_rps),
            fmt(c.peak_memory_mb),
            fmt(c.model_size_mb),
            fmt(c.cost_per_1k),
            "yes" if c.pareto else "",
            limits,
            escape(c.path),
        )
    console.print(table)


def print_validation(report: ValidationReport, console: Console) -> None:
    """One row per batch, then every rule that warns or fails, then the verdict."""
    batches = Table(title="mlready validate", title_justify="left")
    for column in ("batch", "status", "rows", "clean", "quarantined"):
        batches.add_column(column, justify="left" if column in ("batch", "status") else "right")
    for batch in report.batches:
        style = STYLES[batch.status]
        counts = (batch.rows, batch.clean_rows, batch.quarantined_rows)
        status = f"[{style}]{batch.status.value}[/{style}]"
        batches.add_row(escape(batch.source), status, *(f"{n:,}" for n in counts))
    console.print(batches)
    problems = [(b.source, r) for b in report.batches for r in b.problems]
    if problems:
        rules = Table(title="rules not met", title_justify="left")
        for column in ("batch", "status", "rule", "column", "what"):
            rules.add_column(column, overflow="fold")
        for source, rule in problems:
            style = STYLES[rule.status]
            rules.add_row(
                escape(source),
                f"[{style}]{rule.status.value}[/{style}]",
                rule.rule,
                escape(rule.column or ""),
                escape(rule.message),
            )
        console.print(rules)
    style = STYLES[report.status]
    verdict = "meets the contract" if report.status != Status.FAIL else "breaks the contract"
    console.print(
        f"[{style}]Verdict: {verdict}: {report.clean_rows:,} clean, "
        f"{report.quarantined_rows:,} quarantined of {report.rows:,} rows[/{style}]"
    )
