"""What the ``drift`` check computes (declared in mlready.checks.drift)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

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
from mlready.checks.compute._plots import interval_bars, window_lines
from mlready.checks.drift import DriftCheck, DriftParams
from mlready.context import AuditContext
from mlready.numbers import fmt, listed, summary_text
from mlready.production import Summary
from mlready.results import Cell, Evidence, Outcome, Severity, Status, Table
from mlready.sandbox.remote import permutation_importance
from mlready.stats.drift import ColumnDrift, DriftSettings, Reference, compare


def checklist_settings(context: AuditContext) -> DriftSettings:
    """The drift engine's settings as the checklist's ``checks.drift`` options say (the
    defaults when it says nothing): every check that tests drift judges it alike."""
    config = context.spec.checks.get(DriftCheck.id)
    return drift_settings(DriftParams.model_validate(config.options() if config else {}))


def _importances(context: AuditContext) -> dict[str, float] | None:
    """Permutation importance of each feature on (a sample of) test, or None."""
    estimator = context.estimator
    if estimator is None or not context.has_labels("test"):
        return None
    test = context.labelled("test")
    rng = context.rng("drift.importance")
    if len(test) > 5000:
        test = test.iloc[np.sort(rng.choice(len(test), 5000, replace=False))]
    found = permutation_importance(
        estimator,
        test[context.features],
        test[context.target],
        n_repeats=3,
        random_state=int(rng.integers(2**31)),
    )
    weights = np.clip(found, 0, None)
    return dict(zip(context.features, weights, strict=True)) if weights.sum() > 0 else None


def _importance_plot(weights: dict[str, float] | None, shown: int = 15) -> Finding:
    """The features the model leans on most (permutation importance on test), when drift
    weighed by it."""
    if not weights:
        return Finding()
    top = sorted(weights, key=lambda c: -weights[c])[:shown]
    return Finding(
        plots=[
            interval_bars(
                f"Permutation importance on test (top {len(top)} of {len(weights)} features)",
                "importance",
                top,
                [weights[c] for c in top],
            )
        ]
    )


def _drifted_share(drifted: list[str], columns: int, weights: dict[str, float] | None) -> float:
    """The share of features drifted, or of their importance with ``weights``."""
    if weights:
        return sum(weights[c] for c in drifted) / sum(weights.values())
    return len(drifted) / max(columns, 1)


def _dataset(
    results: list[ColumnDrift], params: DriftParams, weights: dict[str, float] | None
) -> Finding:
    drifted = [r.column for r in results if r.drifted]
    share = _drifted_share(drifted, len(results), weights)
    how = "importance-weighted share" if weights else "share"
    part = Finding(
        evidence=[
            Evidence(name="drifted_share", value=share, threshold=params.drift_share, op="<="),
            *drift_evidence(results, "effect_"),
        ],
        tables=[
            drift_table(results, f"Features, {params.reference} vs production (drifted first)")
        ],
    )
    if share > params.drift_share:
        part.verdicts.append(
            (
                Status.FAIL,
                f"dataset drift: {len(drifted)} of {len(results)} "
                f"features drifted ({how} {fmt(share)} > {params.drift_share}): "
                f"{listed(drifted, 5)}",
            )
        )
    elif drifted:
        part.verdicts.append(
            (
                Status.WARN,
                f"{len(drifted)} of {len(results)} features drifted "
                f"({how} {fmt(share)}): {listed(drifted, 5)}",
            )
        )
    part.verdicts += missing_rate_verdicts(results, "in production")
    return part


def _one_column(
    name: str,
    reference: Reference,
    current: pd.DataFrame | Reference,
    params: DriftParams,
    severity: Severity,
    what: str,
    settings: DriftSettings,
) -> Finding:
    result = compare(reference, current, settings)[0]
    evidence = [effect_evidence(result, f"{what}_drift_effect")]
    table = drift_table([result], f"{what.capitalize()}, {params.reference} vs production")
    if not result.drifted:
        return Finding(evidence=evidence, tables=[table])
    status = Status.FAIL if severity == "fail" else Status.WARN
    return Finding.of(
        status,
        f"{what} drift: {summary_text(summary_cell(result.summary_reference))} in "
        f"{params.reference}, {summary_text(summary_cell(result.summary_current))} in production",
        evidence,
        [table],
    )


def _prediction_drift(
    context: AuditContext, params: DriftParams, production: Summary, settings: DriftSettings
) -> Finding:
    reference = context.output_reference(params.reference)
    if reference is None:
        return Finding(
            notes=[
                "prediction drift not checked: the profile was made without "
                "this model (mlready profile --model MODEL)"
            ]
        )
    return _one_column(
        "prediction",
        reference,
        production.output(),
        params,
        params.prediction_drift,
        "prediction",
        settings,
    )


def _target_drift(
    context: AuditContext, params: DriftParams, production: Summary, settings: DriftSettings
) -> Finding:
    current = production.target()
    if current is None:
        return Finding(notes=["target drift not checked: production has no labels"])
    return _one_column(
        context.target,
        context.target_reference(params.reference),
        current,
        params,
        params.target_drift,
        "target",
        settings,
    )


def _pattern(effects: np.ndarray, drifted: np.ndarray) -> tuple[str, int]:
    """abrupt (a step fits the series better than a line), gradual (a steady trend),
    intermittent or persistent; with the window where an abrupt change lands."""
    index = np.arange(effects.size, dtype=float)
    line = np.polyval(np.polyfit(index, effects, 1), index)
    line_error = float(((effects - line) ** 2).sum())
    steps = [
        float(
            ((effects[:k] - effects[:k].mean()) ** 2).sum()
            + ((effects[k:] - effects[k:].mean()) ** 2).sum()
        )
        for k in range(1, effects.size)
    ]
    at = int(np.argmin(steps)) + 1
    if steps[at - 1] < line_error:
        return "abrupt", at
    if effects.size >= 3 and stats.kendalltau(index, effects)[0] >= 0.5:
        return "gradual", int(np.argmax(drifted))
    return ("persistent" if drifted.all() else "intermittent"), int(np.argmax(drifted))


def _plural(unit: str) -> str:
    return f"{unit}es" if unit.endswith("ch") else f"{unit}s"


def _over_time(
    reference: Reference,
    params: DriftParams,
    production: Summary,
    settings: DriftSettings,
    weights: dict[str, float] | None,
) -> Finding:
    """Drift batch by batch (or window by window): which features moved in each and how,
    and dataset drift judged in every window, not only in production pooled (a drift in
    half the batches can fall under drift_share once the batches are pooled)."""
    windows = production.windows()
    if windows is None:
        return Finding()
    unit, sizes = windows.unit, windows.rows
    kept = [g for g in range(len(windows.labels)) if sizes[g] >= params.min_window_rows]
    if len(kept) < 2:
        return Finding(
            notes=[
                f"drift over time not analysed: fewer than two {_plural(unit)} of at "
                f"least {params.min_window_rows} rows"
            ]
        )
    labels = [windows.labels[g] for g in kept]
    # Many windows mean many tests: each window gets its share of the error rate.
    settings = replace(settings, alpha=settings.alpha / len(kept))
    per_window = [
        {r.column: r for r in compare(reference, windows.sample(g), settings)} for g in kept
    ]
    moved_in = [[c for c, r in results.items() if r.drifted] for results in per_window]
    shares = [_drifted_share(d, len(reference.columns), weights) for d in moved_in]
    window_rows: list[list[Cell]] = [
        [label, int(sizes[g]), share, ", ".join(drifted) or "-"]
        for label, g, share, drifted in zip(labels, kept, shares, moved_in, strict=True)
    ]
    feature_rows: list[list[Cell]] = []
    verdicts: list[str] = []
    for column in reference.columns:
        effects = np.array([w[column].effect_value for w in per_window])
        drifted = np.array([w[column].drifted for w in per_window])
        if not drifted.any():
            continue
        first = labels[int(np.argmax(drifted))]
        pattern, at = _pattern(np.nan_to_num(effects), drifted)
        when = f"at {labels[at]}" if pattern == "abrupt" else f"from {first}"
        feature_rows.append([column, pattern, when, first, [float(e) for e in effects]])
        verdicts.append(f"{column} ({pattern} {when})")
    tables = [
        Table(
            title=f"Drift by {unit}",
            columns=[unit, "rows", "drifted share", "drifted features"],
            rows=window_rows,
        )
    ]
    peak = {c: max(np.nan_to_num(w[c].effect_value) for w in per_window) for c in reference.columns}
    moved = sorted(peak, key=lambda c: -peak[c])[:4]
    plot = window_lines(
        f"Drift effect per {unit} (the features that moved most)",
        unit,
        "effect size",
        labels,
        {c: ([w[c].effect_value for w in per_window], None) for c in moved},
    )
    if feature_rows:
        tables.append(
            Table(
                title=f"How drifted features changed, {unit} by {unit} (effect per {unit})",
                columns=["feature", "pattern", "change", f"first drifted {unit}", "effects"],
                rows=feature_rows,
            )
        )
    finding = Finding(
        evidence=[
            Evidence(
                name=f"max_{unit}_drifted_share",
                value=max(shares),
                threshold=params.drift_share,
                op="<=",
            )
        ],
        tables=tables,
        notes=[f"drift over {_plural(unit)}: " + "; ".join(verdicts)] if verdicts else [],
        plots=[plot],
    )
    over = [
        (label, share)
        for label, share in zip(labels, shares, strict=True)
        if share > params.drift_share
    ]
    if over:
        finding.verdicts.append(
            (
                Status.FAIL,
                f"dataset drift in {len(over)} of {len(labels)} {_plural(unit)}: "
                + listed([f"{label} (share {fmt(share)})" for label, share in over], 5)
                + f" > drift_share {params.drift_share}",
            )
        )
    return finding


def run(context: AuditContext, params: DriftParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.drift, on ``context``."""
    if not context.has_production:
        raise SkipCheck(
            "no production split to compare (add production.csv or a production/ folder of batches)"
        )
    if not context.has_reference(params.reference):
        raise SkipCheck(f"the reference split {params.reference!r} is not there")
    reference = context.reference(params.reference)
    production = context.production_summary(params.reference, params.window)
    # Each test that can fail the check (dataset drift, and target or prediction drift
    # when they fail) gets its share of alpha: honest data fails at most alpha of the time.
    failing = (
        1
        + (production.windows() is not None)
        + sum(
            severity == "fail" and present
            for severity, present in (
                (params.target_drift, production.target() is not None),
                (
                    params.prediction_drift,
                    context.output_reference(params.reference) is not None,
                ),
            )
        )
    )
    settings = replace(drift_settings(params), alpha=params.alpha / failing)
    results = compare(reference, production.features, settings)
    weights = _importances(context) if params.weight_by_importance else None
    samples = {params.reference: reference, "production": production.features}
    parts = [
        overlay_plots(results, samples),
        _importance_plot(weights),
        _dataset(results, params, weights),
        _prediction_drift(context, params, production, settings),
        _target_drift(context, params, production, settings),
        _over_time(reference, params, production, settings, weights),
    ]
    checked = [f"{len(results)} features"]
    if context.output_reference(params.reference) is not None:
        checked.append("the predictions")
    if production.target() is not None:
        checked.append("the target")
    looked_at = ", ".join(checked[:-1]) + (" or " if len(checked) > 1 else "") + checked[-1]
    return combine(
        parts,
        f"no drift in {looked_at} ({production.rows} production rows vs {params.reference})",
    )
