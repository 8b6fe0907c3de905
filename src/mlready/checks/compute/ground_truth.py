"""What the ``ground_truth`` check computes (declared in mlready.checks.ground_truth)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from mlready.answers import usable_answer
from mlready.check import Finding, SkipCheck, combine
from mlready.checks.compute._plots import interval_bars
from mlready.checks.ground_truth import GroundTruthParams
from mlready.context import AuditContext
from mlready.errors import DataError
from mlready.numbers import fmt, percent, with_unit
from mlready.results import Evidence, Outcome, Status, Table
from mlready.spec import parse_duration
from mlready.stats.columns import canonical


def _labelled(context: AuditContext) -> np.ndarray:
    frame = context.frame("production")
    if context.target not in frame.columns:
        return np.zeros(len(frame), bool)
    return frame[context.target].notna().to_numpy()


def _coverage(context: AuditContext, params: GroundTruthParams) -> Finding:
    labelled = _labelled(context)
    share = float(labelled.mean()) if labelled.size else 0.0
    finding = Finding(
        evidence=[
            Evidence(name="production_label_share", value=share),
            Evidence(name="production_labels", value=int(labelled.sum())),
        ]
    )
    if not labelled.any():
        plan = usable_answer(context.spec, "ground_truth_process", context.today)
        if plan is not None:
            finding.verdicts.append(
                (
                    Status.WARN,
                    (
                        f"no ground truth in production yet ({labelled.size:,} rows unlabelled); "
                        f"the "
                        f"written answer says how it will be obtained: {plan}"
                    ),
                )
            )
            return finding
        finding.verdicts.append(
            (
                Status.FAIL,
                (
                    f"no ground truth in production: none of {labelled.size:,} rows has a "
                    f"{context.target!r} label, so performance can only be estimated; "
                    "collect labels "
                    "(a sample is enough: 'mlready monitor --label-queue N' picks the rows) "
                    "or write "
                    "down how ground truth will be obtained (answers.ground_truth_process)"
                ),
            )
        )
        return finding
    windows = context.production_windows(params.window)
    if windows is None:
        return finding
    unit, groups = windows
    rows: list[list[Any]] = []
    for code, label in enumerate(groups.labels):
        members = groups.codes == code
        if members.any():
            rows.append(
                [
                    label,
                    int(members.sum()),
                    int(labelled[members].sum()),
                    float(labelled[members].mean()),
                ]
            )
    finding.tables.append(
        Table(
            title=f"Ground truth by {unit}", columns=[unit, "rows", "labelled", "share"], rows=rows
        )
    )
    finding.plots.append(
        interval_bars(
            f"Share of production rows with a label, by {unit}",
            "labelled share",
            [str(r[0]) for r in rows],
            [float(r[3]) for r in rows],
        )
    )
    waiting = [r[0] for r in _trailing_unlabelled(rows)]
    if waiting:
        finding.notes.append(
            f"no labels yet for the latest {len(waiting)} {unit}(s) ({', '.join(waiting[-4:])}): "
            "expected when labels arrive with a delay; their performance is estimated only"
        )
    return finding


def _trailing_unlabelled(rows: list[list]) -> list[list]:
    """The windows at the end with no label at all."""
    trailing: list[list] = []
    for row in reversed(rows):
        if row[2]:
            break
        trailing.insert(0, row)
    return trailing


def _delay(context: AuditContext, params: GroundTruthParams) -> Finding:
    data = context.spec.data
    if data.label_time is None:
        return Finding(
            notes=[
                "label delay not measured: set data.label_time (when each label "
                "arrived) and data.time"
            ]
        )
    if data.time is None:
        return Finding(notes=["label delay not measured: data.time is not set"])
    frame = context.frame("production")
    if data.label_time not in frame.columns:
        raise DataError(f"the production split has no column {data.label_time!r} (data.label_time)")
    arrived = pd.to_datetime(frame[data.label_time], utc=True, format="mixed", errors="coerce")
    delay = (arrived - context.times("production", all_rows=True)).dropna()
    if delay.empty:
        return Finding(notes=["label delay not measured: no row has both timestamps"])
    days = delay.dt.total_seconds().to_numpy() / 86_400
    median, p90 = np.quantile(days, [0.5, 0.9])
    limit = None if params.max_label_delay is None else parse_duration(params.max_label_delay)
    finding = Finding(
        evidence=[
            Evidence(name="label_delay_median_days", value=float(median), unit="days"),
            Evidence(
                name="label_delay_p90_days",
                value=float(p90),
                unit="days",
                threshold=None if limit is None else limit.total_seconds() / 86_400,
                op="<=",
            ),
        ]
    )
    if limit is not None and p90 > limit.total_seconds() / 86_400:
        finding.verdicts.append(
            (
                Status.WARN,
                (
                    f"labels arrive late: 90% within {with_unit(float(p90), 'days')}, more than "
                    f"{params.max_label_delay}; degradation is seen that much later"
                ),
            )
        )
    if (days < 0).any():
        finding.verdicts.append(
            (
                Status.WARN,
                (
                    f"{int((days < 0).sum())} label(s) arrived before their prediction was made "
                    f"({data.label_time} < {data.time}): check the timestamps or for leakage"
                ),
            )
        )
    return finding


def _agreement(context: AuditContext, params: GroundTruthParams) -> Finding:
    columns = context.spec.data.labels_from
    if columns is None:
        return Finding()
    first, second = columns
    pairs = []
    for split in context.split_names:
        frame = context.frame(split)
        if first in frame.columns and second in frame.columns:
            pairs.append(frame[[first, second]].dropna())
    if not pairs:
        raise DataError(
            f"no split has both annotator columns {first!r} and {second!r} (data.labels_from)"
        )
    both = pd.concat(pairs)
    if len(both) < 2:
        return Finding(
            notes=[f"annotator agreement not measured: {len(both)} row(s) labelled by both"]
        )
    # By value: an annotator column with gaps is read as float (1.0), the other as int (1).
    a, b = (canonical(both[c]).astype(str).to_numpy() for c in (first, second))
    kappa = float(cohen_kappa_score(a, b))
    agreement = float((a == b).mean())
    finding = Finding(
        evidence=[
            Evidence(name="annotator_kappa", value=kappa, threshold=params.min_kappa, op=">="),
            Evidence(name="annotator_agreement", value=agreement),
            Evidence(name="rows_labelled_twice", value=len(both)),
        ]
    )
    text = (
        f"annotators {first} and {second} agree on {percent(agreement)} of {len(both):,} "
        f"rows (Cohen's kappa {fmt(kappa)})"
    )
    if kappa < params.min_kappa:
        finding.verdicts.append(
            (
                Status.WARN,
                (
                    f"{text}, below {params.min_kappa}: the labels are noisy, so metrics are "
                    "capped by "
                    "human accuracy; clarify the labelling guide or adjudicate disagreements"
                ),
            )
        )
    else:
        finding.notes.append(f"{text}: the human accuracy the model is compared with")
    return finding


def run(context: AuditContext, params: GroundTruthParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.ground_truth, on ``context``."""
    if not context.has_split("production"):
        raise SkipCheck(
            "no production split: whether ground truth arrives in production cannot be measured"
        )
    coverage = _coverage(context, params)
    parts = [coverage, _agreement(context, params)]
    if context.target in context.frame("production").columns:
        parts.insert(1, _delay(context, params))
    share = coverage.evidence[0].value or 0.0
    return combine(
        parts,
        (f"ground truth arrives: {percent(float(share))} of production rows are labelled"),
    )
