#!/usr/bin/python3
"""Random-forest baseline for bench/fl.ts, on exactly the features the federated models see.

Usage: /usr/bin/python3 bench/python/rf_baseline.py DIR
DIR holds meta.json ({"kind", "width", "seed"}) and little-endian float32 files
{train,validation,test}_{x,y}.f32 written by bench/fl.ts. Prints one JSON object on stdout:
regression -> {"rmse": ...}; classification -> {"f1": ..., "threshold": ..., "accuracy": ...}
(the probability threshold is tuned on the validation split only, then applied to test).
"""
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import f1_score


def load(directory: Path, split: str, width: int):
    x = np.fromfile(directory / f"{split}_x.f32", dtype="<f4")
    y = np.fromfile(directory / f"{split}_y.f32", dtype="<f4")
    if x.size != y.size * width:
        raise SystemExit(f"{split}: {x.size} feature values for {y.size} labels x {width} features")
    return x.reshape(y.size, width), y


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    directory = Path(sys.argv[1])
    meta = json.loads((directory / "meta.json").read_text())
    width, seed, kind = int(meta["width"]), int(meta["seed"]), meta["kind"]
    x_train, y_train = load(directory, "train", width)
    x_val, y_val = load(directory, "validation", width)
    x_test, y_test = load(directory, "test", width)
    if kind == "regression":
        model = RandomForestRegressor(n_estimators=100, min_samples_leaf=5, max_features=0.33, n_jobs=2, random_state=seed)
        model.fit(x_train, y_train)
        rmse = float(np.sqrt(np.mean((model.predict(x_test) - y_test) ** 2)))
        print(json.dumps({"rmse": rmse}))
        return
    model = RandomForestClassifier(n_estimators=300, min_samples_leaf=1, n_jobs=2, random_state=seed)
    model.fit(x_train, y_train.astype(int))
    p_val = model.predict_proba(x_val)[:, 1]
    # Same grid and tie-break as lib/model/metrics.ts bestThreshold.
    grid = sorted((round(0.05 + 0.05 * i, 2) for i in range(19)), key=lambda t: abs(t - 0.5))
    best = max(grid, key=lambda t: (f1_score(y_val.astype(int), (p_val >= t).astype(int), zero_division=0), -abs(t - 0.5)))
    predicted = (model.predict_proba(x_test)[:, 1] >= best).astype(int)
    truth = y_test.astype(int)
    print(json.dumps({"f1": float(f1_score(truth, predicted, zero_division=0)), "threshold": best, "accuracy": float(np.mean(predicted == truth))}))


if __name__ == "__main__":
    main()
