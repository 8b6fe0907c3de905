"""What the ``split_distribution`` check computes (declared in mlready.checks)."""

from __future__ import annotations

from dataclasses import replace

from mlready.check import Finding, SkipCheck, combine
from mlready.checks.compute._distribution import (
    drift_evidence,
    drift_settings,
    drift_table,
    effect_evidence,
    missing_rate_verdicts,
    overlay_plots,
    summary_cell,
)
from mlready.checks.split_distribution import SplitDistributionParams
from mlready.context import AuditContext
from mlready.numbers import fmt, listed, summary_text
from mlready.results import Evidence, Outcome, Status, Table
from mlready.stats.adversarial import adversarial_validation
from mlready.stats.drift import Reference, compare

ADVICE = (
    "consider re-shuffling before splitting, re-sampling, gathering more data, or dropping "
    "the features that differ"
)


def _features(
    context: AuditContext, reference: Reference, other: str, params: SplitDistributionParams
) -> Finding:
    current = context.reference(other)
    results = compare(reference, current, drift_settings(params))
    overlays = overlay_plots(results, {"train": reference, other: current})
    part = Finding(
        evidence=drift_evidence(results, f"{other}_effect_"),
        tables=[drift_table(results, f"Features, train vs {other} (differing first)")],
        plots=overlays.plots,
        notes=overlays.notes,
    )
    drifted = [r.column for r in results if r.drifted]
    part.evidence.append(Evidence(name=f"{other}_features_differing", value=len(drifted)))
    if drifted:
        part.verdicts.append(
            (
                Status.WARN,
                f"{len(drifted)} feature(s) distributed differently in "
                f"train and {other}: {listed(drifted, 5)}; {ADVICE}",
            )
        )
    part.verdicts += missing_rate_verdicts(results, f"between train and {other}")
    return part


def _labels(
    context: AuditContext, other: str, params: SplitDistributionParams, tests: int
) -> Finding:
    name = context.target
    reference = context.target_reference("train")
    settings = replace(drift_settings(params), alpha=params.alpha / tests)
    result = compare(reference, context.labelled(other)[[name]], settings)[0]
    table = drift_table([result], f"Target ({name}), train vs {other}")
    evidence = [effect_evidence(result, f"{other}_label_effect")]
    if result.drifted:
        return Finding.of(
            Status.FAIL,
            f"the target is distributed differently in train and "
            f"{other} ({summary_text(summary_cell(result.summary_reference))} vs "
            f"{summary_text(summary_cell(result.summary_current))}); "
            f"{ADVICE}",
            evidence,
            [table],
        )
    return Finding(evidence=evidence, tables=[table])


def _adversarial(
    context: AuditContext, other: str, params: SplitDistributionParams, tests: int
) -> Finding:
    confidence = 1 - (1 - params.confidence) / tests
    try:
        result = adversarial_validation(
            context.frame("train"),
            context.frame(other),
            context.features,
            context.categorical,
            context.rng(f"split_distribution.adversarial.{other}"),
            max_rows=params.adversarial_rows,
            confidence=confidence,
        )
    except ValueError as exc:
        return Finding(notes=[f"adversarial validation of train vs {other} skipped: {exc}"])
    evidence = [
        Evidence(
            name=f"{other}_adversarial_auc",
            value=result.auc,
            threshold=params.max_adversarial_auc,
            op="<=",
            ci_low=result.ci_low,
            ci_high=result.ci_high,
        )
    ]
    table = Table(
        title=f"Adversarial validation, train vs {other}: out-of-fold AUC {fmt(result.auc)} "
        f"({confidence:.1%} CI {fmt(result.ci_low)} to {fmt(result.ci_high)}, "
        f"{result.rows_used} rows); features that separate them most",
        columns=["feature", "AUC drop when shuffled"],
        rows=[[name, float(value)] for name, value in result.importances],
    )
    notes = []
    if result.screened:
        notes.append(
            f"adversarial validation of train vs {other}: {len(context.features):,} features are "
            f"too many to learn from at once, so each fold's classifier used the "
            f"{result.model_features} a random forest ranked highest (impurity importance) on "
            f"that fold's training rows, and only the top {result.permuted} were shuffled for "
            "their importance"
        )
    if result.ci_low > params.max_adversarial_auc:
        top = ", ".join(name for name, _ in result.importances[:3])
        finding = Finding.of(
            Status.FAIL,
            f"a classifier tells train from {other} apart (AUC "
            f"{fmt(result.auc)}, CI from {fmt(result.ci_low)}; most telling: "
            f"{top}); {ADVICE}",
            evidence,
            [table],
        )
        finding.notes += notes
        return finding
    return Finding(evidence=evidence, tables=[table], notes=notes)


def run(context: AuditContext, params: SplitDistributionParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.split_distribution, on ``context``."""
    others = [s for s in ("test", "validation") if context.has_split(s)]
    if not context.features:
        raise SkipCheck("no feature columns to compare")
    if not others:
        raise SkipCheck("no test or validation split to compare with train")
    reference = context.reference("train")
    # Two tests per split can fail the check (the target, adversarial validation):
    # Bonferroni over them keeps honest splits failing at most alpha of the time.
    tests = 2 * len(others)
    parts = []
    for other in others:
        parts += [
            _labels(context, other, params, tests),
            _adversarial(context, other, params, tests),
            _features(context, reference, other, params),
        ]
    rows = {s: len(context.frame(s)) for s in ("train", *others)}
    summary = (
        f"train, {' and '.join(others)} look alike: no feature, target or "
        "adversarial difference beyond chance "
        f"({', '.join(f'{s} {n} rows' for s, n in rows.items())})"
    )
    return combine(parts, summary)
