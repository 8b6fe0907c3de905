"""Hand-rolled estimators for the benchmark tests, loaded through
``model.allow: [tests.benchmark_models]``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression


class CoercingClassifier(ClassifierMixin, BaseEstimator):
    """Reads raw columns without a Pipeline: text as level codes, numbers coerced from text.

    Its feature engineering lives in its own code, as in many hand-rolled models, and it
    tolerates a numeric column that arrives as text, as a lenient serving system would.
    """

    def fit(self, X: pd.DataFrame, y: pd.Series) -> CoercingClassifier:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.levels_ = {
            c: sorted(X[c].astype(str).unique())
            for c in X.columns
            if not pd.api.types.is_numeric_dtype(X[c])
        }
        self.model_ = LogisticRegression(max_iter=5000).fit(self._encode(X), y)
        self.classes_ = self.model_.classes_
        return self

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        columns = {
            c: pd.Index(self.levels_[c]).get_indexer(X[c].astype(str))
            if c in self.levels_
            else pd.to_numeric(X[c], errors="coerce")
            for c in self.feature_names_in_
        }
        return pd.DataFrame(columns).fillna(0).to_numpy(dtype=float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_proba(self._encode(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class NoisyClassifier(CoercingClassifier):
    """Adds fresh noise to its scores at every call: the same row never scores the same twice."""

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        proba = super().predict_proba(X)
        pull = np.random.default_rng().uniform(0.001, 0.01, size=(len(proba), 1))
        return proba + pull * (0.5 - proba)  # towards 1/2 by a fresh amount: rows still sum to 1


class MemoryHungryClassifier(CoercingClassifier):
    """Touches 200 MB of scratch memory at every batch prediction."""

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        scratch = np.ones(200 * 2**20 // 8)  # written, so the pages are really resident
        labels = super().predict(X)
        return labels if scratch[-1] == 1.0 else labels[::-1]
