"""Options and tables shared by the distribution checks (split_distribution, drift)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlready.check import CheckParams
from mlready.checks._plots import distribution
from mlready.numbers import listed
from mlready.results import Cell, Evidence, Measure, Plot, Status, Summary, Table
from mlready.stats.drift import Brief, ColumnDrift, DriftSettings, Reference

EffectName = Literal["wasserstein", "ks", "psi", "js"]


class ColumnRule(CheckParams):
    effect: EffectName = Field(description="Effect statistic that judges this column.")
    threshold: float = Field(gt=0, description="Drift when the effect reaches this.")


class DistributionParams(CheckParams):
    """How two samples are compared; see mlready.stats.drift for the method."""

    alpha: float = Field(
        0.05,
        gt=0,
        lt=0.5,
        description="False discovery rate across columns (Benjamini-Hochberg on test p-values).",
    )
    numeric_effect: EffectName = Field(
        "wasserstein",
        description="Effect size that must also be reached by a numeric column: wasserstein "
        "(in reference standard deviations), ks, psi or js.",
    )
    numeric_threshold: float = Field(0.1, gt=0, description="Threshold of numeric_effect.")
    categorical_effect: EffectName = Field(
        "psi", description="Effect size for categorical columns: psi or js."
    )
    categorical_threshold: float = Field(0.1, gt=0, description="Threshold of categorical_effect.")
    max_level_shift: float = Field(
        0.1,
        gt=0,
        le=1,
        description="A categorical column also drifts when one level's share moves by this "
        "much beyond chance (PSI undervalues a move between common levels).",
    )
    bins: int = Field(10, ge=2, le=100, description="Reference-quantile bins for PSI and JS.")
    max_missing_change: float = Field(
        0.05, ge=0, le=1, description="Flag a change of a column's missing rate beyond this."
    )
    columns: dict[str, ColumnRule] = Field(
        default_factory=dict,
        description="Per-column rules, e.g. {income: {effect: psi, threshold: 0.2}}.",
    )

    def settings(self) -> DriftSettings:
        """The engine settings these options describe."""
        return DriftSettings(
            alpha=self.alpha,
            numeric_effect=self.numeric_effect,
            numeric_threshold=self.numeric_threshold,
            categorical_effect=self.categorical_effect,
            categorical_threshold=self.categorical_threshold,
            max_level_shift=self.max_level_shift,
            bins=self.bins,
            max_missing_change=self.max_missing_change,
            per_column={c: (r.effect, r.threshold) for c, r in self.columns.items()},
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
        "",
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


def overlay_plots(
    results: list[ColumnDrift], samples: dict[str, Reference], count: int = 3
) -> list[Plot]:
    """Distribution overlays of the ``count`` columns that differ most (drifted first, as
    ``compare`` ranks them) between the named prepared samples."""
    return [
        distribution(
            r.column,
            {name: s.plot_sample(r.column) for name, s in samples.items()},
            r.kind == "categorical",
        )
        for r in results[:count]
    ]
