#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a program whose translation units were built for different instruction sets and expects
# it to stop at start-up with siamese's message (not to run on with mismatched kernels).
# Usage: expect_isa_mismatch.sh PROGRAM
status=0
out="$("$1" 2>&1)" || status=$?
if [ "$status" -eq 0 ]; then
    echo "FAIL: the mixed program ran to the end (exit 0): $out"
    exit 1
fi
case "$out" in
    *"siamese: this program's translation units were built for different instruction sets"*"build every unit that includes siamese with the same -march"*)
        echo "ok: $out" ;;
    *)
        echo "FAIL: exit $status without the expected message: $out"
        exit 1 ;;
esac
