"""What the checks' unit tests share: a result's evidence by name, small real data sets, and
the reference statistics they compute with scipy, independently of mlready."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.datasets import load_breast_cancer, load_diabetes

from mlready.results import CheckResult, Evidence


def evidence(result: CheckResult, name: str) -> Evidence:
    """The result's evidence called ``name``."""
    return next(e for e in result.evidence if e.name == name)


CANCER_FEATURES = ["mean radius", "mean texture", "worst concave points", "worst area"]


def cancer_halves(features: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's breast cancer data, these features and the target ``y``: 400 rows of
    train, 169 of test."""
    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "y"})
    frame = frame[[*features, "y"]]
    return frame.iloc[:400], frame.iloc[400:]


def diabetes_halves() -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's diabetes data with the target ``y``: 300 rows of train, 142 of test."""
    frame = load_diabetes(as_frame=True).frame.rename(columns={"target": "y"})
    return frame.iloc[:300], frame.iloc[300:]


def ks_p_value(a: pd.Series, b: pd.Series) -> float:
    """The two-sample KS p-value at effective sample size n*m/(n+m), from scipy."""
    d = stats.ks_2samp(a, b).statistic
    return float(stats.kstwo.sf(d, round(len(a) * len(b) / (len(a) + len(b)))))


def chi2_p_value(a: pd.Series, b: pd.Series) -> float:
    """The chi-squared test of independence of level and side, without continuity correction."""
    table = pd.crosstab(pd.concat([a, b]), np.r_[np.zeros(len(a)), np.ones(len(b))])
    return float(stats.chi2_contingency(table.to_numpy(), correction=False)[1])


def fitted(model, splits: tuple[pd.DataFrame, pd.DataFrame]):
    """``model`` fitted on the train half of ``splits`` (every column but ``y``)."""
    train, _ = splits
    return model.fit(train.drop(columns="y"), train["y"])
