# SPDX-License-Identifier: MIT
# Shared by the examples' bad-input tests (source it): counts failures in $failures.

failures=0

# expect NAME EXPECTED_TEXT COMMAND...: the command must fail and its output contain the text.
expect() {
    local name="$1" text="$2"
    shift 2
    local output status
    output=$("$@" 2>&1)
    status=$?
    if [ $status -eq 0 ]; then
        echo "FAIL $name: exit 0, expected an error containing '$text'"
        failures=$((failures + 1))
    elif [ $status -gt 128 ]; then
        echo "FAIL $name: killed by signal $((status - 128)) (a crash)"
        failures=$((failures + 1))
    elif ! grep -qF -- "$text" <<<"$output"; then
        echo "FAIL $name: message does not contain '$text':"
        echo "$output" | tail -3
        failures=$((failures + 1))
    else
        echo "ok   $name: $(grep -F -- "$text" <<<"$output" | head -1)"
    fi
}

# fail NAME PROBLEM: counts a failed case.
fail() {
    echo "FAIL $1: $2"
    failures=$((failures + 1))
}

# expect_ok NAME EXPECTED_TEXT COMMAND...: the command must succeed and its output contain the text.
expect_ok() {
    local name="$1" text="$2"
    shift 2
    local output status
    output=$("$@" 2>&1)
    status=$?
    if [ $status -ne 0 ]; then
        fail "$name" "exit $status, expected success:"
        echo "$output" | tail -3
    elif ! grep -qF -- "$text" <<<"$output"; then
        fail "$name" "output does not contain '$text'"
    else
        echo "ok   $name: $(grep -F -- "$text" <<<"$output" | head -1)"
    fi
}

# Ends the test: exit 0 when every case gave a clear error.
finish() {
    [ $failures -eq 0 ] && echo "bad_input: all cases gave a clear error" || { echo "bad_input: $failures failures"; exit 1; }
}
