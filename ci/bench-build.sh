#!/usr/bin/env bash
# The first build, measured: what a fresh clone (or a CI cache miss) waits for before
# `cargo xtask` runs, and how many crates it compiles. `cargo xtask bench` cannot time its own
# build, so this script does, from an empty target directory, the cargo registry cached.
#
# Usage: ci/bench-build.sh [--runs N] [REV]
#   REV (a git revision, e.g. origin/main or a commit) is built too, alternately with the work
#   tree, so that both medians come from one run on the same load. Default runs: 1.
# Prints a Markdown table: wall time, CPU time (user + sys) and the crate count of
# `cargo tree -p xtask-migrate -e normal,build` for each side. Leaves nothing behind.
set -euo pipefail

runs=1
rev=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ci/bench-build.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
    *) rev=$1; shift ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "ci/bench-build.sh: --runs wants a positive number, not \`$runs\`" >&2; exit 2 ;; esac

root=$(git rev-parse --show-toplevel)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The sides: the work tree as it is, and REV exported whole (no checkout of the user's tree).
sides=("work tree|$root")
if [ -n "$rev" ]; then
  commit=$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}") || {
    echo "ci/bench-build.sh: \`$rev\` is not a git revision here" >&2
    exit 2
  }
  mkdir "$scratch/rev"
  git -C "$root" archive "$commit" | tar -x -C "$scratch/rev"
  sides+=("${rev} (${commit:0:7})|$scratch/rev")
fi

# Downloads are not the build: fetch first, for every side.
for side in "${sides[@]}"; do
  (cd "${side#*|}" && cargo fetch --locked -q)
done

crates() {
  (cd "$1" && cargo tree -p xtask-migrate -e normal,build --prefix none --locked 2>/dev/null) |
    sed 's/ (\*)//; s/ (proc-macro)//' | sort -u | wc -l
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A walls cpus
for run in $(seq 1 "$runs"); do
  for side in "${sides[@]}"; do
    name=${side%%|*} dir=${side#*|}
    target="$scratch/target"
    rm -rf "$target"
    start=$(date +%s.%N)
    # `time -p` on a subshell reports the CPU of every rustc it waited for.
    cpu=$( { TIMEFORMAT='%U %S'; time (cd "$dir" && CARGO_TARGET_DIR="$target" cargo build -p xtask-migrate --locked -q >/dev/null 2>"$scratch/err" || { cat "$scratch/err" >&2; exit 1; }); } 2>&1 | tail -n 1 | awk '{print $1 + $2}')
    end=$(date +%s.%N)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')
    walls[$name]+="$wall "
    cpus[$name]+="$cpu "
    echo "run $run, $name: ${wall} s wall, ${cpu} s CPU" >&2
  done
done
rm -rf "$scratch/target"

echo "| build of \`xtask\` from an empty target dir (registry cached), median of $runs | wall | CPU | crates |"
echo "|---|---|---|---|"
for side in "${sides[@]}"; do
  name=${side%%|*} dir=${side#*|}
  w=$(tr ' ' '\n' <<<"${walls[$name]}" | grep . | median)
  c=$(tr ' ' '\n' <<<"${cpus[$name]}" | grep . | median)
  printf '| %s | %.0f s | %.0f s | %s |\n' "$name" "$w" "$c" "$(crates "$dir")"
done
echo "(machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
