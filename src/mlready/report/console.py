"""Terminal output: a summary table of check results and the verdict."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from mlready.results import AuditReport, Status

STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "bold red",
    Status.SKIP: "dim",
}


def print_summary(report: AuditReport, console: Console) -> None:
    """Print one row per check, then the verdict."""
    table = Table(title="mlready audit", title_justify="left", expand=False)
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
            result.message,
        )
    console.print(table)
    unanswered = [q.number for q in report.questions if q.status == "not assessed"]
    if unanswered:
        console.print(
            f"[dim]Checklist questions not assessed yet: "
            f"{', '.join(map(str, unanswered))} (see the report).[/dim]"
        )
    style = STYLES[report.status] if report.status != Status.SKIP else "dim"
    console.print(f"[{style}]Verdict: {report.verdict}[/{style}]")
