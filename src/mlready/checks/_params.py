"""Options shared by several built-in checks: how two samples are compared (drift,
split_distribution) and how windows and slices are judged (metric_parity)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlready.check import CheckParams

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


GAP_NOTE = "absolute for scores, relative to the reference for errors (rmse, mae, log_loss)"


class SegmentParams(CheckParams):
    """Options for per-window and per-slice metrics (and the bootstrap behind them)."""

    window: Literal["day", "week", "month", "quarter"] = Field(
        "month", description="Time window for per-window metrics (needs data.time)."
    )
    min_window_rows: int = Field(30, ge=2, description="Windows with fewer rows are not judged.")
    min_window_metric: float | None = Field(
        None, description="Every window must reach this (for errors: stay below it)."
    )
    max_window_gap: float | None = Field(
        0.1,
        ge=0,
        description=f"Largest shortfall of a window under the whole test set ({GAP_NOTE}).",
    )
    min_slice_size: int = Field(30, ge=2, description="Slices with fewer rows are not judged.")
    min_class_rows: int = Field(
        10,
        ge=1,
        description="Windows and slices with fewer rows of some class are shown, not judged: "
        "a metric from a handful of positives says little.",
    )
    min_slice_metric: float | None = Field(
        None, description="Every slice must reach this (for errors: stay below it)."
    )
    max_slice_gap: float = Field(
        0.1,
        ge=0,
        description=f"Largest shortfall of a slice under the whole test set ({GAP_NOTE}).",
    )
    auto_slices: bool = Field(
        True, description="Without data.slices, search every feature for the worst slices."
    )
    top_slices: int = Field(5, ge=1, description="How many automatically found slices to show.")
    quantile_bins: int = Field(
        4, ge=2, le=20, description="Bins per numeric feature in the search."
    )
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Confidence of the intervals.")
    alpha: float = Field(
        0.05,
        gt=0,
        lt=0.5,
        description="Family-wise error rate when judging many windows or slices (Bonferroni).",
    )
    n_resamples: int = Field(1000, ge=100, le=100_000, description="Bootstrap resamples.")
