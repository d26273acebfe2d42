#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/fetch_omniglot.sh without the network or the real data: a copy of the script beside a
# checksum list of two small zip files of the test's own, made with python3's zipfile, fetched
# from a SOURCE_DIR (curl, wget and npm are replaced by commands that fail). Fails without unzip
# (the script would install it with apt-get) or python3: scripts/install_deps.sh installs both.
# Usage: test_fetch_omniglot.sh FETCH_OMNIGLOT_SCRIPT WORK_DIR
set -euo pipefail
unset CDPATH  # cd below must not print
original="$1" work="$2"
for tool in unzip python3; do
    command -v "$tool" >/dev/null || { echo "test_fetch_omniglot: no $tool: run scripts/install_deps.sh" >&2; exit 1; }
done
real_unzip="$(command -v unzip)" real_mv="$(command -v mv)"
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
source "$(dirname "${BASH_SOURCE[0]}")/fetch_test_common.sh"

# Two archives, each holding a folder of its name: ALPHABET/characterNN/NNNN_MM.png (the
# images are a few random bytes: the script counts them, nothing reads them).
src="$work/zips"
mkdir -p "$src" "$work/trees"
for name in images_background images_background_small1; do
    for alphabet in Latin Greek; do
        for character in character01 character02; do
            mkdir -p "$work/trees/$name/$alphabet/$character"
            for drawer in 01 02; do
                head -c 200 /dev/urandom >"$work/trees/$name/$alphabet/$character/0001_$drawer.png"
            done
        done
    done
    python3 - "$src/$name.zip" "$work/trees" "$name" <<'EOF'
import os, sys, zipfile
zip_path, parent, name = sys.argv[1:4]
with zipfile.ZipFile(zip_path, "w") as archive:
    for folder, subfolders, files in os.walk(os.path.join(parent, name)):
        subfolders.sort()
        for file in sorted(files):
            path = os.path.join(folder, file)
            archive.write(path, os.path.relpath(path, parent))
EOF
done
mkdir -p "$work/bin"
cp "$original" "$work/bin/fetch_omniglot.sh"
script="$work/bin/fetch_omniglot.sh"
for zip in images_background.zip images_background_small1.zip; do
    echo "$(sha256sum "$src/$zip" | cut -d' ' -f1)  $zip"
done >"$work/bin/omniglot.sha256"

no_network "$work/fakebin"
export PATH="$work/fakebin:$PATH"
unset OMNIGLOT_SOURCE
export TMPDIR="$work/tmp"  # anything the script puts in a temporary folder outside DEST shows here
mkdir -p "$TMPDIR"

# unpacked DEST NAME: DEST/NAME is the test's tree NAME, file for file.
unpacked() { diff -r "$1/$2" "$work/trees/$2" >/dev/null; }
# leftovers DEST: the script's working folders in DEST (none after it ends), one a line.
leftovers() { entries "$1" | grep '^\.fetch\.' || true; }

# Help.
expect_ok "--help" "Usage: scripts/fetch_omniglot.sh [SOURCE_DIR] [DEST] [ARCHIVE...]" bash "$script" --help
check "--help" "does not print the header comment as it is" \
    [ "$case_output" = "$(sed -n '3,/^[^#]/s/^# \{0,1\}//p' "$script")" ]

# A fresh fetch unpacks each archive into DEST/<name>/ with its marker.
dest="$work/dest"
expect_ok "fresh fetch" "images_background: unpacked from images_background.zip (verified, 8 images)" \
    bash "$script" "$src" "$dest"
grep -qF "images_background_small1: unpacked from images_background_small1.zip" <<<"$case_output" ||
    fail "fresh fetch" "the second archive not unpacked"
for name in images_background images_background_small1; do
    check "fresh fetch" "$name not unpacked as it is in the archive" unpacked "$dest" "$name"
    check "fresh fetch" "no marker for $name" [ "$(head -n 1 "$dest/.$name.verified")" = \
        "$(grep " $name.zip$" "$work/bin/omniglot.sha256" | cut -d' ' -f1)" ]
done
check "fresh fetch" "left in DEST: $(leftovers "$dest")" [ -z "$(leftovers "$dest")" ]

# A second run keeps the verified folders.
expect_ok "second run" "images_background: present and verified" bash "$script" "$src" "$dest"
grep -qF "images_background_small1: present and verified" <<<"$case_output" ||
    fail "second run" "the second archive not kept: $case_output"
! grep -qF "unpacked" <<<"$case_output" || fail "second run" "unpacked again: $case_output"

# A changed file in an unpacked folder: that folder is unpacked again, the other is kept.
printf 'edited' >"$dest/images_background/Latin/character01/0001_01.png"
expect_ok "changed file" "images_background: unpacked from images_background.zip" bash "$script" "$src" "$dest"
grep -qF "images_background_small1: present and verified" <<<"$case_output" ||
    fail "changed file" "the unchanged folder not kept: $case_output"
check "changed file" "the file not restored" unpacked "$dest" images_background
# A file added, and one removed, count as changes too.
printf 'extra' >"$dest/images_background/Latin/notes.txt"
expect_ok "added file" "images_background: unpacked from images_background.zip" bash "$script" "$src" "$dest"
check "added file" "the added file kept" unpacked "$dest" images_background
rm "$dest/images_background/Greek/character02/0001_02.png"
expect_ok "removed file" "images_background: unpacked from images_background.zip" bash "$script" "$src" "$dest"
check "removed file" "the file not restored" unpacked "$dest" images_background

# Both folders changed: both unpacked again in one run.
printf 'edited' >"$dest/images_background/Greek/character01/0001_01.png"
printf 'edited' >"$dest/images_background_small1/Latin/character02/0001_02.png"
expect_ok "both folders changed" "images_background: unpacked from images_background.zip" bash "$script" "$src" "$dest"
grep -qF "images_background_small1: unpacked from images_background_small1.zip" <<<"$case_output" ||
    fail "both folders changed" "the second not unpacked again: $case_output"
for name in images_background images_background_small1; do
    check "both folders changed" "$name not restored" unpacked "$dest" "$name"
done

# A file, or a link to nowhere, where a folder belongs: replaced by the folder.
mkdir -p "$work/dest_odd"
printf 'not a folder' >"$work/dest_odd/images_background"
ln -s "$work/nowhere" "$work/dest_odd/images_background_small1"
expect_ok "a file and a broken link where the folders belong" "images_background: unpacked from" \
    bash "$script" "$src" "$work/dest_odd"
for name in images_background images_background_small1; do
    check "a file and a broken link where the folders belong" "$name not unpacked" unpacked "$work/dest_odd" "$name"
done

# Only the archives named: the others are neither checked nor fetched.
expect_ok "one archive named" "images_background_small1: unpacked from" \
    bash "$script" "$src" "$work/dest_one" images_background_small1.zip
check "one archive named" "another archive unpacked: $(entries "$work/dest_one" | tr '\n' ' ')" \
    [ "$(entries "$work/dest_one")" = "$(printf '.images_background_small1.verified\nimages_background_small1')" ]

# An archive that fails its checksum is refused, and the folder in DEST is left as it was.
mkdir -p "$work/bad_zips"
cp "$src/images_background.zip" "$work/bad_zips/"
printf 'x' >>"$work/bad_zips/images_background.zip"
rm "$dest/.images_background.verified"  # not known to be verified: the archive is checked
expect "archive failing its checksum" "fetch_omniglot: images_background.zip fails its checksum: expected \
$(grep ' images_background.zip$' "$work/bin/omniglot.sha256" | cut -d' ' -f1), got \
$(sha256sum "$work/bad_zips/images_background.zip" | cut -d' ' -f1)" bash "$script" "$work/bad_zips" "$dest"
check "archive failing its checksum" "the folder in DEST changed" unpacked "$dest" images_background
check "archive failing its checksum" "left in DEST: $(leftovers "$dest")" [ -z "$(leftovers "$dest")" ]
expect_ok "archive failing its checksum, then the good one" "images_background: unpacked from" \
    bash "$script" "$src" "$dest"

# Names and folders that are refused.
expect "archive not in the list" "fetch_omniglot: images_evaluation.zip: not an archive listed in $work/bin/omniglot.sha256" \
    bash "$script" "$src" "$work/dest_unlisted" images_evaluation.zip
check "archive not in the list" "DEST created" [ ! -e "$work/dest_unlisted" ]
mkdir -p "$work/empty_zips"
expect "SOURCE_DIR without the archive" "fetch_omniglot: $work/empty_zips/images_background.zip: no such file" \
    bash "$script" "$work/empty_zips" "$work/dest_no_zip"
check "SOURCE_DIR without the archive" "DEST is not empty: $(entries "$work/dest_no_zip" | tr '\n' ' ')" \
    [ -z "$(entries "$work/dest_no_zip")" ]
expect "SOURCE_DIR missing" "fetch_omniglot: $work/nowhere: no such folder (expected the Omniglot zip files)" \
    bash "$script" "$work/nowhere" "$work/dest_nowhere"
printf 'not a folder' >"$work/a_file"
expect "DEST a file" "fetch_omniglot: $work/a_file exists and is not a directory" bash "$script" "$src" "$work/a_file"
# The folder inside the archive must be named as it is.
mkdir -p "$work/misnamed_zips" "$work/misnamed/other"
printf 'x' >"$work/misnamed/other/a.png"
(cd "$work/misnamed" &&
    python3 -c 'import zipfile; zipfile.ZipFile("../misnamed_zips/images_background.zip", "w").write("other/a.png")')
misnamed_sum="$(sha256sum "$work/misnamed_zips/images_background.zip" | cut -d' ' -f1)"
sed -i "s/^[0-9a-f]*  images_background.zip$/$misnamed_sum  images_background.zip/" "$work/bin/omniglot.sha256"
expect "archive without its folder" "fetch_omniglot: images_background.zip does not hold a folder images_background/" \
    bash "$script" "$work/misnamed_zips" "$work/dest_misnamed" images_background.zip
check "archive without its folder" "left in DEST: $(entries "$work/dest_misnamed" | tr '\n' ' ')" \
    [ -z "$(entries "$work/dest_misnamed")" ]
sed -i "s/^[0-9a-f]*  images_background.zip$/$(sha256sum "$src/images_background.zip" | cut -d' ' -f1)  images_background.zip/" \
    "$work/bin/omniglot.sha256"

# Leftovers of fetches that were killed (SIGKILL, a power cut) are removed once their process is
# gone, and only theirs: the folder of a fetch running now (here: this test's process) is kept;
# one without a process id, from an earlier version of the script, is kept and named.
dead="$(dead_pid)"
mkdir -p "$dest/.fetch.$dead.Ab12Cd/unpacked/images_background/Latin" "$dest/.fetch.$$.Ef34Gh/unpacked" \
    "$dest/.fetch.Xy12Zw"
cp "$src/images_background.zip" "$dest/.fetch.$dead.Ab12Cd/"
expect_ok "leftovers of killed fetches" "fetch_omniglot: removed $dest/.fetch.$dead.Ab12Cd, left by a fetch that was \
killed (process $dead is gone)" bash "$script" "$src" "$dest"
grep -qF "fetch_omniglot: $dest/.fetch.Xy12Zw may be left by a fetch of an earlier version of this script that was \
killed: remove it if no fetch into $dest is running" <<<"$case_output" ||
    fail "leftovers of killed fetches" "the old version's folder not named: $case_output"
check "leftovers of killed fetches" "DEST holds $(leftovers "$dest" | tr '\n' ' ')" \
    [ "$(leftovers "$dest")" = "$(printf '%s\n' ".fetch.$$.Ef34Gh" .fetch.Xy12Zw | LC_ALL=C sort)" ]
check "leftovers of killed fetches" "the live fetch's folder changed" [ -d "$dest/.fetch.$$.Ef34Gh/unpacked" ]
rm -rf "$dest/.fetch.$$.Ef34Gh" "$dest/.fetch.Xy12Zw"

# Another user's live process (kill -0 fails: not allowed to signal it) is not taken for gone. Run
# as a user other than root with a leftover of process 1, which is root's.
as_unprivileged
mkdir -p "$other_work/dest" "$other_work/bin" "$other_work/zips"
cp -r "$dest/images_background" "$dest/.images_background.verified" "$other_work/dest/"
cp "$script" "$work/bin/omniglot.sha256" "$other_work/bin/"
mkdir "$other_work/dest/.fetch.1.Ij56Kl"
give_to_unprivileged "$other_work"
if [ "$(stat -c %u /proc/1)" = "$("${unprivileged[@]}" id -u)" ]; then
    echo "skip another user's fetch: process 1 runs as the user the script would run as"
else
    expect_ok "another user's fetch" "images_background: present and verified" "${unprivileged[@]}" \
        bash "$other_work/bin/fetch_omniglot.sh" "$other_work/zips" "$other_work/dest" images_background.zip
    check "another user's fetch" "its folder was removed" [ -d "$other_work/dest/.fetch.1.Ij56Kl" ]
fi

# A fetch killed (SIGKILL) half-way, after unpacking an archive: the next run removes what it
# left in DEST and unpacks the archive.
mkdir -p "$work/killbin"
cat >"$work/killbin/unzip" <<EOF
#!/usr/bin/env bash
"$real_unzip" "\$@" || exit
kill -KILL "\$(cat "$work/fetch.pid")"
exit 1
EOF
chmod +x "$work/killbin/unzip"
run_case "fetch killed" "" 137 run_killable "$work/fetch.pid" env PATH="$work/killbin:$PATH" \
    bash "$script" "$src" "$work/dest_killed"
check "fetch killed" "left nothing in DEST: the case does not test the clean-up" [ -n "$(leftovers "$work/dest_killed")" ]
expect_ok "fetch killed, then run again" "images_background: unpacked from" bash "$script" "$src" "$work/dest_killed"
check "fetch killed, then run again" "left in DEST: $(leftovers "$work/dest_killed")" [ -z "$(leftovers "$work/dest_killed")" ]
check "fetch killed, then run again" "not unpacked" unpacked "$work/dest_killed" images_background

# Two fetches into the same DEST: the other one places its folder while this one replaces the
# folder there (here: a fake mv puts a copy of it in place just before this fetch renames its own
# in). The folder was moved into the other's, DEST/images_background/images_background/, and the
# fetch said it was verified; now it is refused, the other's folder kept as it is.
mkdir -p "$work/racebin"
cat >"$work/racebin/mv" <<EOF
#!/usr/bin/env bash
if [[ \${*: -2:1} == */unpacked/images_background ]] && [ ! -e "$work/raced" ] && [ ! -e "\${*: -1}" ]; then
    touch "$work/raced"
    cp -r "$work/trees/images_background" "\${*: -1}"
fi
exec "$real_mv" "\$@"
EOF
chmod +x "$work/racebin/mv"
expect "another fetch into DEST" "fetch_omniglot: $work/dest_race/images_background appeared while it was being \
replaced (another fetch into $work/dest_race?): run again" \
    env PATH="$work/racebin:$PATH" bash "$script" "$src" "$work/dest_race" images_background.zip
check "another fetch into DEST" "the fake mv did not run: the case tests nothing" [ -e "$work/raced" ]
check "another fetch into DEST" "the other fetch's folder changed" unpacked "$work/dest_race" images_background
check "another fetch into DEST" "left in DEST: $(leftovers "$work/dest_race")" [ -z "$(leftovers "$work/dest_race")" ]
expect_ok "another fetch into DEST, then run again" "images_background: unpacked from" \
    bash "$script" "$src" "$work/dest_race" images_background.zip
check "another fetch into DEST, then run again" "not unpacked" unpacked "$work/dest_race" images_background

# SOURCE_DIR from $OMNIGLOT_SOURCE, DEST by default data/omniglot beside the script's folder.
expect_ok "OMNIGLOT_SOURCE and the default DEST" "images_background: unpacked from" \
    env OMNIGLOT_SOURCE="$src" bash "$script"
check "OMNIGLOT_SOURCE and the default DEST" "not unpacked into $work/data/omniglot" \
    unpacked "$work/data/omniglot" images_background

# With CDPATH exported (CDPATH=. in a user's profile), cd prints the folder it finds: the script's
# own folder and DEST, read as $(cd DIR && pwd), came out twice.
expect_ok "CDPATH exported" "images_background: unpacked from" \
    bash -c 'cd "$1" && CDPATH=. exec bash bin/fetch_omniglot.sh zips dest_cdpath images_background.zip' _ "$work"
check "CDPATH exported" "not unpacked" unpacked "$work/dest_cdpath" images_background

# No SOURCE_DIR: the archive is downloaded, and here curl and wget fail.
expect "download fails" "fetch_omniglot: download of images_background.zip failed" \
    bash "$script" "" "$work/dest_download" images_background.zip
check "download fails" "left in DEST: $(entries "$work/dest_download" | tr '\n' ' ')" \
    [ -z "$(entries "$work/dest_download")" ]

check "temporary files" "left in TMPDIR: $(entries "$TMPDIR" | tr '\n' ' ')" [ -z "$(entries "$TMPDIR")" ]
finish test_fetch_omniglot
