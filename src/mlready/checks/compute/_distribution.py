"""Tables, numbers and plots shared by the distribution checks (split_distribution, drift)."""

from __future__ import annotations

from mlready.check import Finding
from mlready.checks._params import DistributionParams
from mlready.checks.compute._plots import distribution
from mlready.numbers import listed
from mlready.results import Cell, Evidence, Measure, Status, Summary, Table
from mlready.stats.drift import Brief, ColumnDrift, DriftSettings, Reference


def drift_settings(params: DistributionParams) -> DriftSettings:
    """The engine settings ``params`` describe."""
    return DriftSettings(
        alpha=params.alpha,
        numeric_effect=params.numeric_effect,
        numeric_threshold=params.numeric_threshold,
        categorical_effect=params.categorical_effect,
        categorical_threshold=params.categorical_threshold,
        max_level_shift=params.max_level_shift,
        bins=params.bins,
        max_missing_change=params.max_missing_change,
        per_column={c: (r.effect, r.threshold) for c, r in params.columns.items()},
    )


def summary_cell(brief: Brief, unseen: tuple[str, ...] = ()) -> Summary:
    """A sample's brief, as a table cell."""
    return Summary(
        mean=brief.mean,
        median=brief.median,
        p5=brief.p5,
        p95=brief.p95,
        levels=list(brief.levels),
        unseen=list(unseen[:3]),
    )


def drift_table(results: list[ColumnDrift], title: str) -> Table:
    """One row per column, drifted first: test, effect against threshold, what changed."""
    rows: list[list[Cell]] = []
    for r in results:
        verdict = "drifted" if r.drifted else ""
        if r.missing_drifted:
            verdict = ", ".join(v for v in (verdict, "missing rate changed") if v)
        rows.append(
            [
                r.column,
                r.kind,
                Measure(kind="p_value", value=r.p_adjusted, statistic=r.test),
                Measure(value=r.effect_value, statistic=r.effect, threshold=r.threshold),
                Measure(kind="share", value=r.missing_current, before=r.missing_reference),
                summary_cell(r.summary_reference),
                summary_cell(r.summary_current, r.unseen_levels),
                verdict,
            ]
        )
    columns = [
        "column",
        "kind",
        "test (BH-adjusted)",
        "effect",
        "missing",
        "reference",
        "current",
        "verdict",
    ]
    return Table(title=title, columns=columns, rows=rows)


def effect_evidence(result: ColumnDrift, name: str) -> Evidence:
    """One column's effect size against the threshold it is judged by."""
    return Evidence(
        name=name, value=result.effect_value, threshold=result.threshold, op="<", unit=result.effect
    )


def drift_evidence(results: list[ColumnDrift], prefix: str) -> list[Evidence]:
    """The effect of every column against its threshold, named ``prefix + column``."""
    return [effect_evidence(r, f"{prefix}{r.column}") for r in results]


def missing_rate_verdicts(results: list[ColumnDrift], where: str) -> list[tuple[Status, str]]:
    """A warning naming the columns whose missing-value rate changed, if any."""
    changed = [r.column for r in results if r.missing_drifted]
    if not changed:
        return []
    return [(Status.WARN, f"missing-value rates changed {where}: {listed(changed, 5)}")]


# Overlays drawn at most per comparison: wide data must not make a huge report.
MAX_OVERLAYS = 24


def overlay_plots(
    results: list[ColumnDrift], samples: dict[str, Reference], least: int = 2
) -> Finding:
    """Distribution overlays, between the named prepared samples, of every column that
    drifted (up to MAX_OVERLAYS, the most different first, as ``compare`` ranks them) or,
    when none did, of the ``least`` that differ most."""
    drifted = sum(r.drifted for r in results)
    shown = results[: min(max(drifted, least), MAX_OVERLAYS)]
    notes = (
        [f"distributions drawn for the {MAX_OVERLAYS} most different of {drifted} columns"]
        if drifted > MAX_OVERLAYS
        else []
    )
    plots = [
        distribution(
            r.column,
            {name: s.plot_sample(r.column) for name, s in samples.items()},
            r.kind == "categorical",
        )
        for r in shown
    ]
    return Finding(plots=plots, notes=notes)
