"""Progress from inside a check: ``step("fold 2 of 5")`` says what a long check is doing
now, and the run's progress shows it next to the check's name (the live line on a
terminal; a log line with ``-v``). Outside a run, or with no one listening, it does
nothing, so checks and the statistics they call may use it anywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Per thread of a run (checks may run in threads): who hears the running check's steps.
_HEARD_BY: ContextVar[Callable[[str], None] | None] = ContextVar("mlready_step", default=None)


def step(text: str) -> None:
    """Say what the running check is doing now (a few words: 'fold 2 of 5')."""
    hear = _HEARD_BY.get()
    if hear is not None:
        hear(text)


@contextmanager
def steps_heard_by(hear: Callable[[str], None]) -> Iterator[None]:
    """Within the block, :func:`step` calls ``hear`` (the runner, around one check)."""
    token = _HEARD_BY.set(hear)
    try:
        yield
    finally:
        _HEARD_BY.reset(token)
