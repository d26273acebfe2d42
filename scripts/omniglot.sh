#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Omniglot example, end to end: installs what it needs, fetches Omniglot (verified), builds
# the example, trains the Siamese network with its defaults (the 25 train25 background alphabets,
# 90 epochs; see docs/omniglot.md), then evaluates it on the held-out test alphabets and on
# one-shot run folders drawn from them, beside the baselines.
# With small1 or small2 first, it follows the minimal-set protocol instead: three networks that
# differ only in --seed (0, 1, 2) train on that set with early stopping on validation5 (at most
# 30 epochs), then score the test alphabets as one ensemble.
# Archives come from $OMNIGLOT_SOURCE, else a local mirror folder if there is one
# (/work/shared/data/omniglot), else the data set's public repository.
# Usage: scripts/omniglot.sh [small1|small2] [train options...]   e.g. scripts/omniglot.sh --threads 2
# Results land in out/omniglot/ of the repository (or --out; out/omniglot-small1/ etc. for a
# minimal set): model.ckpt (seedN/model.ckpt for a minimal set), pictures, training_curve.svg,
# metrics.json, test.json. Paths (--out, --data, $OMNIGLOT_SOURCE) are taken from where the
# script is run; --data and --threads reach every step. `omniglot train --help` lists the options.
# --resume FILE continues a stopped run, in FILE's folder unless --out says otherwise. For a
# minimal set, FILE is one seed's checkpoint: every seed with a checkpoint beside it goes on from
# it (with its own settings; of the options, only --stop-after reaches it), and the others train
# afresh with the options given, so give the first call's options again.
set -euo pipefail
unset CDPATH  # exported, cd prints the folder it finds there: $(cd DIR && pwd) gave it twice
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
caller="$PWD"
absolute() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s' "$caller/$1" ;; esac; }

minimal_set=""
case "${1:-}" in
    small1 | small2) minimal_set="$1"; shift ;;
esac

# The output folder and data as every step will use them, --threads for every step, and the
# other options, for train only.
out="$root/out/omniglot${minimal_set:+-$minimal_set}"
data="$root/data/omniglot/images_background"
user_data=""
user_out=""
threads=()
resume=""
options=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help)
            sed -n '3,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
            exit 0 ;;
        --out | --data | --threads | --resume | --out=* | --data=* | --threads=* | --resume=*)
            if [[ "$1" == *=* ]]; then
                name="${1%%=*}" value="${1#*=}"
                shift
            else
                [ $# -ge 2 ] || { echo "omniglot.sh: $1 needs a value" >&2; exit 2; }
                name="$1" value="$2"
                shift 2
            fi
            [ -n "$value" ] || { echo "omniglot.sh: $name needs a value" >&2; exit 2; }  # not the current folder
            case "$name" in
                --out) out="$(absolute "$value")" user_out=1 ;;
                --data) data="$(absolute "$value")" user_data=1 ;;
                --threads) threads=(--threads "$value") ;;
                --resume) resume="$(absolute "$value")" ;;
            esac ;;
        --seed | --seed=*)
            if [ -n "$minimal_set" ]; then
                echo "omniglot.sh $minimal_set: the three networks take seeds 0, 1 and 2; --seed would give all three" \
                    "the same (run the omniglot program itself for other seeds)" >&2
                exit 2
            fi
            options+=("$1"); shift ;;
        *) options+=("$1"); shift ;;
    esac
done
source_dir="${OMNIGLOT_SOURCE:-}"
[ -z "$source_dir" ] || source_dir="$(absolute "$source_dir")"
if [ -n "$resume" ]; then
    [ -f "$resume" ] || { echo "omniglot.sh: --resume $resume: no such file" >&2; exit 2; }
    # Without --out, the run goes on where its checkpoint is (a minimal set's: the seeds' parent).
    if [ -z "$user_out" ]; then
        out="$(dirname "$resume")"
        [ -z "$minimal_set" ] || out="$(dirname "$out")"
    fi
    if [ -n "$minimal_set" ]; then
        case "$(realpath -m "$resume")" in
            "$(realpath -m "$out")"/seed[012]/checkpoint.ckpt) ;;
            *) echo "omniglot.sh $minimal_set: --resume $resume is not a seed's checkpoint under --out $out" \
                   "($out/seed0/checkpoint.ckpt, seed1 or seed2)" >&2
               exit 2 ;;
        esac
    fi
    # What train takes beside --resume, for a minimal set's resumed seeds (it refuses the rest:
    # a run keeps its own settings); the other options are for the seeds that start afresh.
    resume_options=()
    for ((i = 0; i < ${#options[@]}; i++)); do
        case "${options[i]}" in
            --stop-after) resume_options+=("${options[i]}" "${options[i + 1]:-}"); i=$((i + 1)) ;;
            --stop-after=*) resume_options+=("${options[i]}") ;;
        esac
    done
fi
cd "$root"

scripts/install_deps.sh unzip
if [ -z "$user_data" ]; then
    [ -n "$source_dir" ] || [ ! -d /work/shared/data/omniglot ] || source_dir=/work/shared/data/omniglot
    scripts/fetch_omniglot.sh "$source_dir" "" images_background.zip  # the minimal sets are presets in it
fi
cmake -S . -B build/omniglot -DCMAKE_BUILD_TYPE=Release -DSIAMESE_BUILD_TESTS=OFF -DSIAMESE_BUILD_BENCHMARKS=OFF \
    -DSIAMESE_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/omniglot -j "${SIAMESE_JOBS:-2}" --target omniglot
bin=build/omniglot/examples/omniglot/omniglot

if [ -n "$minimal_set" ]; then
    # --resume continues the protocol: every seed with a checkpoint under OUT goes on from it (a
    # finished one only reports again), the others train afresh with the options given.
    models=()
    for seed in 0 1 2; do
        if [ -n "$resume" ] && [ -e "$out/seed$seed/checkpoint.ckpt" ]; then
            "$bin" train --resume "$out/seed$seed/checkpoint.ckpt" --data "$data" "${threads[@]}" "${resume_options[@]}"
        else
            "$bin" train --data "$data" "${threads[@]}" --train "$minimal_set" --validation validation5 --epochs 30 \
                --seed "$seed" --out "$out/seed$seed" "${options[@]}"
        fi
        models+=(--model "$out/seed$seed/model.ckpt")
    done
    "$bin" evaluate "${models[@]}" --data "$data" "${threads[@]}" --alphabets test5 --json "$out/test.json" \
        --picture "$out/test_episodes.png"
    exit 0
fi

if [ -n "$resume" ]; then
    "$bin" train --resume "$resume" --data "$data" "${threads[@]}" --out "$out" "${options[@]}"
else
    "$bin" train --data "$data" "${threads[@]}" --out "$out" "${options[@]}"
fi
"$bin" evaluate --model "$out/model.ckpt" --data "$data" "${threads[@]}" --alphabets test5 --json "$out/test.json" \
    --picture "$out/test_episodes.png"
"$bin" make-runs --data "$data" --alphabets test5 --out "$out/runs"
"$bin" evaluate --model "$out/model.ckpt" --runs "$out/runs" "${threads[@]}" --json "$out/runs.json" \
    --picture "$out/runs_episode.png"
