#!/usr/bin/python3
"""Build the ebieot real-data benchmark cases from files that Debian packages install.

Every case is built deterministically (fixed seeds) from data shipped inside
installed packages; nothing is downloaded.  Needed packages (see README.md):

    apt-get install -y python3-sklearn python3-numpy python3-pandas \
        r-base-core r-cran-modeldata r-cran-mlbench dataset-fashion-mnist

Outputs (bench/realdata/out/ is git-ignored):
  out/<case>/train.csv, holdout.csv, allpairs.csv      conditional-density cases
  out/<case>/train.csv (= train_s0.csv), train_s1..4.csv, train_full.csv, test.csv
                                                       classification cases
  out/sources.json                                     provenance of every case
  datasets/testdata/real/<case>/...                    small committed copies

Usage: /usr/bin/python3 bench/realdata/make_cases.py
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "out")
TESTDATA = os.path.join(REPO, "datasets", "testdata", "real")

# Committed copies of a case are the full files when they total at most this
# many bytes; otherwise the unpaired / unlabelled rows and the held-out rows
# are subsampled (first rows of each already-shuffled stream).
COMMIT_LIMIT = 300 * 1024

SOURCES = {}


def deb_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                              capture_output=True, text=True, check=True).stdout.strip()
    except Exception:  # noqa: BLE001
        return "not installed"


def fmt_num(v, dec):
    """Plain decimal, at most dec decimals, trailing zeros stripped, no -0."""
    v = float(np.round(v, dec)) + 0.0
    s = f"{v:.{dec}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s == "-0":
        s = "0"
    return s


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


# --------------------------------------------------------------------------
# Reading the packaged data
# --------------------------------------------------------------------------

R_EXPORT = r"""
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
suppressMessages({library(modeldata); library(mlbench)})
for (p in c("modeldata", "mlbench")) {
  cat(sprintf("R package %s %s at %s\n", p, as.character(packageVersion(p)), system.file(package = p)))
}
cat("reading ames, Chicago from", system.file("data", "Rdata.rdb", package = "modeldata"), "\n")
cat("reading Satellite from", system.file("data", "Satellite.rda", package = "mlbench"), "\n")
data(ames, package = "modeldata")
a <- as.data.frame(ames[, c("Gr_Liv_Area", "Lot_Area", "Year_Built", "Sale_Price", "Longitude", "Latitude")])
write.csv(a, file.path(out, "ames.csv"), row.names = FALSE)
data(Chicago, package = "modeldata")
ch <- as.data.frame(Chicago)
ch$date <- format(ch$date)
write.csv(ch, file.path(out, "chicago.csv"), row.names = FALSE)
data(Satellite, package = "mlbench")
s <- Satellite
s$classes <- as.character(s$classes)
write.csv(s, file.path(out, "satellite.csv"), row.names = FALSE)
"""


def export_r(tmp):
    script = os.path.join(tmp, "export.R")
    with open(script, "w") as f:
        f.write(R_EXPORT)
    r = subprocess.run(["Rscript", script, tmp], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("Rscript failed:\n" + r.stderr)
    print(r.stdout.strip())
    return {k: pd.read_csv(os.path.join(tmp, k + ".csv")) for k in ("ames", "chicago", "satellite")}


def load_digits_raw():
    import sklearn
    from sklearn.datasets import load_digits
    path = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "digits.csv.gz")
    print(f"sklearn {sklearn.__version__}: digits from {path}")
    d = load_digits()
    return d.data.astype(np.float64), d.target.astype(int), path


FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def load_fashion_t10k():
    ip = os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz")
    lp = os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz")
    print(f"fashion-mnist from {ip}, {lp}")
    with gzip.open(ip, "rb") as f:
        buf = f.read()
    magic, n, h, w = np.frombuffer(buf[:16], dtype=">i4")
    assert magic == 2051, magic
    imgs = np.frombuffer(buf[16:], dtype=np.uint8).reshape(n, h, w)
    with gzip.open(lp, "rb") as f:
        buf = f.read()
    magic, m = np.frombuffer(buf[:8], dtype=">i4")
    assert magic == 2049 and m == n
    labels = np.frombuffer(buf[8:], dtype=np.uint8).astype(int)
    return imgs, labels, [ip, lp]


# --------------------------------------------------------------------------
# Conditional-density cases
# --------------------------------------------------------------------------

def build_regression(case, X, Y, xnames, ynames, *, dec, n_hold, n_pairs, n_ux, n_uy,
                     seed, source, commit_sizes, notes):
    n = X.shape[0]
    assert Y.shape[0] == n and n_hold + n_pairs + n_ux + n_uy <= n, (case, n)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    hold = perm[:n_hold]
    rest = perm[n_hold:]
    pairs = rest[:n_pairs]
    ux = rest[n_pairs:n_pairs + n_ux]
    uy = rest[n_pairs + n_ux:n_pairs + n_ux + n_uy]

    Xs = [[fmt_num(v, dec) for v in row] for row in X]
    Ys = [[fmt_num(v, dec) for v in row] for row in Y]
    ex, ey = [""] * X.shape[1], [""] * Y.shape[1]
    header = list(xnames) + list(ynames)

    def rows(p, s, t):
        return ([Xs[i] + Ys[i] for i in p] + [Xs[i] + ey for i in s] + [ex + Ys[i] for i in t])

    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)
    write_csv(os.path.join(d, "train.csv"), header, rows(pairs, ux, uy))
    write_csv(os.path.join(d, "holdout.csv"), header, rows(hold, [], []))
    write_csv(os.path.join(d, "allpairs.csv"), header, rows(rest, [], []))

    td = os.path.join(TESTDATA, case)
    os.makedirs(td, exist_ok=True)
    total = os.path.getsize(os.path.join(d, "train.csv")) + os.path.getsize(os.path.join(d, "holdout.csv"))
    if total <= COMMIT_LIMIT:
        shutil.copy(os.path.join(d, "train.csv"), os.path.join(td, "train.csv"))
        shutil.copy(os.path.join(d, "holdout.csv"), os.path.join(td, "holdout.csv"))
        committed = {"subsampled": False, "pairs": len(pairs), "unpaired_x": len(ux),
                     "unpaired_y": len(uy), "holdout": len(hold)}
    else:
        cx, cy, ch = commit_sizes
        write_csv(os.path.join(td, "train.csv"), header, rows(pairs, ux[:cx], uy[:cy]))
        write_csv(os.path.join(td, "holdout.csv"), header, rows(hold[:ch], [], []))
        committed = {"subsampled": True, "pairs": len(pairs), "unpaired_x": cx,
                     "unpaired_y": cy, "holdout": ch}
    committed["bytes"] = os.path.getsize(os.path.join(td, "train.csv")) + os.path.getsize(os.path.join(td, "holdout.csv"))
    SOURCES[case] = {"task": "conditional_density", "x_cols": list(xnames), "y_cols": list(ynames),
                     "x_dim": X.shape[1], "y_dim": Y.shape[1], "rows_total": n,
                     "pairs": len(pairs), "unpaired_x": len(ux), "unpaired_y": len(uy),
                     "holdout": len(hold), "allpairs": len(rest), "decimals": dec,
                     "split_seed": seed, "source": source, "notes": notes,
                     "committed_copy": committed}
    print(f"[{case}] {X.shape[1]}->{Y.shape[1]}: pairs={len(pairs)} unpaired_x={len(ux)} "
          f"unpaired_y={len(uy)} holdout={len(hold)} allpairs={len(rest)} "
          f"(committed copy {'subsampled' if committed['subsampled'] else 'full'}, {committed['bytes']} bytes)")


def case_ames(tables):
    a = tables["ames"]
    X = np.column_stack([np.log(a["Gr_Liv_Area"]), np.log(a["Lot_Area"]), a["Year_Built"]])
    Y = np.column_stack([np.log(a["Sale_Price"]), a["Longitude"], a["Latitude"]])
    build_regression(
        "ames3", X, Y,
        ["x_log_gr_liv_area", "x_log_lot_area", "x_year_built"],
        ["y_log_sale_price", "y_longitude", "y_latitude"],
        dec=6, n_hold=500, n_pairs=100, n_ux=1000, n_uy=1000, seed=20240301,
        commit_sizes=(1000, 1000, 500),
        source={"package": "r-cran-modeldata", "version": deb_version("r-cran-modeldata"),
                "file": "/usr/lib/R/site-library/modeldata/data/Rdata.rdb (object 'ames')",
                "licence": "modeldata: MIT; data: De Cock (2011) Ames Iowa housing data, J. Stat. Educ."},
        notes="natural log of Gr_Liv_Area, Lot_Area and Sale_Price (all strictly positive, right-skewed); "
              "Year_Built is an integer year; Longitude/Latitude in decimal degrees")


def case_chicago(tables):
    ch = tables["chicago"]
    stations = ["Austin", "Quincy_Wells", "Belmont", "Archer_35th", "Oak_Park", "Western",
                "Clark_Lake", "Clinton", "Merchandise_Mart", "Irving_Park",
                "Washington_Wells", "Harlem", "Monroe", "Polk", "Ashland", "Kedzie",
                "Addison", "Jefferson_Park", "Montrose", "California"]
    S = ch[stations].to_numpy(dtype=float)
    keep = (S > 0).all(axis=1)
    print(f"[chicago10] dropping {int((~keep).sum())} of {len(S)} days with a zero count at some station (closures)")
    S = S[keep]
    xs, ys = stations[:10], stations[10:]
    build_regression(
        "chicago10", S[:, :10], S[:, 10:],
        ["x_" + s.lower() for s in xs], ["y_" + s.lower() for s in ys],
        dec=3, n_hold=1000, n_pairs=100, n_ux=1000, n_uy=1000, seed=20240302,
        commit_sizes=(600, 600, 400),
        source={"package": "r-cran-modeldata", "version": deb_version("r-cran-modeldata"),
                "file": "/usr/lib/R/site-library/modeldata/data/Rdata.rdb (object 'Chicago')",
                "licence": "modeldata: MIT; data: City of Chicago data portal (CTA 'L' station entries)"},
        notes="daily entries (thousands) at 20 CTA 'L' stations; all 20 columns of a row are the same day "
              "(modeldata stores them as 14-day lags of the row's date); days with any zero count dropped; "
              "no transform")


def case_landsat(tables):
    s = tables["satellite"]
    V = s[[f"x.{i}" for i in range(1, 37)]].to_numpy(dtype=float)  # pixel p (1..9) band b (1..4) -> x.(4(p-1)+b)
    rng = np.random.default_rng(7001)
    V = V + rng.uniform(-0.5, 0.5, size=V.shape)
    xi = [4 * (p - 1) + b - 1 for p in range(1, 10) for b in (1, 2)]
    yi = [4 * (p - 1) + b - 1 for p in range(1, 10) for b in (3, 4)]
    build_regression(
        "landsat18", V[:, xi], V[:, yi],
        [f"x_p{p}_b{b}" for p in range(1, 10) for b in (1, 2)],
        [f"y_p{p}_b{b}" for p in range(1, 10) for b in (3, 4)],
        dec=3, n_hold=1000, n_pairs=100, n_ux=1000, n_uy=1000, seed=20240303,
        commit_sizes=(400, 400, 300),
        source={"package": "r-cran-mlbench", "version": deb_version("r-cran-mlbench"),
                "file": "/usr/lib/R/site-library/mlbench/data/Satellite.rda",
                "licence": "mlbench: GPL-2; data: UCI Statlog (Landsat Satellite)"},
        notes="3x3 neighbourhoods of Landsat MSS pixels; x = bands 1-2 (green, red) of the 9 pixels, "
              "y = bands 3-4 (near infrared) of the same pixels; integer radiances dequantised with "
              "uniform U(-0.5,0.5) jitter (seed 7001), rounded to 3 decimals")


def case_digits(digits):
    D = digits[0]
    rng = np.random.default_rng(7002)
    D = D + rng.uniform(-0.5, 0.5, size=D.shape)
    build_regression(
        "digits32", D[:, :32], D[:, 32:],
        [f"x_r{r}c{c}" for r in range(4) for c in range(8)],
        [f"y_r{r}c{c}" for r in range(4, 8) for c in range(8)],
        dec=3, n_hold=400, n_pairs=100, n_ux=648, n_uy=649, seed=20240304,
        commit_sizes=(250, 250, 250),
        source={"package": "python3-sklearn", "version": deb_version("python3-sklearn"),
                "file": digits[2], "licence": "scikit-learn: BSD-3-Clause; data: UCI optdigits (CC BY 4.0)"},
        notes="8x8 digit images, pixel values 0..16; x = top 4 rows (32 pixels), y = bottom 4 rows; "
              "integer pixels dequantised with uniform U(-0.5,0.5) jitter (seed 7002), rounded to 3 decimals")


# --------------------------------------------------------------------------
# Semi-supervised classification cases
# --------------------------------------------------------------------------

def labelled_subset(y_train, per_class, seed):
    """Indices (into the training part) of per_class labelled rows per class."""
    rng = np.random.default_rng(1000 + seed)
    idx = []
    for c in sorted(set(y_train)):
        members = np.flatnonzero(np.asarray(y_train) == c)
        idx.extend(rng.choice(members, size=per_class, replace=False).tolist())
    return np.array(sorted(idx))


def build_classification(case, F, labels, fnames, *, dec, seed, per_class, n_seeds,
                         source, commit_sizes, notes):
    from sklearn.model_selection import train_test_split
    n = F.shape[0]
    labels = np.asarray(labels, dtype=object)
    idx_train, idx_test = train_test_split(np.arange(n), test_size=0.3, random_state=seed,
                                           stratify=labels)
    Fs = [[fmt_num(v, dec) for v in row] for row in F]
    header = list(fnames) + ["label"]
    ytr = labels[idx_train]
    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)

    def csvlab(s):
        s = str(s)
        return '"' + s.replace('"', '""') + '"' if ("," in s or '"' in s) else s

    def train_rows(lab_set, subset=None):
        out = []
        order = range(len(idx_train)) if subset is None else subset
        for j in order:
            i = idx_train[j]
            out.append(Fs[i] + [csvlab(labels[i]) if (lab_set is None or j in lab_set) else ""])
        return out

    subsets = {}
    for s in range(n_seeds):
        lab = set(labelled_subset(ytr, per_class, s).tolist())
        subsets[s] = lab
        write_csv(os.path.join(d, f"train_s{s}.csv"), header, train_rows(lab))
    shutil.copy(os.path.join(d, "train_s0.csv"), os.path.join(d, "train.csv"))
    write_csv(os.path.join(d, "train_full.csv"), header, train_rows(None))
    write_csv(os.path.join(d, "test.csv"), header, [Fs[i] + [csvlab(labels[i])] for i in idx_test])

    td = os.path.join(TESTDATA, case)
    os.makedirs(td, exist_ok=True)
    total = os.path.getsize(os.path.join(d, "train.csv")) + os.path.getsize(os.path.join(d, "test.csv"))
    n_unl = len(idx_train) - len(subsets[0])
    if total <= COMMIT_LIMIT:
        shutil.copy(os.path.join(d, "train.csv"), os.path.join(td, "train.csv"))
        shutil.copy(os.path.join(d, "test.csv"), os.path.join(td, "test.csv"))
        committed = {"subsampled": False, "labelled": len(subsets[0]), "unlabelled": n_unl,
                     "test": len(idx_test)}
    else:
        cu, ct = commit_sizes
        lab = subsets[0]
        unl = [j for j in range(len(idx_train)) if j not in lab][:cu]
        keep = sorted(set(lab) | set(unl))
        write_csv(os.path.join(td, "train.csv"), header, train_rows(lab, keep))
        write_csv(os.path.join(td, "test.csv"), header,
                  [Fs[i] + [csvlab(labels[i])] for i in idx_test[:ct]])
        committed = {"subsampled": True, "labelled": len(lab), "unlabelled": cu, "test": ct}
    committed["bytes"] = os.path.getsize(os.path.join(td, "train.csv")) + os.path.getsize(os.path.join(td, "test.csv"))
    classes = sorted(set(labels.tolist()))
    SOURCES[case] = {"task": "classification", "feature_cols": list(fnames), "n_features": F.shape[1],
                     "classes": classes, "class_counts": {c: int((labels == c).sum()) for c in classes},
                     "rows_total": n, "train": len(idx_train), "test": len(idx_test),
                     "labelled_per_class": per_class, "labelled": len(subsets[0]), "unlabelled": n_unl,
                     "label_seeds": list(range(n_seeds)), "split_seed": seed, "decimals": dec,
                     "source": source, "notes": notes, "committed_copy": committed}
    print(f"[{case}] {F.shape[1]} features, {len(classes)} classes: train={len(idx_train)} "
          f"(labelled {len(subsets[0])}, unlabelled {n_unl}) test={len(idx_test)} "
          f"(committed copy {'subsampled' if committed['subsampled'] else 'full'}, {committed['bytes']} bytes)")


def case_digits_cls(digits):
    D, t, path = digits
    build_classification(
        "digits_cls", D, [str(v) for v in t], [f"px{r}{c}" for r in range(8) for c in range(8)],
        dec=0, seed=20240311, per_class=10, n_seeds=5, commit_sizes=(500, 300),
        source={"package": "python3-sklearn", "version": deb_version("python3-sklearn"),
                "file": path, "licence": "scikit-learn: BSD-3-Clause; data: UCI optdigits (CC BY 4.0)"},
        notes="64 integer pixel values 0..16; labels are the digit characters '0'..'9'")


def case_satellite_cls(tables):
    s = tables["satellite"]
    F = s[[f"x.{i}" for i in range(1, 37)]].to_numpy(dtype=float)
    build_classification(
        "satellite_cls", F, s["classes"].tolist(),
        [f"p{p}_b{b}" for p in range(1, 10) for b in range(1, 5)],
        dec=0, seed=20240312, per_class=10, n_seeds=5, commit_sizes=(600, 400),
        source={"package": "r-cran-mlbench", "version": deb_version("r-cran-mlbench"),
                "file": "/usr/lib/R/site-library/mlbench/data/Satellite.rda",
                "licence": "mlbench: GPL-2; data: UCI Statlog (Landsat Satellite)"},
        notes="36 integer Landsat MSS radiances (4 bands x 3x3 pixels, p1..p9 row-major, p5 = centre); "
              "labels are the soil/crop class names (strings with spaces)")


def case_fashion_cls():
    imgs, lab, paths = load_fashion_t10k()
    pooled = imgs.astype(np.float64).reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(imgs), -1)
    build_classification(
        "fashion_cls", pooled, [FASHION_NAMES[v] for v in lab],
        [f"px{r:02d}_{c:02d}" for r in range(14) for c in range(14)],
        dec=2, seed=20240313, per_class=10, n_seeds=5, commit_sizes=(150, 150),
        source={"package": "dataset-fashion-mnist", "version": deb_version("dataset-fashion-mnist"),
                "file": ", ".join(paths), "licence": "MIT (Zalando SE)"},
        notes="Fashion-MNIST official 10k test images, 28x28 mean-pooled 2x2 to 14x14 = 196 features "
              "(multiples of 0.25 in 0..255); labels are the article names, e.g. 'T-shirt/top', 'Ankle boot'")


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tables = export_r(tmp)
    digits = load_digits_raw()
    case_ames(tables)
    case_chicago(tables)
    case_landsat(tables)
    case_digits(digits)
    case_digits_cls(digits)
    case_satellite_cls(tables)
    case_fashion_cls()
    with open(os.path.join(OUT, "sources.json"), "w") as f:
        json.dump(SOURCES, f, indent=2)
    print("wrote", os.path.join(OUT, "sources.json"))


if __name__ == "__main__":
    main()
