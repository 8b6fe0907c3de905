"""``split_distribution``: test and validation against train, feature by feature (drift
engine), the target, and adversarial validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlready.checks.split_distribution import SplitDistributionCheck
from mlready.results import Status
from mlready.testing import make_context, run_check
from tests.checks.common import chi2_p_value, evidence, ks_p_value

NUMERIC = ["x0", "x1", "x2", "x3"]
CHANNELS = ["web", "shop", "phone"]
TRAIN_ROWS, OTHER_ROWS = 300, 150
# Adversarial validation can never fail with this bar (a CI cannot lie above 1): for the
# tests of the per-feature comparison.
NO_ADVERSARIAL = {"max_adversarial_auc": 1.0}


def world(
    seed: int,
    rows: int,
    *,
    shift: float = 0.0,
    scale: float = 1.0,
    channels=(0.5, 0.3, 0.2),
    joint: bool = False,
    positives: float | None = None,
) -> pd.DataFrame:
    """Four normal features, a categorical one and a binary target that depends on x0 only.
    ``shift``/``scale`` move x3 (which the target ignores); ``joint`` makes x1 follow x0
    while keeping every marginal distribution as it was."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.normal(size=rows) for c in NUMERIC})
    if joint:
        frame["x1"] = (frame["x0"] + 0.3 * frame["x1"]) / math.sqrt(1.09)
    frame["x3"] = frame["x3"] * scale + shift
    frame["channel"] = rng.choice(CHANNELS, rows, p=channels)
    frame["y"] = (frame["x0"] + rng.logistic(size=rows) > 0).astype(int)
    if positives is not None:  # keep that share of positives, dropping the others
        pos, neg = frame[frame["y"] == 1], frame[frame["y"] == 0]
        wanted = round(len(neg) * positives / (1 - positives))
        frame = pd.concat([neg, pos.iloc[:wanted]]).sample(frac=1, random_state=seed)
    return frame.reset_index(drop=True)


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return world(0, TRAIN_ROWS)


@pytest.fixture(scope="module")
def audit(train):
    def run(test=None, options=None, validation=None, checklist=None):
        splits = {"train": train}
        if test is not None:
            splits["test"] = test
        if validation is not None:
            splits["validation"] = validation
        context = make_context(splits, target="y", checklist=checklist, quick=True)
        return run_check(SplitDistributionCheck, context, options)

    return run


@pytest.fixture(scope="module")
def alike(audit):
    return audit(world(1, OTHER_ROWS), validation=world(2, OTHER_ROWS))


def level_shares(values: pd.Series) -> np.ndarray:
    return values.value_counts(normalize=True).reindex(CHANNELS, fill_value=0).to_numpy()


# --- pass, skip --------------------------------------------------------------------------


def test_splits_drawn_alike_pass_with_every_comparison_recorded(alike):
    assert alike.status == Status.PASS, alike.message
    assert alike.message.startswith("train, test and validation look alike")
    assert "train 300 rows, test 150 rows, validation 150 rows" in alike.message
    for split in ("test", "validation"):
        assert alike.metrics[f"{split}_features_differing"] == 0
        auc = evidence(alike, f"{split}_adversarial_auc")
        assert auc.threshold == 0.6 and auc.op == "<="
        assert auc.ci_low <= auc.value <= auc.ci_high
        assert auc.ci_low < 0.6 and abs(auc.value - 0.5) < 0.1
        label = evidence(alike, f"{split}_label_effect")
        assert label.unit == "psi" and label.threshold == 0.1 and label.value < 0.1
        for column in NUMERIC:
            effect = evidence(alike, f"{split}_effect_{column}")
            assert effect.unit == "wasserstein" and effect.threshold == 0.1 and effect.op == "<"
        assert evidence(alike, f"{split}_effect_channel").unit == "psi"
    titles = [t.title for t in alike.tables]
    assert "Target (y), train vs test" in titles
    assert "Features, train vs validation (differing first)" in titles
    adversarial = next(t for t in alike.tables if t.title.startswith("Adversarial validation"))
    assert adversarial.columns == ["feature", "AUC drop when shuffled"]


def test_without_feature_columns_the_check_skips(train):
    context = make_context({"train": train[["y"]], "test": world(1, OTHER_ROWS)[["y"]]}, target="y")
    result = run_check(SplitDistributionCheck, context)
    assert result.status == Status.SKIP
    assert "no feature columns" in result.message


def test_with_train_alone_there_is_nothing_to_compare_and_the_check_skips(audit):
    result = audit()
    assert result.status == Status.SKIP
    assert result.message == "no test or validation split to compare with train"


def test_a_disabled_check_skips(train):
    context = make_context({"train": train, "test": world(1, OTHER_ROWS)}, target="y")
    result = run_check(SplitDistributionCheck, context, enabled=False)
    assert result.status == Status.SKIP and "disabled" in result.message


# --- the target ---------------------------------------------------------------------------


def test_a_different_share_of_positives_in_test_fails(audit, train):
    test = world(1, 400, positives=0.2)
    result = audit(test)
    assert result.status == Status.FAIL
    assert "the target is distributed differently in train and test" in result.message
    assert "re-shuffling" in result.message
    label = evidence(result, "test_label_effect")
    train_shares = train["y"].value_counts(normalize=True).sort_index().to_numpy()
    test_shares = test["y"].value_counts(normalize=True).sort_index().to_numpy()
    psi = float(np.sum((test_shares - train_shares) * np.log(test_shares / train_shares)))
    assert label.value == pytest.approx(psi, rel=1e-9)
    assert label.value >= label.threshold == 0.1


def test_a_target_shift_in_validation_only_names_validation(audit):
    result = audit(world(1, OTHER_ROWS), validation=world(2, 400, positives=0.2))
    assert result.status == Status.FAIL
    assert "train and validation" in result.message
    assert "train and test" not in result.message
    assert evidence(result, "validation_label_effect").value >= 0.1
    assert evidence(result, "test_label_effect").value < 0.1


# --- features: effects and their thresholds ------------------------------------------------


@pytest.fixture(scope="module")
def shifted():
    return world(1, OTHER_ROWS, shift=0.3)


@pytest.fixture(scope="module")
def shifted_result(audit, shifted):
    return audit(shifted, NO_ADVERSARIAL)


def test_a_shifted_feature_warns_naming_it(shifted_result, train, shifted):
    assert shifted_result.status == Status.WARN
    assert shifted_result.message.startswith(
        "1 feature(s) distributed differently in train and test: x3; consider re-shuffling"
    )
    assert shifted_result.metrics["test_features_differing"] == 1
    effect = shifted_result.metrics["test_effect_x3"]
    scipy_w = stats.wasserstein_distance(train["x3"], shifted["x3"]) / train["x3"].std(ddof=0)
    assert effect == pytest.approx(scipy_w, rel=0.05)
    assert effect >= 0.1


def test_a_numeric_threshold_equal_to_the_effect_flags_it_and_just_above_does_not(
    audit, shifted, shifted_result
):
    effect = shifted_result.metrics["test_effect_x3"]
    at = audit(shifted, {**NO_ADVERSARIAL, "numeric_threshold": effect})
    above = audit(shifted, {**NO_ADVERSARIAL, "numeric_threshold": effect * 1.001})
    assert at.status == Status.WARN and at.metrics["test_features_differing"] == 1
    assert evidence(at, "test_effect_x3").threshold == effect
    assert above.status == Status.PASS, above.message
    assert above.metrics["test_features_differing"] == 0


@pytest.mark.parametrize("effect", ["ks", "psi", "js", "wasserstein"])
def test_the_numeric_effect_statistic_is_the_one_asked_for(audit, train, shifted, effect):
    result = audit(shifted, {**NO_ADVERSARIAL, "numeric_effect": effect})
    x3 = evidence(result, "test_effect_x3")
    assert x3.unit == effect
    assert evidence(result, "test_effect_channel").unit == "psi"  # categorical: its own
    if effect == "ks":
        assert x3.value == pytest.approx(stats.ks_2samp(train["x3"], shifted["x3"]).statistic)
    elif effect == "js":
        assert 0 < x3.value < 1
    else:
        assert x3.value > 0


def test_a_small_ks_distance_under_a_ks_threshold_is_not_drift(audit, shifted):
    # The same shift: far beyond 0.1 reference standard deviations, yet a KS D below 0.5.
    result = audit(shifted, {**NO_ADVERSARIAL, "numeric_effect": "ks", "numeric_threshold": 0.5})
    assert result.status == Status.PASS, result.message
    assert evidence(result, "test_effect_x3").value < 0.5


@pytest.fixture(scope="module")
def weakly_shifted():
    return world(1, OTHER_ROWS, shift=0.25)


def test_alpha_just_above_the_bh_adjusted_p_value_flags_the_feature_and_just_below_not(
    audit, train, weakly_shifted
):
    test = weakly_shifted
    raw = [ks_p_value(train[c], test[c]) for c in NUMERIC]
    raw.append(chi2_p_value(train["channel"], test["channel"]))
    adjusted = stats.false_discovery_control(raw, method="bh")
    p_x3 = float(adjusted[NUMERIC.index("x3")])
    assert raw[NUMERIC.index("x3")] < 0.05 < p_x3 < 0.1  # only Benjamini-Hochberg saves it
    default = audit(test, NO_ADVERSARIAL)
    above = audit(test, {**NO_ADVERSARIAL, "alpha": p_x3 * 1.01})
    below = audit(test, {**NO_ADVERSARIAL, "alpha": p_x3 * 0.99})
    assert default.status == Status.PASS, default.message
    assert above.status == Status.WARN and "x3" in above.message
    assert below.status == Status.PASS, below.message


@pytest.fixture(scope="module")
def rechannelled():
    return world(1, OTHER_ROWS, channels=(0.2, 0.3, 0.5))


def test_a_shifted_categorical_feature_is_judged_by_psi(audit, train, rechannelled):
    result = audit(rechannelled, NO_ADVERSARIAL)
    assert result.status == Status.WARN and "channel" in result.message
    channel = evidence(result, "test_effect_channel")
    e, a = level_shares(train["channel"]), level_shares(rechannelled["channel"])
    assert channel.unit == "psi"
    assert channel.value == pytest.approx(float(np.sum((a - e) * np.log(a / e))), rel=1e-9)


def test_a_categorical_threshold_equal_to_the_psi_flags_it_and_just_above_does_not(
    audit, rechannelled
):
    psi = audit(rechannelled, NO_ADVERSARIAL).metrics["test_effect_channel"]
    psi_only = {**NO_ADVERSARIAL, "max_level_shift": 1.0}  # a level's share alone: no drift
    at = audit(rechannelled, {**psi_only, "categorical_threshold": psi})
    above = audit(rechannelled, {**psi_only, "categorical_threshold": psi * 1.001})
    assert at.status == Status.WARN and "channel" in at.message
    assert above.status == Status.PASS, above.message


def test_the_categorical_effect_can_be_jensen_shannon(audit, train, rechannelled):
    result = audit(rechannelled, {**NO_ADVERSARIAL, "categorical_effect": "js"})
    channel = evidence(result, "test_effect_channel")
    expected = jensenshannon(
        level_shares(train["channel"]), level_shares(rechannelled["channel"]), base=2
    )
    assert channel.unit == "js"
    assert channel.value == pytest.approx(float(expected), rel=1e-9)
    assert evidence(result, "test_label_effect").unit == "js"  # the target is categorical too


def test_a_spread_change_is_invisible_to_psi_on_two_bins_but_not_on_ten(audit):
    wider = world(1, OTHER_ROWS, scale=2.5)  # same median, fatter tails
    options = {**NO_ADVERSARIAL, "numeric_effect": "psi"}
    two = audit(wider, {**options, "bins": 2})
    ten = audit(wider, {**options, "bins": 10})
    assert two.status == Status.PASS, two.message
    assert two.metrics["test_effect_x3"] < 0.05
    assert ten.status == Status.WARN and "x3" in ten.message
    assert ten.metrics["test_effect_x3"] > 0.5


def test_psi_on_a_hundred_bins_of_alike_splits_is_large_but_the_test_keeps_it_from_drift(audit):
    result = audit(world(1, OTHER_ROWS), {"numeric_effect": "psi", "bins": 100})
    assert result.status == Status.PASS, result.message
    for column in NUMERIC:  # 150 rows in 100 bins: noise far above the 0.1 bar
        assert evidence(result, f"test_effect_{column}").value > 1.0


def test_a_per_column_rule_overrides_the_defaults_for_that_column_only(audit, shifted):
    rule = {"x3": {"effect": "ks", "threshold": 0.9}}
    result = audit(shifted, {**NO_ADVERSARIAL, "columns": rule})
    assert result.status == Status.PASS, result.message
    x3 = evidence(result, "test_effect_x3")
    assert x3.unit == "ks" and x3.threshold == 0.9
    x0 = evidence(result, "test_effect_x0")
    assert x0.unit == "wasserstein" and x0.threshold == 0.1


# --- missing values --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def holed():
    test = world(1, OTHER_ROWS)
    test.loc[test.index[:15], "x2"] = np.nan  # 10% missing, none in train
    return test


def test_a_missing_rate_change_equal_to_the_limit_warns_and_just_under_it_does_not(audit, holed):
    at = audit(holed, {"max_missing_change": 0.1})
    above = audit(holed, {"max_missing_change": 0.10001})
    assert at.status == Status.WARN
    assert "missing-value rates changed between train and test: x2" in at.message
    assert at.metrics["test_features_differing"] == 0  # the values themselves did not move
    assert above.status == Status.PASS, above.message


# --- adversarial validation ------------------------------------------------------------------


@pytest.fixture(scope="module")
def entangled():
    """x1 follows x0 in test only: every column alone looks as in train."""
    return world(1, OTHER_ROWS, joint=True)


@pytest.fixture(scope="module")
def entangled_result(audit, entangled):
    return audit(entangled)


def test_splits_a_classifier_tells_apart_fail_naming_the_telling_features(entangled_result):
    result = entangled_result
    assert result.status == Status.FAIL
    assert result.message.startswith("a classifier tells train from test apart")
    assert "most telling: x1, x0" in result.message or "most telling: x0, x1" in result.message
    assert result.metrics["test_features_differing"] == 0
    auc = evidence(result, "test_adversarial_auc")
    assert auc.ci_low > 0.6 and auc.value > 0.7


def test_an_auc_interval_starting_exactly_at_the_bar_passes_and_just_above_it_fails(
    audit, entangled, entangled_result
):
    low = evidence(entangled_result, "test_adversarial_auc").ci_low
    at = audit(entangled, {"max_adversarial_auc": low})
    under = audit(entangled, {"max_adversarial_auc": math.nextafter(low, 0)})
    assert at.status == Status.PASS, at.message
    assert evidence(at, "test_adversarial_auc").threshold == low
    assert under.status == Status.FAIL and "tells train from test apart" in under.message


def test_adversarial_rows_caps_the_rows_of_each_split(audit, entangled):
    capped = audit(entangled, {"adversarial_rows": 100})
    title = next(t.title for t in capped.tables if t.title.startswith("Adversarial"))
    assert "200 rows)" in title
    whole = audit(entangled, {"adversarial_rows": 150})
    title = next(t.title for t in whole.tables if t.title.startswith("Adversarial"))
    assert "300 rows)" in title


def test_a_higher_confidence_gives_a_wider_interval_around_the_same_auc(audit, entangled):
    narrow = evidence(audit(entangled, {"confidence": 0.6}), "test_adversarial_auc")
    wide_result = audit(entangled, {"confidence": 0.99})
    wide = evidence(wide_result, "test_adversarial_auc")
    assert narrow.value == wide.value
    assert wide.ci_low < narrow.ci_low <= narrow.value <= narrow.ci_high < wide.ci_high
    # two tests can fail on the one split (target, adversarial): each at 99.5%
    assert any("99.5% CI" in t.title for t in wide_result.tables)


def test_too_few_rows_for_adversarial_validation_leave_a_note(audit):
    result = audit(world(1, 5))
    assert "test_adversarial_auc" not in result.metrics
    assert any("adversarial validation of train vs test skipped" in n for n in result.notes)


# --- option bounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"alpha": 0},
        {"alpha": 0.5},
        {"numeric_threshold": 0},
        {"categorical_threshold": 0},
        {"numeric_effect": "chi2"},
        {"bins": 1},
        {"bins": 101},
        {"max_missing_change": -0.01},
        {"max_missing_change": 1.01},
        {"columns": {"x3": {"effect": "ks", "threshold": 0}}},
        {"columns": {"x3": {"effect": "mean", "threshold": 0.1}}},
        {"max_adversarial_auc": 0.5},
        {"max_adversarial_auc": 1.01},
        {"adversarial_rows": 99},
        {"confidence": 0.5},
        {"confidence": 1.0},
        {"no_such_option": 1},
    ],
)
def test_options_out_of_bounds_are_rejected(options):
    with pytest.raises(ValidationError):
        SplitDistributionCheck.Params.model_validate(options)


def test_options_on_their_bounds_are_accepted():
    params = SplitDistributionCheck.Params.model_validate(
        {
            "alpha": 0.4999,
            "bins": 2,
            "max_missing_change": 0,
            "max_adversarial_auc": 1.0,
            "adversarial_rows": 100,
            "confidence": 0.51,
        }
    )
    assert params.bins == 2 and params.max_adversarial_auc == 1.0
    assert SplitDistributionCheck.Params.model_validate({"bins": 100, "max_missing_change": 1})
