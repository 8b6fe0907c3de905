"""metric_parity end to end: test cut into months from a time column read from CSV. Every
option and verdict is tested as a unit in ``tests/checks/test_metric_parity.py``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from tests.conftest import save_pickle, write_splits


def parity(result) -> dict:
    return next(c for c in result.json["checks"] if c["id"] == "metric_parity")


def checklist(tmp_path, text: str) -> str:
    path = tmp_path / "checklist.yaml"
    path.write_text(text)
    return str(path)


def test_per_window_metrics_and_a_degrading_forecaster(cli, tmp_path):
    # Sales that a linear model forecasts well in January but worse every month after.
    rng = np.random.default_rng(1)
    n = 2400
    dates = pd.date_range("2024-01-01", periods=n, freq="3h")
    x = rng.normal(size=n)
    month = dates.month.to_numpy()
    sales = 10 + 3 * x + rng.normal(scale=0.2 * month**1.5, size=n)
    frame = pd.DataFrame({"date": dates.astype(str), "x": x, "sales": sales})
    train, test = frame.iloc[::2], frame.iloc[1::2]
    model = LinearRegression().fit(train[["x"]], train["sales"])
    text = (
        "data: {target: sales, time: date}\n"
        "checks:\n  metric_parity: {max_window_gap: 0.3, auto_slices: false}\n"
    )
    result = cli.audit(
        save_pickle(model, tmp_path / "lr.pkl"),
        write_splits(tmp_path / "s", train, test),
        "-c",
        checklist(tmp_path, text),
    )
    check = parity(result)
    windows = next(t for t in check["tables"] if t["title"].startswith("rmse by month on test"))
    assert len(windows["rows"]) == 10  # January to October
    assert windows["rows"][0][0] == "2024-10"  # worst first
    assert check["status"] == "fail", (check["message"], windows)
    assert "rmse is worse than" in check["message"] and "month(s) of test" in check["message"]
    assert check["metrics"]["window_trend_slope_test"] > 0  # errors grow month by month
    assert check["metrics"]["window_trend_tau_test"] > 0.8
    assert check["metrics"]["window_trend_p_test"] < 0.01
