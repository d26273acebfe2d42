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
# Results land in out/omniglot/ (or --out; out/omniglot-small1/ etc. for a minimal set):
# model.ckpt (seedN/model.ckpt for a minimal set), pictures, training_curve.svg, metrics.json,
# test.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

minimal_set=""
case "${1:-}" in
    small1 | small2) minimal_set="$1"; shift ;;
esac

scripts/install_deps.sh unzip
source_dir="${OMNIGLOT_SOURCE:-}"
[ -n "$source_dir" ] || [ ! -d /work/shared/data/omniglot ] || source_dir=/work/shared/data/omniglot
scripts/fetch_omniglot.sh "$source_dir"
cmake -S . -B build/omniglot -DCMAKE_BUILD_TYPE=Release -DSIAMESE_BUILD_TESTS=OFF -DSIAMESE_BUILD_BENCHMARKS=OFF \
    -DSIAMESE_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/omniglot -j "${SIAMESE_JOBS:-2}" --target omniglot
bin=build/omniglot/examples/omniglot/omniglot
data=data/omniglot/images_background

# The output folder, as train will use it (its default unless --out is given), and the other
# options, for the minimal sets, which give each seed a folder of its own.
out=out/omniglot${minimal_set:+-$minimal_set}
args=("$@")
options=()
for ((i = 0; i < ${#args[@]}; ++i)); do
    case "${args[i]}" in
        --out) out="${args[i + 1]}"; i=$((i + 1)) ;;
        --out=*) out="${args[i]#--out=}" ;;
        *) options+=("${args[i]}") ;;
    esac
done

if [ -n "$minimal_set" ]; then
    models=()
    for seed in 0 1 2; do
        "$bin" train --data "$data" --train "$minimal_set" --validation validation5 --epochs 30 --seed "$seed" \
            --out "$out/seed$seed" "${options[@]}"
        models+=(--model "$out/seed$seed/model.ckpt")
    done
    "$bin" evaluate "${models[@]}" --data "$data" --alphabets test5 --json "$out/test.json" \
        --picture "$out/test_episodes.png"
    exit 0
fi

"$bin" train --data "$data" --out "$out" "${options[@]}"
"$bin" evaluate --model "$out/model.ckpt" --data "$data" --alphabets test5 --json "$out/test.json" \
    --picture "$out/test_episodes.png"
"$bin" make-runs --data "$data" --alphabets test5 --out "$out/runs"
"$bin" evaluate --model "$out/model.ckpt" --runs "$out/runs" --json "$out/runs.json" --picture "$out/runs_episode.png"
