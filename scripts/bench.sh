#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark command: installs what the benchmarks need, builds them (Release, this CPU's
# -march) in build/bench (or $SIAMESE_BENCH_BUILD_DIR) and runs them. Extra arguments go to
# Google Benchmark, e.g.
#   scripts/bench.sh --benchmark_filter=train_step
#   scripts/bench.sh --benchmark_filter='conv2|sgemm' --benchmark_repetitions=5
# Timings on a shared machine are noisy: compare figures from one run, repeat, and prefer the
# minimum or the median (--benchmark_repetitions=N --benchmark_report_aggregates_only=true).
set -euo pipefail
unset CDPATH  # exported, cd prints the folder it finds there: $(cd DIR && pwd) gave it twice
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SIAMESE_BENCH_BUILD_DIR:-$root/build/bench}"
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac  # taken from where the script is run
cd "$root"
jobs="${SIAMESE_JOBS:-2}"

scripts/install_deps.sh

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSIAMESE_BUILD_BENCHMARKS=ON \
    -DSIAMESE_BUILD_TESTS=OFF -DSIAMESE_BUILD_EXAMPLES=OFF -DSIAMESE_INSTALL=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target siamese_bench >&2
exec "$build/benchmarks/siamese_bench" "$@"
