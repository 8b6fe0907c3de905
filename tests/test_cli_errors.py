"""Bad input: exit 2, a message naming the file/key/column, never a traceback."""

from __future__ import annotations

import pytest

from .conftest import write_splits


def assert_clean_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_missing_target_column(cli, good_classifier, cancer_splits):
    result = cli.audit(good_classifier, cancer_splits, "--target", "diagnosis")
    assert_clean_error(result, "target column 'diagnosis' not found", "train.csv", "--target")
    assert result.json is None


def test_malformed_yaml_names_line_and_column(cli, tmp_path, good_classifier, cancer_splits):
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("data:\n  target: target\n  splits: [train\n")
    assert_clean_error(
        cli.audit(good_classifier, cancer_splits, "-c", str(checklist)),
        "checklist.yaml:4:1",
        "YAML syntax error",
    )


def test_unknown_key_suggests_the_right_one(cli, tmp_path, good_classifier, cancer_splits):
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("data:\n  targt: target\n")
    assert_clean_error(
        cli.audit(good_classifier, cancer_splits, "-c", str(checklist)),
        "checklist.yaml:2",
        "data.targt",
        "did you mean 'target'",
    )


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("checks:\n  baseln: {}\n", ["checks.baseln", "did you mean 'baseline'"]),
        (
            "checks:\n  baseline:\n    naive:\n      min_marg: 0.1\n",
            ["checks.baseline.naive.min_marg", "did you mean 'min_margin'"],
        ),
        (
            "checks:\n  baseline:\n    confidence: 2\n",
            ["checks.baseline.confidence", "less than 1"],
        ),
        ("metrics:\n  primary: auc\n", ["unknown metric 'auc'"]),
        ("metrics:\n  primary: rmse\n", ["'rmse' does not apply to a binary task"]),
        ("- just\n- a list\n", ["must be a mapping"]),
        (  # a required key the file leaves out: the line is where it belongs
            "checks:\n  baseline:\n    custom:\n      - {column: guess}\n",
            ["checklist.yaml:3: checks.baseline.custom.0.name: Field required"],
        ),
    ],
)
def test_invalid_checklists(cli, tmp_path, good_classifier, cancer_splits, text, fragments):
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text(text)
    assert_clean_error(cli.audit(good_classifier, cancer_splits, "-c", str(checklist)), *fragments)


def test_missing_data_folder_and_split(cli, tmp_path, good_classifier, cancer):
    assert_clean_error(cli.audit(good_classifier, tmp_path / "nope"), "does not exist")
    folder = write_splits(tmp_path / "s", *cancer)
    (folder / "test.csv").unlink()
    assert_clean_error(cli.audit(good_classifier, folder), "no test split found")


def test_split_lacking_a_feature_names_the_column(cli, tmp_path, good_classifier, cancer):
    train, test = cancer
    folder = write_splits(tmp_path / "s", train, test.drop(columns=["mean_radius"]))
    assert_clean_error(cli.audit(good_classifier, folder), "test.csv", "mean_radius")


def test_empty_file_and_single_class_target(cli, tmp_path, good_classifier, cancer):
    train, test = cancer
    folder = write_splits(tmp_path / "s", train, test)
    (folder / "test.csv").write_text("")
    assert_clean_error(cli.audit(good_classifier, folder), "test.csv is empty")
    folder = write_splits(tmp_path / "t", train[train["target"] == 1], test)
    assert_clean_error(cli.audit(good_classifier, folder), "single class")


def test_all_nan_target_and_ambiguous_split(cli, tmp_path, good_classifier, cancer):
    train, test = cancer
    test = test.assign(target=float("nan"))
    assert_clean_error(
        cli.audit(good_classifier, write_splits(tmp_path / "s", train, test)),
        "target column 'target' has no values",
    )
    folder = write_splits(tmp_path / "t", *cancer)
    cancer[1].to_parquet(folder / "test.parquet")
    assert_clean_error(cli.audit(good_classifier, folder), "ambiguous", "test.csv, test.parquet")


def test_model_file_problems(cli, tmp_path, cancer_splits):
    assert_clean_error(cli.audit(tmp_path / "missing.pkl", cancer_splits), "missing.pkl")
    truncated = tmp_path / "truncated.pkl"
    truncated.write_bytes(b"\x80\x05\x95\x10\x00\x00")
    assert_clean_error(cli.audit(truncated, cancer_splits), "truncated.pkl")
    odd = tmp_path / "model.txt"
    odd.write_text("hi")
    assert_clean_error(cli.audit(odd, cancer_splits), "model.txt")


def test_no_traceback_without_debug_for_bad_arguments(cli, cancer_splits):
    result = cli("audit", "--data", str(cancer_splits), "--fail-on", "sometimes")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize("isolate", ["off", "full"])
def test_a_wrong_model_file_is_said_before_any_data_is_read(cli, tmp_path, monkeypatch, isolate):
    """The data folder is missing too: the model file is what is reported."""
    monkeypatch.setenv("MLREADY_ISOLATE", isolate)
    model = tmp_path / "model.h5"
    model.write_bytes(b"\x89HDF\r\n")
    assert_clean_error(cli.audit(model, tmp_path / "no-such-splits"), "unsupported suffix")


def test_a_refused_pickle_is_said_before_any_data_is_read(cli, tmp_path):
    """In mlready's own process (--isolate off) the scan runs before the data is read."""
    import pickle

    model = tmp_path / "model.pkl"
    model.write_bytes(pickle.dumps(print))  # builtins.print: not on the allow-list
    assert_clean_error(cli.audit(model, tmp_path / "no-such-splits"), "was refused")
