#!/usr/bin/env bash
# Executes the GoNB notebooks headless and fails if any cell failed.
#
# Usage: notebooks/run.sh [--inplace | --output-dir DIR] [NOTEBOOK.ipynb ...]
#
# Without arguments it runs every notebooks/*.ipynb. By default the executed copies go
# to a temporary directory that is removed afterwards, so CI never rewrites the checkout;
# --inplace writes the outputs back into the notebooks (this is how the committed outputs
# are produced); --output-dir keeps the executed copies in DIR (to diff them against the
# committed ones).
# Missing tools are installed first (Debian's Jupyter packages, GoNB, goimports, gopls);
# a second run finds them and installs nothing.
#
# A compile error shows up as an error output, but GoNB reports a Go panic, an os.Exit(N)
# or a failing shell command (`!…`) as a successful cell, so the executed notebooks are
# scanned for "exit status N" and "panic:" text as well as for error outputs.
#
# Environment: CELL_TIMEOUT (seconds per cell, default 600).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cell_timeout="${CELL_TIMEOUT:-600}"

# Pinned tool versions: gopls newer than v0.23.0 needs Go 1.27.
gonb_version=v0.11.1
gopls_version=v0.23.0
goimports_version=v0.52.0

inplace=false
keep_dir=""
notebooks=()
while [ $# -gt 0 ]; do
  case "$1" in
    --inplace) inplace=true ;;
    --output-dir)
      [ $# -ge 2 ] || { echo "run.sh: --output-dir needs a directory" >&2; exit 2; }
      mkdir -p "$2"
      keep_dir="$(cd "$2" && pwd)"
      shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown flag $1" >&2; exit 2 ;;
    *) notebooks+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")") ;;
  esac
  shift
done
if $inplace && [ -n "$keep_dir" ]; then
  echo "run.sh: --inplace and --output-dir exclude each other" >&2
  exit 2
fi
if [ ${#notebooks[@]} -eq 0 ]; then
  shopt -s nullglob
  notebooks=("$here"/*.ipynb)
  shopt -u nullglob
fi
if [ ${#notebooks[@]} -eq 0 ]; then
  echo "run.sh: no notebooks found in $here" >&2
  exit 1
fi

export PATH="/usr/local/go/bin:$PATH"
export PATH="$(go env GOPATH)/bin:$PATH"

# --- Jupyter (Debian packages) -------------------------------------------------------
apt_packages=(jupyter-nbconvert python3-nbconvert python3-ipykernel jupyter-client)
missing=()
for pkg in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "run.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- GoNB and the tools it calls -------------------------------------------------------
# quietly LABEL CMD... runs CMD and shows its output only if it fails.
quietly() {
  local label="$1" log
  shift
  if ! log="$("$@" 2>&1)"; then
    echo "$log" >&2
    echo "run.sh: $label failed" >&2
    return 1
  fi
}

# installed_version BINARY MODULE prints the module version BINARY was built from, if any.
installed_version() {
  local bin
  bin="$(command -v "$1" 2>/dev/null)" || return 0
  go version -m "$bin" 2>/dev/null | awk -v mod="$2" '$1 == "mod" && $2 == mod { print $3 }'
}

if [ "$(installed_version gonb github.com/janpfeifer/gonb)" != "$gonb_version" ]; then
  echo "run.sh: installing gonb $gonb_version"
  # A plain `go install …/gonb@version` fails here (looking up the module's deprecation
  # status gets a 403 from the proxy), so build it from a throwaway module that requires it.
  scratch="$(mktemp -d)"
  quietly "installing gonb" bash -c "cd '$scratch' && go mod init gonb-install &&
    go get 'github.com/janpfeifer/gonb@$gonb_version' && go install github.com/janpfeifer/gonb"
  rm -rf "$scratch"
fi
if [ "$(installed_version goimports golang.org/x/tools)" != "$goimports_version" ]; then
  echo "run.sh: installing goimports $goimports_version"
  quietly "installing goimports" go install "golang.org/x/tools/cmd/goimports@$goimports_version"
fi
if [ "$(installed_version gopls golang.org/x/tools/gopls)" != "$gopls_version" ]; then
  echo "run.sh: installing gopls $gopls_version"
  quietly "installing gopls" go install "golang.org/x/tools/gopls@$gopls_version"
fi
quietly "gonb --install" gonb --install
# Fetch the module's dependencies now, so that no "go: downloading" lines end up in the
# outputs of cells that build from the checkout on a fresh machine.
quietly "go mod download" bash -c "cd '$here/..' && go mod download"

# --- Execute and check ---------------------------------------------------------------
if $inplace; then
  out_dir=""
elif [ -n "$keep_dir" ]; then
  out_dir="$keep_dir"
else
  out_dir="$(mktemp -d)"
  trap 'rm -rf "$out_dir"' EXIT
fi

# GoNB's kernel logs every step at info level to stderr; keep only warnings that matter.
glog_info='^[IW][0-9]{4} [0-9:.]+ +[0-9]+ [a-z_]+\.go:[0-9]+\]'

failed=()
for nb in "${notebooks[@]}"; do
  name="$(basename "$nb")"
  echo "run.sh: executing $name"
  start=$SECONDS
  if $inplace; then
    executed="$nb"
    dest=(--inplace)
  else
    executed="$out_dir/$name"
    dest=(--output-dir "$out_dir")
  fi
  # --allow-errors keeps going so the scan below can name the failing cell; the kernel
  # runs in the notebook's own directory, which is what ${GONB_DIR} points at.
  if ! jupyter nbconvert --to notebook --execute "${dest[@]}" \
      --ExecutePreprocessor.kernel_name=gonb \
      --ExecutePreprocessor.timeout="$cell_timeout" \
      --ExecutePreprocessor.record_timing=False \
      --allow-errors --log-level=WARN "$nb" 2>&1 | { grep -Ev "$glog_info" || true; }; then
    echo "run.sh: FAIL $name: nbconvert could not execute it (timeout or kernel failure)" >&2
    failed+=("$name")
    continue
  fi
  if ! /usr/bin/python3 - "$executed" "$name" <<'PY'
import json, re, sys

path, name = sys.argv[1], sys.argv[2]
with open(path) as f:
    nb = json.load(f)

# GoNB turns a panic or a non-zero exit of the compiled cell into ordinary output.
bad_text = re.compile(r"exit status \d+|^panic: |^fatal error: |^goroutine \d+ \[", re.M)
ansi = re.compile(r"\x1b\[[0-9;]*m")

def texts(out):
    if out.get("output_type") == "stream":
        yield "".join(out.get("text", ""))
    for value in out.get("data", {}).values():
        if isinstance(value, (list, str)):
            v = "".join(value)
            if not v.startswith("iVBOR"):  # skip base64 PNGs
                yield v

problems = []
code_index = 0
for cell in nb.get("cells", []):
    if cell.get("cell_type") != "code":
        continue
    code_index += 1
    first = "".join(cell.get("source", "")).strip().splitlines()
    where = f"code cell {code_index} ({first[0][:60] if first else 'empty'})"
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            detail = out.get("ename", "") + ": " + out.get("evalue", "")
            problems.append(f"{where}: error output: {detail.strip()[:500]}")
            continue
        for t in texts(out):
            t = ansi.sub("", t)
            m = bad_text.search(t)
            if m:
                start = max(0, m.start() - 300)
                problems.append(f"{where}: {t[start:m.end() + 200].strip()}")
                break

if problems:
    print(f"run.sh: FAIL {name}:", file=sys.stderr)
    for p in problems:
        print("  " + p.replace("\n", "\n    "), file=sys.stderr)
    sys.exit(1)
print(f"run.sh: ok   {name} ({code_index} code cells)")
PY
  then
    failed+=("$name")
  fi
  echo "run.sh: $name took $((SECONDS - start)) s"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "run.sh: ${#failed[@]} notebook(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "run.sh: all ${#notebooks[@]} notebook(s) passed"
