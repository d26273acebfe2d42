# SPDX-License-Identifier: MIT
# Shared by the examples' bad-input tests (source it): counts failures in $failures.

failures=0

# fail NAME PROBLEM: counts a failed case.
fail() {
    echo "FAIL $1: $2"
    failures=$((failures + 1))
}

# run_case NAME EXPECTED_TEXT WANT(error|success) COMMAND...: runs the command; it must end as
# WANT says (an error: a non-zero exit that is not a signal) and its output contain the text.
# The output stays in $case_output, for a caller that checks more of it.
run_case() {
    local name="$1" text="$2" want="$3"
    shift 3
    local output status
    output=$("$@" 2>&1)
    status=$?
    case_output=$output
    if [ $status -gt 128 ]; then
        fail "$name" "killed by signal $((status - 128)) (a crash)"
    elif [ "$want" = error ] && [ $status -eq 0 ]; then
        fail "$name" "exit 0, expected an error containing '$text'"
    elif [ "$want" = success ] && [ $status -ne 0 ]; then
        fail "$name" "exit $status, expected success:"
        echo "$output" | tail -3
    elif ! grep -qF -- "$text" <<<"$output"; then
        fail "$name" "output does not contain '$text':"
        echo "$output" | tail -3
    else
        echo "ok   $name: $(grep -F -- "$text" <<<"$output" | head -1)"
    fi
}

# expect NAME EXPECTED_TEXT COMMAND...: the command must fail and its output contain the text.
expect() { run_case "$1" "$2" error "${@:3}"; }

# expect_ok NAME EXPECTED_TEXT COMMAND...: the command must succeed and its output contain the text.
expect_ok() { run_case "$1" "$2" success "${@:3}"; }

# Ends the test: exit 0 when every case gave a clear error.
finish() {
    [ $failures -eq 0 ] && echo "bad_input: all cases gave a clear error" || { echo "bad_input: $failures failures"; exit 1; }
}
