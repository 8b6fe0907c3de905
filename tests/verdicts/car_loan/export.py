"""Exports NannyML's synthetic car-loan data set into the two Parquet files beside this
script, and NannyML's own CBPE estimate of ROC AUC per 5,000-row chunk of the analysis
period (fitted on the whole reference period, as its documentation does) to
``nannyml_cbpe.csv``: the peer's numbers the test compares with. Run once, with nannyml
installed in a throwaway environment (it is not a dependency of mlready, not even for
tests):

    python -m venv /tmp/nannyml && /tmp/nannyml/bin/pip install nannyml statsmodels
    /tmp/nannyml/bin/python tests/verdicts/car_loan/export.py

The data set ships inside the nannyml package under the Apache License 2.0 (see README.md and
LICENSE beside this script).
"""

import os
from pathlib import Path

# nannyml reports usage to a web service unless told not to; this export stays offline.
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"

import nannyml
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from nannyml.datasets import load_synthetic_car_loan_dataset

HERE = Path(__file__).parent
CHUNK_ROWS = 5000


def nannyml_cbpe(reference: pd.DataFrame, analysis: pd.DataFrame) -> pd.DataFrame:
    """NannyML's CBPE of ROC AUC per chunk, with the realised value and its alert."""
    estimator = nannyml.CBPE(
        y_pred_proba="y_pred_proba",
        y_pred="y_pred",
        y_true="repaid",
        metrics=["roc_auc"],
        chunk_size=CHUNK_ROWS,
        problem_type="classification_binary",
    )
    estimator.fit(reference)
    roc_auc = estimator.estimate(analysis).filter(period="analysis").to_df()["roc_auc"]
    return pd.DataFrame(
        {
            "chunk": range(len(roc_auc)),
            "estimated_roc_auc": roc_auc["value"].round(6),
            "realised_roc_auc": roc_auc["realized"].round(6),
            "alert": roc_auc["alert"],
        }
    )


def main() -> None:
    reference, analysis, analysis_target = load_synthetic_car_loan_dataset()
    analysis = analysis.merge(analysis_target, on="id", validate="one_to_one")
    nannyml_cbpe(reference, analysis).to_csv(HERE / "nannyml_cbpe.csv", index=False)
    for name, frame in (("reference", reference), ("analysis", analysis)):
        frame = frame.drop(columns="id")
        frame["repaid"] = frame["repaid"].astype("int8")
        frame["timestamp"] = pd.to_datetime(frame["timestamp"])
        pq.write_table(
            pa.Table.from_pandas(frame, preserve_index=False),
            HERE / f"{name}.parquet",
            compression="zstd",
            compression_level=19,
            # Regular timestamps delta-encode to almost nothing; the two continuous
            # features are noise and compress best split into byte streams.
            use_dictionary=["salary_range", "size_of_downpayment", "car_value", "loan_length"],
            column_encoding={
                "timestamp": "DELTA_BINARY_PACKED",
                "debt_to_income_ratio": "BYTE_STREAM_SPLIT",
                "driver_tenure": "BYTE_STREAM_SPLIT",
            },
        )


if __name__ == "__main__":
    main()
