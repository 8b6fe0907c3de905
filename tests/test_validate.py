"""``mlready contract infer`` and ``mlready validate`` on real data, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlready.io.files import file_sha256
from mlready.quality.rules import SeenHashes


@pytest.fixture
def patients(cancer) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Breast cancer splits with an id and a categorical column, as a hospital would send."""
    train, test = (frame.copy() for frame in cancer)
    for frame in (train, test):
        frame.insert(0, "patient_id", [f"P-{i:05d}" for i in frame.index])
        frame["site"] = np.where(frame.index % 3 == 0, "north", "south")
    return train, test


@pytest.fixture
def contract_file(tmp_path: Path, patients, cli) -> Path:
    train_csv = tmp_path / "train.csv"
    patients[0].to_csv(train_csv, index=False)
    contract = tmp_path / "contract.yaml"
    result = cli("contract", "infer", str(train_csv), "-o", str(contract), "--target", "target")
    assert result.exit_code == 0, result.output
    return contract


def _validate(cli, tmp_path: Path, contract: Path, *batches: Path, extra: tuple[str, ...] = ()):
    out = {name: tmp_path / f"{name}.csv" for name in ("quarantine", "clean")}
    report_json = tmp_path / "validation.json"
    result = cli(
        "validate",
        *map(str, batches),
        "--contract",
        str(contract),
        "--quarantine",
        str(out["quarantine"]),
        "--clean",
        str(out["clean"]),
        "--json",
        str(report_json),
        "--report",
        str(tmp_path / "validation.md"),
        *extra,
    )
    result.report = json.loads(report_json.read_text()) if report_json.exists() else None
    result.quarantine = pd.read_csv(out["quarantine"]) if out["quarantine"].exists() else None
    result.clean = pd.read_csv(out["clean"]) if out["clean"].exists() else None
    return result


def _rules(report: dict, batch: int = 0) -> dict[tuple[str, str | None], dict]:
    return {(r["rule"], r["column"]): r for r in report["batches"][batch]["rules"]}


def test_inferred_contract_describes_the_training_data(contract_file: Path):
    contract = yaml.safe_load(contract_file.read_text())
    columns = contract["columns"]
    assert columns["patient_id"] == {
        "type": "string",
        "nullable": False,
        "unique": True,
        "pattern": "[A-Z]\\-[0-9]{5}",
    }
    assert columns["site"]["levels"] == ["north", "south"]
    assert columns["target"] == {"type": "integer", "required": False, "levels": [0, 1]}
    radius = columns["mean_radius"]
    assert radius["type"] == "number" and radius["nullable"] is False
    # 0 kept: radii are positive; the top reaches past train's 28.11 as its skewed tail does
    assert radius["min"] == 0.0 and 40 < radius["max"] < 1000
    assert contract["batch"]["max_duplicate_fraction"] == 0.01


def test_a_contract_inferred_from_train_passes_its_own_test_split(
    cli, tmp_path: Path, patients, contract_file: Path
):
    test_csv = tmp_path / "test.csv"
    patients[1].to_csv(test_csv, index=False)
    result = _validate(cli, tmp_path, contract_file, test_csv)
    assert result.exit_code == 0, result.output
    assert result.report["status"] == "pass"
    assert result.report["quarantined_rows"] == 0
    assert len(result.clean) == len(patients[1]) and len(result.quarantine) == 0
    pd.testing.assert_frame_equal(result.clean, pd.read_csv(test_csv))


def test_bad_rows_go_to_quarantine_with_their_reasons(
    cli, tmp_path: Path, patients, contract_file: Path
):
    batch = patients[1].astype(object)
    batch.iloc[1, batch.columns.get_loc("mean_texture")] = None  # line 3
    batch.iloc[3, batch.columns.get_loc("mean_perimeter")] = 9999.0  # line 5
    batch.iloc[5, batch.columns.get_loc("site")] = "east"  # line 7
    batch.iloc[7, batch.columns.get_loc("mean_area")] = "abc"  # line 9
    batch.iloc[8, batch.columns.get_loc("patient_id")] = "unknown"  # line 10
    batch.iloc[8, batch.columns.get_loc("mean_radius")] = -1.0  # line 10, a second reason
    path = tmp_path / "batch.csv"
    batch.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    lines.insert(11, "1,2,3")  # line 12: too few fields
    path.write_text("\n".join(lines) + "\n")
    digest = file_sha256(path)

    result = _validate(cli, tmp_path, contract_file, path)

    assert result.exit_code == 1, result.output
    quarantine = result.quarantine
    assert dict(zip(quarantine["_row"], quarantine["_reasons"], strict=True)) == {
        3: "null:mean_texture",
        5: "range:mean_perimeter",
        7: "level:site",
        9: "type:mean_area",
        10: "pattern:patient_id; range:mean_radius",  # in column order
        12: "malformed: expected 33 fields, found 3",
    }
    assert quarantine.loc[quarantine["_row"] == 12, "_raw"].item() == "1,2,3"
    assert quarantine.loc[quarantine["_row"] == 7, "site"].item() == "east"  # original values
    assert set(quarantine["_source"]) == {str(path)}
    report = result.report
    assert report["rows"] == len(batch) + 1 == report["clean_rows"] + report["quarantined_rows"]
    assert len(result.clean) == report["clean_rows"] == len(batch) - 5
    assert file_sha256(path) == digest  # the input is never modified
    rules = _rules(report)
    assert rules[("type", "mean_area")]["examples"] == [{"row": 9, "value": "abc"}]
    assert rules[("invalid_rows", None)]["status"] == "fail"
    markdown = (tmp_path / "validation.md").read_text()
    assert "| ❌ fail | level | site | 1 |" in markdown and "`east`" in markdown


def test_a_missing_column_fails_the_batch_naming_it(
    cli, tmp_path: Path, patients, contract_file: Path
):
    path = tmp_path / "batch.csv"
    patients[1].drop(columns=["mean_area", "target"]).to_csv(path, index=False)
    result = _validate(cli, tmp_path, contract_file, path)
    assert result.exit_code == 1
    assert "mean_area" in result.output and "missing" in result.output
    rules = _rules(result.report)
    assert rules[("missing_column", "mean_area")]["status"] == "fail"
    assert ("missing_column", "target") not in rules  # the target is not required in batches
    assert result.report["quarantined_rows"] == 0  # the rows themselves are fine


def _edit(contract: Path, change) -> None:
    data = yaml.safe_load(contract.read_text())
    change(data)
    contract.write_text(yaml.safe_dump(data, sort_keys=False))


def test_batch_rules_volume_duplicates_nulls_and_extra_columns(
    cli, tmp_path: Path, patients, contract_file: Path
):
    def tighten(data: dict) -> None:
        data["batch"].update(max_rows=100, max_duplicate_fraction=0.0, extra_columns="fail")
        data["columns"]["mean_radius"].update(nullable=True, max_null_fraction=0.01)
        data["columns"]["patient_id"]["unique"] = False

    _edit(contract_file, tighten)
    batch = pd.concat([patients[1], patients[1].head(3)])  # 174 rows, 3 repeated
    missing = (np.arange(len(batch)) >= 20) & (np.arange(len(batch)) < 30)
    batch["mean_radius"] = batch["mean_radius"].mask(missing)  # 10 missing
    batch["comment"] = "x"
    path = tmp_path / "batch.csv"
    batch.to_csv(path, index=False)
    result = _validate(cli, tmp_path, contract_file, path)
    assert result.exit_code == 1
    rules = _rules(result.report)
    assert rules[("rows", None)]["observed"] == 174 and rules[("rows", None)]["status"] == "fail"
    assert rules[("duplicates", None)]["observed"] == pytest.approx(3 / 174)
    assert rules[("null_fraction", "mean_radius")]["observed"] == pytest.approx(10 / 174)
    assert rules[("extra_column", None)]["status"] == "fail"
    assert result.report["quarantined_rows"] == 0


def test_extra_columns_only_warn_by_default(cli, tmp_path: Path, patients, contract_file: Path):
    path = tmp_path / "batch.csv"
    patients[1].assign(comment="x").to_csv(path, index=False)
    result = _validate(cli, tmp_path, contract_file, path)
    assert result.exit_code == 0
    assert _rules(result.report)[("extra_column", None)]["status"] == "warn"


def test_tolerated_invalid_share_passes_but_still_quarantines(
    cli, tmp_path: Path, patients, contract_file: Path
):
    _edit(contract_file, lambda data: data["batch"].update(max_invalid_fraction=0.05))
    batch = patients[1].copy()
    batch.iloc[0, batch.columns.get_loc("site")] = "east"
    path = tmp_path / "batch.csv"
    batch.to_csv(path, index=False)
    result = _validate(cli, tmp_path, contract_file, path)
    assert result.exit_code == 0
    assert result.report["status"] == "warn" and len(result.quarantine) == 1


def test_freshness_is_judged_at_the_given_time(cli, tmp_path: Path):
    frame = pd.DataFrame(
        {"when": pd.date_range("2026-01-01", periods=30, freq="h").astype(str), "x": range(30)}
    )
    train = tmp_path / "train.csv"
    frame.to_csv(train, index=False)
    contract = tmp_path / "contract.yaml"
    assert (
        cli("contract", "infer", str(train), "-o", str(contract), "--time", "when").exit_code == 0
    )
    _edit(contract, lambda data: data["batch"]["freshness"].update(max_age="12h"))
    fresh = _validate(cli, tmp_path, contract, train, extra=("--now", "2026-01-02T10:00Z"))
    assert fresh.exit_code == 0, fresh.output
    stale = _validate(cli, tmp_path, contract, train, extra=("--now", "2026-01-03T10:00Z"))
    assert stale.exit_code == 1
    rule = _rules(stale.report)[("freshness", "when")]
    assert rule["status"] == "fail" and rule["observed"] == "1 days 05:00:00"


def test_columns_that_arrive_with_the_label_may_be_missing_from_a_batch(cli, tmp_path: Path):
    train = tmp_path / "train.csv"
    pd.DataFrame(
        {"x": range(30), "target": [0, 1] * 15, "labelled_at": ["2026-01-02T00:00Z"] * 30}
    ).to_csv(train, index=False)
    contract = tmp_path / "contract.yaml"
    args = ["contract", "infer", str(train), "-o", str(contract), "--target", "target"]
    assert cli(*args, "--label-column", "labelled_at").exit_code == 0
    rule = yaml.safe_load(contract.read_text())["columns"]["labelled_at"]
    assert rule["type"] == "datetime" and rule["required"] is False
    batch = tmp_path / "batch.csv"
    pd.DataFrame({"x": range(5), "labelled_at": [None] * 5}).to_csv(batch, index=False)
    assert _validate(cli, tmp_path, contract, batch).exit_code == 0
    pd.DataFrame({"x": range(5)}).to_csv(batch, index=False)
    assert _validate(cli, tmp_path, contract, batch).exit_code == 0
    missing = cli(*args, "--label-column", "labeled_at", "--force")
    assert missing.exit_code == 2 and "no column 'labeled_at' (--label-column)" in missing.output


@pytest.mark.parametrize("suffix", [".parquet", ".feather", ".jsonl"])
def test_every_format_gives_the_same_verdicts(
    cli, tmp_path: Path, patients, contract_file: Path, suffix: str
):
    batch = patients[1].copy()
    batch["mean_radius"] = batch["mean_radius"].astype(object)
    batch.iloc[2, batch.columns.get_loc("mean_radius")] = "n/a?"
    batch.iloc[4, batch.columns.get_loc("site")] = "east"
    batch.iloc[6, batch.columns.get_loc("mean_area")] = np.nan
    csv = tmp_path / "batch.csv"
    batch.to_csv(csv, index=False)
    other = tmp_path / f"batch{suffix}"
    as_text = batch.assign(mean_radius=batch["mean_radius"].astype(str))
    if suffix == ".parquet":
        as_text.to_parquet(other, index=False)
    elif suffix == ".feather":
        as_text.to_feather(other)
    else:
        batch.to_json(other, orient="records", lines=True)
    expected = _validate(cli, tmp_path / "csv", contract_file, csv)
    result = _validate(cli, tmp_path / "other", contract_file, other)
    assert result.exit_code == expected.exit_code == 1
    counts = {k: r["count"] for k, r in _rules(result.report).items() if r["kind"] == "row"}
    assert counts == {
        k: r["count"] for k, r in _rules(expected.report).items() if r["kind"] == "row"
    }
    assert counts == {("type", "mean_radius"): 1, ("level", "site"): 1, ("null", "mean_area"): 1}
    assert sorted(result.quarantine["_row"]) == [3, 5, 7] if suffix == ".jsonl" else [2, 4, 6]


def test_a_malformed_json_line_is_quarantined(cli, tmp_path: Path, contract_file: Path, patients):
    path = tmp_path / "batch.jsonl"
    records = patients[1].head(5).to_json(orient="records", lines=True).splitlines()
    records.insert(2, '{"patient_id": "P-00001", ')
    path.write_text("\n".join(records) + "\n")
    result = _validate(cli, tmp_path, contract_file, path)
    assert result.exit_code == 1
    malformed = result.quarantine.loc[result.quarantine["_row"] == 3, "_reasons"].item()
    assert malformed.startswith("malformed: invalid JSON")
    assert result.report["clean_rows"] == 5


def test_semicolon_cp1252_csv_is_detected(cli, tmp_path: Path):
    frame = pd.DataFrame({"city": ["Köln", "Zürich", "Málaga"] * 10, "price": np.arange(30.0)})
    train = tmp_path / "train.csv"
    frame.to_csv(train, sep=";", index=False, encoding="cp1252")
    contract = tmp_path / "contract.yaml"
    assert cli("contract", "infer", str(train), "-o", str(contract)).exit_code == 0
    data = yaml.safe_load(contract.read_text(encoding="utf-8"))
    assert data["csv"] == {"delimiter": ";", "encoding": "cp1252"}
    assert data["columns"]["city"]["levels"] == ["Köln", "Málaga", "Zürich"]
    result = _validate(cli, tmp_path, contract, train)
    assert result.exit_code == 0, result.output
    assert result.report["clean_rows"] == 30


def test_rules_hold_across_chunks(cli, tmp_path: Path, monkeypatch, patients, contract_file):
    """Tiny read blocks: repeats, line numbers and malformed lines are tracked across chunks."""
    monkeypatch.setattr("mlready.io.stream._CSV_BLOCK_BYTES", 4096)
    batch = pd.concat([patients[1], patients[1].head(2)])  # the last two ids repeat
    path = tmp_path / "batch.csv"
    batch.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    lines.insert(100, "oops")
    path.write_text("\n".join(lines) + "\n")
    result = _validate(cli, tmp_path, contract_file, path)
    quarantine = result.quarantine
    assert dict(zip(quarantine["_row"], quarantine["_reasons"], strict=True)) == {
        101: "malformed: expected 33 fields, found 1",
        len(lines) - 1: "unique:patient_id",
        len(lines): "unique:patient_id",
    }
    assert result.report["clean_rows"] == len(patients[1])


def test_nothing_is_written_when_a_batch_cannot_be_read(
    cli, tmp_path: Path, patients, contract_file: Path
):
    good = tmp_path / "good.csv"
    patients[1].to_csv(good, index=False)
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"\x00\x01 not parquet" * 10)
    out = tmp_path / "out"
    result = cli(
        "validate",
        str(good),
        str(garbage),
        "--contract",
        str(contract_file),
        "--quarantine",
        str(out / "q.csv"),
        "--clean",
        str(out / "c.csv"),
    )
    assert result.exit_code == 2
    assert "garbage.parquet" in result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_outputs_never_overwrite_an_input(cli, tmp_path: Path, patients, contract_file: Path):
    batch = tmp_path / "batch.csv"
    patients[1].to_csv(batch, index=False)
    digest = file_sha256(batch)
    result = cli("validate", str(batch), "--contract", str(contract_file), "--clean", str(batch))
    assert result.exit_code == 2 and "is also an input" in result.output
    assert file_sha256(batch) == digest


def test_a_broken_contract_names_the_line_and_key(cli, tmp_path: Path, contract_file, patients):
    batch = tmp_path / "batch.csv"
    patients[1].to_csv(batch, index=False)
    text = contract_file.read_text().replace("    nullable: false", "    nulable: false", 1)
    contract_file.write_text(text)
    line = text.splitlines().index("    nulable: false") + 1
    result = cli("validate", str(batch), "--contract", str(contract_file))
    assert result.exit_code == 2
    assert f"contract.yaml:{line}: columns.patient_id.nulable: unknown key" in result.output
    assert "did you mean 'nullable'" in result.output

    contract_file.write_text("columns:\n  a: {type: number\n")
    result = cli("validate", str(batch), "--contract", str(contract_file))
    assert result.exit_code == 2 and "YAML syntax error" in result.output


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            {"type": "text"},
            "Input should be 'integer', 'number', 'boolean', 'string' or 'datetime'",
        ),
        ({"type": "number", "min": 5, "max": 1}, "min (5.0) is larger than max (1.0)"),
        ({"type": "string", "pattern": "(unclosed"}, "not a valid RE2 regular expression"),
        ({"type": "string", "min": 1}, "min/max apply to integer and number columns"),
    ],
)
def test_contract_values_are_validated(cli, tmp_path: Path, column: dict, message: str):
    contract = tmp_path / "contract.yaml"
    contract.write_text(yaml.safe_dump({"columns": {"a": column}}))
    batch = tmp_path / "batch.csv"
    batch.write_text("a\n1\n")
    result = cli("validate", str(batch), "--contract", str(contract))
    assert result.exit_code == 2
    assert message in result.output


def test_infer_refuses_to_overwrite_an_edited_contract(cli, tmp_path: Path, contract_file: Path):
    before = contract_file.read_text()
    result = cli("contract", "infer", str(tmp_path / "train.csv"), "-o", str(contract_file))
    assert result.exit_code == 2 and "already exists" in result.output
    assert contract_file.read_text() == before


def test_infer_names_an_unknown_column(cli, tmp_path: Path, contract_file: Path):
    result = cli(
        "contract",
        "infer",
        str(tmp_path / "train.csv"),
        "-o",
        str(tmp_path / "c2.yaml"),
        "--target",
        "tagret",
    )
    assert result.exit_code == 2
    assert "no column 'tagret' (--target) (did you mean 'target'?)" in result.output


def test_seen_hashes_find_repeats_within_and_across_calls():
    seen = SeenHashes()
    rng = np.random.default_rng(0)
    values = rng.integers(0, 5000, 20_000).astype(np.uint64)
    repeats = np.concatenate([seen.repeated(part) for part in np.array_split(values, 37)])
    np.testing.assert_array_equal(repeats, pd.Series(values).duplicated().to_numpy())


def test_an_interrupted_run_leaves_no_partial_output(
    cli, tmp_path: Path, monkeypatch, patients, contract_file: Path
):
    from mlready.quality.validate import BatchValidator

    monkeypatch.setattr("mlready.io.stream._ROWS_PER_CHUNK", 20)
    monkeypatch.setattr("mlready.io.stream._CSV_BLOCK_BYTES", 4096)
    checked = BatchValidator.check

    def interrupt_on_third_chunk(self, frame, rows):
        if self.rows >= 40:
            raise KeyboardInterrupt
        return checked(self, frame, rows)

    monkeypatch.setattr(BatchValidator, "check", interrupt_on_third_chunk)
    batch = tmp_path / "batch.csv"
    patients[1].to_csv(batch, index=False)
    out = tmp_path / "out"
    result = cli(
        "validate",
        str(batch),
        "--contract",
        str(contract_file),
        "--quarantine",
        str(out / "q.parquet"),
        "--clean",
        str(out / "c.parquet"),
    )
    assert result.exit_code == 130
    assert "interrupted" in result.output
    assert list(out.iterdir()) == []  # no outputs and no temporary files


def test_a_folder_or_missing_batch_is_a_clear_error(cli, tmp_path: Path, contract_file: Path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    result = cli("validate", str(folder), "--contract", str(contract_file))
    assert result.exit_code == 2 and "is a folder" in result.output and "*.csv" in result.output
    result = cli("validate", str(tmp_path / "nope.csv"), "--contract", str(contract_file))
    assert result.exit_code == 2 and "nope.csv does not exist" in result.output


def test_binary_garbage_and_missing_files_are_clear_errors(cli, tmp_path: Path, contract_file):
    garbage = tmp_path / "batch.csv"
    garbage.write_bytes(bytes(range(256)) * 20)
    result = cli("validate", str(garbage), "--contract", str(contract_file))
    assert result.exit_code == 2 and "batch.csv holds binary data, not CSV text" in result.output
    result = cli("contract", "infer", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "c.yaml"))
    assert result.exit_code == 2 and "nope.csv does not exist" in result.output


# --- max_null_fraction: beyond chance for the batch's size ----------------------------------


def _null_rule(missing: int, rows: int, limit: float):
    from mlready.contract import ColumnContract, DataContract
    from mlready.quality.validate import validate_frame

    contract = DataContract(columns={"x": ColumnContract(type="number", max_null_fraction=limit)})
    batch = pd.DataFrame({"x": np.where(np.arange(rows) < missing, np.nan, 1.0)})
    result = validate_frame(batch, contract, "batch")
    return next(r for r in result.rules if r.rule == "null_fraction")


def test_a_small_batch_a_little_over_its_missing_share_is_within_chance():
    # penguins: 4 of 54 rows missing against 4.4% inferred from train; a source at 4.4%
    # sends 4 or more missing values in one batch of 54 about one time in four
    rule = _null_rule(4, 54, 0.044)
    assert rule.status == "pass"
    assert rule.observed == pytest.approx(4 / 54)
    assert "(4 of 54 rows; above 4.40% but within chance for a batch this size" in rule.message


def test_a_missing_value_spike_is_beyond_chance_even_in_a_small_batch():
    rule = _null_rule(16, 54, 0.044)  # 30% missing
    assert rule.status == "fail"
    assert "at most 4.40%; beyond chance, p = " in rule.message


def test_a_large_batch_just_over_its_limit_fails_and_one_at_it_passes():
    assert _null_rule(5_500, 100_000, 0.05).status == "fail"  # 5.5%: 23 standard errors
    assert _null_rule(5_000, 100_000, 0.05).status == "pass"


def test_a_limit_of_zero_fails_a_single_missing_value():
    assert _null_rule(1, 10_000, 0.0).status == "fail"


def test_levels_are_listed_only_when_no_level_was_seen_once():
    from mlready.quality.infer import infer_contract

    common = ["red"] * 30 + ["green"] * 20 + ["blue"] * 10
    listed = infer_contract(pd.DataFrame({"colour": common}), "train").columns["colour"]
    assert listed.levels == ["blue", "green", "red"]
    # one 'teal': a level seen once says a clean batch will bring others (Good-Turing)
    rare = infer_contract(pd.DataFrame({"colour": [*common, "teal"]}), "train").columns["colour"]
    assert rare.levels is None


def test_validate_writes_valid_junit_annotations_and_a_job_summary(
    cli, tmp_path: Path, patients, contract_file: Path, monkeypatch
):
    import xml.etree.ElementTree as ET

    import xmlschema

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    patients[1].to_csv(good, index=False)
    broken = patients[1].copy()
    broken.loc[broken.index[0], "mean_radius"] = -5.0
    broken.to_csv(bad, index=False)
    junit = tmp_path / "validation.xml"

    result = _validate(cli, tmp_path, contract_file, good, bad, extra=("--junit", str(junit)))

    assert result.exit_code == 1, result.output
    schema = xmlschema.XMLSchema(Path(__file__).parent / "formats" / "junit-10.xsd")
    schema.validate(junit)
    root = ET.parse(junit).getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {str(good), str(bad)}
    assert suites[str(good)].get("failures") == "0"
    failed = [
        c.get("name") for c in suites[str(bad)].iter("testcase") if c.find("failure") is not None
    ]
    assert "range: mean_radius" in failed
    assert "::error file=bad.csv,title=mlready contract%3A range mean_radius::" in result.stdout
    assert "::error file=good.csv" not in result.stdout
    text = summary.read_text()
    assert text.startswith("## mlready validate: breaks the contract")
    assert "| `" + str(bad) + "` | fail |" in text
