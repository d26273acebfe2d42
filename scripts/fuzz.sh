#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs each libFuzzer target (IDX, CSV, checkpoint, image, PNG, one-shot runs' class_labels.txt)
# for a bounded time under AddressSanitizer and UndefinedBehaviorSanitizer, starting from the seed
# corpus in tests/fuzz/corpus/, and prints executions and coverage per target.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# A crash leaves its input in build/fuzz/artifacts/; turn it into a regression test.
set -euo pipefail
unset CDPATH  # exported, cd prints the folder it finds there: $(cd DIR && pwd) gave it twice
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
# A target name in the first place would become a time limit of 0, which libFuzzer takes as none.
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]   (SECONDS a whole number > 0, got '$seconds')" >&2
    exit 2
fi
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx csv checkpoint image png runs)

scripts/install_deps.sh clang libclang-rt-14-dev
out=build/fuzz
mkdir -p "$out/artifacts"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude
       -isystem /usr/include/eigen3 -DSIAMESE_HAS_ZLIB=1)

summary=()
for t in "${targets[@]}"; do
    echo "=== fuzz_$t: building"
    extra=()
    # stb_image (third-party, compiled into fuzz_image) calls memcpy(NULL, p, 0) on a zero-length
    # PNG chunk: undefined by the letter of the standard, harmless in practice. Found by this
    # fuzzer (tests/fuzz/corpus/image/stb_zero_length_idat.png); that one check is off for it.
    [ "$t" = image ] && extra=(-fno-sanitize=nonnull-attribute)
    libs=(-lz)
    # the library's PNG reader (libpng): the PNG target's subject, and the run folders' images
    [ "$t" = png ] || [ "$t" = runs ] && extra=(-DSIAMESE_HAS_PNG=1) && libs+=(-lpng)
    clang++ "${flags[@]}" "${extra[@]}" "tests/fuzz/fuzz_$t.cpp" -o "$out/fuzz_$t" "${libs[@]}"
    work="$out/corpus/$t"
    mkdir -p "$work"
    echo "=== fuzz_$t: running ${seconds}s"
    set +e
    "$out/fuzz_$t" "$work" "tests/fuzz/corpus/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 >"$out/fuzz_$t.log" 2>&1
    status=$?
    set -e
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out/fuzz_$t.log" | grep -oE '[0-9]+$' || echo "?")
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$out/fuzz_$t.log" | tail -1 || echo "cov: ?")
    corpus=$(find "$work" -type f | wc -l)
    if [ $status -ne 0 ]; then
        tail -30 "$out/fuzz_$t.log"
        summary+=("fuzz_$t: FAILED (exit $status), see $out/fuzz_$t.log and $out/artifacts/")
    else
        summary+=("fuzz_$t: ok, $runs executions in ${seconds}s, $cov, corpus $corpus inputs")
    fi
done
printf '%s\n' "=== summary" "${summary[@]}"
! printf '%s\n' "${summary[@]}" | grep -q FAILED
