#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Omniglot example on bad input: every case must end with a non-zero exit and one clear
# message naming the file, folder or value and the problem, never a crash or a partial result.
# Usage: bad_input.sh OMNIGLOT_BINARY MAKE_DATA_BINARY WORK_DIR
set -uo pipefail
omniglot="$1" make_data="$2" work="$3"
rm -rf "$work"
mkdir -p "$work"
"$make_data" "$work/data" 4 5 4 >/dev/null || exit 1
source "$(dirname "${BASH_SOURCE[0]}")/../common/expect_error.sh"

quick=(--train Alphabet0,Alphabet1 --validation Alphabet2 --side 16 --widths 4,4,4,4 --embedding 8 --epochs 1
       --steps 2 --characters 4 --drawings 2 --ways 4 --val-episodes 5 --threads 2)

# Data folders and files.
expect "missing data folder" "no such folder; fetch Omniglot" "$omniglot" train --data "$work/nowhere" "${quick[@]}" --out "$work/o1"
mkdir -p "$work/empty"
expect "folder without alphabets" "no alphabet 'Alphabet0'" "$omniglot" train --data "$work/empty" "${quick[@]}" --out "$work/o2"
expect "unknown alphabet" "no alphabet 'Klingon'; available: Alphabet0, Alphabet1" "$omniglot" train --data "$work/data" \
    "${quick[@]}" --train Klingon --out "$work/o3"
expect "train and validate on one alphabet" "in both --train and --validation" "$omniglot" train --data "$work/data" \
    "${quick[@]}" --validation Alphabet1 --out "$work/o4"
cp -r "$work/data" "$work/corrupt"
printf 'not a png' >"$work/corrupt/Alphabet1/character02/0007_03.png"
expect "a file that is not a PNG" "0007_03.png: not a PNG image" "$omniglot" train --data "$work/corrupt" "${quick[@]}" --out "$work/o5"
cp -r "$work/data" "$work/cut"
head -c 60 "$work/data/Alphabet0/character01/0001_01.png" >"$work/cut/Alphabet0/character01/0001_01.png"
expect "a truncated PNG" "0001_01.png: cannot decode PNG" "$omniglot" train --data "$work/cut" "${quick[@]}" --out "$work/o6"
mkdir -p "$work/hollow/Alphabet0/character01"
expect "a character without images" "character01: no PNG images" "$omniglot" train --data "$work/hollow" \
    --train Alphabet0 --validation none --out "$work/o7"
expect "too few characters for the episodes" "no alphabet has 20 characters" "$omniglot" train --data "$work/data" \
    "${quick[@]}" --ways 20 --out "$work/o8"

# Command-line values.
expect "zero epochs" "must be a positive number, got '0'" "$omniglot" train --data "$work/data" --epochs 0
expect "images too small for four pools" "--side" "$omniglot" train --data "$work/data" --side 8
expect "three widths" "--widths: expected four channel counts" "$omniglot" train --data "$work/data" "${quick[@]}" \
    --widths 4,4,4 --out "$work/o9"
expect "even kernel" "--kernel: must be odd" "$omniglot" train --data "$work/data" "${quick[@]}" --kernel 4 --out "$work/o10"
expect "bad layer rates" "--layer-lr: expected 6 scales" "$omniglot" train --data "$work/data" "${quick[@]}" \
    --layer-lr 1,1 --out "$work/o11"
expect "unknown optimizer" "--optimizer" "$omniglot" train --data "$work/data" --optimizer adagrad
expect "more drawings than drawn" "--drawings" "$omniglot" train --data "$work/data" "${quick[@]}" --drawings 5 --out "$work/o12"
expect "unknown option" "--frobnicate" "$omniglot" train --frobnicate
expect "resume with new settings" "excludes" "$omniglot" train --resume "$work/x.ckpt" --epochs 3
touch "$work/a_file"
expect "output under a file" "a_file" "$omniglot" train --data "$work/data" "${quick[@]}" --out "$work/a_file/out"

# Checkpoints.
"$omniglot" train --data "$work/data" "${quick[@]}" --out "$work/good" >/dev/null 2>&1 || { echo "FAIL: a good run failed"; exit 1; }
expect "missing checkpoint" "no such file" "$omniglot" evaluate --model "$work/none.ckpt" --data "$work/data" --alphabets Alphabet2
expect "directory as checkpoint" "is a directory" "$omniglot" evaluate --model "$work/good" --data "$work/data"
head -c 300 "$work/good/model.ckpt" >"$work/cut.ckpt"
expect "truncated checkpoint" "truncated" "$omniglot" evaluate --model "$work/cut.ckpt" --data "$work/data"
cp "$work/good/model.ckpt" "$work/flipped.ckpt"
printf '\x55' | dd of="$work/flipped.ckpt" bs=1 seek=2000 conv=notrunc status=none
expect "corrupted checkpoint" "checksum mismatch" "$omniglot" evaluate --model "$work/flipped.ckpt" --data "$work/data"
expect "image file as checkpoint" "not a siamese checkpoint" "$omniglot" evaluate --model "$work/good/validation_episodes.png" \
    --data "$work/data"
"$omniglot" train --data "$work/data" "${quick[@]}" --side 20 --out "$work/good20" >/dev/null 2>&1 ||
    { echo "FAIL: a good run at 20x20 failed"; exit 1; }
expect "ensemble of two image sides" "an ensemble needs one image side and one episode size; this model has 20x20" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --model "$work/good20/model.ckpt" --data "$work/data" --alphabets Alphabet2

# One-shot run folders.
"$omniglot" make-runs --data "$work/data" --alphabets Alphabet2,Alphabet3 --runs 2 --ways 4 --out "$work/runs" >/dev/null ||
    { echo "FAIL: make-runs failed"; exit 1; }
expect "missing runs folder" "no such folder (expected one-shot runs)" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --runs "$work/no_runs"
expect "folder without runs" "no one-shot runs" "$omniglot" evaluate --model "$work/good/model.ckpt" --runs "$work/empty"
cp -r "$work/runs" "$work/runs_bad_line"
echo "run02/test/item01.png" >>"$work/runs_bad_line/run02/class_labels.txt"
expect "malformed run line" "class_labels.txt: line 5: expected two paths" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --runs "$work/runs_bad_line"
cp -r "$work/runs" "$work/runs_dup"
head -n 1 "$work/runs_dup/run01/class_labels.txt" >>"$work/runs_dup/run01/class_labels.txt"
expect "duplicate run item" "is listed twice (first on line 1)" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --runs "$work/runs_dup"
cp -r "$work/runs" "$work/runs_missing"
rm "$work/runs_missing/run01/training/class02.png"
expect "missing class image" "no such file" "$omniglot" evaluate --model "$work/good/model.ckpt" --runs "$work/runs_missing"

# Training that diverges stops with the step and the place, keeping the last checkpoint.
expect "diverging run" "training stopped at epoch 1, step" "$omniglot" train --data "$work/data" "${quick[@]}" --steps 30 \
    --optimizer sgd --lr 1e6 --momentum 0.9 --warmup 0 --out "$work/diverged"

finish
