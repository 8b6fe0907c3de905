"""The ``data_quality`` check end to end: a contract file named in the checklist, production as
a folder of batch files. Every option and verdict is tested as a unit in
``tests/checks/test_data_quality.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mlready.contract import dump_contract
from mlready.quality.infer import infer_contract
from tests.conftest import write_splits


def _check(result) -> dict:
    return next(c for c in result.json["checks"] if c["id"] == "data_quality")


def _checklist(folder: Path, contract: str | None) -> Path:
    checks = {"latency": {"enabled": False}, "benchmark": {"enabled": False}}
    if contract is not None:
        checks["data_quality"] = {"contract": contract}
    path = folder / "checklist.yaml"
    path.write_text(yaml.safe_dump({"checks": checks}))
    return path


def _broken_production(test: pd.DataFrame) -> pd.DataFrame:
    production = test.drop(columns="target").head(60).copy()
    production.iloc[:3, production.columns.get_loc("mean_radius")] = np.nan
    production.iloc[5, production.columns.get_loc("mean_area")] = -50.0
    return production


def test_a_contract_in_the_checklist_fails_a_broken_production_batch(
    cli, tmp_path: Path, cancer, good_classifier: Path
):
    train, test = cancer
    splits = write_splits(tmp_path / "splits", train, test, production=_broken_production(test))
    contract = infer_contract(train, "train.csv", target="target")
    (tmp_path / "contract.yaml").write_text(dump_contract(contract, "contract.yaml"))
    checklist = _checklist(tmp_path, "contract.yaml")

    result = cli.audit(good_classifier, splits, "--checklist", str(checklist))

    assert result.exit_code == 1
    check = _check(result)
    assert check["status"] == "fail" and check["question"] == 8
    assert "3 row(s) with a missing value where none is allowed in mean_radius" in check["message"]
    assert "a value outside min/max in mean_area" in check["message"]
    assert check["metrics"]["production_invalid_share"] == 4 / 60
    assert check["metrics"]["test_invalid_share"] == 0.0
    assert "mlready validate --quarantine" in " ".join(check["notes"])
    assert "Data contract, production" in result.markdown


def test_a_production_folder_is_checked_batch_by_batch(
    cli, tmp_path: Path, cancer, good_classifier: Path
):
    train, test = cancer
    splits = write_splits(tmp_path / "splits", train, test)
    batches = splits / "production"
    batches.mkdir()
    unlabelled = test.drop(columns="target")
    unlabelled.head(40).to_csv(batches / "2026-11-01.csv", index=False)
    late = unlabelled.tail(40).copy()
    late["mean_texture"] = late["mean_texture"] * 1000  # a unit change in one batch
    late.to_csv(batches / "2026-11-02.csv", index=False)
    contract = infer_contract(train, "train.csv", target="target")
    (tmp_path / "contract.yaml").write_text(dump_contract(contract, "contract.yaml"))
    result = cli.audit(
        good_classifier, splits, "--checklist", str(_checklist(tmp_path, "contract.yaml"))
    )
    check = _check(result)
    assert check["status"] == "fail"
    assert "production (production/2026-11-02)" in check["message"]
    assert "2026-11-01" not in check["message"]
    table = next(t for t in check["tables"] if t["title"] == "Data contract, production")
    assert {row[0] for row in table["rows"]} == {"production/2026-11-02"}


def test_a_missing_contract_file_is_an_error_naming_it(
    cli, tmp_path: Path, cancer_splits: Path, good_classifier: Path
):
    checklist = _checklist(tmp_path, "nowhere/contract.yaml")
    result = cli.audit(good_classifier, cancer_splits, "--checklist", str(checklist))
    check = _check(result)
    assert check["status"] == "error"
    assert "contract file" in check["message"] and "nowhere/contract.yaml" in check["message"]
    assert "mlready contract infer" in check["message"]
