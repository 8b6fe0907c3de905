"""What the ``fairness`` check computes (declared in mlready.checks.fairness)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from mlready.check import Finding, SkipCheck, combine
from mlready.checks.compute._plots import interval_bars
from mlready.checks.compute._segments import column_groups
from mlready.checks.fairness import FairnessParams
from mlready.context import AuditContext
from mlready.numbers import fmt, interval
from mlready.results import Cell, Evidence, Measure, Outcome, Status, Table
from mlready.stats import groups as grouping
from mlready.stats.fairness import Gap, GroupRates, group_rates, parity
from mlready.stats.metrics import Metric


def _combined(first: grouping.Groups, second: grouping.Groups) -> grouping.Groups:
    """The intersection of two groupings: one group per pair of levels that occurs."""
    both = (first.codes >= 0) & (second.codes >= 0)
    pair = np.where(both, first.codes * len(second.labels) + second.codes, -1)
    present = np.unique(pair[pair >= 0])
    codes = np.where(pair >= 0, np.searchsorted(present, pair), -1).astype(np.int64)
    labels = [
        f"{first.labels[p // len(second.labels)]} & {second.labels[p % len(second.labels)]}"
        for p in present
    ]
    return grouping.Groups(f"{first.column} & {second.column}", codes, labels)


def _gap_evidence(
    name: str, gap: Gap, threshold: float | None, op: Literal[">=", "<="]
) -> Evidence:
    return Evidence(
        name=name,
        value=gap.value,
        ci_low=gap.ci[0],
        ci_high=gap.ci[1],
        threshold=threshold,
        op=op if threshold is not None else None,
    )


def _judge(
    what: str, gap: Gap, threshold: float | None, higher_is_worse: bool
) -> tuple[Status, str] | None:
    """fail when the whole interval is past the threshold, warn when only the value is."""
    if threshold is None or not np.isfinite(gap.value):
        return None
    past = gap.value > threshold if higher_is_worse else gap.value < threshold
    if not past:
        return None
    surely = gap.ci[0] > threshold if higher_is_worse else gap.ci[1] < threshold
    if surely:
        return (
            Status.FAIL,
            f"{what} ({fmt(gap.value)}, interval {interval(*gap.ci)}; limit {threshold})",
        )
    return Status.WARN, (
        f"{what} ({fmt(gap.value)}; limit {threshold}), but within sampling error "
        f"(interval {interval(*gap.ci)}): collect more data for the small groups"
    )


def run(context: AuditContext, params: FairnessParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.fairness, on ``context``."""
    sensitive = context.spec.data.sensitive
    if not sensitive:
        raise SkipCheck(
            "no sensitive attributes: set data.sensitive (e.g. [sex, age]); "
            "until then question 11 rests on answers.ethics_review"
        )
    if not context.has_labels(params.split):
        raise SkipCheck(f"the {params.split} split has no labels")
    groupings = [column_groups(context, s, params.split) for s in sensitive]
    if params.intersections:
        groupings += [_combined(a, b) for i, a in enumerate(groupings) for b in groupings[i + 1 :]]
    findings = [_attribute(context, params, g) for g in groupings]
    names = ", ".join(g.column for g in groupings)
    return combine(
        findings, f"no gap between groups beyond the limits ({names}, {params.split} split)"
    )


def _attribute(context: AuditContext, params: FairnessParams, groups: grouping.Groups) -> Finding:
    y, prediction = context.y(params.split), context.prediction(params.split)
    sizes = groups.sizes()
    judged = np.flatnonzero(sizes >= params.min_group_size)
    small = [
        f"{groups.labels[g]} ({sizes[g]} rows)"
        for g in np.flatnonzero((sizes > 0) & (sizes < params.min_group_size))
    ]
    finding = Finding()
    if small:
        finding.notes.append(
            f"{groups.column}: groups below min_group_size ({params.min_group_size}) are "
            f"reported, not judged: {', '.join(small)}"
        )
    stats = grouping.group_stats(
        context.primary,
        y,
        prediction,
        groups,
        list(np.flatnonzero(sizes > 0)),
        params.resamples,
        context.rng(f"fairness:{groups.column}"),
        params.confidence,
    )
    by_label = {s.label: s for s in stats}
    if context.classes is not None:
        few = [g for g in judged if by_label[groups.labels[g]].fewest < params.min_group_events]
        judged = np.setdiff1d(judged, few)
        if few:
            finding.notes.append(
                f"{groups.column}: groups with fewer than min_group_events "
                f"({params.min_group_events}) rows of a class are reported, not judged: "
                + ", ".join(
                    f"{groups.labels[g]} ({by_label[groups.labels[g]].fewest} of its rarest class)"
                    for g in few
                )
            )
    finding.plots.append(
        interval_bars(
            f"{context.primary.name} by {groups.column} ({params.confidence:.0%} CI)",
            context.primary.name,
            [s.label for s in stats],
            [s.value for s in stats],
            [(s.ci_low, s.ci_high) for s in stats],
        )
    )
    _worst_group(finding, context.primary, groups, judged, by_label)
    if context.task != "binary":
        finding.tables.append(_table(context, groups, sizes, judged, by_label, None))
        finding.notes.append(
            f"{groups.column}: parity applies to binary decisions; per-group metrics shown"
        )
        return finding
    actual, predicted = y == 1, np.asarray(prediction.label) == 1
    rates = group_rates(groups.codes, len(groups.labels), actual, predicted)
    shown = np.flatnonzero(sizes > 0)
    sel_low, sel_high = rates.interval("selection", params.confidence)
    finding.plots.append(
        interval_bars(
            f"Selection rate by {groups.column} ({params.confidence:.0%} CI)",
            "selection rate",
            [groups.labels[g] for g in shown],
            [rates.rate("selection")[g] for g in shown],
            [(sel_low[g], sel_high[g]) for g in shown],
        )
    )
    finding.tables.append(
        _table(context, groups, sizes, judged, by_label, rates, params.confidence)
    )
    if judged.size < 2:
        finding.notes.append(
            f"{groups.column}: fewer than two groups of "
            f"{params.min_group_size}+ rows, so no gap is judged"
        )
        return finding
    decisions = int(predicted[np.isin(groups.codes, judged)].sum())
    if decisions < params.min_group_events:
        finding.notes.append(
            f"{groups.column}: {decisions} positive decision(s) among the groups judged, "
            f"fewer than min_group_events ({params.min_group_events}): no gap is judged"
        )
        return finding
    rng = context.rng(f"fairness-gaps:{groups.column}")
    result = parity(rates, judged, params.resamples, rng, params.confidence)
    selection = rates.rate("selection")
    low, high = groups.labels[result.lowest], groups.labels[result.highest]
    finding.evidence += [
        _gap_evidence(f"{groups.column}_parity_ratio", result.ratio, params.min_parity_ratio, ">="),
        _gap_evidence(
            f"{groups.column}_parity_difference",
            result.difference,
            params.max_parity_difference,
            "<=",
        ),
        _gap_evidence(
            f"{groups.column}_equalized_odds_difference",
            result.equalized_odds,
            params.max_equalized_odds_diff,
            "<=",
        ),
    ]
    who = (
        f"{groups.column}: group {low} is selected at {fmt(selection[result.lowest])}, "
        f"group {high} at {fmt(selection[result.highest])}"
    )
    for verdict in (
        _judge(
            f"{who}: parity ratio below the bar",
            result.ratio,
            params.min_parity_ratio,
            higher_is_worse=False,
        ),
        _judge(
            f"{who}: parity difference above the bar",
            result.difference,
            params.max_parity_difference,
            higher_is_worse=True,
        ),
        _judge(
            f"{groups.column}: true or false positive rates differ between groups "
            "(equalized odds difference)",
            result.equalized_odds,
            params.max_equalized_odds_diff,
            higher_is_worse=True,
        ),
    ):
        if verdict is not None:
            finding.verdicts.append(verdict)
    return finding


def _worst_group(
    finding: Finding,
    metric: Metric,
    groups: grouping.Groups,
    judged: np.ndarray,
    by_label: dict,
) -> None:
    candidates = [by_label[groups.labels[g]] for g in judged if groups.labels[g] in by_label]
    candidates = [s for s in candidates if np.isfinite(s.value)]
    if not candidates:
        return
    pick = min if metric.greater_is_better else max
    worst = pick(candidates, key=lambda s: s.value)
    finding.evidence.append(
        Evidence(
            name=f"{groups.column}_worst_group_{metric.name}",
            value=worst.value,
            ci_low=worst.ci_low,
            ci_high=worst.ci_high,
            reference=worst.label,
        )
    )


def _table(
    context: AuditContext,
    groups: grouping.Groups,
    sizes: np.ndarray,
    judged: np.ndarray,
    by_label: dict,
    rates: GroupRates | None,
    confidence: float = 0.95,
) -> Table:
    primary = context.primary.name
    columns = [groups.column, "rows", "judged"]
    if rates is not None:
        columns += ["selection rate", "CI", "TPR", "CI", "FPR", "CI", "accuracy", "CI"]
    columns += [primary, "CI"]
    rows = []
    for g, label in enumerate(groups.labels):
        if sizes[g] == 0:
            continue
        row: list[Cell] = [label, int(sizes[g]), "yes" if g in judged else "too small"]
        if rates is not None:
            for name in ("selection", "tpr", "fpr", "accuracy"):
                low, high = rates.interval(name, confidence)
                row += [float(rates.rate(name)[g]), Measure.between(low[g], high[g])]
        stat = by_label.get(label)
        row += [
            stat.value if stat else None,
            Measure.between(stat.ci_low, stat.ci_high) if stat else None,
        ]
        rows.append(row)
    kind = "binary decisions" if rates is not None else context.task
    return Table(title=f"Groups of {groups.column} ({kind})", columns=columns, rows=rows)
