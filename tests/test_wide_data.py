"""Thousands of columns: the vectorised paths give the numbers the column-by-column ones
give, and adversarial validation screens wide data without losing a real difference.

The whole audit of 10,000 columns runs in test_bad_inputs.py (ten-thousand-columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlready.quality import infer, validate
from mlready.quality.infer import infer_contract
from mlready.quality.validate import BatchValidator, validate_frame
from mlready.stats import drift, groups
from mlready.stats.adversarial import adversarial_validation
from mlready.stats.leakage import numeric_aucs, single_feature


def _frame(rows: int, columns: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        rng.normal(loc=shift, size=(rows, columns)), columns=[f"f{i}" for i in range(columns)]
    )
    frame["f1"] = frame["f1"].round(0)  # ties, and bins that share an edge
    frame["f2"] = frame["f2"].round(1)
    frame.loc[::7, "f3"] = np.nan
    frame.loc[::11, "f4"] = np.inf
    frame["f5"] = np.arange(rows, dtype=float)
    frame["f6"] = rng.integers(0, 2, rows).astype(float)
    frame["f7"] = np.nan
    return frame


def test_columns_compared_together_match_columns_compared_alone(monkeypatch) -> None:
    columns = [f"f{i}" for i in range(60)]
    reference = drift.Reference.of(_frame(400, 60, 0), columns, [])
    current = drift.Reference.of(_frame(200, 60, 1, shift=0.1), columns, [])

    together = drift.compare(reference, current)
    monkeypatch.setattr(drift, "_numeric_block", lambda *args: {})
    alone = drift.compare(reference, current)

    # Every statistic, p-value and verdict to the last digit (repr: NaN equals NaN there).
    assert [repr(r) for r in together] == [repr(r) for r in alone]
    assert any(r.drifted for r in alone)


def test_a_block_of_columns_is_prepared_as_each_column_alone() -> None:
    frame = _frame(300, 12, 2)
    block = drift.NumericSample.of_block(frame)
    alone = [drift.NumericSample.of(frame[c]) for c in frame.columns]
    assert repr(block) == repr(alone)


def test_numeric_columns_score_as_single_features_do() -> None:
    frame = _frame(300, 12, 3).drop(columns="f7")
    y = (frame["f0"] + np.random.default_rng(3).normal(size=len(frame)) > 0).to_numpy(int)

    together = numeric_aucs(frame, y == 1)

    alone = [single_feature(frame[c], frame[c], y, 2, False).score(y)[0] for c in frame]
    np.testing.assert_array_equal(together, alone)


def test_float_columns_get_the_contract_and_verdicts_of_the_column_by_column_path(
    monkeypatch,
) -> None:
    train = _frame(300, 12, 4)
    batch = _frame(300, 12, 5, shift=0.5)
    batch.loc[3, "f6"] = 0.5  # not an integer
    batch.loc[9:11] = batch.loc[0:2].to_numpy()  # repeated rows
    monkeypatch.setattr(infer, "_BLOCK_CELLS", 1_000)  # several blocks
    monkeypatch.setattr(validate, "_BLOCK_CELLS", 1_000)

    contract = infer_contract(train, "train", ids=("f5",))
    result = validate_frame(batch, contract, "batch")
    reasons = BatchValidator(contract, "batch", list(batch.columns)).check(
        batch, np.arange(1, len(batch) + 1)
    )
    monkeypatch.setattr(infer, "_infer_floats", lambda frame, widen, ids: {})
    monkeypatch.setattr(BatchValidator, "_number_blocks", lambda self, frame: {})

    assert infer_contract(train, "train", ids=("f5",)) == contract
    assert validate_frame(batch, contract, "batch") == result
    again = BatchValidator(contract, "batch", list(batch.columns))
    assert (again.check(batch, np.arange(1, len(batch) + 1)) == reasons).all()
    assert {r.rule for r in result.rules if r.status != "pass"} >= {"range", "type"}


def test_searching_slices_in_blocks_groups_rows_as_in_one() -> None:
    frame = _frame(300, 12, 6).assign(city=lambda f: np.where(f["f0"] > 0, "a", "b"))
    whole = groups.search_groups(frame, ["city"], 4)
    groups._CHUNK_CELLS, saved = 600, groups._CHUNK_CELLS
    try:
        blocks = groups.search_groups(frame, ["city"], 4)
    finally:
        groups._CHUNK_CELLS = saved
    assert [(g.column, g.labels, g.codes.tolist()) for g in whole] == [
        (g.column, g.labels, g.codes.tolist()) for g in blocks
    ]
    first = next(g for g in whole if g.column == "f0")
    assert first.labels[0].startswith("[") and len(first.labels) == 4
    assert next(g for g in whole if g.column == "f6").labels == ["1.0", "0.0"]  # two values


@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_wide_adversarial_validation_is_screened_and_still_finds_a_shift(shift: float) -> None:
    reference, current = _frame(400, 300, 7), _frame(200, 300, 8)
    current["f100"] += shift
    features = [c for c in reference.columns if c not in ("f4", "f5", "f7")]

    result = adversarial_validation(
        reference, current, features, [], np.random.default_rng(0), n_resamples=200
    )

    assert result.screened and (result.model_features, result.permuted) == (200, 20)
    if shift:  # one feature alone separates the splits with an AUC of about 0.76
        assert result.ci_low > 0.6
        assert result.importances[0][0] == "f100"
    else:
        assert result.auc < 0.6
