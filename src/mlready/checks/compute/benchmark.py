"""What the ``benchmark`` check computes (declared in mlready.checks.benchmark)."""

from __future__ import annotations

import numpy as np

from mlready.check import Finding, combine
from mlready.checks.benchmark import BenchmarkParams
from mlready.checks.compute._plots import interval_bars
from mlready.context import AuditContext
from mlready.numbers import fmt, listed, percent
from mlready.results import Cell, Evidence, Measure, Outcome, Severity, Status, Table
from mlready.stats.bootstrap import percentile_interval, resample_weights
from mlready.stats.columns import canonical, column_kind, column_kinds
from mlready.stats.leakage import (
    SingleFeature,
    chance_copy_share,
    copied_rows,
    numeric_aucs,
    single_feature,
)
from mlready.stats.metrics import METRICS, point_estimate
from mlready.stats.proportions import more_than_share

# Held-out splits must not contain train rows; production may legitimately repeat them.
_HELD_OUT = ("validation", "test")
_SHOWN = 5  # examples and top features listed in tables and messages
_ALPHA = 0.05  # copies beyond chance: the error rate over the held-out splits compared
_WITHOUT_IDS = "; without data.id a copied record cannot be told from another with the same values"
_LEAK_RESAMPLES = 400  # bootstrap of the few features above the limit
_UNIT = {"binary": "AUC", "multiclass": "one-vs-rest AUC", "regression": "R²"}
# The model's own score in the unit single features are scored in.
_MODEL_METRIC = {"binary": "roc_auc", "multiclass": "roc_auc_ovr", "regression": "r2"}


def _status(severity: Severity) -> Status:
    return Status.FAIL if severity == "fail" else Status.WARN


def _rows(n: int, split: str, share: float | None = None) -> str:
    """ "1 test row", "7 test rows (3.9%)": a count of rows for a message."""
    return f"{n} {split} row{'' if n == 1 else 's'}" + (f" ({share:.1%})" if share else "")


def _count(name: str, value: int) -> Evidence:
    """A count of offending rows, which should be zero."""
    return Evidence(name=name, value=value, threshold=0, op="<=", unit="rows")


def _metrics_part(context: AuditContext) -> Finding:
    """Point estimates of every configured metric on every labelled split (metric_parity
    adds their intervals and a table)."""
    part = Finding()
    for split in (s for s in ("train", "validation", "test") if context.has_labels(s)):
        prediction = context.prediction(split)
        for metric in (context.primary, *context.extra_metrics):
            if metric.needs == "label" or prediction.score is not None:
                value = point_estimate(metric, context.y(split), prediction)
                part.evidence.append(Evidence(name=f"{split}_{metric.name}", value=value))
                if metric is context.primary and np.isnan(value):
                    part.verdicts.append(_undefined_metric(context, split))
    return part


def _undefined_metric(context: AuditContext, split: str) -> tuple[Status, str]:
    """The primary metric has no value on ``split`` (e.g. ROC AUC on one class): on test
    there is then no benchmark at all; elsewhere one number is missing."""
    text = f"{context.primary.name} cannot be computed on {split}"
    codes = np.unique(np.asarray(context.y(split)))
    if context.classes is not None and len(codes) == 1:
        text += (
            f": every labelled {split} row has class {context.classes[int(codes[0])]}; "
            f"put rows of every class in {split}"
        )
    return (Status.FAIL if split == "test" else Status.WARN), text


def _copies_part(context: AuditContext, params: BenchmarkParams, held_out: list[str]) -> Finding:
    """Held-out rows (labelled or not) equal to some train row in every feature, beyond
    the rate at which rows of train repeat each other by chance."""
    part, rows = Finding(), []
    train = context.frame("train")
    chance = chance_copy_share(train, context.features)
    part.evidence.append(Evidence(name="chance_duplicate_share", value=chance))
    for split in held_out:
        copies = copied_rows(context.frame(split), train, context.features)
        count, share = int(copies.sum()), float(copies.mean())
        excess = share - chance
        examples = ", ".join(map(str, np.flatnonzero(copies)[:_SHOWN])) or "-"
        rows.append([split, count, Measure.share_of(share), examples])
        part.evidence += [
            Evidence(name=f"duplicate_rows_{split}", value=count, unit="rows"),
            Evidence(name=f"duplicate_share_{split}", value=share),
            Evidence(
                name=f"excess_duplicate_share_{split}",
                value=excess,
                threshold=params.max_duplicate_share,
                op="<=",
            ),
        ]
        if not count:
            continue
        verb = "is a copy of a train row" if count == 1 else "are copies of train rows"
        text = f"{_rows(count, split, share)} {verb}"
        if chance > 0:
            text += (
                f", {percent(excess)} beyond the {percent(chance)} that chance collisions of "
                "identical feature values give (train rows repeat each other that often)"
            )
        p_value = more_than_share(count, len(copies), chance)
        if p_value >= _ALPHA / len(held_out):
            part.notes.append(
                f"{text}: no more than chance collisions give, so not judged"
                + ("" if context.spec.data.id else _WITHOUT_IDS)
            )
            continue
        status = Status.FAIL if excess > params.max_duplicate_share else Status.WARN
        part.verdicts.append((status, text))
    title = "Held-out rows equal to a train row in every feature"
    part.tables.append(
        Table(title=title, columns=["split", "rows", "share", "row positions"], rows=rows)
    )
    return part


def _ids_part(context: AuditContext, params: BenchmarkParams, held_out: list[str]) -> Finding:
    """Held-out rows whose data.id also occurs in train: one entity on both sides."""
    part, rows, name = Finding(), [], context.spec.data.id
    if name is None:
        return part
    train = canonical(context.frame("train")[name].dropna())
    for split in held_out:
        column = context.frame(split).get(name)
        if column is None:
            part.notes.append(f"{split}: no id column {name!r}, so shared ids were not checked")
            continue
        shared = column[canonical(column).isin(train) & column.notna()]
        rows.append([split, len(shared), ", ".join(map(str, shared.unique()[:_SHOWN])) or "-"])
        part.evidence.append(_count(f"shared_ids_{split}", len(shared)))
        if len(shared):
            verb = "shares" if len(shared) == 1 else "share"
            text = f"{_rows(len(shared), split)} {verb} a {name} with train"
            part.verdicts.append((_status(params.shared_ids), text))
    part.tables.append(
        Table(
            title=f"Held-out rows whose {name} occurs in train",
            columns=["split", "rows", "examples"],
            rows=rows,
        )
    )
    return part


def _temporal_part(context: AuditContext, params: BenchmarkParams, held_out: list[str]) -> Finding:
    """Held-out rows older than the newest train row: the model has seen their future."""
    part, rows, name = Finding(), [], context.spec.data.time
    if name is None:
        return part
    newest = context.times("train", all_rows=True).max()
    for split in held_out:
        if name not in context.frame(split).columns:
            part.notes.append(f"{split}: no time column {name!r}, so its times were not checked")
            continue
        times = context.times(split, all_rows=True)
        older = int((times < newest).sum())
        share = older / len(times)
        rows.append([split, older, Measure.share_of(share), str(times.min())])
        part.evidence.append(_count(f"older_than_train_{split}", older))
        if older:
            verb = "predates" if older == 1 else "predate"
            text = f"{_rows(older, split, share)} {verb} the newest train row ({newest})"
            part.verdicts.append((_status(params.temporal), text))
    part.tables.append(
        Table(
            title=f"Held-out rows older than the newest train row ({newest})",
            columns=["split", "rows", "share", "oldest"],
            rows=rows,
        )
    )
    return part


def _single_feature(context: AuditContext, name: str, bins: int) -> SingleFeature:
    train, test = context.labelled("train"), context.labelled("test")
    n_classes = None if context.classes is None else len(context.classes)
    return single_feature(
        train[name],
        test[name],
        context.y("train"),
        n_classes,
        name in context.categorical or column_kind(train[name]) != "numeric",
        bins,
    )


def _single_scores(context: AuditContext, y: np.ndarray, bins: int) -> dict[str, float]:
    """Each feature's score alone on test. A binary task's numeric features are scored
    together (their values are the scores: one rank pass over all of them); the others
    one at a time."""
    train, test = context.labelled("train"), context.labelled("test")
    declared = set(context.categorical)
    together = []
    if context.task == "binary":
        not_numeric = {
            c
            for frame in (train, test)
            for c, kind in zip(frame.columns, column_kinds(frame), strict=True)
            if kind != "numeric"
        }
        together = [c for c in context.features if c not in declared and c not in not_numeric]
    scores = dict(zip(together, numeric_aucs(test[together], y == 1), strict=True))
    for name in context.features:
        if name not in scores:
            scores[name] = float(_single_feature(context, name, bins).score(y)[0])
    return {name: float(scores[name]) for name in context.features}


def _target_leakage_part(context: AuditContext, params: BenchmarkParams) -> Finding:
    """Features that alone predict the test target almost perfectly, beyond sampling error."""
    part, unit = Finding(), _UNIT[context.task]
    y = context.y("test")
    if not context.features or np.unique(y).size < 2:
        part.notes.append("target leakage not checked: no features, or one target value in test")
        return part
    scores = _single_scores(context, y, params.bins)
    ranked = sorted(scores.items(), key=lambda kv: -np.nan_to_num(kv[1], nan=-np.inf))
    limit = params.max_single_feature_score
    # A strong honest feature can score near the limit on a small test set by chance: a
    # feature is flagged only when its interval's lower bound is above the limit too.
    lows = {
        name: percentile_interval(
            np.concatenate(
                [
                    feature.score(y, w)
                    for w in resample_weights(
                        y.size, _LEAK_RESAMPLES, context.rng(f"benchmark.leak.{name}")
                    )
                ]
            ),
            params.confidence,
        )[0]
        for name, value in ranked
        if value > limit
        for feature in [_single_feature(context, name, params.bins)]
    }
    best, top = ranked[0]
    part.evidence.append(
        Evidence(
            name="max_single_feature_score",
            value=top,
            threshold=limit,
            op="<=",
            unit=unit,
            reference=best,
            ci_low=lows.get(best),
        )
    )
    rows: list[list[Cell]] = [
        [name, float(value), lows.get(name)] for name, value in ranked[:_SHOWN]
    ]
    part.plots.append(
        interval_bars(
            f"Best single features on test ({unit}): a leak scores near the model",
            unit,
            [name for name, _ in ranked[:_SHOWN]],
            [value for _, value in ranked[:_SHOWN]],
            reference=limit,
            reference_label="leak limit",
        )
    )
    part.tables.append(
        Table(
            title=f"Best single features on test ({unit})",
            columns=["feature", unit, f"{params.confidence:.0%} lower bound"],
            rows=rows,
        )
    )
    leaks = [name for name, low in lows.items() if low > limit]  # best first
    if leaks:
        which = f"feature {leaks[0]!r} alone scores"
        if len(leaks) > 1:
            which = f"features {listed(map(repr, leaks), _SHOWN)} alone score up to"
        text = f"{which} {unit} {fmt(scores[leaks[0]])} on test (likely target leakage)"
        part.verdicts.append((Status.FAIL, text))
    elif len(ranked) > 1:
        part.verdicts += _far_ahead(context, ranked, params)
    return part


def _far_ahead(
    context: AuditContext, ranked: list[tuple[str, float]], params: BenchmarkParams
) -> list[tuple[Status, str]]:
    """A leak below the absolute bar: the best feature leaves a small share of the next
    one's error, and scores above it beyond sampling error (a wine column equal to the
    class 98% of the time scores 0.99 where the next feature scores 0.89). Honest strong
    features come in families that score alike; the model's score is given beside it."""
    (best, top), (second, runner_up) = ranked[0], ranked[1]
    if not (np.isfinite(top) and np.isfinite(runner_up)) or runner_up >= 1:
        return []
    ratio = (1 - top) / (1 - runner_up)
    metric = METRICS[_MODEL_METRIC[context.task]]
    prediction = context.prediction("test")
    off = params.max_error_ratio == 0
    if (
        off
        or ratio > params.max_error_ratio
        or (metric.needs != "label" and prediction.score is None)
    ):
        return []
    y = context.y("test")
    model = point_estimate(metric, y, prediction)
    feature = _single_feature(context, best, params.bins)
    resampled = resample_weights(y.size, _LEAK_RESAMPLES, context.rng(f"benchmark.ahead.{best}"))
    samples = np.concatenate([feature.score(y, weights) for weights in resampled])
    low = percentile_interval(samples, params.confidence)[0]
    if low <= runner_up:
        return []
    return [
        (
            Status.WARN,
            f"feature {best!r} alone scores {_UNIT[context.task]} {fmt(top)} on test, far ahead "
            f"of the next feature ({second!r}, {fmt(runner_up)}; {percent(ratio)} of its "
            f"error, max_error_ratio {params.max_error_ratio}; the model scores {fmt(model)}): "
            "check how it is made (likely target leakage)",
        )
    ]


def _dtype_part(context: AuditContext) -> Finding:
    """Features whose type differs from train: a classic training/serving bug."""
    part, rows = Finding(), []
    train = context.frame("train")
    for split in (s for s in context.split_names if s != "train"):
        frame = context.frame(split)
        for name in context.features:
            kinds = (column_kind(train[name]), column_kind(frame[name]))
            if kinds[0] != kinds[1] and frame[name].notna().any():  # all-empty: no type to judge
                rows.append([name, split, *kinds])
    part.evidence.append(Evidence(name="dtype_mismatches", value=len(rows), threshold=0, op="<="))
    if rows:
        part.tables.append(
            Table(
                title="Feature types that differ from train",
                columns=["feature", "split", "train", "split type"],
                rows=rows,
            )
        )
        shared = listed((f"{r[0]!r} ({r[2]} in train, {r[3]} in {r[1]})" for r in rows), _SHOWN)
        part.verdicts.append((Status.FAIL, f"feature types differ from train: {shared}"))
    return part


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, whether two predictions agree (floats to within 1e-12)."""
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        close = np.isclose(a, b, rtol=0.0, atol=1e-12, equal_nan=True)
        return close.reshape(len(a), -1).all(axis=1)
    return np.asarray(a == b)


def _determinism_part(context: AuditContext, params: BenchmarkParams) -> Finding:
    """The model predicts the same test rows the same way twice."""
    part = Finding()
    if context.predictor.kind != "estimator":
        return part
    first = context.prediction("test")
    frame = context.labelled("test").iloc[: params.determinism_rows]
    again, n = context.predictor.predict("test", frame, context.features), len(frame)
    same = _same(np.asarray(again.label), np.asarray(first.label)[:n])
    if again.score is not None and first.score is not None:
        same &= _same(again.score, first.score[:n])
    changed = int(n - same.sum())
    part.evidence.append(_count("nondeterministic_rows", changed))
    if changed:
        text = f"predicting {n} test rows again changed {changed} predictions"
        part.verdicts.append((Status.FAIL, text))
    return part


def _pipeline_part(context: AuditContext) -> Finding:
    """Non-numeric features fed to a bare model: their encoding lives outside the model file."""
    part = Finding()
    if context.predictor.kind != "estimator" or context.model_encodes_features:
        return part
    train = context.frame("train")
    raw = [
        c for c in context.features if c in context.categorical or column_kind(train[c]) == "text"
    ]
    if raw:
        text = (
            "feature engineering may differ between training and production: ship the "
            "preprocessing inside the model (a Pipeline); non-numeric features: "
        )
        part.verdicts.append((Status.WARN, text + listed(raw, _SHOWN)))
    return part


def _summary(context: AuditContext) -> str:
    value = point_estimate(context.primary, context.y("test"), context.prediction("test"))
    return (
        f"{context.primary.name} {fmt(value)} on test; no leakage between splits or from single "
        "features, and training and serving read the data alike"
    )


def run(context: AuditContext, params: BenchmarkParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.benchmark, on ``context``."""
    held_out = [s for s in _HELD_OUT if context.has_split(s)]
    parts = [
        _metrics_part(context),
        _copies_part(context, params, held_out),
        _ids_part(context, params, held_out),
        _temporal_part(context, params, held_out),
        _target_leakage_part(context, params),
        _dtype_part(context),
        _determinism_part(context, params),
        _pipeline_part(context),
    ]
    return combine(parts, _summary(context))
