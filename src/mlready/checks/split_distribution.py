"""``split_distribution``: do train, test and validation come from one distribution?"""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from mlready.check import Capabilities, Finding, SkipCheck, combine
from mlready.checks._distribution import (
    DistributionParams,
    drift_evidence,
    drift_table,
    effect_evidence,
    missing_rate_verdicts,
    overlay_plots,
    summary_cell,
)
from mlready.context import AuditContext
from mlready.numbers import fmt, listed, summary_text
from mlready.results import Evidence, Outcome, Status, Table
from mlready.stats.adversarial import adversarial_validation
from mlready.stats.drift import Reference, compare

ADVICE = (
    "consider re-shuffling before splitting, re-sampling, gathering more data, or dropping "
    "the features that differ"
)


class SplitDistributionParams(DistributionParams):
    max_adversarial_auc: float = Field(
        0.6,
        gt=0.5,
        le=1.0,
        description="Fail when a classifier tells the splits apart with an AUC whose interval "
        "lies above this (0.5: indistinguishable).",
    )
    adversarial_rows: int = Field(
        20_000, ge=100, description="Rows per split used for adversarial validation."
    )
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Confidence of the AUC interval.")


def _features(
    context: AuditContext, reference: Reference, other: str, params: SplitDistributionParams
) -> Finding:
    current = context.reference(other)
    results = compare(reference, current, params.settings())
    part = Finding(
        evidence=drift_evidence(results, f"{other}_effect_"),
        tables=[drift_table(results, f"Features, train vs {other} (differing first)")],
        plots=overlay_plots(results, {"train": reference, other: current}, count=2),
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
    settings = replace(params.settings(), alpha=params.alpha / tests)
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


class SplitDistributionCheck:
    """Has the data distribution of the training, test and validation sets been analysed?

    What it checks:
        Test (and validation) against train: every feature with the drift engine
        (KS / chi-square with Benjamini-Hochberg control across columns, plus an
        effect-size threshold: normalised Wasserstein or PSI), missing-value
        rates, the target's distribution, and adversarial validation: a
        classifier trained to tell train rows from test rows, whose
        cross-validated AUC (with a bootstrap interval) is 0.5 when the splits
        come from one distribution; the features it relies on most are listed.
        A different target distribution or a clearly separable split fails
        (Bonferroni over these two tests per split, so honest splits fail at
        most alpha of the time); features that differ on their own warn.

    Why it matters:
        Splits from different distributions (a split sorted by time or id, a
        filtered test set) make the test metric say little about production.
        Options: re-shuffle, re-sample, gather more data, or drop features.

    Example:
        checks:
          split_distribution:
            max_adversarial_auc: 0.6
            numeric_effect: wasserstein
            numeric_threshold: 0.1
            columns: {income: {effect: psi, threshold: 0.2}}
    """

    id = "split_distribution"
    title = "Splits come from one distribution"
    question = 5
    Params = SplitDistributionParams
    capabilities = Capabilities()

    def run(self, context: AuditContext, params: SplitDistributionParams) -> Outcome:
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
