"""Several methods of a model on the same rows, each computed once.

For most scikit-learn classifiers ``predict`` is documented to be the class of highest
``predict_proba`` (forests, trees, gradient boosting, k-nearest neighbours, naive Bayes,
neural networks, logistic regression), so asking for both does the model's work twice.
For those (the final step of a pipeline decides), the labels are taken from the
probabilities, after checking on the first rows that ``predict`` agrees; any disagreement
(a tuned threshold, a wrapper that overrides ``predict``) falls back to calling ``predict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

# Rows on which predict is checked against the argmax of predict_proba, per call.
CHECKED_ROWS = 1000

ARGMAX_CLASSIFIERS = frozenset(
    {
        "DecisionTreeClassifier",
        "ExtraTreeClassifier",
        "ExtraTreesClassifier",
        "GaussianNB",
        "GradientBoostingClassifier",
        "HistGradientBoostingClassifier",
        "KNeighborsClassifier",
        "LogisticRegression",
        "MLPClassifier",
        "RandomForestClassifier",
    }
)


def final_estimator(model: Any) -> Any:
    """The estimator at the end of a (nested) pipeline, or ``model`` itself."""
    while hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def _argmax_predicts(model: Any) -> bool:
    last = type(final_estimator(model))
    return last.__module__.startswith("sklearn.") and last.__name__ in ARGMAX_CLASSIFIERS


def _first_rows(X: Any, rows: int) -> Any:
    return X.iloc[:rows] if hasattr(X, "iloc") else X[:rows]


def outputs(model: Any, X: Any, methods: Sequence[str]) -> dict[str, np.ndarray]:
    """``{method: model.method(X)}``, the labels derived from the probabilities where that
    is what ``predict`` computes (checked on the first CHECKED_ROWS rows)."""
    if {"predict", "predict_proba"} <= set(methods) and _argmax_predicts(model):
        proba = np.asarray(model.predict_proba(X))
        derived = np.asarray(model.classes_)[proba.argmax(axis=1)]
        checked = np.asarray(model.predict(_first_rows(X, CHECKED_ROWS)))
        if np.array_equal(checked, derived[: len(checked)]):
            known = {"predict": derived, "predict_proba": proba}
            return {
                name: known[name] if name in known else np.asarray(getattr(model, name)(X))
                for name in methods
            }
    return {name: np.asarray(getattr(model, name)(X)) for name in methods}
