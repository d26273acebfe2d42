#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Omniglot example on bad input: every case must end with a non-zero exit and one clear
# message naming the file, folder or value and the problem, never a crash or a partial result.
# Usage: bad_input.sh OMNIGLOT_BINARY MAKE_DATA_BINARY WORK_DIR
set -uo pipefail
omniglot="$1" make_data="$2" work="$3"
chmod -R u+w "$work" 2>/dev/null  # a read-only folder left by a run that was killed
rm -rf "$work"
mkdir -p "$work"
"$make_data" "$work/data" 4 5 4 >/dev/null || exit 1
source "$(dirname "${BASH_SOURCE[0]}")/../common/expect_error.sh"

quick=(--train Alphabet0,Alphabet1 --validation Alphabet2 --side 16 --widths 4,4,4,4 --embedding 8 --epochs 1
       --steps 2 --characters 4 --drawings 2 --ways 4 --val-episodes 5 --threads 2)
unvalidated=(--train Alphabet0,Alphabet1 --validation none --side 16 --widths 4,4,4,4 --embedding 8 --epochs 1
             --steps 2 --characters 4 --drawings 2 --ways 4 --threads 2)
# Values checked before any data is read: the data folder does not exist, so a check that is gone
# fails fast on that instead of running with the bad value.
unread=(--data "$work/nowhere" "${quick[@]}" --out "$work/unread")
# model_in FOLDER: a folder of its own holding a copy of the good run's model.
model_in() { mkdir -p "$1" && cp "$work/good/model.ckpt" "$1/"; }

# Data folders and files.
expect "misspelt command" "unknown command 'trian'; the commands are train, evaluate, make-runs" "$omniglot" trian --out "$work/o0"
expect "missing data folder" "no such folder; fetch Omniglot" "$omniglot" train --data "$work/nowhere" "${quick[@]}" --out "$work/o1"
mkdir -p "$work/empty"
expect "folder without alphabets" "empty: no alphabet folders in it; give --data a folder of alphabets" "$omniglot" train \
    --data "$work/empty" "${quick[@]}" --out "$work/o2"
mkdir -p "$work/zips" && touch "$work/zips/images_background.zip"
expect "folder of the zip files" "zips: no alphabet folders in it, but zip files: unpack Omniglot with \
scripts/fetch_omniglot.sh $work/zips, then give --data data/omniglot/images_background" "$omniglot" train \
    --data "$work/zips" "${quick[@]}" --out "$work/o2"
expect "unknown alphabet" "no alphabet 'Klingon'; available: Alphabet0, Alphabet1" "$omniglot" train --data "$work/data" \
    "${quick[@]}" --train Klingon --out "$work/o3"
expect "train and validate on one alphabet" "in both --train and --validation" "$omniglot" train --data "$work/data" \
    "${quick[@]}" --validation Alphabet1 --out "$work/o4"
cp -r "$work/data" "$work/corrupt"
printf 'not a png' >"$work/corrupt/Alphabet1/character02/0007_03.png"
expect "--mirror and --no-mirror" "--mirror excludes --no-mirror" "$omniglot" train "${unread[@]}" --mirror --no-mirror
"$omniglot" train --help | grep -q -- "--no-mirror.*{false}" && fail "train --help" "shows --no-mirror{false}"
expect_ok "--no-mirror" "each character also turned by 90, 180, 270 degrees, as new characters: 40 classes" \
    "$omniglot" train --data "$work/data" "${quick[@]}" --no-mirror --out "$work/no_mirror"
expect "a file that is not a PNG" "0007_03.png: not a PNG image" "$omniglot" train --data "$work/corrupt" "${quick[@]}" --out "$work/o5"
[ ! -e "$work/o5" ] || fail "a file that is not a PNG" "left an empty --out $work/o5"  # created before the data is read
cp -r "$work/data" "$work/cut"
head -c 60 "$work/data/Alphabet0/character01/0001_01.png" >"$work/cut/Alphabet0/character01/0001_01.png"
expect "a truncated PNG" "0001_01.png: cannot decode PNG" "$omniglot" train --data "$work/cut" "${quick[@]}" --out "$work/o6"
mkdir -p "$work/hollow/Alphabet0/character01"
expect "a character without images" "character01: no PNG images" "$omniglot" train --data "$work/hollow" \
    --train Alphabet0 --validation none --out "$work/o7"
expect "too few characters for the episodes" "no alphabet has 20 characters" "$omniglot" train --data "$work/data" \
    "${quick[@]}" --ways 20 --out "$work/o8"

# Command-line values.
expect "zero epochs" "must be a positive whole number (decimal digits), got '0'" "$omniglot" train --data "$work/data" --epochs 0
expect "octal ways" "--ways: must be a whole number from 2 to 1000, got '010'" "$omniglot" train "${unread[@]}" --ways 010
expect "octal make-runs ways" "--ways: must be a whole number from 2 to 99, got '010'" \
    "$omniglot" make-runs --data "$work/nowhere" --ways 010
expect "empty --turns" "--turns: must be a whole number from 1 to 4, got ''" "$omniglot" train "${unread[@]}" --turns ""
expect "--turns 3" "--turns: 3 not in {1,2,4}" "$omniglot" train "${unread[@]}" --turns 3
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
# The checkpoint's --log-every was used and the one given dropped (--resume excludes all but a few options now).
expect "resume with a new --log-every" "--log-every excludes --resume" "$omniglot" train --resume "$work/x.ckpt" --log-every 7
# Checkpoints read the seed back as a signed 64-bit integer; CLI11 turns -1 into 2^64 - 1.
seed_range="must be a whole number from 0 to 9223372036854775807"
expect "seed of 2^63" "--seed: $seed_range, got '9223372036854775808'" "$omniglot" train "${unread[@]}" \
    --seed 9223372036854775808
expect "seed -1" "--seed: $seed_range, got '-1'" "$omniglot" train "${unread[@]}" --seed -1
expect "make-runs seed -1" "--seed: $seed_range, got '-1'" "$omniglot" make-runs --data "$work/nowhere" --seed -1
# Episodes are built up front (10^8 took 22 GB).
expect "too many validation episodes" "--val-episodes: must be a whole number from 1 to 100000, got '100001'" "$omniglot" train \
    "${unread[@]}" --val-episodes 100001
expect "too many evaluation episodes" "--episodes: must be a whole number from 1 to 100000, got '100001'" "$omniglot" evaluate \
    --model "$work/none.ckpt" --episodes 100001
# Sizes that only the allocator would have refused, and widths that are not whole numbers.
expect "kernel larger than the images" "--kernel: must be at most the image side (--side 16), got 99999" "$omniglot" train \
    "${unread[@]}" --kernel 99999
expect "huge embedding" "--embedding: must be a whole number from 1 to 4096, got '10000000000'" "$omniglot" train "${unread[@]}" \
    --embedding 10000000000
widths_range="--widths: expected four channel counts, whole numbers from 1 to 4096 separated by commas"
expect "huge widths" "$widths_range, got '100000,100000,4,4'" "$omniglot" train "${unread[@]}" --widths 100000,100000,4,4
expect "fractional widths" "$widths_range, got '4.7,4.2,4,4'" "$omniglot" train "${unread[@]}" --widths 4.7,4.2,4,4
expect "widths beyond a long" "$widths_range, got '1e30,4,4,4'" "$omniglot" train "${unread[@]}" --widths 1e30,4,4,4
expect "epochs x steps beyond a long" "--steps: must be a whole number from 1 to 1000000000, got '9223372036854775807'" "$omniglot" train \
    "${unread[@]}" --steps 9223372036854775807
expect "too many threads" "--threads: must be a whole number from 0 to 1024, got '5000'" "$omniglot" train "${unread[@]}" --threads 5000
expect "too many threads (evaluate)" "--threads: must be a whole number from 0 to 1024, got '5000'" "$omniglot" evaluate \
    --model "$work/none.ckpt" --threads 5000
# Validation settings without validation alphabets would be ignored without a word.
expect "--patience without validation" "--patience is read only with --validation ALPHABETS; this run has \
--validation none" "$omniglot" train "${unread[@]}" --validation none --patience 3
# NaN passes a range check (every comparison with it is false), inf a positivity check.
for option in --within --augment --momentum; do
    expect "$option nan" "$option: must be a number from 0 to 1, got 'nan'" "$omniglot" train "${unread[@]}" "$option" nan
done
# An option the run does not read (another --batch's, SGD's momentum under Adam) was dropped without a word.
expect "--characters under --batch pairs" "--characters is read only with --batch all; this run has --batch pairs: leave \
it out or choose that setting" "$omniglot" train "${unread[@]}" --batch pairs
expect "--within under --batch all" "--within is read only with --batch pairs; this run has --batch all" \
    "$omniglot" train "${unread[@]}" --within 0.5
expect "--momentum under adam" "--momentum is read only with --optimizer sgd; this run has --optimizer adam" \
    "$omniglot" train "${unread[@]}" --momentum 0.9
# Not only adam: AdamW ignores --momentum too, and took it without a word.
expect "--momentum under adamw" "--momentum is read only with --optimizer sgd; this run has --optimizer adamw" \
    "$omniglot" train "${unread[@]}" --optimizer adamw --momentum 0.9
# A decay that makes the weights grow (lr x weight decay above 2 with AdamW) stopped the run with advice to lower --lr.
expect "weight decay that makes the weights grow" "--weight-decay 10: --lr x the largest --layer-lr x --weight-decay is \
4, above the 2 at which adamw's decay alone makes the weights grow" "$omniglot" train "${unread[@]}" --optimizer adamw \
    --lr 0.1 --layer-lr 1,1,1,1,1,4 --weight-decay 10
expect "--lr 1e-320" "--lr: must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got '1e-320'" \
    "$omniglot" train "${unread[@]}" --lr 1e-320
for value in nan inf; do
    expect "--lr $value" "--lr: must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got '$value'" "$omniglot" train "${unread[@]}" --lr "$value"
    for option in --focus --weight-decay; do
        expect "$option $value" "$option: must be zero or a finite positive number, got '$value'" "$omniglot" train \
            "${unread[@]}" "$option" "$value"
    done
done
# Out of memory under a 1 GB address space: a message naming the size options, not a bare std::bad_alloc. A
# sanitizer's shadow memory does not fit under such a limit: skipped there.
if (ulimit -v 1000000 && "$omniglot" --help >/dev/null 2>&1); then
    expect "out of memory" "error: out of memory: std::bad_alloc; try smaller --widths, --embedding" \
        bash -c 'ulimit -v 1000000 && exec "$@"' _ "$omniglot" train --data "$work/data" "${quick[@]}" \
        --widths 4096,4096,4,4 --kernel 15 --out "$work/o_oom"
else
    echo "skip out of memory: the binary does not start under ulimit -v (a sanitizer build)"
fi
touch "$work/a_file"
expect "output under a file" "a_file" "$omniglot" train --data "$work/data" "${quick[@]}" --out "$work/a_file/out"

# Checkpoints.
"$omniglot" train --data "$work/data" "${quick[@]}" --out "$work/good" >/dev/null 2>&1 || { echo "FAIL: a good run failed"; exit 1; }
# A report that cannot be written once the network is trained (a full disk; here a FIFO where the
# picture goes) loses no training: the message says how to write the reports again.
mkdir -p "$work/fifo_run" && mkfifo "$work/fifo_run/validation_episodes.png" || { echo "FAIL: mkfifo failed"; exit 1; }
expect "train whose report cannot be written" "the trained network is safe in $work/fifo_run/model.ckpt: once the \
reports can be written, train --resume $work/fifo_run/checkpoint.ckpt --data $work/data writes them again without \
training" "$omniglot" train --data "$work/data" "${quick[@]}" --out "$work/fifo_run"
rm "$work/fifo_run/validation_episodes.png"
expect_ok "train --resume writes the reports again" "wrote $work/fifo_run: model.ckpt checkpoint.ckpt \
validation_episodes.png" "$omniglot" train --resume "$work/fifo_run/checkpoint.ckpt" --data "$work/data"
for f in model.ckpt checkpoint.ckpt validation_episodes.png training_curve.svg; do
    cmp -s "$work/fifo_run/$f" "$work/good/$f" || fail "train --resume writes the reports again" "$f differs from an \
uninterrupted run's"
done
expect "missing checkpoint" "no such file" "$omniglot" evaluate --model "$work/none.ckpt" --data "$work/data" --alphabets Alphabet2
expect "directory as checkpoint" "is a directory" "$omniglot" evaluate --model "$work/good" --data "$work/data"
head -c 300 "$work/good/model.ckpt" >"$work/cut.ckpt"
expect "truncated checkpoint" "truncated" "$omniglot" evaluate --model "$work/cut.ckpt" --data "$work/data"
cp "$work/good/model.ckpt" "$work/flipped.ckpt"
printf '\x55' | dd of="$work/flipped.ckpt" bs=1 seek=2000 conv=notrunc status=none
expect "corrupted checkpoint" "checksum mismatch" "$omniglot" evaluate --model "$work/flipped.ckpt" --data "$work/data"
expect "image file as checkpoint" "not a siamese checkpoint" "$omniglot" evaluate --model "$work/good/validation_episodes.png" \
    --data "$work/data"
expect_ok "seed of 2^63 - 1 trains and evaluates" "Siamese network" bash -c '"$1" train --data "$2" "${@:4}" \
    --seed 9223372036854775807 --out "$3" >/dev/null && "$1" evaluate --model "$3/model.ckpt" --data "$2" \
    --alphabets Alphabet2 --episodes 5 --threads 2' _ "$omniglot" "$work/data" "$work/max_seed" "${quick[@]}"
# A warm-up as long as the run (the default 500 steps, here 2) never reaches --lr: said, not silent.
expect_ok "warm-up longer than the run" "note: --warmup 500 is not shorter than the run's 2 steps: the learning rate \
rises to 1.2e-05 at most, 0.4% of --lr" "$omniglot" train --data "$work/data" "${quick[@]}" --out "$work/warm"

# Resuming: the run's checkpoint.ckpt, and only into the folder holding its model.ckpt (a resumed run
# ends by reporting OUT/model.ckpt, rewritten only when validation improves). Nothing in --out is touched.
expect "resume from model.ckpt" "a model without training state (train's model.ckpt?): to continue a run, pass its \
checkpoint.ckpt, e.g. --resume $work/good/checkpoint.ckpt" "$omniglot" train --resume "$work/good/model.ckpt" \
    --data "$work/data" --out "$work/good"
expect "resume into a new folder" "is not the run's model (no such file): resume into the folder that holds the run's \
model.ckpt (--out $work/good)" "$omniglot" train --resume "$work/good/checkpoint.ckpt" --data "$work/data" --out "$work/moved"
[ ! -e "$work/moved" ] || fail "resume into a new folder" "created $work/moved"
"$omniglot" train --data "$work/data" "${quick[@]}" --seed 5 --out "$work/other" >/dev/null 2>&1 ||
    { echo "FAIL: a good run with another seed failed"; exit 1; }
cp -r "$work/other" "$work/other_before"
expect "resume into another run's folder" "is not the run's model (it holds another model): resume into the folder" \
    "$omniglot" train --resume "$work/good/checkpoint.ckpt" --data "$work/data" --out "$work/other"
diff -r "$work/other_before" "$work/other" >/dev/null || fail "resume into another run's folder" "changed $work/other"
cp -r "$work/good" "$work/swapped"
cp "$work/other/model.ckpt" "$work/swapped/model.ckpt"
expect "resume after model.ckpt was replaced" "is not the run's model (it holds another model): it was replaced since the run \
saved it" "$omniglot" train --resume "$work/swapped/checkpoint.ckpt" --data "$work/data" --out "$work/swapped"
# Killed after writing a better model.ckpt, before checkpoint.ckpt: that model names the one it
# replaced, so the run resumes and ends as if uninterrupted.
"$omniglot" train --data "$work/data" "${unvalidated[@]}" --epochs 2 --stop-after 1 --out "$work/window" \
    >/dev/null 2>&1 && cp -r "$work/window" "$work/window_whole" &&
    "$omniglot" train --resume "$work/window_whole/checkpoint.ckpt" --data "$work/data" --out "$work/window_whole" \
        >/dev/null 2>&1 && cp "$work/window_whole/model.ckpt" "$work/window/model.ckpt" ||
    { echo "FAIL: preparing a run killed between its two checkpoints failed"; exit 1; }
expect_ok "resume a run killed between model.ckpt and checkpoint.ckpt" "resuming" "$omniglot" train \
    --resume "$work/window/checkpoint.ckpt" --data "$work/data" --out "$work/window"
cmp -s "$work/window/checkpoint.ckpt" "$work/window_whole/checkpoint.ckpt" ||
    fail "resume a run killed between model.ckpt and checkpoint.ckpt" "a checkpoint unlike the uninterrupted run's"
# A finished run resumed trains nothing more and says so (it said "at epoch 3" of 2).
expect_ok "resume a finished run" "resuming $work/window_whole/checkpoint.ckpt: the run had trained all its epochs" \
    "$omniglot" train --resume "$work/window_whole/checkpoint.ckpt" --data "$work/data"
# Without --out, a resumed run goes on in its checkpoint's folder (the default --out holds no run).
"$omniglot" train --data "$work/data" "${unvalidated[@]}" --epochs 2 --stop-after 1 --out "$work/no_out" \
    >/dev/null 2>&1 || { echo "FAIL: preparing a stopped run failed"; exit 1; }
expect_ok "resume without --out" "wrote $work/no_out: model.ckpt" "$omniglot" train --resume "$work/no_out/checkpoint.ckpt" \
    --data "$work/data"
cmp -s "$work/no_out/checkpoint.ckpt" "$work/window_whole/checkpoint.ckpt" ||
    fail "resume without --out" "a checkpoint unlike the uninterrupted run's"
# Without validation, model.ckpt is the last epoch's, and metrics.json said "best_epoch": 0.
grep -q '"best_epoch": 2,' "$work/no_out/metrics.json" || fail "metrics.json without validation" "best_epoch is not 2"

# --data is not restored: a resumed run on other drawings would go on as if nothing had changed.
"$make_data" "$work/other_data" 4 5 5 >/dev/null || exit 1
"$omniglot" train --data "$work/data" "${unvalidated[@]}" --epochs 2 --stop-after 1 --out "$work/stopped" \
    >/dev/null 2>&1 || { echo "FAIL: preparing a stopped run failed"; exit 1; }
cp -r "$work/stopped" "$work/stopped_before"
expect "resume on other data" "checkpoint.ckpt: the run trained on 40 images [1, 16, 16], hash" "$omniglot" train \
    --resume "$work/stopped/checkpoint.ckpt" --data "$work/other_data"
diff -r "$work/stopped_before" "$work/stopped" >/dev/null || fail "resume on other data" "changed $work/stopped"
# --stop-after is kept beside --resume, as its list says ("--resume excludes ", naming nothing).
cp -r "$work/stopped" "$work/stopped_again"
expect_ok "resume with --stop-after" "stopping after epoch 2" "$omniglot" train --resume "$work/stopped_again/checkpoint.ckpt" \
    --data "$work/data" --stop-after 2

# A new run over a stopped one is refused: that run can still be resumed.
expect "a new run over a stopped run" "$work/stopped/checkpoint.ckpt: a run that stopped after epoch 1 of 2, which a \
new run here would replace; continue it with train --resume $work/stopped/checkpoint.ckpt (and the --data it trained \
on)" "$omniglot" train \
    --data "$work/data" "${quick[@]}" --out "$work/stopped"
diff -r "$work/stopped_before" "$work/stopped" >/dev/null || fail "a new run over a stopped run" "changed $work/stopped"
printf 'damaged' >"$work/stopped_before/checkpoint.ckpt"
expect "a new run over an unreadable checkpoint" "checkpoint.ckpt: not a siamese checkpoint" "$omniglot" train \
    --data "$work/data" "${quick[@]}" --out "$work/stopped_before"
mkdir -p "$work/ckpt_folder/checkpoint.ckpt"
expect "a new run where checkpoint.ckpt is a folder" "$work/ckpt_folder/checkpoint.ckpt: not a file, where this run \
would save its checkpoint: delete it or choose another --out" "$omniglot" train --data "$work/data" "${quick[@]}" \
    --out "$work/ckpt_folder"
# A finished run is replaced, and its numbers and pictures go before its model.ckpt does: here the
# new run stops after its first epoch, and none of them may stay beside the new model.
cp -r "$work/good" "$work/replaced"
expect_ok "a new run over a finished run" "stopping after epoch 1" "$omniglot" train --data "$work/data" "${quick[@]}" \
    --seed 6 --epochs 2 --stop-after 1 --out "$work/replaced"
! cmp -s "$work/good/model.ckpt" "$work/replaced/model.ckpt" || fail "a new run over a finished run" "model.ckpt kept"
for report in metrics.json training_curve.svg validation_episodes.png; do
    [ ! -e "$work/replaced/$report" ] || fail "a new run over a finished run" "the old run's $report stayed"
done
# A run that stopped early has ended: resuming it trains nothing (it trained another epoch).
"$omniglot" train --data "$work/data" "${quick[@]}" --epochs 3 --patience 1 --lr 1.2e-38 --out "$work/early" \
    >"$work/early.log" 2>&1 && grep -q "early stop" "$work/early.log" ||
    { echo "FAIL: preparing an early-stopped run failed"; exit 1; }
cp -r "$work/early" "$work/early_before"
expect_ok "resume an early-stopped run" "the run stopped early after epoch 2: nothing left to train" "$omniglot" train \
    --resume "$work/early/checkpoint.ckpt" --data "$work/data"
cmp -s "$work/early_before/checkpoint.ckpt" "$work/early/checkpoint.ckpt" &&
    cmp -s "$work/early_before/model.ckpt" "$work/early/model.ckpt" ||
    fail "resume an early-stopped run" "it trained on"
# Ended, it may be replaced by a new run like a finished one (it was refused as unfinished).
expect_ok "a new run over an early-stopped run" "training time" "$omniglot" train --data "$work/data" "${quick[@]}" \
    --out "$work/early"

# evaluate writes --json before the picture. The default picture goes next to the model: when it
# cannot be written there (a read-only folder; here a folder in its place, since root writes
# anywhere) that is a warning. An explicit --picture that cannot be written is an error.
cp -r "$work/good" "$work/no_picture"
mkdir "$work/no_picture/evaluation_episodes.png"
expect_ok "default picture not writable" "warning: no picture of the episodes: $work/no_picture/evaluation_episodes.png: is \
a directory" "$omniglot" evaluate --model "$work/no_picture/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --episodes 5 --threads 2 --json "$work/no_picture.json"
[ -s "$work/no_picture.json" ] || fail "default picture not writable" "no --json file"
# An explicit --picture that is a folder is refused before the evaluation (found after it, it cost
# the picture and the minutes); one that fails when written is an error after --json is written.
expect "explicit picture a folder" "--picture $work/no_picture/evaluation_episodes.png: a folder, expected a file \
to write" "$omniglot" evaluate --model "$work/no_picture/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --episodes 5 --threads 2 --json "$work/explicit.json" --picture "$work/no_picture/evaluation_episodes.png"
# --json or --picture naming the model replaced the trained model with the results; a missing
# folder was found only after the whole evaluation.
cp "$work/good/model.ckpt" "$work/typo.ckpt"
expect "evaluate --json onto the model" "--json $work/typo.ckpt is the --model $work/typo.ckpt: it would be overwritten" \
    "$omniglot" evaluate --model "$work/typo.ckpt" --data "$work/data" --alphabets Alphabet2 --json "$work/typo.ckpt"
cmp -s "$work/good/model.ckpt" "$work/typo.ckpt" || fail "evaluate --json onto the model" "the model was changed"
expect "evaluate --picture onto the model" "--picture $work/./typo.ckpt is the --model $work/typo.ckpt" \
    "$omniglot" evaluate --model "$work/typo.ckpt" --data "$work/data" --alphabets Alphabet2 --picture "$work/./typo.ckpt"
# --json and --picture on one file: the picture replaced the numbers; either in --data: a drawing replaced.
expect "evaluate --json and --picture on one file" "--json $work/both.out is also the picture's file (--picture): the \
picture would replace the numbers" "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" \
    --alphabets Alphabet2 --json "$work/both.out" --picture "$work/both.out"
expect "evaluate --json onto the default picture" "is also the picture's file (by default next to the model)" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --json "$work/good/evaluation_episodes.png"
# A list typed with spaces after the commas names the same alphabets.
expect_ok "--alphabets with spaces" "  Alphabet3 " "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" \
    --alphabets " Alphabet2, Alphabet3" --episodes 5 --picture "$work/spaced.png"
expect "evaluate --picture not named .png" "--picture $work/pic.jpg: the picture is a PNG; give a file name ending in \
.png" "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --picture "$work/pic.jpg"
# Every file train wrote beside the model is refused, also through a link to one not there yet.
expect "evaluate --json onto the training curve" "--json $work/good/training_curve.svg is the training_curve.svg \
train wrote beside --model $work/good/model.ckpt" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --data "$work/data" --alphabets Alphabet2 --json "$work/good/training_curve.svg"
expect "evaluate --picture onto the validation picture" "is the validation_episodes.png train wrote beside --model" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --picture "$work/good/validation_episodes.png"
model_in "$work/model_only"
ln -sfn "$work/model_only/training_curve.svg" "$work/to_beside.json"
expect "evaluate --json through a link to a training curve not there yet" "is the training_curve.svg train wrote \
beside --model" "$omniglot" evaluate --model "$work/model_only/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --json "$work/to_beside.json"
[ ! -e "$work/model_only/training_curve.svg" ] ||
    fail "evaluate --json through a link to a training curve not there yet" "it wrote there"
drawing=$(find "$work/data/Alphabet2" -name '*.png' | sort | head -1)
cp "$drawing" "$work/drawing_before.png"
expect "evaluate --picture onto a drawing of --data" "--picture $drawing is inside --data $work/data: it would \
overwrite or add to the data evaluated" "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" \
    --alphabets Alphabet2 --picture "$drawing"
cmp -s "$drawing" "$work/drawing_before.png" || fail "evaluate --picture onto a drawing of --data" "the drawing changed"
expect "evaluate --json in a missing folder" "cannot write there: folder $work/nowhere does not exist" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --json "$work/nowhere/results.json"
expect "evaluate --json onto a folder" "--json $work/good: a folder, expected a file to write" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 --json "$work/good"
expect "evaluate --json under a file" "cannot write there: $work/good/model.ckpt is not a folder" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --json "$work/good/model.ckpt/results.json"
# A FIFO (or, as root, /dev/null) was replaced by a regular file once the evaluation was done;
# so was a link that cannot be followed (/dev/stdout into a pipe), the link itself.
mkfifo "$work/fifo.json" && ln -s loop.json "$work/loop.json" || { echo "FAIL: mkfifo or ln failed"; exit 1; }
expect "evaluate --json onto a FIFO" "--json $work/fifo.json: not a regular file (a device, FIFO or socket)" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --json "$work/fifo.json"
[ -p "$work/fifo.json" ] || fail "evaluate --json onto a FIFO" "the FIFO was replaced"
expect "evaluate --picture through a link loop" "--picture $work/loop.json: a symbolic link that cannot be followed" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --picture "$work/loop.json"
[ -L "$work/loop.json" ] || fail "evaluate --picture through a link loop" "the link was replaced"
# A link to a file not there yet is followed: the results are written where it leads, and the
# link stays (it was replaced by a file, and nothing was written where it led).
mkdir -p "$work/results_store" && ln -s results_store/new.json "$work/link_to_new.json" ||
    { echo "FAIL: preparing a link failed"; exit 1; }
expect_ok "evaluate --json through a link to a new file" "wrote $work/link_to_new.png" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --json "$work/link_to_new.json" --picture "$work/link_to_new.png"
[ -L "$work/link_to_new.json" ] && [ -s "$work/results_store/new.json" ] ||
    fail "evaluate --json through a link to a new file" "the link was replaced, or nothing written where it led"
# Nor through a link into the inputs, or into a folder that is not there (the check looked at the
# link's own folder, and the link's own name for the inputs).
ln -s data/Alphabet2/character01/new.png "$work/link_into_data.png" && ln -s nodir/x.json "$work/link_to_nodir.json" ||
    { echo "FAIL: preparing links failed"; exit 1; }
expect "evaluate --picture through a link into --data" "--picture $work/link_into_data.png is inside --data \
$work/data: it would overwrite or add to the data evaluated" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --data "$work/data" --alphabets Alphabet2 --picture "$work/link_into_data.png"
[ -e "$work/data/Alphabet2/character01/new.png" ] && fail "evaluate --picture through a link into --data" "wrote it"
expect "evaluate --json through a link into a missing folder" "--json $work/link_to_nodir.json: cannot write there: \
folder $work/nodir: No such file or directory" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --data "$work/data" --alphabets Alphabet2 --json "$work/link_to_nodir.json"
# Without --json, the numbers go to standard output only: a write that failed there exited 0.
expect "evaluate onto a full standard output" "error: cannot write the standard output: No space left on device" \
    bash -c '"$@" >/dev/full' evaluate "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" \
    --alphabets Alphabet2 --picture "$work/full_stdout.png"
expect "--help onto a full standard output" "error: cannot write the standard output: No space left on device" \
    bash -c '"$@" >/dev/full' help "$omniglot" evaluate --help
# A full disk once the evaluation is done (no file may grow; SIGXFSZ ignored, so writes fail with
# EFBIG): the failed --json no longer skips the picture, and the error names both files. LLVM's
# OpenMP runtime cannot start under ulimit -f 0, so with it the case is skipped, saying so.
if grep -q __kmpc_fork_call "$omniglot"; then
    echo "skip evaluate onto a full disk: LLVM's OpenMP runtime (libomp) cannot start under ulimit -f 0"
else
    expect "evaluate onto a full disk" "$work/full_disk.json: cannot write: File too large; and \
$work/full_disk.png: cannot write: File too large" \
        bash -c 'trap "" XFSZ; ulimit -f 0; exec "$@"' _ "$omniglot" evaluate --model "$work/good/model.ckpt" \
        --data "$work/data" --alphabets Alphabet2 --json "$work/full_disk.json" --picture "$work/full_disk.png"
    for f in "$work/full_disk.json" "$work/full_disk.png"; do
        [ ! -e "$f" ] || fail "evaluate onto a full disk" "left $f"
    done
    # With the default picture, whose failure is only a warning, the --json error still ends it.
    model_in "$work/full_default"
    expect "evaluate --json onto a full disk, default picture" "$work/full_disk2.json: cannot write: File too large" \
        bash -c 'trap "" XFSZ; ulimit -f 0; exec "$@"' _ "$omniglot" evaluate --model "$work/full_default/model.ckpt" \
        --data "$work/data" --alphabets Alphabet2 --json "$work/full_disk2.json"
fi
# A folder that takes no new file: found before the minutes of evaluation, not after them. Root
# writes anywhere, so as root the case runs as nobody, from a copy that nobody can read.
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    user_dir=$(mktemp -d /tmp/siamese_read_only.XXXXXX) || exit 1
    trap 'rm -rf "$user_dir"' EXIT
else
    as_user=()
    user_dir="$work/as_user"
    trap 'chmod -R u+w "$user_dir" 2>/dev/null' EXIT
fi
mkdir -p "$user_dir/read_only" && echo old >"$user_dir/read_only/results.json" &&
    cp "$omniglot" "$work/good/model.ckpt" "$user_dir/" && cp -r "$work/data" "$user_dir/data" &&
    mkdir "$user_dir/no_entry" && chmod -R a+rX "$user_dir" && chmod a-w "$user_dir/read_only" &&
    chmod 666 "$user_dir/no_entry" ||
    { echo "FAIL: preparing a read-only folder failed"; exit 1; }
ln -s "$user_dir/read_only/results.json" "$user_dir/link_to_read_only.json"  # written through: replaces results.json
real_read_only=$(realpath "$user_dir/read_only")  # the message names the folder with links resolved
for json in "$user_dir/read_only/results.json" "$user_dir/link_to_read_only.json"; do
    expect "evaluate --json $json in a read-only folder" "--json $json: cannot write there: folder $real_read_only: " \
        "${as_user[@]}" "$user_dir/omniglot" evaluate --model "$user_dir/model.ckpt" --data "$user_dir/data" \
        --alphabets Alphabet2 --json "$json"
done
expect "evaluate --json in a folder that cannot be entered" "--json $user_dir/no_entry/results.json: cannot write \
there: folder $user_dir/no_entry: " "${as_user[@]}" "$user_dir/omniglot" evaluate --model "$user_dir/model.ckpt" \
    --data "$user_dir/data" --alphabets Alphabet2 --json "$user_dir/no_entry/results.json"
# A picture that cannot be written is an error after the numbers are saved (they were lost with it).
mkdir -p "$work/no_validation_picture/validation_episodes.png"
expect "validation_episodes.png a folder" "validation_episodes.png: is a directory" "$omniglot" train \
    --data "$work/data" "${quick[@]}" --out "$work/no_validation_picture"
[ -s "$work/no_validation_picture/metrics.json" ] && [ -s "$work/no_validation_picture/training_curve.svg" ] ||
    fail "validation_episodes.png a folder" "no metrics.json or training curve (they go before the picture)"
# A folder of the run inside the data set read as a character without drawings: every later run failed.
expect "train --out inside --data" "--out $work/data/Alphabet2/out is inside --data $work/data: the run's files \
would become part of the data set" "$omniglot" train --data "$work/data" "${quick[@]}" --out "$work/data/Alphabet2/out"
[ ! -e "$work/data/Alphabet2/out" ] || fail "train --out inside --data" "it created $work/data/Alphabet2/out"
"$omniglot" train --data "$work/data" "${quick[@]}" --side 20 --out "$work/good20" >/dev/null 2>&1 ||
    { echo "FAIL: a good run at 20x20 failed"; exit 1; }
expect "ensemble of two image sides" "an ensemble needs one image side and one episode size; this model has 20x20" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --model "$work/good20/model.ckpt" --data "$work/data" --alphabets Alphabet2
expect "ensemble of one model twice" "--model $work/./good/model.ckpt is also --model $work/good/model.ckpt: an \
ensemble of one model twice" "$omniglot" evaluate --model "$work/good/model.ckpt" --model "$work/./good/model.ckpt" \
    --data "$work/data" --alphabets Alphabet2
"$omniglot" train --data "$work/data" "${quick[@]}" --ways 3 --out "$work/ways3" >/dev/null 2>&1 ||
    { echo "FAIL: a good 3-way run failed"; exit 1; }
expect "ensemble of two episode sizes" "an ensemble needs one image side and one episode size; this model has 16x16, \
3-way, $work/good/model.ckpt has 16x16, 4-way" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --model "$work/ways3/model.ckpt" --data "$work/data" --alphabets Alphabet2

# One-shot run folders.
"$omniglot" make-runs --data "$work/data" --alphabets Alphabet2,Alphabet3 --runs 3 --ways 4 --out "$work/runs" >/dev/null ||
    { echo "FAIL: make-runs failed"; exit 1; }
# make-runs replaces the runs of --out as a whole: fewer runs leave none of the earlier ones
# behind, and a call that fails leaves the folder as it was.
"$omniglot" make-runs --data "$work/data" --alphabets Alphabet2,Alphabet3 --runs 2 --ways 4 --out "$work/runs" >/dev/null ||
    { echo "FAIL: make-runs over earlier runs failed"; exit 1; }
[ "$(ls "$work/runs" | tr '\n' ' ')" = "run01 run02 " ] || fail "make-runs --runs 2 over 3 runs" "left: $(ls "$work/runs")"
expect "evaluate --json inside --runs" "--json $work/runs/results.json is inside --runs $work/runs: it would \
overwrite or add to the data evaluated" "$omniglot" evaluate --model "$work/good/model.ckpt" --runs "$work/runs" \
    --json "$work/runs/results.json"
before=$(cd "$work/runs" && find . -type f | sort | xargs md5sum)
expect "make-runs that cannot draw its episodes" "no alphabet has 40 characters" \
    "$omniglot" make-runs --data "$work/data" --alphabets Alphabet2 --runs 2 --ways 40 --out "$work/runs"
[ "$(cd "$work/runs" && find . -type f | sort | xargs md5sum)" = "$before" ] || fail "failed make-runs" "changed the runs in --out"
# Folders of the user's beside --out named like make-runs' own working folders are left alone
# (runs.previous and runs.partial were deleted); the working folders of a killed call, of runs
# only, are removed (they stayed for good), also of a dead process's pid when they hold more.
true & dead=$!
wait "$dead"
mkdir -p "$work/runs.previous" "$work/runs.partial" "$work/runs.partial-$dead/run01/training" \
    "$work/runs.previous-$dead-2/run01/test" "$work/runs.partial-$dead-3" && echo keep >"$work/runs.previous/notes.txt" &&
    echo keep >"$work/runs.partial/data.txt" && echo keep >"$work/runs.partial-$dead-3/notes.txt" &&
    cp "$work/runs/run01/class_labels.txt" "$work/runs.previous-$dead-2/run01/"
"$omniglot" make-runs --data "$work/data" --alphabets Alphabet2,Alphabet3 --runs 2 --ways 4 --out "$work/runs" >/dev/null ||
    fail "make-runs beside folders of the user's" "failed"
[ -s "$work/runs.previous/notes.txt" ] && [ -s "$work/runs.partial/data.txt" ] ||
    fail "make-runs beside folders of the user's" "deleted them"
[ -s "$work/runs.partial-$dead-3/notes.txt" ] || fail "make-runs beside a folder of the user's" "deleted it"
rm -r "$work/runs.partial-$dead-3"
[ "$(ls -d "$work"/runs* | tr '\n' ' ')" = "$work/runs $work/runs.partial $work/runs.previous " ] ||
    fail "make-runs" "left working folders: $(ls -d "$work"/runs*)"
mkdir -p "$work/not_runs" && echo keep >"$work/not_runs/README"
expect "make-runs into a folder holding other files" "holds README, which is not part of a one-shot run" \
    "$omniglot" make-runs --data "$work/data" --alphabets Alphabet2 --runs 2 --ways 4 --out "$work/not_runs"
[ "$(ls "$work/not_runs")" = README ] || fail "refused make-runs" "changed --out: $(ls "$work/not_runs")"
# Anything in --out but runNN folders of what make-runs writes may be the user's: refused, not deleted.
cp -r "$work/runs" "$work/runs_notes" && echo keep >"$work/runs_notes/run02/my_notes.txt"
expect "make-runs over a run holding a file of the user's" "holds run02/my_notes.txt, which is not part of a one-shot \
run" "$omniglot" make-runs --data "$work/data" --alphabets Alphabet2 --runs 2 --ways 4 --out "$work/runs_notes"
[ -s "$work/runs_notes/run02/my_notes.txt" ] || fail "make-runs over a run holding a file of the user's" "deleted it"
cp -r "$work/runs" "$work/runs_backup" && cp -r "$work/runs/run01" "$work/runs_backup/run01.bak"
expect "make-runs over a folder named like a run" "holds run01.bak, which is not part of a one-shot run" \
    "$omniglot" make-runs --data "$work/data" --alphabets Alphabet2 --runs 2 --ways 4 --out "$work/runs_backup"
# make-runs --out a link to a folder: the runs go there, the link stays.
mkdir -p "$work/runs_target" && ln -s "$work/runs_target" "$work/runs_link"
expect_ok "make-runs --out a link to a folder" "from Alphabet2" "$omniglot" make-runs --data "$work/data" \
    --alphabets Alphabet2 --runs 2 --ways 4 --out "$work/runs_link"
[ -L "$work/runs_link" ] && [ -s "$work/runs_target/run02/class_labels.txt" ] ||
    fail "make-runs --out a link to a folder" "the runs are not in the link's folder, or the link is gone"
ln -s "$work/nowhere" "$work/runs_dangling"
expect "make-runs --out a link to nothing" "$work/runs_dangling: a symbolic link that cannot be followed" \
    "$omniglot" make-runs --data "$work/data" --alphabets Alphabet2 --runs 2 --ways 4 --out "$work/runs_dangling"
# make-runs --out inside --data: a folder there reads as an alphabet, and every later run fails.
cp -r "$work/data" "$work/data_runs"
expect "make-runs --out inside --data" "--out $work/data_runs/runs is inside --data $work/data_runs" \
    "$omniglot" make-runs --data "$work/data_runs" --alphabets Alphabet2 --runs 2 --ways 4 --out "$work/data_runs/runs"
diff -r "$work/data" "$work/data_runs" >/dev/null || fail "make-runs --out inside --data" "changed --data"
# An alphabet with fewer characters than an episode's ways hosts none of its episodes: said, and
# left out of the alphabets the results name (they listed it, silently unused).
cp -r "$work/data" "$work/data_few" && rm -r "$work/data_few/Alphabet3/character04" "$work/data_few/Alphabet3/character05"
expect_ok "evaluate on an alphabet too small for the episodes" "note: left out, with fewer than the 4 characters of a \
4-way episode: Alphabet3 (3)" "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data_few" \
    --alphabets Alphabet2,Alphabet3 --episodes 5 --threads 2 --json "$work/few.json" --picture "$work/few.png"
grep -q '"alphabets": "Alphabet2",' "$work/few.json" || fail "evaluate on an alphabet too small" "--json names it"
expect_ok "make-runs from an alphabet too small for the episodes" "from Alphabet2 under" "$omniglot" make-runs \
    --data "$work/data_few" --alphabets Alphabet2,Alphabet3 --runs 2 --ways 4 --out "$work/runs_few"
# An ensemble's views distort every image as its first model was trained: models trained with
# other --augment settings are refused (the order of --model changed the score).
"$omniglot" train --data "$work/data" "${quick[@]}" --augment 0 --out "$work/no_augment" >/dev/null 2>&1 ||
    { echo "FAIL: a run without augmentation failed"; exit 1; }
expect "ensemble of models trained with other --augment" "--model $work/no_augment/model.ckpt was trained with \
--augment 0, --model $work/good/model.ckpt with" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --model "$work/no_augment/model.ckpt" --data "$work/data" --alphabets Alphabet2 --episodes 5
expect_ok "the same ensemble with --views 1" "ensemble of 2 models" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --model "$work/no_augment/model.ckpt" --data "$work/data" --alphabets Alphabet2 --episodes 5 --views 1 \
    --picture "$work/views1.png"
# Its default picture goes beside the first model.
model_in "$work/first"
expect_ok "an ensemble's default picture" "wrote $work/first/evaluation_episodes.png" "$omniglot" evaluate \
    --model "$work/first/model.ckpt" --model "$work/no_augment/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --episodes 5 --views 1
cp "$work/good/model.ckpt" "$work/good_copy.ckpt"
expect "ensemble of a model and its copy" "--model $work/good_copy.ckpt holds the weights of --model \
$work/good/model.ckpt (a copy?): an ensemble of one model twice" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --model "$work/good_copy.ckpt" --data "$work/data" --alphabets Alphabet2 --episodes 5
# A validation alphabet chose the model's epoch: said, as a training alphabet is.
expect_ok "evaluate on a training alphabet" "note: training alphabets, where this measures fit, not one-shot learning: \
Alphabet0, Alphabet1" "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" \
    --alphabets Alphabet0,Alphabet1,Alphabet2 --episodes 5 --picture "$work/training_alphabet.png"
expect_ok "evaluate on the validation alphabet" "note: validation alphabets, which chose the model's epoch, so the \
result is optimistic: Alphabet2" \
    "$omniglot" evaluate --model "$work/good/model.ckpt" --data "$work/data" --alphabets Alphabet2 --episodes 5 \
    --picture "$work/validation_alphabet.png"
# A blank drawing in a run: named before the model scores any run (it was "HausdorffScorer: image
# 4 has no light ink", after them).
cp -r "$work/runs" "$work/runs_blank" && "$make_data" --blank "$work/runs_blank/run02/test/item01.png" ||
    { echo "FAIL: writing a blank drawing failed"; exit 1; }
expect "evaluate --runs with a blank drawing" "--runs $work/runs_blank: run02/test/item01.png has no ink (a blank \
drawing)" "$omniglot" evaluate --model "$work/good/model.ckpt" --runs "$work/runs_blank"
# A blank drawing in the alphabets the baseline compares: named before training (the report after
# it failed, "HausdorffScorer: image 7 has no light ink") and before evaluate scores the model.
cp -r "$work/data" "$work/data_blank"
blank_drawing=$(find "$work/data_blank/Alphabet2" -name '*.png' | sort | sed -n 3p)
"$make_data" --blank "$blank_drawing" || { echo "FAIL: writing a blank drawing failed"; exit 1; }
expect "train with a blank validation drawing" "$blank_drawing: no ink (a blank drawing)" "$omniglot" train \
    --data "$work/data_blank" "${quick[@]}" --out "$work/blank_run"
[ ! -e "$work/blank_run" ] || fail "train with a blank validation drawing" "it created --out"
expect "evaluate on an alphabet with a blank drawing" "$blank_drawing: no ink (a blank drawing)" "$omniglot" evaluate \
    --model "$work/good/model.ckpt" --data "$work/data_blank" --alphabets Alphabet2 --episodes 5
# evaluate --runs reads no --data, --alphabets or --episodes: given, they were dropped without a word.
expect "evaluate --runs with --episodes" "--episodes excludes --runs" "$omniglot" evaluate --model "$work/good/model.ckpt" \
    --runs "$work/runs" --episodes 5
# evaluate's --json or --picture onto what train wrote beside the model, or onto any checkpoint.
cp -r "$work/good" "$work/beside"
expect "evaluate --json onto checkpoint.ckpt" "--json $work/beside/checkpoint.ckpt is the checkpoint.ckpt train wrote \
beside --model $work/beside/model.ckpt" "$omniglot" evaluate --model "$work/beside/model.ckpt" --data "$work/data" \
    --alphabets Alphabet2 --json "$work/beside/checkpoint.ckpt"
expect "evaluate --picture onto metrics.json" "--picture $work/beside/metrics.json is the metrics.json train wrote" \
    "$omniglot" evaluate --model "$work/beside/model.ckpt" --data "$work/data" --alphabets Alphabet2 \
    --picture "$work/beside/metrics.json"
cp "$work/good/checkpoint.ckpt" "$work/kept.ckpt"
expect "evaluate --json onto another checkpoint" "--json $work/kept.ckpt is a checkpoint: it would be overwritten" \
    "$omniglot" evaluate --model "$work/beside/model.ckpt" --data "$work/data" --alphabets Alphabet2 --json "$work/kept.ckpt"
diff -r "$work/good" "$work/beside" >/dev/null && cmp -s "$work/good/checkpoint.ckpt" "$work/kept.ckpt" ||
    fail "evaluate --json onto a checkpoint" "changed it"
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
# An epoch's last update diverges: checked before validation scores it (NaN scores read as
# chance) and before anything is saved.
expect "diverging last step" "training stopped after epoch 1, step 1: its update left a non-finite value" \
    "$omniglot" train --data "$work/data" "${quick[@]}" --steps 1 --optimizer sgd --lr 1e30 --warmup 0 \
    --out "$work/diverged_last"
[ -e "$work/diverged_last/model.ckpt" ] && fail "diverging last step" "model.ckpt was written"
expect "diverging before any save" "nothing of the run was saved" "$omniglot" train --data "$work/data" "${quick[@]}" \
    --steps 1 --optimizer sgd --lr 1e30 --warmup 0 --out "$work/diverged_unsaved"

# Ctrl-C stops the run between two steps: it says what its checkpoint holds and how to resume,
# and ends as killed by SIGINT; the command it gives resumes it. (A background job of a script
# starts with SIGINT ignored, and the run keeps it so: env resets it.) Without validation alphabets:
# early stopping could end the run before the signal comes.
env --default-signal=INT "$omniglot" train --data "$work/data" "${unvalidated[@]}" --epochs 100000 --out "$work/sigint" \
    >"$work/sigint.log" 2>"$work/sigint.err" &
pid=$!
for _ in $(seq 1 600); do [ -e "$work/sigint/checkpoint.ckpt" ] && break; sleep 0.1; done
kill -INT "$pid"
# A run that does not stop is killed after a minute: the test fails instead of hanging.
for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null || true
status=0
wait "$pid" || status=$?
threads=2  # the run's thread count, which the resume command gives: 1 without OpenMP
grep -q -e GOMP_parallel -e __kmpc_fork_call "$omniglot" || threads=1
if [ "$status" != 130 ]; then
    fail "Ctrl-C" "exit status $status, expected 130 (killed by SIGINT): $(cat "$work/sigint.err")"
elif ! sed -E 's/[0-9]+/N/g' "$work/sigint.err" | grep -qxF "$(sed -E 's/[0-9]+/N/g' <<<"interrupted before epoch 1, \
step 1: $work/sigint/checkpoint.ckpt holds the run after epoch 1 of 100000; continue it with train --resume \
$work/sigint/checkpoint.ckpt --data $work/data --threads $threads")"; then  # any epoch and step, the path verbatim
    fail "Ctrl-C" "$(cat "$work/sigint.err")"
else
    echo "ok   Ctrl-C: $(tail -n 1 "$work/sigint.err")"
    saved_epoch="$(sed -n 's/.* holds the run after epoch \([0-9]*\) of .*/\1/p' "$work/sigint.err")"
    resume_command="$(sed -n 's/.*; continue it with //p' "$work/sigint.err")"
    # shellcheck disable=SC2086 # the message's command, as a user pastes it (these paths have no spaces)
    expect_ok "the resume command given after Ctrl-C" "resuming $work/sigint/checkpoint.ckpt at epoch $((saved_epoch + 1))" \
        "$omniglot" $resume_command --stop-after $((saved_epoch + 1))
fi

# Ctrl-C after training (here while the run waits between its last epoch and the reports, where
# the training loop no longer looks for it) says where the trained network is and which command
# writes the reports without training; that command does so.
env --default-signal=INT "$omniglot" train --data "$work/data" "${unvalidated[@]}" --debug-pause-after-training \
    --out "$work/trained_int" >"$work/trained_int.log" 2>"$work/trained_int.err" &
pid=$!
for _ in $(seq 1 600); do grep -q "debug: pausing after training" "$work/trained_int.err" && break; sleep 0.1; done
kill -INT "$pid"
for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null || true
status=0
wait "$pid" || status=$?
note="interrupted after training: the trained network is safe in $work/trained_int/model.ckpt; train --resume \
$work/trained_int/checkpoint.ckpt --data $work/data writes the reports without training"
if [ "$status" != 130 ]; then
    fail "Ctrl-C after training" "exit status $status, expected 130 (killed by SIGINT): $(cat "$work/trained_int.err")"
elif ! grep -qxF "$note" "$work/trained_int.err"; then
    fail "Ctrl-C after training" "$(cat "$work/trained_int.err")"
elif [ -e "$work/trained_int/metrics.json" ]; then
    fail "Ctrl-C after training" "metrics.json was written before the reports"
else
    echo "ok   Ctrl-C after training: $(tail -n 1 "$work/trained_int.err")"
    command="${note#*model.ckpt; }"
    # shellcheck disable=SC2086 # the message's command, as a user pastes it (these paths have no spaces)
    expect_ok "the command given after Ctrl-C after training" "the run had trained all its epochs" \
        "$omniglot" ${command% writes the reports without training}
    [ -e "$work/trained_int/metrics.json" ] || fail "Ctrl-C after training" "its command wrote no metrics.json"
fi

finish
