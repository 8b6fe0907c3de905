"""Audits of honest and broken models on data sets scikit-learn ships, the way an ML
engineer would run them: seeded random i.i.d. splits (train, validation, test, and a
production folder of labelled batches), a fitted model, every check but latency (it
times the machine, not the data) through the same runner an audit uses.

``audit`` returns each check's result by id. ``null_case`` draws the honest splits;
the planted tests change one thing in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlready.registry import load_checks
from mlready.results import CheckResult
from mlready.runner import plan, run_checks
from mlready.spec import ChecklistSpec
from mlready.testing import SplitData, make_context

DATA_SETS = ("breast_cancer", "wine", "diabetes")
MODELS = ("linear", "forest", "boosting")
SHARES = {"train": 0.5, "validation": 0.15, "test": 0.15, "production": 0.2}
BATCHES = 2  # production arrives as two files


def frame_of(data_set: str) -> pd.DataFrame:
    """The data set as one frame with its label in ``target``."""
    bunch = getattr(datasets, f"load_{data_set}")(as_frame=True)
    return bunch.frame.rename(columns={bunch.target.name: "target"})


def is_regression(data_set: str) -> bool:
    return data_set == "diabetes"


def make_model(data_set: str, kind: str) -> BaseEstimator:
    """An honest model of the kind an engineer would try first."""
    if is_regression(data_set):
        return {
            "linear": make_pipeline(StandardScaler(), Ridge()),
            "forest": RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=1),
            "boosting": HistGradientBoostingRegressor(random_state=0),
        }[kind]
    return {
        "linear": make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        "forest": RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1),
        "boosting": HistGradientBoostingClassifier(random_state=0),
    }[kind]


@dataclass(frozen=True)
class Case:
    """One seeded i.i.d. split of a data set: the frames an audit reads."""

    data_set: str
    seed: int
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    production: dict[str, pd.DataFrame]

    def splits(self) -> dict[str, SplitData]:
        return {
            "train": self.train,
            "validation": self.validation,
            "test": self.test,
            "production": self.production,
        }

    def replace(self, **frames: Any) -> Case:
        """The same case with some splits changed (the planted problems)."""
        return Case(**{**self.__dict__, **frames})


def null_case(data_set: str, seed: int) -> Case:
    """A random i.i.d. split of ``data_set`` by ``seed``: nothing to find. Every row gets a
    ``group`` drawn at random (the sensitive attribute the audits name), so fairness is
    judged on groups whose true gaps are all zero."""
    rng = np.random.default_rng(seed)
    frame = frame_of(data_set)
    frame.insert(0, "group", rng.choice(["a", "b", "c"], len(frame)))
    order = rng.permutation(len(frame))
    cuts = np.cumsum([round(SHARES[s] * len(frame)) for s in ("train", "validation", "test")])
    train, validation, test, production = (
        frame.iloc[part].reset_index(drop=True) for part in np.split(order, cuts)
    )
    batches = np.array_split(np.arange(len(production)), BATCHES)
    return Case(
        data_set,
        seed,
        train,
        validation,
        test,
        {
            f"batch_{i + 1}": production.iloc[rows].reset_index(drop=True)
            for i, rows in enumerate(batches)
        },
    )


def features_of(case: Case) -> list[str]:
    """What the models learn from: every column but the target and the group."""
    return [c for c in case.train.columns if c not in ("target", "group")]


def fitted(case: Case, kind: str) -> BaseEstimator:
    features = features_of(case)
    return make_model(case.data_set, kind).fit(case.train[features], case.train["target"])


def audit(
    case: Case, model: Any, checklist: Mapping[str, Any] | None = None
) -> dict[str, CheckResult]:
    """Every check but latency on ``case`` with ``model``; ``checklist`` adds settings."""
    settings: dict[str, Any] = {
        "checks": {"latency": {"enabled": False}},
        "data": {"features": features_of(case), "sensitive": ["group"]},
    }
    for key, value in (checklist or {}).items():
        settings[key] = {**settings.get(key, {}), **value}
    spec = ChecklistSpec.model_validate(settings)
    context = make_context(case.splits(), model, target="target", checklist=spec, seed=case.seed)
    results = run_checks(plan(spec, load_checks()), context)
    return {result.id: result for result in results}
