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
