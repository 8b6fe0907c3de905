"""Progress of a run as it goes, and the closing line after it, the way pytest shows them:
a live line on a terminal, one plain line per finished check in a CI log."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from mlready.numbers import fmt
from mlready.results import CheckResult, Status

if TYPE_CHECKING:
    from mlready.runner import PlannedCheck

# How a closing line names each status, in the order it lists them (pytest's words).
_COUNTED = (
    (Status.FAIL, "failed"),
    (Status.ERROR, "error"),
    (Status.WARN, "warned"),
    (Status.WAIVED, "waived"),
    (Status.PASS, "passed"),
    (Status.SKIP, "skipped"),
)
_STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "red",
    Status.WAIVED: "magenta",
    Status.SKIP: "dim",
}
_MESSAGE_CHARS = 100


def closing_line(statuses: Iterable[Status], seconds: float) -> str:
    """``1 failed, 4 warned, 5 passed, 1 skipped in 42.1s``: how many checks ended how."""
    counts = Counter(statuses)
    parts = [
        f"{counts[status]} {word}{'s' if word == 'error' and counts[status] > 1 else ''}"
        for status, word in _COUNTED
        if counts[status]
    ]
    return f"{', '.join(parts) or 'no checks'} in {seconds:.1f}s"


def _message_start(result: CheckResult) -> str:
    message = " ".join(result.message.split())
    if len(message) > _MESSAGE_CHARS:
        message = message[: _MESSAGE_CHARS - 1].rstrip() + "…"
    return message


def check_line(result: CheckResult) -> str:
    """One finished check: id, status, seconds and the start of its message."""
    return (
        f"{result.id:<24} {result.status.value:<6} {result.duration_s:6.1f}s  "
        f"{_message_start(result)}"
    )


def check_detail(result: CheckResult) -> list[str]:
    """``-v``: the numbers behind a finished check (each with the bar it was held to and its
    interval) and its notes, indented under its line."""
    lines = []
    for evidence in result.evidence:
        interval = (
            f" (CI {fmt(evidence.ci_low)} to {fmt(evidence.ci_high)})"
            if evidence.ci_low is not None and evidence.ci_high is not None
            else ""
        )
        bar = f", must be {evidence.op} {fmt(evidence.threshold)}" if evidence.op else ""
        lines.append(f"    {evidence.name}: {fmt(evidence.value)}{interval}{bar}")
    lines += [f"    note: {' '.join(note.split())}" for note in result.notes]
    return lines


class PlainProgress:
    """Not a terminal (a CI log, a pipe): one line per check as it finishes, nothing that
    redraws itself; with ``detail``, its numbers under it."""

    def __init__(self, console: Console, detail: bool = False) -> None:
        self.console = console
        self.detail = detail
        self._lock = threading.Lock()

    def planned(self, items: Sequence[PlannedCheck]) -> None:
        pass  # a log needs no count before the lines arrive

    def started(self, item: PlannedCheck) -> None:
        pass

    def step(self, check_id: str, text: str) -> None:
        if self.detail:  # a log keeps every line: steps only when asked for
            with self._lock:
                self.console.print(
                    f"  {check_id}: {text}", markup=False, highlight=False, soft_wrap=True
                )

    def finished(self, result: CheckResult) -> None:
        lines = [check_line(result), *(check_detail(result) if self.detail else [])]
        with self._lock:
            for line in lines:
                self.console.print(line, markup=False, highlight=False, soft_wrap=True)


class TerminalProgress:
    """On a terminal: ``[3/11] metric_parity`` with the time it has run, over the lines of
    the checks already done."""

    def __init__(self, console: Console, detail: bool = False) -> None:
        self.detail = detail
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        self._progress = Progress(*columns, console=console, transient=True)
        self._task = self._progress.add_task("loading data and model", total=None)
        self._lock = threading.Lock()
        self._total = 0
        self._started = 0
        self._numbers: dict[str, int] = {}  # each running check's place in the run

    def __enter__(self) -> TerminalProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def planned(self, items: Sequence[PlannedCheck]) -> None:
        self._total = len(items)

    def started(self, item: PlannedCheck) -> None:
        with self._lock:
            self._started += 1
            self._numbers[item.check.id] = self._started
            description = f"[{self._started}/{self._total}] {item.check.id}"
            self._progress.reset(self._task, description=escape(description), total=None)

    def step(self, check_id: str, text: str) -> None:
        with self._lock:
            number = self._numbers.get(check_id, self._started)
            description = f"[{number}/{self._total}] {check_id}: {text}"
            self._progress.update(self._task, description=escape(description))

    def finished(self, result: CheckResult) -> None:
        style = _STYLES[result.status]
        line = (
            f"{escape(result.id.ljust(24))} [{style}]{result.status.value:<6}[/{style}] "
            f"{result.duration_s:6.1f}s  [dim]{escape(_message_start(result))}[/dim]"
        )
        with self._lock:
            self._progress.console.print(line, highlight=False, soft_wrap=True)
            for detail in check_detail(result) if self.detail else []:
                self._progress.console.print(detail, highlight=False, markup=False, soft_wrap=True)
