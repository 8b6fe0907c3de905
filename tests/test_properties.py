"""Property-based tests (hypothesis): any YAML document either loads into a valid checklist
or gives a clean error, and any small table reads back from every supported file format
with the same data and the same check results."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlready.errors import MlreadyError, SpecError
from mlready.io.data import SUPPORTED_SUFFIXES, read_table
from mlready.io.sink import write_table_atomic
from mlready.quality.infer import infer_contract
from mlready.quality.validate import validate_frame
from mlready.spec import ChecklistSpec, load_spec
from mlready.stats.drift import Reference, compare

# Real keys next to made-up ones, so documents reach deep into the checklist's models.
KEYS = [
    "data",
    "target",
    "features",
    "checks",
    "metrics",
    "primary",
    "extra",
    "limits",
    "baseline",
    "drift",
    "alpha",
    "enabled",
    "severity",
    "min_margin",
    "answers",
    "owner",
    "seed",
    "task",
    "splits",
    "train",
    "window",
    "waive",
    "reason",
    "expires",
    "model",
    "sha256",
    "columns",
    "threshold",
    "x",
    "élan",
    " spaced ",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["warn", "fail", "roc_auc", "accuracy", "2026-01-01", "week", "1e-3"]),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=25,
)


def _load(text: str) -> ChecklistSpec | SpecError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checklist.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_spec(path)
        except SpecError as error:
            return error


@settings(max_examples=150, deadline=None)
@given(DOCUMENTS)
def test_any_yaml_document_is_a_checklist_or_a_clean_error(document) -> None:
    outcome = _load(yaml.safe_dump(document, allow_unicode=True))
    if isinstance(outcome, SpecError):
        assert "checklist.yaml" in str(outcome)  # names the file
    else:
        assert isinstance(outcome, ChecklistSpec)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_checklist_or_a_clean_error(text: str) -> None:
    outcome = _load(text)
    assert isinstance(outcome, ChecklistSpec | SpecError)


LETTERS = st.text(alphabet="abcdefgh", min_size=1, max_size=6)


@st.composite
def tables(draw) -> pd.DataFrame:
    """Small tables of floats (with missing values), integers, booleans and words."""
    rows = draw(st.integers(1, 30))
    floats = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False))
    return pd.DataFrame(
        {
            "number": pd.array(
                draw(st.lists(floats, min_size=rows, max_size=rows)), dtype="float64"
            ),
            "count": draw(st.lists(st.integers(-1000, 1000), min_size=rows, max_size=rows)),
            "flag": draw(st.lists(st.booleans(), min_size=rows, max_size=rows)),
            "word": draw(st.lists(LETTERS, min_size=rows, max_size=rows)),
        }
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), tables())
def test_every_format_reads_back_the_same_table_and_the_same_results(frame, other) -> None:
    reference = Reference.of(other, list(other.columns), ["flag", "word"])
    contract = infer_contract(other, "other", margin=0.5)
    seen = []
    with tempfile.TemporaryDirectory() as folder:
        for suffix in SUPPORTED_SUFFIXES:
            path = Path(folder) / f"table{suffix}"
            write_table_atomic(path, frame)  # mlready's own writers
            read = read_table(path)
            assert list(read.columns) == list(frame.columns), suffix
            # Written with every digit; pandas' text parsers (CSV, JSON) read a decimal to
            # within a unit in its last place.
            np.testing.assert_allclose(
                read["number"].to_numpy(float), frame["number"].to_numpy(float), rtol=5e-16
            )
            assert read["count"].tolist() == frame["count"].tolist(), suffix
            assert read["flag"].astype(bool).tolist() == frame["flag"].tolist(), suffix
            assert read["word"].astype(str).tolist() == frame["word"].tolist(), suffix
            drift = [
                (r.column, _number(r.statistic), _number(r.p_value), r.drifted)
                for r in compare(reference, read)
            ]
            quality = validate_frame(
                read, contract, "table", now=pd.Timestamp("2026-01-01", tz="UTC")
            )
            seen.append((suffix, drift, quality.status, quality.quarantined_rows))
    first = seen[0]
    for suffix, drift, status, quarantined in seen[1:]:
        assert drift == first[1], suffix
        assert (status, quarantined) == (first[2], first[3]), suffix


def _number(value: float) -> float | None:
    return None if np.isnan(value) else value


def test_an_unreadable_table_is_a_clean_error(tmp_path: Path) -> None:
    for suffix in SUPPORTED_SUFFIXES:
        path = tmp_path / f"broken{suffix}"
        path.write_bytes(b"\x00\x01garbage\xff" * 10)
        with pytest.raises(MlreadyError) as error:
            read_table(path)
        assert str(path) in str(error.value)
