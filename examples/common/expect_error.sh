# SPDX-License-Identifier: MIT
# Shared by the shell tests (source it; with or without set -e): the examples' bad-input tests
# and the fetch scripts' tests. Counts failed cases in $failures.

failures=0

# fail NAME PROBLEM: counts a failed case.
fail() {
    echo "FAIL $1: $2"
    failures=$((failures + 1))
}

# run_case NAME EXPECTED_TEXT WANT COMMAND...: runs the command; it must end as WANT says (error:
# a non-zero exit that is not a signal; success: exit 0; a number: that exit status) and its
# output (stdout and stderr) contain the text. The output stays in $case_output and the status in
# $case_status, for a caller that checks more.
run_case() {
    local name="$1" text="$2" want="$3"
    shift 3
    local status=0
    case_output="$("$@" 2>&1)" || status=$?
    case_status=$status
    if [ "$want" = error ] && [ $status -gt 128 ]; then
        fail "$name" "killed by signal $((status - 128)) (a crash)"
    elif [ "$want" = error ] && [ $status -eq 0 ]; then
        fail "$name" "exit 0, expected an error containing '$text'"
    elif [ "$want" = success ] && [ $status -ne 0 ]; then
        fail "$name" "exit $status, expected success:"
        tail -n 3 <<<"$case_output"
    elif [ "$want" != error ] && [ "$want" != success ] && [ $status -ne "$want" ]; then
        fail "$name" "exit $status, expected exit $want:"
        tail -n 3 <<<"$case_output"
    elif ! grep -qF -- "$text" <<<"$case_output"; then
        fail "$name" "output does not contain '$text':"
        tail -n 3 <<<"$case_output"
    else
        echo "ok   $name: $(grep -F -- "$text" <<<"$case_output" | head -n 1)"
    fi
}

# expect NAME EXPECTED_TEXT COMMAND...: the command must fail and its output contain the text.
expect() { run_case "$1" "$2" error "${@:3}"; }

# expect_ok NAME EXPECTED_TEXT COMMAND...: the command must succeed and its output contain the text.
expect_ok() { run_case "$1" "$2" success "${@:3}"; }

# finish [TEST_NAME]: ends the test, exit 0 when every case passed.
finish() {
    local test_name="${1:-bad_input}"
    if [ $failures -eq 0 ]; then
        echo "$test_name: all cases passed"
    else
        echo "$test_name: $failures failures"
        exit 1
    fi
}
