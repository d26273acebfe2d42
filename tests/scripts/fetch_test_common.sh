# SPDX-License-Identifier: MIT
# Shared by the data-fetch scripts' tests (source it, after set -euo pipefail): the case helpers,
# and the guards that keep the scripts off the network.

# fail, run_case, expect, expect_ok and finish: the case helpers the examples' shell tests use.
source "$(dirname "${BASH_SOURCE[0]}")/../../examples/common/expect_error.sh"

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

# as_unprivileged: sets $unprivileged to a command prefix that runs a command as a user other than
# root (nothing when the test is not root; as root, user nobody through setpriv) and $other_work
# to an empty folder for that user's case. As root it is made under /tmp, given to nobody and
# removed when the test ends: the folders above $work may be private (mktemp -d makes them so).
as_unprivileged() {
    unprivileged=()
    other_work="$work/other_user"
    if [ "$(id -u)" -eq 0 ]; then
        unprivileged=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        other_work="$(mktemp -d /tmp/siamese_fetch_test.XXXXXX)"
        trap 'rm -rf "$other_work"' EXIT
        chmod 755 "$other_work"
    fi
    mkdir -p "$other_work"
}

# give_to_unprivileged DIR...: as root, hands the DIRs to user nobody (see as_unprivileged).
give_to_unprivileged() { [ "$(id -u)" -ne 0 ] || chown -R 65534:65534 "$@"; }

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
