"""Fixtures the checks' unit tests share. ``cancer`` here is four of the breast cancer
features (cheaper single-row calls), not the suite's full table of tests/conftest.py."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.checks.common import CANCER_FEATURES, cancer_halves, diabetes_halves, fitted


@pytest.fixture(scope="module")
def cancer():
    return cancer_halves(CANCER_FEATURES)


@pytest.fixture(scope="module")
def diabetes():
    return diabetes_halves()


@pytest.fixture(scope="module")
def pipeline(cancer):
    """A scaled logistic regression on the cancer features."""
    return fitted(make_pipeline(StandardScaler(), LogisticRegression()), cancer)
