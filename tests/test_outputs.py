"""A classifier whose predict is the argmax of predict_proba is asked for its
probabilities only; predict is checked on the first rows, and any disagreement falls back
to calling it on every row."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlready.io.outputs import CHECKED_ROWS, outputs

X, y = make_classification(n_samples=3000, n_features=6, random_state=0)


def _rows_predicted(monkeypatch, cls) -> list[int]:
    seen: list[int] = []
    original = cls.predict

    def predict(self, rows):
        seen.append(len(rows))
        return original(self, rows)

    monkeypatch.setattr(cls, "predict", predict)
    return seen


def test_a_forest_predicts_once_and_its_labels_are_its_own(monkeypatch) -> None:
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    expected = forest.predict(X)
    seen = _rows_predicted(monkeypatch, RandomForestClassifier)
    found = outputs(forest, X, ("predict", "predict_proba"))
    assert seen == [CHECKED_ROWS]  # predict only checked, on the first rows
    assert np.array_equal(found["predict"], expected)
    assert np.array_equal(found["predict_proba"], forest.predict_proba(X))


def test_a_predict_that_is_not_the_argmax_is_called_on_every_row(monkeypatch) -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)

    def tuned(self, rows):  # a lower threshold, as a tuned classifier would have
        return (self.predict_proba(rows)[:, 1] > 0.3).astype(int)

    monkeypatch.setattr(LogisticRegression, "predict", tuned)
    found = outputs(model, X, ("predict", "predict_proba"))
    assert np.array_equal(found["predict"], model.predict(X))  # the model's own labels
    assert (found["predict"] != found["predict_proba"].argmax(axis=1)).any()


def test_a_model_not_known_to_predict_the_argmax_is_asked_for_both(monkeypatch) -> None:
    class Custom(LogisticRegression):  # not scikit-learn's own class: no assumption made
        pass

    model = Custom().fit(X, y)
    seen = _rows_predicted(monkeypatch, Custom)
    outputs(model, X, ("predict", "predict_proba"))
    assert seen == [len(X)]
