#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Puts Omniglot into DEST (default data/omniglot under the repository root): every archive listed
# in scripts/omniglot.sha256, checked against its SHA-256, unpacked as DEST/<archive name>/
# (images_background/ALPHABET/characterNN/NNNN_MM.png, ...).
# Archives come from SOURCE_DIR (or $OMNIGLOT_SOURCE) when given, a folder holding the zip
# files; otherwise they are downloaded from the data set's public repository
# (github.com/brendenlake/omniglot, python/). A folder already unpacked from a verified archive,
# and unchanged since, is kept as it is. images_evaluation.zip is not listed: add its line to
# scripts/omniglot.sha256 once you have verified its checksum, and it is fetched like the others.
# Archives are copied and unpacked in a folder of the run's own in DEST, .fetch.PID.XXXXXX; what a
# fetch that was killed left there is removed by the next run once process PID is gone.
# Usage: scripts/fetch_omniglot.sh [SOURCE_DIR] [DEST] [ARCHIVE...]
#        (ARCHIVE: names from scripts/omniglot.sha256, e.g. images_background.zip; default all)
set -euo pipefail
unset CDPATH  # exported, cd prints the folder it finds there: $(cd DIR && pwd) gave it twice
case "${1:-}" in
    -h | --help) sed -n '3,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;  # the comment above
esac

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sums="$script_dir/omniglot.sha256"
source_dir="${1:-${OMNIGLOT_SOURCE:-}}"
case "$source_dir" in -*) source_dir="./$source_dir" ;; esac
dest="${2:-$script_dir/../data/omniglot}"
case "$dest" in -*) dest="./$dest" ;; esac  # a folder named like an option is still a folder
wanted=("${@:3}")
url="https://github.com/brendenlake/omniglot/raw/master/python"

die() { echo "fetch_omniglot: $*" >&2; exit 1; }
need() {  # need COMMAND PACKAGE: installs PACKAGE with apt-get when COMMAND is missing
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "fetch_omniglot: installing $2 with apt-get"
    local sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have no package lists yet: update them once if the install fails.
    "${sudo_cmd[@]}" apt-get install -y -qq "$2" >/dev/null 2>&1 ||
        { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq "$2" >/dev/null; } ||
        die "could not install $2"
}

[ -f "$sums" ] || die "missing checksum list $sums"
[ -z "$source_dir" ] || [ -d "$source_dir" ] || die "$source_dir: no such folder (expected the Omniglot zip files)"
for archive in "${wanted[@]}"; do
    # awk reads the whole list: grep -q quitting early could fail the pipe under pipefail.
    wanted_name="$archive" awk '$2 == ENVIRON["wanted_name"] { found = 1 } END { exit !found }' "$sums" ||
        die "$archive: not an archive listed in $sums"
done
[ -e "$dest" ] && [ ! -d "$dest" ] && die "$dest exists and is not a directory"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"

# running PID: true while process PID exists (kill -0 fails for another user's process too: /proc
# tells those apart).
running() { kill -0 "$1" 2>/dev/null || [ -e "/proc/$1" ]; }

# What a fetch that was killed (SIGKILL, a power cut) left in DEST: its folder .fetch.PID.XXXXXX,
# a copy of an archive and part of its tree, hundreds of MB. Removed once process PID is gone, so
# that a fetch running now into the same DEST keeps its own. A PID taken since by another process
# keeps the folder until that one ends too (errs on the side of keeping); in a DEST shared between
# machines or containers, another's live fetch could pass for gone. Earlier versions of this
# script named the folder .fetch.XXXXXX, without the PID: those are named, not removed.
shopt -s nullglob
leftovers=("$dest"/.fetch.*)
shopt -u nullglob
for old in "${leftovers[@]}"; do
    if ! [[ ${old##*/} =~ ^\.fetch\.([1-9][0-9]*)\.[^.]+$ ]]; then
        [[ ${old##*/} =~ ^\.fetch\.[A-Za-z0-9]{6}$ ]] && [ -d "$old" ] && echo "fetch_omniglot: $old may be left by a \
fetch of an earlier version of this script that was killed: remove it if no fetch into $dest is running"
        continue
    fi
    pid="${BASH_REMATCH[1]}"
    running "$pid" && continue
    if rm -rf -- "$old" 2>/dev/null; then
        echo "fetch_omniglot: removed $old, left by a fetch that was killed (process $pid is gone)"
    else
        echo "fetch_omniglot: cannot remove $old, left by a fetch that was killed" >&2
    fi
done

# A fingerprint of an unpacked folder: the checksums of all its files, in name order.
tree_sum() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }

tmp=""  # made when an archive is needed: verified data in a read-only folder needs nothing
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

while read -r hash archive; do
    [ -n "${hash:-}" ] || continue
    if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $archive "* ]]; then continue; fi
    name="${archive%.zip}"
    marker="$dest/.$name.verified"
    # Unpacked before from an archive with this checksum, and unchanged since: nothing to do.
    if [ -d "$dest/$name" ] && [ -f "$marker" ] && [ "$(head -n 1 "$marker")" = "$hash" ] &&
        [ "$(sed -n 2p "$marker")" = "$(tree_sum "$dest/$name")" ]; then
        echo "$name: present and verified"
        continue
    fi
    if [ -z "$tmp" ]; then
        need unzip unzip
        tmp="$(mktemp -d "$dest/.fetch.$$.XXXXXX")" || die "cannot write in $dest (the archives unpack there)"
    fi
    zip="$tmp/$archive"
    if [ -n "$source_dir" ]; then
        [ -f "$source_dir/$archive" ] || die "$source_dir/$archive: no such file"
        cp "$source_dir/$archive" "$zip"
    else
        if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then need curl curl; fi
        echo "fetch_omniglot: downloading $url/$archive"
        if command -v curl >/dev/null 2>&1; then
            curl -fsSL --retry 3 -o "$zip" "$url/$archive" || die "download of $archive failed"
        else
            wget -q -O "$zip" "$url/$archive" || die "download of $archive failed"
        fi
    fi
    got="$(sha256sum "$zip" | cut -d' ' -f1)"
    [ "$got" = "$hash" ] || die "$archive fails its checksum: expected $hash, got $got"
    # Unpack beside the destination, then swap it in: readers never see half a folder.
    rm -rf "$tmp/unpacked"
    mkdir "$tmp/unpacked"
    unzip -q "$zip" -d "$tmp/unpacked" || die "cannot unpack $archive"
    [ -d "$tmp/unpacked/$name" ] || die "$archive does not hold a folder $name/"
    rm -f "$marker"
    # The folder there is renamed away into $tmp and deleted once the new one is in: no reader sees
    # it half deleted. -T: a folder that another fetch into DEST placed meanwhile is refused, not
    # moved into.
    if [ -e "$dest/$name" ] || [ -L "$dest/$name" ]; then
        mv -T "$dest/$name" "$tmp/replaced.$name" || die "cannot move the old $dest/$name away"
    fi
    mv -T "$tmp/unpacked/$name" "$dest/$name" 2>/dev/null ||
        die "$dest/$name appeared while it was being replaced (another fetch into $dest?): run again"
    rm -rf "$tmp/replaced.$name"
    printf '%s\n%s\n' "$hash" "$(tree_sum "$dest/$name")" >"$marker"
    echo "$name: unpacked from $archive (verified, $(find "$dest/$name" -name '*.png' | wc -l) images)"
done <"$sums"
