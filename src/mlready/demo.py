"""The bundled example: a real model on data scikit-learn ships, audited end to end.

``mlready demo`` and ``examples/build_example.py`` both call
:func:`build_example`; nothing is downloaded.
"""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import numpy as np
import yaml
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mlready.contract import dump_contract
from mlready.io.files import write_atomic
from mlready.quality.infer import infer_contract
from mlready.spec import ChecklistSpec

# The example's settings; the checklist it writes documents every other key too.
EXAMPLE_SETTINGS = """\
data:
  dir: splits
  target: diagnosis
metrics:
  primary: roc_auc
  extra: [accuracy, f1]
limits:                  # what the serving team agreed to (question 6)
  p95_latency_ms: 50
  p99_latency_ms: 100
  min_throughput_rps: 1000
  max_memory_mb: 256
  max_model_size_mb: 10
  max_cost_per_1k: 0.01
  min_primary_metric: 0.95
cost:
  per_hour: 0.40         # price of the serving machine
checks:
  baseline:
    naive: {severity: fail}
    simple: {severity: warn}
  data_quality:
    contract: contract.yaml  # written by 'mlready contract infer splits/train.csv'
answers:                 # what no data can answer, by a named person, dated
  integration:
    answer: >-
      Batch scoring of each day's biopsy measurements. A pathologist reviews every
      prediction before a result is reported (human in the loop); disagreements are
      logged as feedback, and the manual reading is the fallback when the model is down.
    owner: Demo Team
    evidence: docs/checklist-guide.md
    date: TODAY
  ethics_review:
    answer: >-
      Reviewed against the six responsible-AI principles: no personal attributes are
      used; a missed malignancy costs far more than a false alarm, so the threshold
      favours recall, and patients are told a model assists the reading.
    owner: Demo Team
    date: TODAY
"""


EXAMPLE_HEADER = """\
# The checklist of mlready's bundled example: 'mlready demo' writes it next to the example's
# data (mlready-demo/), and checklist.yaml at the top of the repository is the same text, to
# copy from. Every key is documented, with the example's value where it sets one and the
# default everywhere else. Paths are relative to this file. Docs: 'mlready checks',
# 'mlready explain ID', 'mlready init' (the same file with every default).
"""


def example_checklist(answered: dt.date) -> str:
    """The example's checklist text, its written answers dated ``answered``."""
    from mlready.registry import load_checks
    from mlready.starter import starter_checklist

    settings = yaml.safe_load(EXAMPLE_SETTINGS.replace("TODAY", answered.isoformat()))
    spec = ChecklistSpec.model_validate(settings)
    return starter_checklist(load_checks(), spec, EXAMPLE_HEADER)


def build_example(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """Write splits, a pickled pipeline and a checklist to ``folder``.

    Returns the model path and the checklist path (a data contract inferred from
    train is written next to it). The data is the Wisconsin
    breast cancer set (569 tumours, 30 numeric features, binary diagnosis),
    split into train, validation, test and two weekly production batches in
    which one feature has drifted; the second week's labels have not arrived.
    """
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns={"target": "diagnosis"})
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    rest, production = train_test_split(
        frame, test_size=0.15, random_state=seed, stratify=frame["diagnosis"]
    )
    rest, test = train_test_split(
        rest, test_size=0.25, random_state=seed, stratify=rest["diagnosis"]
    )
    train, validation = train_test_split(
        rest, test_size=0.2, random_state=seed, stratify=rest["diagnosis"]
    )
    # Production arrives in weekly batches from a scanner whose texture readings run 30%
    # high (the kind of change the drift check is there to catch). Labels (biopsy results)
    # come back later: the first week's have arrived, the second week's not yet.
    production = production.copy()
    production["mean_texture"] *= 1.3
    first, second = np.array_split(np.arange(len(production)), 2)
    splits = folder / "splits"
    batches = splits / "production"
    batches.mkdir(parents=True, exist_ok=True)
    production.iloc[first].to_csv(batches / "2026-11-02.csv", index=False)
    waiting = production.iloc[second].assign(diagnosis=np.nan)
    waiting.to_csv(batches / "2026-11-09.csv", index=False)
    named = {"train": train, "validation": validation, "test": test}
    for name, split in named.items():
        split.to_csv(splits / f"{name}.csv", index=False)
    model = Pipeline(
        [
            ("scale", StandardScaler()),
            ("forest", RandomForestClassifier(n_estimators=100, random_state=seed)),
        ]
    )
    model.fit(train.drop(columns="diagnosis"), train["diagnosis"])
    model_path = folder / "model.pkl"
    with model_path.open("wb") as handle:
        pickle.dump(model, handle, protocol=5)
    contract = infer_contract(train, "splits/train.csv", target="diagnosis")
    # Up to 5% of a batch may be quarantined before the batch fails the contract.
    contract.batch.max_invalid_fraction = 0.05
    write_atomic(folder / "contract.yaml", dump_contract(contract, "contract.yaml"))
    checklist = folder / "checklist.yaml"
    write_atomic(checklist, example_checklist(dt.date.today()))
    return model_path, checklist
