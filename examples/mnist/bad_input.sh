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

# limited COMMAND...: runs it with at most 1 GB of address space, so that a case which regresses
# into allocating gigabytes fails at once instead of taking the machine's memory. AddressSanitizer
# reserves terabytes of address space: under it, an allocation above 1 GB ends the process instead.
if grep -q __asan_init "$mnist"; then
    asan=1
    limited() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=1000" "$@"; }
else
    asan=0
    limited() { (ulimit -v 1000000 && exec "$@"); }
fi

# Data folders and files.
expect "misspelt command" "unknown command 'trian'; the commands are train, evaluate, compare" "$mnist" trian --out "$work/o0"
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
expect "CSV rows of another --image-size" "4 pixel values, not the 784 (28x28) of --image-size 28; give --image-size 2" \
    "$mnist" train --data "$work/csv" "${quick[@]}" --out "$work/o5"
expect "--image-size other than the IDX images'" "the IDX images are 28x28, not the 5x5 of --image-size 5" \
    "$mnist" train --data "$work/data" --image-size 5 "${quick[@]}" --out "$work/o13"
expect "huge --image-size" "--image-size: must be a whole number from 1 to 512, got '20000'" \
    "$mnist" train --data "$work/data" --image-size 20000 "${quick[@]}" --out "$work/o13"
# Other sizes train (fc1 follows the side); below 10 the network has nothing left after two
# blocks: said before --out is created (it was Linear's shape_error after the data, --out made).
# csv_set DIR SIDE: 40 random images of 4 classes, SIDE x SIDE, as both CSV files.
csv_set() {
    mkdir -p "$1"
    { for i in $(seq 0 39); do printf '%d' $((i % 4)); for _ in $(seq $(($2 * $2))); do printf ',%d' $((RANDOM % 256)); done; echo; done; } \
        >"$1/mnist_train.csv"
    cp "$1/mnist_train.csv" "$1/mnist_test.csv"
}
csv_set "$work/csv8" 8
expect "--image-size too small for the network" "--image-size 8: the tutorial's network needs images of at least 10 x 10" \
    "$mnist" train --data "$work/csv8" --image-size 8 --epochs 1 --batches 3 --batch-size 10 --test-batches 2 \
    --episodes 2 --out "$work/o14"
[ -e "$work/o14" ] && fail "--image-size too small for the network" "--out was created"
# A picture that cannot be written is an error after the numbers are saved (they were lost with it).
mkdir -p "$work/o_picture/pairs.png"
expect "pairs.png a folder" "pairs.png: is a directory" "$mnist" train --data "$work/data" "${quick[@]}" \
    --out "$work/o_picture"
[ -s "$work/o_picture/metrics.json" ] && [ -s "$work/o_picture/training_curve.svg" ] ||
    fail "pairs.png a folder" "no metrics.json or training curve (they go before the picture)"
csv_set "$work/csv16" 16
expect_ok "16 x 16 images train" "test pair accuracy" \
    "$mnist" train --data "$work/csv16" --image-size 16 --epochs 1 --batches 3 --batch-size 10 --test-batches 2 \
    --episodes 2 --threads 1 --out "$work/o15"
grep -qE "of \[1, 16, 16\]; 1 thread$" <<<"$case_output" || fail "one thread" "not '1 thread': $(head -1 <<<"$case_output")"
expect "evaluate takes the model's image size" "The following arguments were not expected: 16 --image-size" \
    "$mnist" evaluate --model "$work/o15/model.ckpt" --data "$work/csv16" --image-size 16
# The size comes from the model: the mismatch blamed an --image-size that evaluate does not take.
expect "evaluate on images of another size than the model's" "$work/data: the IDX images are 28x28, not the 16x16 the \
model in $work/o15/model.ckpt was trained on" "$mnist" evaluate --model "$work/o15/model.ckpt" --data "$work/data"
# Sorted by label: the first 10000 training images, which calibrate the threshold, are all digit 0.
mkdir -p "$work/sorted"
{ for _ in $(seq 10000); do echo 0,1,2,3,4; done; echo 1,1,2,3,4; } >"$work/sorted/mnist_train.csv"
printf '0,1,2,3,4\n0,1,2,3,4\n1,1,2,3,4\n1,1,2,3,4\n' >"$work/sorted/mnist_test.csv"
expect "calibration images of one class" "cannot sample calibration pairs from the first 10000 training images" \
    "$mnist" train --data "$work/sorted" --image-size 2 "${quick[@]}" --out "$work/o13"

# Command-line values.
expect "zero epochs" "must be a positive whole number (decimal digits), got '0'" "$mnist" train --data "$work/data" --epochs 0 --out "$work/o6"
# Whole numbers are read as decimal text: CLI11 read 010 as 8 and 0x2 as 2, saturated 2^63, and
# answered a word with "Value x not in range".
expect "octal epochs" "--epochs: must be a positive whole number (decimal digits), got '010'" \
    "$mnist" train --data "$work/data" --epochs 010 --out "$work/o6"
expect "hexadecimal batches" "--batches: must be a whole number from 1 to 1000000000, got '0x2'" \
    "$mnist" train --data "$work/data" --batches 0x2 --out "$work/o6"
expect "a word for batches" "--batches: must be a whole number from 1 to 1000000000, got 'x'" \
    "$mnist" train --data "$work/data" --batches x --out "$work/o6"
expect "warm-up of 2^63" "--warmup: must be zero or a positive whole number (decimal digits), got '9223372036854775808'" \
    "$mnist" train --data "$work/data" --warmup 9223372036854775808 --out "$work/o6"
expect "momentum nan" "--momentum: must be a number from 0 to 1, got 'nan'" \
    "$mnist" train --data "$work/data" --optimizer adam --momentum nan --out "$work/o6"
expect "too many threads" "--threads: must be a whole number from 0 to 1024, got '3000'" \
    "$mnist" train --data "$work/data" --threads 3000 --out "$work/o6"
# OMP_NUM_THREADS can still ask for more (99999999999 gave 1215752191 threads and an
# out-of-memory message blaming the batch size). Without OpenMP it asks for nothing.
# GOMP_parallel: GCC's OpenMP runtime; __kmpc_fork_call: LLVM's (clang).
if grep -q -e GOMP_parallel -e __kmpc_fork_call "$mnist"; then
    expect "OMP_NUM_THREADS above 1024" "OMP_NUM_THREADS asks for 5000 threads, more than the 1024 allowed" \
        env OMP_NUM_THREADS=5000 "$mnist" train --data "$work/data" "${quick[@]}" --out "$work/o6"
else
    echo "skip OMP_NUM_THREADS above 1024: built without OpenMP"
fi
expect "negative learning rate" "--lr: must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got '-1'" "$mnist" train --data "$work/data" --lr -1 --out "$work/o7"
expect "learning rate that is 0 as a float" "--lr: must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got '1e-320'" \
    "$mnist" train --data "$work/data" --lr 1e-320 --out "$work/o7"
expect "infinite learning rate" "--lr: must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got 'inf'" \
    "$mnist" train --data "$work/data" --lr inf --out "$work/o7"
# Refused as the command line is read (Sgd refused it once the data had loaded).
expect "learning rate beyond float" "--lr: must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got '1e39'" \
    "$mnist" train --data "$work/data" --lr 1e39 --out "$work/o7"
# Decimal only: 0x10 was read as a rate of 16.
expect "hexadecimal learning rate" "--lr: must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got '0x10'" \
    "$mnist" train --data "$work/data" --lr 0x10 --out "$work/o7"
expect "infinite margin" "--margin: must be a finite positive number, got 'inf'" \
    "$mnist" train --data "$work/data" --loss triplet --margin inf --out "$work/o7"
# An option the run does not read (another loss's, SGD's momentum under Adam) was dropped without a word.
expect "--margin under bce" "--margin is read only with --loss contrastive or triplet; this run has --loss bce: leave \
it out or choose that setting" "$mnist" train --data "$work/nowhere" --margin 2 --out "$work/o7"
# --margin is read by contrastive too: refusing it there stopped a valid run before its data was read.
expect "--margin under contrastive is read" "no such folder" \
    "$mnist" train --data "$work/nowhere" --loss contrastive --margin 2 --out "$work/o7"
expect "--images-per-class under contrastive" "--images-per-class is read only with --loss triplet; this run has \
--loss contrastive" "$mnist" train --data "$work/nowhere" --loss contrastive --images-per-class 4 --out "$work/o7"
expect "--momentum under adam" "--momentum is read only with --optimizer sgd; this run has --optimizer adam" \
    "$mnist" train --data "$work/nowhere" --optimizer adam --momentum 0.5 --out "$work/o7"
# Not only adam: AdamW ignores --momentum too, and took it without a word.
expect "--momentum under adamw" "--momentum is read only with --optimizer sgd; this run has --optimizer adamw" \
    "$mnist" train --data "$work/nowhere" --optimizer adamw --momentum 0.9 --out "$work/o7"
# A decay that makes the weights grow (lr x weight decay above 2 (1 + momentum) with SGD) stopped
# the run with advice to lower --lr.
expect "weight decay that makes the weights grow" "--weight-decay 1e+30: --lr x --weight-decay is 1e+27, above the \
2.2 at which sgd's decay alone makes the weights grow each step until they overflow" \
    "$mnist" train --data "$work/nowhere" --weight-decay 1e30 --out "$work/o7"
expect "infinite weight decay" "--weight-decay: must be zero or a finite positive number, got 'inf'" \
    "$mnist" train --data "$work/data" --weight-decay inf --out "$work/o7"
# A warm-up as long as the run never reaches --lr: said, not silent (test accuracy 0.5 otherwise unexplained).
expect_ok "warm-up longer than the run" "note: --warmup 1000 is not shorter than the run's 3 steps: the learning rate \
rises to 3e-06 at most, 0.3% of --lr" "$mnist" train --data "$work/data" "${quick[@]}" --warmup 1000 --out "$work/warm"
expect "not a number" "--batches" "$mnist" train --data "$work/data" --batches ten --out "$work/o8"
expect "unknown option" "--frobnicate" "$mnist" train --frobnicate
expect "resume with new settings" "excludes" "$mnist" train --resume "$work/x.ckpt" --epochs 3
expect "unknown loss" "--loss" "$mnist" train --data "$work/data" --loss hinge --out "$work/o10"
expect "bad class list" "class list 'zero-5'" "$mnist" train --data "$work/data" --train-classes zero-5 "${quick[@]}" --out "$work/o11"
expect "class not in the data" "class" "$mnist" train --data "$work/data" --train-classes 0-11 "${quick[@]}" --out "$work/o12"
expect "text after a class" "--train-classes: class list '1x,2y': expected numbers and ranges like 0-5,7, got '1x'" \
    "$mnist" train --data "$work/data" --train-classes 1x,2y "${quick[@]}" --out "$work/o12"
expect "text after a range" "got '0-5abc'" "$mnist" train --data "$work/data" --train-classes 0-5abc "${quick[@]}" --out "$work/o12"
expect "a huge class range" "--train-classes '0-9999999999': no class 10-9999999999 in the train data (it has 0-9)" \
    limited "$mnist" train --data "$work/data" --train-classes 0-9999999999 "${quick[@]}" --out "$work/o12"
expect "a single training class" "--train-classes '3': cannot sample training batches" \
    "$mnist" train --data "$work/data" --train-classes 3 "${quick[@]}" --out "$work/o12"
# The batch shape is named first: the class list is fine for pairs.
expect "fewer training classes than a triplet batch" "error: --classes-per-batch 10 --images-per-class 10: cannot \
sample triplet batches from --train-classes '0-5': PkSampler: P = 10 classes per batch, but only 6 of the 6 classes" \
    "$mnist" train --data "$work/data" --loss triplet --train-classes 0-5 "${quick[@]}" --out "$work/o12"
expect "seed beyond 63 bits" "--seed: must be a whole number from 0 to 9223372036854775807, got '9223372036854775808'" \
    "$mnist" train --data "$work/data" --seed 9223372036854775808 "${quick[@]}" --out "$work/o14"
expect "negative seed" "got '-1'" "$mnist" train --data "$work/data" --seed -1 "${quick[@]}" --out "$work/o14"
"$mnist" train --data "$work/data" "${quick[@]}" --seed 9223372036854775807 --out "$work/seed" >/dev/null 2>&1 ||
    fail "largest seed" "training with --seed 9223372036854775807 failed"
expect_ok "largest seed: its checkpoint evaluates" "pair accuracy" "$mnist" evaluate --model "$work/seed/model.ckpt" \
    --data "$work/data"

# Output folder that cannot be created (its parent is a file).
touch "$work/a_file"
expect "output under a file" "a_file" "$mnist" train --data "$work/data" "${quick[@]}" --out "$work/a_file/out"
# A full disk (here: no file may grow, and SIGXFSZ ignored so that writes fail with EFBIG): the
# new --out folder was left behind, empty.
# LLVM's OpenMP runtime cannot start under ulimit -f 0 (its registration file in /dev/shm cannot
# grow, and any OpenMP program dies of SIGBUS), so with it the case is skipped, saying so.
if grep -q __kmpc_fork_call "$mnist"; then
    echo "skip a full disk: LLVM's OpenMP runtime (libomp) cannot start under ulimit -f 0"
else
    expect "a full disk" "$work/full_disk: cannot write files in the output folder" \
        bash -c 'trap "" XFSZ; ulimit -f 0; exec "$@"' _ "$mnist" train --data "$work/data" "${quick[@]}" \
        --out "$work/full_disk"
    [ ! -e "$work/full_disk" ] || fail "a full disk" "left $work/full_disk"
fi

# Values that would fail only after training, or run out of memory: refused before --out is
# touched. (The unusable --out makes a check that regresses fail at once, without training.)
expect "huge --episodes" "--episodes: must be a whole number from 1 to 1000000, got '1000000000'" \
    "$mnist" train --data "$work/data" --episodes 1000000000 --out "$work/a_file/out"
expect "huge --test-batches" "--test-batches: must be a whole number from 1 to 1000000, got '1000001'" \
    "$mnist" train --data "$work/data" --test-batches 1000001 --out "$work/a_file/out"
expect "too many test pairs" "--test-batches 1000000 x --batch-size 20 = 20000000 test pairs" \
    "$mnist" train --data "$work/data" --test-batches 1000000 --batch-size 20 --out "$work/a_file/out"
expect "epochs x batches beyond a long" "--batches: must be a whole number from 1 to 1000000000, got '9223372036854775807'" \
    "$mnist" train --data "$work/data" --batches 9223372036854775807 --out "$work/a_file/out"
expect "huge --batch-size" "--batch-size: must be a whole number from 2 to 10000, got '10001'" \
    "$mnist" train --data "$work/data" --batch-size 10001 --out "$work/a_file/out"
if [ $asan -eq 1 ]; then
    echo "skip out of memory: AddressSanitizer ends the process instead of throwing std::bad_alloc"
else
    expect "out of memory" "out of memory: std::bad_alloc; try a smaller --batch-size" \
        limited "$mnist" train --data "$work/data" --epochs 1 --batches 1 --batch-size 10000 --out "$work/oom"
fi

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
# --data is not restored: a resumed run on other images would go on as if nothing had changed.
"$make_data" "$work/other_data" 150 100 || exit 1
expect "resume on other data" "the run trained on 200 images [1, 28, 28], hash" \
    "$mnist" train --resume "$work/good/checkpoint.ckpt" --data "$work/other_data" --out "$work/o_other"
[ -e "$work/o_other" ] && fail "resume on other data" "created --out"
expect "resume from a missing file" "no such file" "$mnist" train --resume "$work/none.ckpt" --data "$work/data" --out "$work/o9"
# A folder mixing the two formats was read without a word (the log names no files).
mkdir -p "$work/mixed" && cp "$work/data"/* "$work/mixed/" && csv_set "$work/mixed" 28 && rm "$work/mixed/mnist_test.csv"
expect_ok "a split in both formats" "note: $work/mixed holds both mnist_train.csv and train-images-idx3-ubyte; reading \
mnist_train.csv" "$mnist" evaluate --model "$work/good/model.ckpt" --data "$work/mixed"
expect_ok "splits in two formats" "note: $work/mixed gives the training images as mnist_train.csv and the test images as \
t10k-images-idx3-ubyte, two formats" "$mnist" evaluate --model "$work/good/model.ckpt" --data "$work/mixed"
# A test set that evaluation cannot use fails before training: the model.ckpt already there stays.
cp -r "$work/good" "$work/kept"
expect "a single test class" "--test-classes '3': cannot evaluate on the test images" \
    "$mnist" train --data "$work/data" "${quick[@]}" --test-classes 3 --out "$work/kept"
diff -r "$work/good" "$work/kept" >/dev/null || fail "a single test class" "the output folder changed"
# evaluate checks the test set too: without it, the sampler's own message named no option.
mkdir -p "$work/one_test_class" && cp "$work/mixed/mnist_train.csv" "$work/one_test_class/" &&
    grep '^0,' "$work/mixed/mnist_train.csv" >"$work/one_test_class/mnist_test.csv"
expect "evaluate on a single test class" "--test-classes (all classes): cannot evaluate on the test images" \
    "$mnist" evaluate --model "$work/good/model.ckpt" --data "$work/one_test_class"

# Images to compare, with the good run's model.
compare_good=("$mnist" compare --model "$work/good/model.ckpt")
printf 'P5\n2 2\n255\n\x00\x01\x02\x03' >"$work/small.pgm"
expect "wrong image size" "the model expects 28x28" "${compare_good[@]}" "$work/small.pgm" "$work/small.pgm"
# A good first image: the second one was not read (the first one was, twice).
{ printf 'P5\n28 28\n255\n'; head -c 784 /dev/zero; } >"$work/dark.pgm"
expect "wrong size of the second image" "$work/small.pgm: image is 2x2, the model expects 28x28" \
    "${compare_good[@]}" "$work/dark.pgm" "$work/small.pgm"
# A BCE model gives a probability (it printed a distance) and says "same" just above 0.5 (the verdict was inverted).
{ printf 'P5\n28 28\n255\n'; head -c 300 /dev/zero; head -c 100 /dev/zero | tr '\0' '\377'; head -c 384 /dev/zero; } \
    >"$work/stroke.pgm"
expect_ok "compare with a BCE model" "probability of the same digit" \
    "${compare_good[@]}" "$work/dark.pgm" "$work/stroke.pgm"
said=$case_output
p=$(sed -n 's/.*probability of the same digit \([0-9.]*\) -> .*/\1/p' <<<"$said")
verdict=$(awk -v p="${p:-0}" 'BEGIN { print (p > 0.5 ? "same" : "different") }')
grep -qF -- "$p -> $verdict" <<<"$said" && echo "ok   compare's verdict agrees with its probability: $said" ||
    fail "compare's verdict" "probability '$p' should say $verdict: $said"
# A metric-loss model gives the distance of two embeddings (always 0: the first was overwritten by the second).
"$mnist" train --data "$work/data" "${quick[@]}" --loss contrastive --optimizer adam --out "$work/contrastive" >/dev/null 2>&1 ||
    fail "a contrastive run" "training failed"
expect_ok "compare with a contrastive model" "embedding distance" \
    "$mnist" compare --model "$work/contrastive/model.ckpt" "$work/dark.pgm" "$work/stroke.pgm"
grep -q "embedding distance 0.0000 " <<<"$case_output" && fail "compare with a contrastive model" "distance 0 between different images"
printf 'hello' >"$work/text.png"
expect "not an image" "not a PGM" "${compare_good[@]}" "$work/text.png" "$work/small.pgm"
head -c 40 "$work/good/pairs.png" >"$work/cut.png"
expect "truncated PNG" "cannot decode PNG" "${compare_good[@]}" "$work/cut.png" "$work/small.pgm"
printf 'P5\n28 28\n255\n\x00\x01' >"$work/short.pgm"
expect "truncated PGM" "truncated" "${compare_good[@]}" "$work/short.pgm" "$work/small.pgm"
printf 'P5\n16384 16384\n255\n\x00\x01' >"$work/huge.pgm"
expect "huge PGM header in a tiny file" "huge.pgm: PGM: truncated: expected 268435456 pixel bytes" \
    limited "${compare_good[@]}" "$work/huge.pgm" "$work/small.pgm"
# A dark digit on light paper (MNIST is the other way round) was scored without a word, wrongly.
{ printf 'P5\n28 28\n255\n'; head -c 300 /dev/zero | tr '\0' '\377'; head -c 100 /dev/zero
  head -c 384 /dev/zero | tr '\0' '\377'; } >"$work/light.pgm"
expect_ok "a light image is scored with a warning" "warning: $work/light.pgm is mostly light (mean 222 of 255): the \
model was trained on light digits on a dark background; is it inverted?" \
    "${compare_good[@]}" "$work/light.pgm" "$work/light.pgm"
# More threads than cores (1024 on 2 trained some 30 times slower) are taken with a note.
if grep -q -e GOMP_parallel -e __kmpc_fork_call "$mnist"; then
    cores=$(getconf _NPROCESSORS_ONLN)
    expect_ok "more threads than cores" "note: $((cores + 1)) threads on $cores cores run much slower than one per core" \
        "${compare_good[@]}" --threads $((cores + 1)) "$work/stroke.pgm" "$work/stroke.pgm"
else
    echo "skip more threads than cores: built without OpenMP"
fi
expect "empty --out" "the output folder's name is empty (--out ''): give a folder" \
    "$mnist" train --data "$work/data" "${quick[@]}" --out ""
# So is a blank one, whose score (0.74 "same" against a 1) read like an answer.
expect_ok "a blank image is scored with a warning" "warning: $work/dark.pgm is blank (every pixel 0): it shows no digit" \
    "${compare_good[@]}" "$work/dark.pgm" "$work/stroke.pgm"
# An output that cannot be written once the network is trained (a full disk; here a FIFO where
# model.ckpt goes) loses no training: the message says how to write the outputs again.
mkdir -p "$work/fifo_out" && mkfifo "$work/fifo_out/model.ckpt" || { echo "FAIL: mkfifo failed"; exit 1; }
echo "an older run's curve" >"$work/fifo_out/training_curve.svg"
expect "train whose model.ckpt cannot be written" "the trained network is safe in $work/fifo_out/checkpoint.ckpt: \
once the outputs can be written, train --resume $work/fifo_out/checkpoint.ckpt --data $work/data writes them again \
without training" \
    "$mnist" train --data "$work/data" "${quick[@]}" --out "$work/fifo_out"
# The reports go before the model is replaced: an old curve stayed beside the new model.
[ -e "$work/fifo_out/training_curve.svg" ] && fail "train whose model.ckpt cannot be written" "the old curve stayed"
rm "$work/fifo_out/model.ckpt"
expect_ok "train --resume writes the outputs again" "wrote $work/fifo_out: model.ckpt" \
    "$mnist" train --resume "$work/fifo_out/checkpoint.ckpt" --data "$work/data"
cmp -s "$work/fifo_out/model.ckpt" "$work/good/model.ckpt" ||
    fail "train --resume writes the outputs again" "model.ckpt differs from an uninterrupted run's"
# A finished run resumed into another run's folder saves no checkpoint there: the one in that
# folder is the other run's, and the hint names the checkpoint resumed from, with --out.
"$mnist" train --data "$work/data" "${quick[@]}" --seed 2 --out "$work/other_run" >/dev/null 2>&1 &&
    rm "$work/other_run/pairs.png" && mkfifo "$work/other_run/pairs.png" || { echo "FAIL: preparing a run failed"; exit 1; }
expect "resume into another run's folder whose outputs cannot be written" "the trained network is safe in \
$work/good/checkpoint.ckpt: once the outputs can be written, train --resume $work/good/checkpoint.ckpt --data \
$work/data --out $work/other_run writes them again without training" \
    "$mnist" train --resume "$work/good/checkpoint.ckpt" --data "$work/data" --out "$work/other_run"
# The verdict goes to standard output only: a write that failed there (a full disk) exited 0.
expect "compare onto a full standard output" "error: cannot write the standard output: No space left on device" \
    bash -c '"$@" >/dev/full' compare "${compare_good[@]}" "$work/light.pgm" "$work/light.pgm"
expect "--help onto a full standard output" "error: cannot write the standard output: No space left on device" \
    bash -c '"$@" >/dev/full' help "$mnist" train --help
# Inconsistent PGM files: each was read as something else than it holds.
printf 'P5\n2 2\n15\n\x00\x01\x02\xff' >"$work/above_max.pgm"
expect "PGM pixel above its maximum value" "above_max.pgm: PGM: pixel 3 is 255, above the maximum value 15" \
    "${compare_good[@]}" "$work/above_max.pgm" "$work/small.pgm"
printf 'P5\r\n2 2\r\n255\r\n\x00\x01\x02\x03' >"$work/crlf.pgm"
expect "PGM header with Windows line ends" "crlf.pgm: PGM: the header ends with CR LF" \
    "${compare_good[@]}" "$work/crlf.pgm" "$work/small.pgm"
printf 'P2\n2 2\n255\n0 1 2 3 4\n' >"$work/extra.pgm"
expect "text PGM with more values than pixels" "extra.pgm: PGM: more than the 4 pixel values of a 2x2 image" \
    "${compare_good[@]}" "$work/extra.pgm" "$work/small.pgm"
printf 'P2\n# drawn by hand\n2 2\n255\n0 1\n2 3\n# end\n' >"$work/commented.pgm"
expect "text PGM with comments after the pixels (read, then refused for its size)" "the model expects 28x28" \
    "${compare_good[@]}" "$work/commented.pgm" "$work/small.pgm"
printf 'P5\n1 1\n65535\n\x00\x01' >"$work/deep.pgm"
expect "16-bit PGM" "deep.pgm: PGM: unsupported maximum value 65535 (a 16-bit image; 8-bit PGM has 1 to 255)" \
    "${compare_good[@]}" "$work/deep.pgm" "$work/small.pgm"
printf 'P2\n16384 16384\n255\n1 2' >"$work/huge_text.pgm"
expect "huge text PGM header in a tiny file" "huge_text.pgm: PGM: truncated: expected 268435456 pixel values" \
    limited "${compare_good[@]}" "$work/huge_text.pgm" "$work/small.pgm"
expect "a device as image" "/dev/zero: is not a regular file, expected an image" \
    limited "${compare_good[@]}" /dev/zero "$work/small.pgm"
if [ -e /proc/self/mem ]; then  # a regular file whose first read fails (EIO)
    expect "image that cannot be read" "/proc/self/mem: read error" \
        "${compare_good[@]}" /proc/self/mem "$work/small.pgm"
else
    echo "skip image that cannot be read: no /proc/self/mem"
fi
# Root reads any file: as root, the case runs as the unprivileged user nobody when it can reach
# the binary and the model (not under a private temporary folder, say); otherwise it says so.
cp "$work/small.pgm" "$work/locked.pgm"
chmod 000 "$work/locked.pgm"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    command -v setpriv >/dev/null &&
        "${as_user[@]}" test -r "$work/good/model.ckpt" -a -r "$work/small.pgm" -a -x "$mnist" || as_user=(skip)
fi
if [ "${as_user[*]}" = skip ]; then
    echo "skip image without read permission: running as root, and user nobody cannot reach $work"
else
    chmod a+r "$work/good/model.ckpt" "$work/small.pgm"
    expect "image without read permission" "locked.pgm: cannot open for reading" \
        "${as_user[@]}" "${compare_good[@]}" "$work/locked.pgm" "$work/small.pgm"
fi

# Training that diverges stops with the step and the place, keeping the last checkpoint.
expect "diverging run" "training stopped at epoch 1, batch" "$mnist" train --data "$work/data" --epochs 1 --batches 20 \
    --batch-size 10 --lr 100 --momentum 0.9 --out "$work/diverged"
# The run's last update diverges: no step follows to see it, so it is checked before the
# checkpoint (the diverged network was saved as model.ckpt and its NaN scores evaluated).
expect "diverging last step" "training stopped after epoch 1, batch 3: its update left a non-finite value" \
    "$mnist" train --data "$work/data" "${quick[@]}" --threads 1 --lr 1 --out "$work/diverged_last"
[ -e "$work/diverged_last/model.ckpt" ] && fail "diverging last step" "model.ckpt was written"
expect "diverging before any save" "nothing of the run was saved" \
    "$mnist" train --data "$work/data" "${quick[@]}" --threads 1 --lr 1 --out "$work/diverged_unsaved"
# Resuming a run that diverged repeats the same steps: the message says how to change its settings.
expect "diverging after a save" "$work/diverged_saved/checkpoint.ckpt holds the run after 2 of 3 batches, but \
resuming it repeats these steps: to train with other settings, start a new run with another --out, or delete \
$work/diverged_saved/checkpoint.ckpt first" "$mnist" train --data "$work/data" "${quick[@]}" --threads 1 --lr 3 \
    --warmup 6 --checkpoint-every 1 --out "$work/diverged_saved"

finish
