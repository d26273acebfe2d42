# SPDX-License-Identifier: MIT
# Shared by the data-fetch scripts' tests (source it, after set -euo pipefail): case helpers that
# count failures in $failures, and the guards that keep the scripts off the network.

failures=0

# fail NAME PROBLEM: counts a failed case.
fail() {
    echo "FAIL $1: $2"
    failures=$((failures + 1))
}

# run_case NAME WANT TEXT COMMAND...: runs the command; it must end as WANT says (error: a
# non-zero exit that is not a signal; success: exit 0; a number: that exit status) and its output
# (stdout and stderr) contain TEXT. The output stays in $case_output for a caller that checks more.
run_case() {
    local name="$1" want="$2" text="$3"
    shift 3
    local status=0
    case_output="$("$@" 2>&1)" || status=$?
    case_status=$status
    if [ "$want" = error ] && [ $status -gt 128 ]; then
        fail "$name" "killed by signal $((status - 128))"
    elif [ "$want" = error ] && [ $status -eq 0 ]; then
        fail "$name" "exit 0, expected an error containing '$text'"
    elif [ "$want" = success ] && [ $status -ne 0 ]; then
        fail "$name" "exit $status, expected success:"
        tail -n 5 <<<"$case_output"
    elif [ "$want" != error ] && [ "$want" != success ] && [ $status -ne "$want" ]; then
        fail "$name" "exit $status, expected exit $want:"
        tail -n 5 <<<"$case_output"
    elif ! grep -qF -- "$text" <<<"$case_output"; then
        fail "$name" "output does not contain '$text':"
        tail -n 5 <<<"$case_output"
    else
        echo "ok   $name: $(grep -F -- "$text" <<<"$case_output" | head -n 1)"
    fi
}

# expect NAME TEXT COMMAND...: the command must fail and say TEXT.
expect() { run_case "$1" error "${@:2}"; }

# expect_ok NAME TEXT COMMAND...: the command must succeed and say TEXT.
expect_ok() { run_case "$1" success "${@:2}"; }

# check NAME PROBLEM TEST...: counts a failure with PROBLEM unless the test command succeeds.
check() {
    local name="$1" problem="$2"
    shift 2
    "$@" || fail "$name" "$problem"
}

# entries DIR: the names in DIR, hidden ones too, one a line, sorted (nothing for an empty DIR).
entries() { (cd "$1" && LC_ALL=C ls -A); }

# dead_pid: a process id whose process has ended (a shell that printed its id and exited).
dead_pid() { bash -c 'echo $$'; }

# run_killable PID_FILE COMMAND...: runs the command with its process id written to PID_FILE
# first (the fakes read it to kill the command with SIGKILL at a chosen point).
run_killable() {
    local pid_file="$1"
    shift
    bash -c 'echo $$ >"$0" && exec "$@"' "$pid_file" "$@"
}

# as_unprivileged DIR...: sets $unprivileged to a command prefix that runs a command as a user
# other than root (nothing when the test is not root; as root, user nobody through setpriv, the
# DIRs given to nobody), or to "skip" when that cannot be done (no setpriv, or nobody cannot
# reach the DIRs: a private folder above them).
as_unprivileged() {
    unprivileged=()
    [ "$(id -u)" -eq 0 ] || return 0
    unprivileged=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    command -v setpriv >/dev/null || { unprivileged=(skip); return 0; }
    chown -R 65534:65534 "$@"
    local dir
    for dir in "$@"; do "${unprivileged[@]}" test -w "$dir" -a -x "$dir" || unprivileged=(skip); done
}

# no_network DIR: puts curl, wget and npm that refuse to run into DIR (put it first on PATH): a
# case that would reach the network fails instead. A test's fakes replace them where it needs.
no_network() {
    mkdir -p "$1"
    for tool in curl wget npm; do
        printf '#!/usr/bin/env bash\necho "test: %s %s: no network in the tests" >&2\nexit 1\n' "$tool" '$*' \
            >"$1/$tool"
        chmod +x "$1/$tool"
    done
}

# finish TEST_NAME: ends the test, exit 0 when every case passed.
finish() {
    if [ $failures -eq 0 ]; then
        echo "$1: all cases passed"
    else
        echo "$1: $failures failures"
        exit 1
    fi
}
