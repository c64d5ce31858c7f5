#!/usr/bin/python3
"""Reference baselines for the ebieot real-data semi-supervised classification cases.

For every case directory under --root (default bench/realdata/out) holding
train_s{0..4}.csv (10 labelled rows per class, the rest of the training part
with an empty label), train_full.csv (the same rows, all labelled) and
test.csv, this reports test accuracy and log-loss (nats per test row) of

  lr_default    multinomial LogisticRegression, C=1, on the labelled rows only
                (features standardised with the labelled rows' mean/std)
  lr_cv         the same with C chosen by 5-fold stratified CV (neg. log-loss) on
                the labelled rows over C in {1e-3,1e-2,1e-1,1,10,100,1000}
  ls_knn{k}     LabelSpreading(kernel='knn', n_neighbors=k, alpha=0.2,
                max_iter=1000) on labelled + unlabelled rows, k in {3, 7, 15}
                (features standardised with all training rows' mean/std)
  lr_oracle     LogisticRegression C=1 on every training row with its true label
                (standardised with all training rows; does not depend on the seed)

as mean ± std (ddof=1) over the 5 labelled-subset seeds.  Probabilities are
clipped below at 1e-4 and renormalised before the log-loss, for every model
(LabelSpreading's kNN probabilities are often exactly 0).  A test row whose
kNN probabilities are undefined (0/0: none of its neighbours received label
mass, which happens with k=3) gets the uniform distribution, so it counts as
a miss unless its class is the first in sorted order; the fraction of such
rows is reported as "uniform_frac".  Constant columns
keep scale 1 when standardising.

Usage: /usr/bin/python3 bench/realdata/classify_baselines.py [--root DIR] [--json FILE]
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading

HERE = os.path.dirname(os.path.abspath(__file__))
C_GRID = [1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0]
KNN = [3, 7, 15]
CLIP = 1e-4
SEEDS = range(5)


def read(path):
    df = pd.read_csv(path, keep_default_na=False, dtype={"label": str})
    F = df.drop(columns=["label"]).to_numpy(dtype=float)
    lab = df["label"].to_numpy(dtype=object)
    return F, lab


def scores(P, classes_model, y_test, classes):
    # align the model's class order to the case's sorted class list
    idx = [list(classes_model).index(c) for c in classes]
    P = np.asarray(P, dtype=float)[:, idx]
    bad = ~np.isfinite(P).all(axis=1) | ~(P.sum(axis=1) > 0)
    P[bad] = 1.0 / len(classes)  # no label mass reached this point: uniform
    P = np.clip(P, CLIP, None)
    P /= P.sum(axis=1, keepdims=True)
    yi = np.array([classes.index(c) for c in y_test])
    acc = float(np.mean(P.argmax(axis=1) == yi))
    ll = float(-np.mean(np.log(P[np.arange(len(yi)), yi])))
    return acc, ll, float(bad.mean())


def lr(C):
    return LogisticRegression(C=C, max_iter=5000)  # lbfgs, multinomial for >2 classes


def run_case(d, log):
    Ft, yt = read(os.path.join(d, "test.csv"))
    Ff, yf = read(os.path.join(d, "train_full.csv"))
    classes = sorted(set(yf.tolist()))
    out = {"n_features": Ff.shape[1], "classes": classes, "train": len(Ff), "test": len(Ft)}
    sc_all = StandardScaler().fit(Ff)
    Za, Zt_all = sc_all.transform(Ff), sc_all.transform(Ft)
    t0 = time.time()
    m = lr(1.0).fit(Za, yf)
    oracle = scores(m.predict_proba(Zt_all), m.classes_, yt, classes)
    log(f"  oracle acc={oracle[0]:.4f} ll={oracle[1]:.4f} ({time.time() - t0:.1f}s)")
    per = {k: [] for k in ["lr_default", "lr_cv"] + [f"ls_knn{k}" for k in KNN]}
    chosen_C = []
    for s in SEEDS:
        F, y = read(os.path.join(d, f"train_s{s}.csv"))
        assert np.allclose(F, Ff)
        L = y != ""
        assert np.all(y[L] == yf[L])
        out.setdefault("labelled", int(L.sum()))
        out.setdefault("unlabelled", int((~L).sum()))
        sc = StandardScaler().fit(F[L])
        Zl, Zt = sc.transform(F[L]), sc.transform(Ft)
        m = lr(1.0).fit(Zl, y[L])
        per["lr_default"].append(scores(m.predict_proba(Zt), m.classes_, yt, classes))
        cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=s)
        m = LogisticRegressionCV(Cs=C_GRID, cv=cv, scoring="neg_log_loss", max_iter=5000).fit(Zl, y[L])
        chosen_C.append(float(m.C_[0]))
        per["lr_cv"].append(scores(m.predict_proba(Zt), m.classes_, yt, classes))
        yint = np.full(len(y), -1)
        yint[L] = [classes.index(c) for c in y[L]]
        for k in KNN:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ls = LabelSpreading(kernel="knn", n_neighbors=k, alpha=0.2, max_iter=1000).fit(Za, yint)
                P = ls.predict_proba(Zt_all)
            per[f"ls_knn{k}"].append(scores(P, [classes[i] for i in ls.classes_], yt, classes))
        log(f"  seed {s}: " + " ".join(f"{k}={v[-1][0]:.3f}" for k, v in per.items()) + f" C={chosen_C[-1]:g}")
    res = {}
    for k, v in per.items():
        v = np.array(v)
        res[k] = {"acc_mean": float(v[:, 0].mean()), "acc_std": float(v[:, 0].std(ddof=1)),
                  "logloss_mean": float(v[:, 1].mean()), "logloss_std": float(v[:, 1].std(ddof=1)),
                  "uniform_frac_mean": float(v[:, 2].mean()),
                  "acc_per_seed": v[:, 0].tolist(), "logloss_per_seed": v[:, 1].tolist()}
    res["lr_cv"]["chosen_C_per_seed"] = chosen_C
    res["lr_oracle"] = {"acc_mean": oracle[0], "acc_std": 0.0, "logloss_mean": oracle[1], "logloss_std": 0.0}
    res["lr_oracle"]["uniform_frac_mean"] = oracle[2]
    out["baselines"] = res
    return out


def markdown(results):
    keys = ["lr_default", "lr_cv"] + [f"ls_knn{k}" for k in KNN] + ["lr_oracle"]
    names = {"lr_default": "LR C=1 (labelled)", "lr_cv": "LR C by 5-fold CV", "lr_oracle": "LR oracle (all labels)"}
    names.update({f"ls_knn{k}": f"LabelSpreading kNN k={k}" for k in KNN})
    lines = ["Test accuracy / log-loss (nats), mean ± std over 5 labelled-subset seeds "
             "(oracle: one fit).", "",
             "| case | features / classes | labelled / unlabelled / test | " + " | ".join(names[k] for k in keys) + " |",
             "|---|---|---|" + "---|" * len(keys)]
    for c, r in results.items():
        cells = []
        for k in keys:
            v = r["baselines"][k]
            if k == "lr_oracle":
                cells.append(f"{v['acc_mean']:.3f} / {v['logloss_mean']:.3f}")
            else:
                cells.append(f"{v['acc_mean']:.3f}±{v['acc_std']:.3f} / {v['logloss_mean']:.3f}±{v['logloss_std']:.3f}")
        lines.append(f"| {c} | {r['n_features']} / {len(r['classes'])} | {r['labelled']} / {r['unlabelled']} / "
                     f"{r['test']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.join(HERE, "out"))
    ap.add_argument("--json", default=None, help="default: ROOT/classify_baselines.json")
    ap.add_argument("--cases", default=None)
    a = ap.parse_args()
    log = lambda *m: print(*m, file=sys.stderr, flush=True)  # noqa: E731
    cases = sorted(c for c in os.listdir(a.root) if os.path.exists(os.path.join(a.root, c, "train_full.csv")))
    if a.cases:
        cases = [c for c in cases if c in a.cases.split(",")]
    results = {}
    for c in cases:
        log(f"[{c}]")
        t0 = time.time()
        results[c] = run_case(os.path.join(a.root, c), log)
        results[c]["seconds"] = round(time.time() - t0, 1)
    meta = {"C_grid": C_GRID, "knn": KNN, "alpha": 0.2, "prob_clip": CLIP, "seeds": list(SEEDS),
            "cv": "StratifiedKFold(5, shuffle=True, random_state=seed), scoring=neg_log_loss"}
    out = a.json or os.path.join(a.root, "classify_baselines.json")
    with open(out, "w") as f:
        json.dump({"meta": meta, "cases": results}, f, indent=2)
    md = markdown(results)
    print(md)
    with open(os.path.splitext(out)[0] + ".md", "w") as f:
        f.write(md + "\n")
    log("wrote", out)


if __name__ == "__main__":
    main()
