"""What the ``performance_monitoring`` check computes (declared in mlready.checks.monitoring)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from mlready.check import Finding, SkipCheck, combine
from mlready.checks.compute._estimate import Estimator, make_estimator
from mlready.checks.compute._plots import window_lines
from mlready.checks.compute.drift import checklist_settings
from mlready.checks.monitoring import MonitoringParams
from mlready.context import AuditContext
from mlready.numbers import fmt, listed, percent
from mlready.results import Evidence, Measure, Outcome, Plot, Status, Table
from mlready.spec import Window
from mlready.stats import groups as grouping
from mlready.stats.bootstrap import bootstrap_metrics, percentile_interval
from mlready.stats.drift import Reference, compare
from mlready.stats.estimation import top_probability
from mlready.stats.metrics import Metric, Prediction, point_estimate, shortfall
from mlready.steps import step

NOT_ENOUGH = "not enough ground truth"
SMALL_DROP = "small drop"
ESTIMATED_DROP = "estimated drop"
# Resamples of test that measure how much an estimate moves by sampling alone: a standard
# deviation needs far fewer than an interval's tails.
_ESTIMATE_RESAMPLES = 200


@dataclass
class WindowResult:
    """What was measured in one production window."""

    label: str
    rows: int
    labelled: int
    value: float = float("nan")
    ci: tuple[float, float] = (float("nan"), float("nan"))
    drop: float = float("nan")
    drop_ci: tuple[float, float] = (float("nan"), float("nan"))
    extras: dict[str, float] = field(default_factory=dict)
    estimated: dict[str, float] = field(default_factory=dict)
    drifted: list[str] = field(default_factory=list)
    outputs_shifted: list[str] = field(default_factory=list)
    low_confidence: float = float("nan")
    status: str = "ok"
    severe: bool = False  # so far below test (or min_metric) that one window fails
    estimated_drop: float = float("nan")

    @property
    def degraded(self) -> bool:
        return self.status in ("degraded", "below minimum")


@dataclass(frozen=True)
class _Benchmark:
    """The primary metric on test: value and bootstrap samples."""

    value: float
    samples: np.ndarray


def _point(metric: Metric, y: np.ndarray, prediction: Prediction) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):  # a one-class window has no AUC
        return point_estimate(metric, y, prediction)


def _window_groups(context: AuditContext, window: Window) -> tuple[str, grouping.Groups]:
    found = context.production_windows(window)
    if found is not None:
        return found
    rows = len(context.frame("production"))
    return "window", grouping.Groups("window", np.zeros(rows, dtype=np.int64), ["production"])


def _outputs(context: AuditContext, prediction: Prediction) -> pd.DataFrame:
    """The model's outputs as columns whose distribution can be compared (no labels)."""
    if context.classes is None:
        return pd.DataFrame({"prediction": np.asarray(prediction.label, dtype=float)})
    names = np.asarray(context.classes.astype(str))[np.asarray(prediction.label)]
    frame = pd.DataFrame({"predicted class": names})
    confidence = top_probability(prediction.score)
    if confidence is not None:
        frame["confidence"] = confidence
    return frame


class _Monitor:
    """Measures every window against the test benchmark."""

    def __init__(
        self,
        context: AuditContext,
        params: MonitoringParams,
        n_windows: int,
        estimator: Estimator | None,
    ) -> None:
        self.context = context
        self.params = params
        self.estimator = estimator
        # An estimated window is compared with the estimate on test, so that the
        # estimator's own bias cancels out.
        self.estimated_benchmark = (
            estimator.estimate(context.prediction("test")) if estimator is not None else {}
        )
        self.metrics: list[Metric] = [context.primary, *context.extra_metrics]
        self.rng = context.rng("performance_monitoring")
        # Many windows mean many tests: each window's drift test gets its share of alpha.
        drift = checklist_settings(context)
        self.settings = replace(drift, alpha=drift.alpha / max(n_windows, 1))
        self.inputs = context.reference("train")
        test_outputs = _outputs(context, context.prediction("test"))
        self.outputs = Reference.of(
            test_outputs,
            list(test_outputs.columns),
            ["predicted class"] if context.classes is not None else [],
        )
        self.test_low_confidence = self._low_confidence(context.prediction("test"))
        samples = bootstrap_metrics(
            [context.primary],
            context.y("test"),
            context.prediction("test"),
            params.resamples,
            self.rng,
        )[context.primary.name]
        value = _point(context.primary, context.y("test"), context.prediction("test"))
        self.benchmark = _Benchmark(value, samples)
        self.test_rows = int(context.y("test").size)
        self.n_windows = max(n_windows, 1)
        # One-sided, shared among the windows (Bonferroni): a test-like window rarely
        # looks worse than test by this many standard errors anywhere in production.
        self.z = float(stats.norm.ppf(1 - (1 - params.confidence) / self.n_windows))
        self.estimate_spread = self._estimate_spread()
        self.min_metric = (
            params.min_metric
            if params.min_metric is not None
            else context.spec.limits.min_primary_metric
        )

    def _low_confidence(self, prediction: Prediction) -> float:
        confidence = top_probability(prediction.score)
        if confidence is None or confidence.size == 0:
            return float("nan")
        return float((confidence < self.params.low_confidence).mean())

    def window(
        self,
        label: str,
        frame: pd.DataFrame,
        prediction: Prediction,
        y: np.ndarray,
        labelled_prediction: Prediction,
    ) -> WindowResult:
        """Everything about one window: realised and estimated metrics, drift, outputs."""
        result = WindowResult(label=label, rows=len(frame), labelled=int(y.size))
        result.drifted = [r.column for r in compare(self.inputs, frame, self.settings) if r.drifted]
        outputs = compare(self.outputs, _outputs(self.context, prediction), self.settings)
        result.outputs_shifted = [r.column for r in outputs if r.drifted]
        result.low_confidence = self._low_confidence(prediction)
        if self.estimator is not None:
            result.estimated = self.estimator.estimate(prediction)
        result.estimated_drop = self._estimated_drop(result)
        if y.size < self.params.min_labels:
            result.status = NOT_ENOUGH
            if result.estimated_drop > self._chance_estimated_drop(result.rows):
                result.status = ESTIMATED_DROP
            return result
        self._realised(result, y, labelled_prediction)
        return result

    def _estimated_drop(self, result: WindowResult) -> float:
        name = self.context.primary.name
        if name not in result.estimated or name not in self.estimated_benchmark:
            return float("nan")
        return float(
            shortfall(self.context.primary, self.estimated_benchmark[name], result.estimated[name])
        )

    def _estimate_spread(self) -> float:
        """Standard deviation of the estimated primary metric over bootstrap resamples of
        all of test: how much the estimate moves by sampling alone (NaN without one)."""
        name = self.context.primary.name
        if self.estimator is None or name not in self.estimated_benchmark:
            return float("nan")
        test = self.context.prediction("test")
        rng = self.context.rng("performance_monitoring/estimate")
        values = [
            self.estimator.estimate(test.take(rng.integers(0, self.test_rows, self.test_rows)))
            for _ in range(_ESTIMATE_RESAMPLES)
        ]
        return float(np.nanstd([value.get(name, np.nan) for value in values]))

    def _chance_estimated_drop(self, rows: int) -> float:
        """How far below the estimate on test the estimate of a window of ``rows`` rows
        drawn as test was can fall by sampling alone, one-sided over every window: the
        larger of two spreads scaled to the window (a standard error shrinks as
        1/sqrt(rows)). The estimate's own spread, for the difference of two estimates; and
        the realised metric's, because a drop smaller than a labelled window's noise is
        one no sample of labels could confirm (and the estimate alone can be too sure: on
        a test set the model scores perfectly, every resample agrees)."""
        primary = self.context.primary
        realised = float(
            np.nanstd(shortfall(primary, self.benchmark.value, self.benchmark.samples))
        )
        ratio = self.test_rows / max(rows, 1)
        spread = max(realised * np.sqrt(ratio), self.estimate_spread * np.sqrt(ratio + 1))
        return self.z * float(spread)

    def _realised(self, result: WindowResult, y: np.ndarray, prediction: Prediction) -> None:
        primary = self.context.primary
        samples = bootstrap_metrics(self.metrics, y, prediction, self.params.resamples, self.rng)
        result.value = _point(primary, y, prediction)
        result.ci = percentile_interval(samples[primary.name], self.params.confidence)
        result.extras = {m.name: _point(m, y, prediction) for m in self.metrics[1:]}
        drops = np.asarray(shortfall(primary, self.benchmark.samples, samples[primary.name]))
        result.drop = float(shortfall(primary, self.benchmark.value, result.value))
        result.drop_ci = percentile_interval(drops, self.params.confidence)
        if result.drop > self.params.max_drop and result.drop_ci[0] > 0:
            result.status = "degraded"
            limit = self.params.max_single_drop
            result.severe = limit is not None and result.drop_ci[0] > limit
        elif result.drop > self.z * float(np.nanstd(drops)):
            result.status = SMALL_DROP
        if self.min_metric is not None:
            bound = result.ci[1] if primary.greater_is_better else result.ci[0]
            if float(shortfall(primary, self.min_metric, bound)) > 0:
                result.status = "below minimum"
                result.severe = self.params.max_single_drop is not None


def _recommendation(window: WindowResult, metric: str) -> str | None:
    """What to do, following the checklist guide: degraded with drifted inputs -> retrain;
    degraded without drift -> look at labels and concept; drift alone -> watch."""
    drifted = listed(window.drifted)
    if window.degraded:
        if window.drifted:
            return f"retrain on recent data: the inputs drifted ({drifted})"
        return (
            "investigate the labels and a change of concept: the inputs did not drift, so "
            "the relation between inputs and target may have"
        )
    if window.status == SMALL_DROP:
        return f"watch: {metric} fell beyond chance but by less than max_drop" + (
            f"; the inputs drifted ({drifted}): retrain on recent data if it goes on"
            if window.drifted
            else ""
        )
    if window.status == ESTIMATED_DROP:
        return (
            "label a sample of this window to confirm the estimated drop ('mlready monitor "
            "--label-queue N')" + (f"; the inputs drifted ({drifted})" if drifted else "")
        )
    if window.status == NOT_ENOUGH and (window.drifted or window.outputs_shifted):
        moved = drifted or ", ".join(window.outputs_shifted)
        return (
            f"obtain labels for this window to measure it ('mlready monitor --label-queue N'): "
            f"{'the inputs drifted' if drifted else 'the outputs shifted'} ({moved})"
        )
    if window.drifted:
        return f"watch: the inputs drifted ({drifted}) without a measured drop in {metric}"
    if window.outputs_shifted:
        return f"watch: the model's outputs shifted ({', '.join(window.outputs_shifted)})"
    return None


def _longest_run(flags: list[bool]) -> int:
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest


def _tables(unit: str, windows: list[WindowResult], monitor: _Monitor) -> list[Table]:
    primary = monitor.context.primary.name
    performance = Table(
        title=f"{primary} by {unit} (test: {fmt(monitor.benchmark.value)})",
        columns=[
            unit,
            "rows",
            "labelled",
            primary,
            "CI",
            "drop vs test",
            "drop CI",
            f"estimated {primary}",
            "drifted inputs",
            "status",
        ],
        rows=[
            [
                w.label,
                w.rows,
                w.labelled,
                w.value,
                Measure.between(*w.ci),
                w.drop,
                Measure.between(*w.drop_ci),
                w.estimated.get(primary),
                ", ".join(w.drifted[:4]) or "-",
                w.status,
            ]
            for w in windows
        ],
    )
    tables = [performance]
    extras = [m.name for m in monitor.metrics[1:]]
    if extras:
        tables.append(
            Table(
                title=f"Extra metrics by {unit} (realised; estimated where no labels)",
                columns=[unit, *extras, *(f"estimated {m}" for m in extras)],
                rows=[
                    [
                        w.label,
                        *(w.extras.get(m) for m in extras),
                        *(w.estimated.get(m) for m in extras),
                    ]
                    for w in windows
                ],
            )
        )
    tables.append(
        Table(
            title=f"Model outputs by {unit}, no labels needed (test low-confidence share: "
            f"{fmt(monitor.test_low_confidence)})",
            columns=[
                unit,
                "rows",
                f"share with confidence < {monitor.params.low_confidence}",
                "outputs shifted vs test",
            ],
            rows=[
                [w.label, w.rows, w.low_confidence, ", ".join(w.outputs_shifted) or "-"]
                for w in windows
            ],
        )
    )
    advice = [[w.label, w.status, text] for w in windows if (text := _recommendation(w, primary))]
    if advice:
        tables.append(
            Table(title="Recommendations", columns=[unit, "status", "what to do"], rows=advice)
        )
    return tables


def _plot(unit: str, windows: list[WindowResult], monitor: _Monitor) -> Plot:
    """Realised metric per window with its interval, the estimate where made, and test."""
    primary = monitor.context.primary.name
    labels = [w.label for w in windows]
    lines: dict[str, tuple[list[float | None], list[tuple[float, float]] | None]] = {
        f"{primary} (realised)": ([w.value for w in windows], [w.ci for w in windows])
    }
    if any(primary in w.estimated for w in windows):
        lines[f"{primary} (estimated)"] = ([w.estimated.get(primary) for w in windows], None)
    return window_lines(
        f"{primary} in production by {unit} (degraded windows marked)",
        unit,
        primary,
        labels,
        lines,
        reference=monitor.benchmark.value,
        reference_label=f"test, {monitor.params.confidence:.0%} CI",
        reference_interval=percentile_interval(
            monitor.benchmark.samples, monitor.params.confidence
        ),
        marked=[w.label for w in windows if w.degraded],
    )


def _verdicts(
    unit: str, windows: list[WindowResult], params: MonitoringParams, metric: str
) -> list[tuple[Status, str]]:
    degraded = [w for w in windows if w.degraded]
    verdicts: list[tuple[Status, str]] = []
    if degraded:
        run = _longest_run([w.degraded for w in windows])
        severe = [w.label for w in degraded if w.severe]
        failing = run >= params.escalate_after or bool(severe)
        worst = max(degraded, key=lambda w: w.drop)
        names = listed(w.label for w in degraded)
        at_once = (
            f"; {listed(severe)} alone fail{'s' if len(severe) == 1 else ''}: surely "
            f"more than max_single_drop {params.max_single_drop} below test, or below min_metric"
            if severe
            else ""
        )
        verdicts.append(
            (
                Status.FAIL if failing else Status.WARN,
                (
                    f"{metric} degraded in {len(degraded)} {unit}(s) ({names}; {run} in a row"
                    f"{at_once}): worst {worst.label} {fmt(worst.value)}, {fmt(worst.drop)} "
                    f"below test; {_recommendation(worst, metric)}"
                ),
            )
        )
    small = [w for w in windows if w.status == SMALL_DROP]
    if small:
        worst = max(small, key=lambda w: w.drop)
        verdicts.append(
            (
                Status.WARN,
                (
                    f"{metric} fell beyond chance in {len(small)} {unit}(s), each by less than "
                    f"max_drop {params.max_drop} ({listed(w.label for w in small)}): worst "
                    f"{worst.label} {fmt(worst.value)}, {fmt(worst.drop)} below test; "
                    f"{_recommendation(worst, metric)}"
                ),
            )
        )
    estimated = [w for w in windows if w.status == ESTIMATED_DROP]
    if estimated:
        worst = max(estimated, key=lambda w: w.estimated_drop)
        verdicts.append(
            (
                Status.WARN,
                (
                    f"estimated {metric} dropped beyond chance in {len(estimated)} {unit}(s) "
                    f"without enough labels to confirm ({listed(w.label for w in estimated)}): "
                    f"worst {worst.label} {fmt(worst.estimated_drop)} below the estimate on test"
                ),
            )
        )
    shifted = [w for w in windows if w.outputs_shifted and not w.degraded]
    if shifted:
        verdicts.append(
            (
                Status.WARN,
                (
                    f"the model's outputs shifted from test in {len(shifted)} {unit}(s) "
                    f"({listed(w.label for w in shifted)})"
                ),
            )
        )
    return verdicts


def run(context: AuditContext, params: MonitoringParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.monitoring, on ``context``."""
    if not context.has_split("production"):
        raise SkipCheck(
            "no production split to monitor (add production.csv or a production/ folder of batches)"
        )
    unit, groups = _window_groups(context, params.window)
    estimator, notes = (
        make_estimator(context, params.max_calibration_error, params.calibration)
        if params.estimate
        else (None, [])
    )
    monitor = _Monitor(context, params, len(groups.labels), estimator)
    windows = _windows(context, groups, monitor)
    primary = context.primary.name
    labelled = sum(w.labelled for w in windows)
    rows = sum(w.rows for w in windows)
    finding = Finding(
        evidence=_evidence(windows, monitor, labelled, rows),
        tables=_tables(unit, windows, monitor),
        plots=[_plot(unit, windows, monitor)],
        notes=notes,
        verdicts=_verdicts(unit, windows, params, primary),
    )
    if not any(w.labelled >= params.min_labels for w in windows):
        finding.verdicts.append(
            (
                Status.WARN,
                (
                    f"no {unit} has {params.min_labels} labelled rows, so performance in "
                    "production is not measured" + (" (only estimated)" if estimator else "")
                ),
            )
        )
    measured = [w for w in windows if np.isfinite(w.value)]
    latest = f"; latest {measured[-1].label}: {fmt(measured[-1].value)}" if measured else ""
    return combine(
        [finding],
        (
            f"no degradation in {len(windows)} {unit}(s) "
            f"({percent(labelled / max(rows, 1))} of "
            f"{rows:,} rows labelled; {primary} {fmt(monitor.benchmark.value)} on test{latest})"
        ),
    )


def _windows(
    context: AuditContext,
    groups: grouping.Groups,
    monitor: _Monitor,
) -> list[WindowResult]:
    frame = context.frame("production")
    prediction = context.prediction("production", all_rows=True)
    has_target = context.target in frame.columns
    labelled = (
        frame[context.target].notna().to_numpy() if has_target else np.zeros(len(frame), bool)
    )
    y = context.y("production") if labelled.any() else np.empty(0)
    labelled_prediction = context.prediction("production") if labelled.any() else None
    labelled_codes = groups.codes[labelled]
    results = []
    for code, label in enumerate(groups.labels):
        step(f"window {label} ({code + 1} of {len(groups.labels)})")
        rows = np.flatnonzero(groups.codes == code)
        if rows.size == 0:
            continue
        in_window = np.flatnonzero(labelled_codes == code)
        window_prediction = (
            labelled_prediction.take(in_window)
            if labelled_prediction
            else (Prediction(label=np.empty(0)))
        )
        results.append(
            monitor.window(
                label, frame.iloc[rows], prediction.take(rows), y[in_window], window_prediction
            )
        )
    return results


def _evidence(
    windows: list[WindowResult], monitor: _Monitor, labelled: int, rows: int
) -> list[Evidence]:
    primary = monitor.context.primary.name
    low, high = percentile_interval(monitor.benchmark.samples, monitor.params.confidence)
    evidence = [
        Evidence(name=f"test_{primary}", value=monitor.benchmark.value, ci_low=low, ci_high=high),
        Evidence(name="windows", value=len(windows)),
        Evidence(name="degraded_windows", value=sum(w.degraded for w in windows)),
        Evidence(name="small_drop_windows", value=sum(w.status == SMALL_DROP for w in windows)),
        Evidence(
            name="estimated_drop_windows",
            value=sum(w.status == ESTIMATED_DROP for w in windows),
        ),
        Evidence(name="labelled_share", value=labelled / max(rows, 1)),
    ]
    measured = [w for w in windows if np.isfinite(w.value)]
    if measured:
        last = measured[-1]
        evidence.append(
            Evidence(
                name=f"latest_{primary}",
                value=last.value,
                ci_low=last.ci[0],
                ci_high=last.ci[1],
                reference=last.label,
            )
        )
    errors = [abs(w.estimated[primary] - w.value) for w in measured if primary in w.estimated]
    if errors:
        evidence.append(Evidence(name=f"estimation_error_{primary}", value=float(np.mean(errors))))
    return evidence
