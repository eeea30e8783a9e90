"""Reference values for libs/metrics from scikit-learn.

Run (Debian packages python3-sklearn 1.2.1, numpy 1.24.2):
    /usr/bin/python3 tools/reference/sklearn_metrics_reference.py
Writes tools/reference/metrics-data/<name>.csv (read by pROC_delong_reference.R) and prints JSON
that libs/metrics/src/reference-agreement.spec.ts hardcodes.
"""
import csv
import json
import os

import sklearn
from sklearn.metrics import auc, average_precision_score, brier_score_loss, precision_recall_curve, roc_auc_score

from metrics_datasets import DATASETS

here = os.path.dirname(os.path.abspath(__file__))
out = {"sklearn": sklearn.__version__}
for name, make in DATASETS.items():
    header, rows = make()
    with open(os.path.join(here, "metrics-data", f"{name}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([r[0]] + [repr(v) for v in r[1:]])
    y = [r[0] for r in rows]
    res = {"n": len(y), "positives": sum(y)}
    for j, col in enumerate(header[1:], start=1):
        s = [r[j] for r in rows]
        precision, recall, _ = precision_recall_curve(y, s)
        res[col] = {
            "roc_auc_score": roc_auc_score(y, s),
            "average_precision_score": average_precision_score(y, s),
            "pr_trapezoid": auc(recall, precision),
        }
        if all(0 <= v <= 1 for v in s):
            res[col]["brier_score_loss"] = brier_score_loss(y, s)
    out[name] = res
print(json.dumps(out, indent=1))
