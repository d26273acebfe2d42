#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The MNIST example on bad input: every case must end with a non-zero exit and one clear message
# naming the file or value and the problem, never a crash or a partial result.
# Usage: bad_input.sh MNIST_BINARY MAKE_DATA_BINARY WORK_DIR
set -uo pipefail
mnist="$1" make_data="$2" work="$3"
rm -rf "$work"
mkdir -p "$work"
"$make_data" "$work/data" 200 100 || exit 1
source "$(dirname "${BASH_SOURCE[0]}")/../common/expect_error.sh"

quick=(--epochs 1 --batches 3 --batch-size 10 --test-batches 2 --episodes 10)

# Data folders and files.
expect "missing data folder" "no such folder" "$mnist" train --data "$work/nowhere" "${quick[@]}" --out "$work/o1"
mkdir -p "$work/empty"
expect "folder without MNIST" "train-images-idx3-ubyte" "$mnist" train --data "$work/empty" "${quick[@]}" --out "$work/o2"
cp -r "$work/data" "$work/truncated"
head -c 5000 "$work/data/train-images-idx3-ubyte" >"$work/truncated/train-images-idx3-ubyte"
expect "truncated IDX" "truncated" "$mnist" train --data "$work/truncated" "${quick[@]}" --out "$work/o3"
cp -r "$work/data" "$work/swapped"
cp "$work/data/train-labels-idx1-ubyte" "$work/swapped/train-images-idx3-ubyte"
expect "labels where images belong" "magic" "$mnist" train --data "$work/swapped" "${quick[@]}" --out "$work/o4"
mkdir -p "$work/csv"
printf '3,0,255,17,8\n7,1,x,3,4\n' >"$work/csv/mnist_train.csv"
printf '3,0,255,17,8\n' >"$work/csv/mnist_test.csv"
expect "non-numeric CSV field" "line 2, column 3" "$mnist" train --data "$work/csv" --image-size 2 "${quick[@]}" --out "$work/o5"

# Command-line values.
expect "zero epochs" "must be a positive number, got '0'" "$mnist" train --data "$work/data" --epochs 0 --out "$work/o6"
expect "negative learning rate" "--lr: must be a positive number" "$mnist" train --data "$work/data" --lr -1 --out "$work/o7"
expect "not a number" "--batches" "$mnist" train --data "$work/data" --batches ten --out "$work/o8"
expect "unknown option" "--frobnicate" "$mnist" train --frobnicate
expect "resume with new settings" "excludes" "$mnist" train --resume "$work/x.ckpt" --epochs 3
expect "unknown loss" "--loss" "$mnist" train --data "$work/data" --loss hinge --out "$work/o10"
expect "bad class list" "class list 'zero-5'" "$mnist" train --data "$work/data" --train-classes zero-5 "${quick[@]}" --out "$work/o11"
expect "class not in the data" "class" "$mnist" train --data "$work/data" --train-classes 0-11 "${quick[@]}" --out "$work/o12"

# Output folder that cannot be created (its parent is a file).
touch "$work/a_file"
expect "output under a file" "a_file" "$mnist" train --data "$work/data" "${quick[@]}" --out "$work/a_file/out"

# Checkpoints.
"$mnist" train --data "$work/data" "${quick[@]}" --out "$work/good" >/dev/null 2>&1 || { echo "FAIL: a good run failed"; exit 1; }
expect "missing checkpoint" "no such file" "$mnist" evaluate --model "$work/none.ckpt" --data "$work/data"
expect "directory as checkpoint" "is a directory" "$mnist" evaluate --model "$work/good" --data "$work/data"
head -c 300 "$work/good/model.ckpt" >"$work/cut.ckpt"
expect "truncated checkpoint" "truncated" "$mnist" evaluate --model "$work/cut.ckpt" --data "$work/data"
cp "$work/good/model.ckpt" "$work/flipped.ckpt"
printf '\x55' | dd of="$work/flipped.ckpt" bs=1 seek=5000 conv=notrunc status=none
expect "corrupted checkpoint" "checksum mismatch" "$mnist" evaluate --model "$work/flipped.ckpt" --data "$work/data"
expect "image file as checkpoint" "not a siamese checkpoint" "$mnist" evaluate --model "$work/good/pairs.png" --data "$work/data"
expect "resume from a missing file" "no such file" "$mnist" train --resume "$work/none.ckpt" --data "$work/data" --out "$work/o9"

# Images to compare.
printf 'P5\n2 2\n255\n\x00\x01\x02\x03' >"$work/small.pgm"
expect "wrong image size" "the model expects 28x28" "$mnist" compare --model "$work/good/model.ckpt" "$work/small.pgm" "$work/small.pgm"
printf 'hello' >"$work/text.png"
expect "not an image" "not a PGM" "$mnist" compare --model "$work/good/model.ckpt" "$work/text.png" "$work/small.pgm"
head -c 40 "$work/good/pairs.png" >"$work/cut.png"
expect "truncated PNG" "cannot decode PNG" "$mnist" compare --model "$work/good/model.ckpt" "$work/cut.png" "$work/small.pgm"
printf 'P5\n28 28\n255\n\x00\x01' >"$work/short.pgm"
expect "truncated PGM" "truncated" "$mnist" compare --model "$work/good/model.ckpt" "$work/short.pgm" "$work/small.pgm"

# Training that diverges stops with the step and the place, keeping the last checkpoint.
expect "diverging run" "training stopped at epoch 1, batch" "$mnist" train --data "$work/data" --epochs 1 --batches 20 \
    --batch-size 10 --lr 100 --momentum 0.9 --out "$work/diverged"

finish
