#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The test command: installs what the tests need, builds the suite with warnings as errors and runs it.
# Usage: scripts/test.sh    (from anywhere; builds in build/test, build/clang, build/baseline,
#                           build/without_zlib_png and build/sanitize in the repository)
set -euo pipefail
unset CDPATH  # exported, cd prints the folder it finds there: $(cd DIR && pwd) gave it twice
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="${SIAMESE_JOBS:-2}"

scripts/install_deps.sh clang libomp-dev  # clang and LLVM's OpenMP runtime for the clang suite

# run_suite NAME [cmake options...]: configure, build and run the whole suite in build/NAME.
run_suite() {
    local name="$1"; shift
    echo "=== test suite: $name ($*)"
    cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=Release -DSIAMESE_WERROR=ON \
        -DSIAMESE_BUILD_EXAMPLES=ON -DSIAMESE_BUILD_BENCHMARKS=OFF "$@" >/dev/null
    cmake --build "build/$name" -j "$jobs"
    ctest --test-dir "build/$name" -j "$jobs" --output-on-failure
}

run_suite test
# clang (Debian 12's clang 14) with LLVM's OpenMP runtime: the library and its tests are not GCC-only.
run_suite clang -DCMAKE_CXX_COMPILER=clang++
# The portable kernels (no AVX, no FMA) without OpenMP: what a plain x86-64 consumer gets.
run_suite baseline -DSIAMESE_ARCH=x86-64-v2 -DSIAMESE_USE_OPENMP=OFF
# zlib and libpng are optional: without them, the loaders' tests check the messages that say so
# (the rest of the suite reads PNG files, so only these two are built).
echo "=== test suite: without_zlib_png (the IDX and PNG loaders only)"
cmake -S . -B build/without_zlib_png -DCMAKE_BUILD_TYPE=Release -DSIAMESE_WERROR=ON -DSIAMESE_USE_ZLIB=OFF \
    -DSIAMESE_USE_PNG=OFF -DSIAMESE_BUILD_EXAMPLES=OFF -DSIAMESE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/without_zlib_png -j "$jobs" --target test_idx test_png
ctest --test-dir build/without_zlib_png -R '^(test_idx|test_png)$' --no-tests=error --output-on-failure
# Everything again under AddressSanitizer and UndefinedBehaviorSanitizer: any finding fails.
run_suite sanitize -DSIAMESE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "=== all test suites passed"
