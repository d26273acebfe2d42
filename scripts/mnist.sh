#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The MNIST example, end to end: installs what it needs, fetches MNIST (verified), builds the
# example and trains the tutorial's Siamese network with its defaults, then evaluates it.
# Usage: scripts/mnist.sh [train options...]     e.g. scripts/mnist.sh --threads 2 --out out/mnist
# Results land in out/mnist/ of the repository (or --out: model.ckpt, pairs.png,
# training_curve.svg, metrics.json, checkpoint.ckpt). Paths given as options are taken from where the script is
# run; with --data, MNIST is not fetched.
set -euo pipefail
unset CDPATH  # exported, cd prints the folder it finds there: $(cd DIR && pwd) gave it twice
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
caller="$PWD"
self="$root/scripts/$(basename "${BASH_SOURCE[0]}")"  # still found once the script is in $root

# The user's path options, made absolute before the script moves to the repository.
args=()
user_data=""
user_out=""
help=""
while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help)
            help=1; shift ;;
        --data | --out | --resume)
            [ $# -ge 2 ] && [ -n "$2" ] || { echo "mnist.sh: $1 needs a value" >&2; exit 2; }  # before the fetch
            [ "$1" = --data ] && user_data=1
            [ "$1" = --data ] || user_out=1
            case "$2" in /*) args+=("$1" "$2") ;; *) args+=("$1" "$caller/$2") ;; esac
            shift 2 ;;
        --data=* | --out=* | --resume=*)
            name="${1%%=*}" value="${1#*=}"
            [ -n "$value" ] || { echo "mnist.sh: $name needs a value" >&2; exit 2; }  # not the current folder
            [ "$name" = --data ] && user_data=1
            [ "$name" = --data ] || user_out=1
            case "$value" in /*) args+=("$1") ;; *) args+=("$name=$caller/$value") ;; esac
            shift ;;
        *) args+=("$1"); shift ;;
    esac
done
cd "$root"

binary=build/mnist/examples/mnist/mnist
if [ -n "$help" ]; then
    # Help without fetching MNIST or training: the script's usage, then train's own options
    # (from the built example; the first call builds it).
    sed -n '3,8s/^# \{0,1\}//p' "$self"
    echo
    if [ ! -x "$binary" ]; then
        scripts/install_deps.sh
        cmake -S . -B build/mnist -DCMAKE_BUILD_TYPE=Release -DSIAMESE_BUILD_TESTS=OFF \
            -DSIAMESE_BUILD_BENCHMARKS=OFF -DSIAMESE_BUILD_EXAMPLES=ON >/dev/null
        cmake --build build/mnist -j "${SIAMESE_JOBS:-2}" --target mnist >/dev/null
    fi
    exec "$binary" train --help
fi

scripts/install_deps.sh
if [ -z "$user_data" ]; then
    scripts/fetch_mnist.sh data/mnist
    args=(--data data/mnist "${args[@]}")
fi
cmake -S . -B build/mnist -DCMAKE_BUILD_TYPE=Release -DSIAMESE_BUILD_TESTS=OFF -DSIAMESE_BUILD_BENCHMARKS=OFF \
    -DSIAMESE_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/mnist -j "${SIAMESE_JOBS:-2}" --target mnist
# The default --out, absolute: the messages that name its files (how to resume a stopped run)
# then work from any folder. --resume alone writes beside its checkpoint.
[ -n "$user_out" ] || args=(--out "$root/out/mnist" "${args[@]}")
exec "$binary" train "${args[@]}"
