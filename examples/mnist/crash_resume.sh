#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Crash safety of the MNIST example, with real (short) training runs on synthetic data:
#   1. an uninterrupted run;
#   2. a run killed with SIGKILL in the middle of a checkpoint save, then resumed;
#   3. a run killed with SIGKILL in the middle of a training step, then resumed;
#   4. the same with a triplet loss and Adam;
#   5. a new run over a finished one, killed between its model.ckpt and its evaluation;
#   6. a run killed while saving its model.ckpt, then resumed;
#   7. a run stopped by Ctrl-C (SIGINT) while training, then two after it, each resumed with the
#      command it printed;
#   and while a run is paused, a second run into its folder is refused, and so is a new run over
#   a stopped one.
# The killed save must leave the previous checkpoint intact, and the resumed runs must end
# with a final checkpoint byte-identical to the uninterrupted one (same thread count).
# Usage: crash_resume.sh MNIST_BINARY MAKE_DATA_BINARY WORK_DIR
set -euo pipefail
mnist="$1" make_data="$2" work="$3"
rm -rf "$work"
mkdir -p "$work"
"$make_data" "$work/data" 600 200

common=(--data "$work/data" --threads 2 --checkpoint-every 10)
run=(train "${common[@]}" --seed 9 --epochs 2 --batches 30 --batch-size 20 --log-every 10 --test-batches 10 --episodes 50)

fail() { echo "crash_resume: FAILED: $*" >&2; exit 1; }

# Waits until the run $2 writing to $1 says it paused at $3; fails if it ends or never gets there.
wait_for_pause() {
    local out="$1" pid="$2" pause="$3"
    for _ in $(seq 1 600); do
        grep -q "debug: pausing" "$out.err" 2>/dev/null && return
        kill -0 "$pid" 2>/dev/null || fail "run $out ended before reaching $pause: $(cat "$out.err")"
        sleep 0.1
    done
    fail "run $out never reached $pause"
}

# Starts a run that pauses at $2 (save:N or step:N), kills it with SIGKILL once it is there.
run_and_kill() {
    local out="$1" pause="$2"
    "$mnist" "${run[@]}" --out "$out" --debug-pause "$pause" >"$out.log" 2>"$out.err" &
    local pid=$!
    wait_for_pause "$out" "$pid" "$pause"
    # A second run into the same folder meanwhile is refused (two runs there mixed their files);
    # the lock goes with the killed process, so the resume below gets the folder.
    if "$mnist" "${run[@]}" --out "$out" >"$out.second.log" 2>&1; then fail "a second run into $out was accepted"; fi
    grep -q "another run is writing to this folder now" "$out.second.log" ||
        fail "a second run into $out: $(tail -1 "$out.second.log")"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    echo "killed at: $(grep 'debug: pausing' "$out.err")"
}

# Resumes the run in $1; with a second argument, without --out (the run must write to its own
# folder) and from a folder whose out/mnist, the default --out, holds another run's model.
resume() {
    local out="$1"
    if [ $# -gt 1 ]; then
        mkdir -p "$work/elsewhere/out/mnist"
        echo "another run's model" >"$work/elsewhere/out/mnist/model.ckpt"
        (cd "$work/elsewhere" && "$mnist" train "${common[@]}" --resume "$out/checkpoint.ckpt") >"$out.resumed.log" 2>&1 ||
            fail "resume of $out without --out: $(cat "$out.resumed.log")"
        [ "$(cat "$work/elsewhere/out/mnist/model.ckpt")" = "another run's model" ] && [ "$(ls "$work/elsewhere/out/mnist")" = model.ckpt ] ||
            fail "resume without --out wrote into the default --out, not the run's folder"
    else
        "$mnist" train "${common[@]}" --resume "$out/checkpoint.ckpt" --out "$out" >"$out.resumed.log" 2>&1 ||
            fail "resume of $out: $(cat "$out.resumed.log")"
    fi
    grep -q "resuming" "$out.resumed.log" || fail "resume of $out did not say where it resumed"
    # Timings cover this process only (a checkpoint holding them would differ between runs): said.
    grep -q "this process only, resumed after" "$out.resumed.log" || fail "resume of $out: timings not labelled"
    # Every log line of the resumed run is the uninterrupted run's line for the same batch.
    # (none when the run had trained all its batches; grep's exit 1 would end the script)
    { grep '^\[' "$out.resumed.log" || true; } | while read -r line; do
        grep -qxF "$line" "$work/full.log" || fail "resumed log line not in the uninterrupted log: $line"
    done
}

"$mnist" "${run[@]}" --out "$work/full" >"$work/full.log"

# 2. Killed inside the third save (batch 30, the end of epoch 1), after the new file is written
#    and flushed but before it replaces the old one.
run_and_kill "$work/save" save:3
ls "$work"/save/checkpoint.ckpt.tmp.* >/dev/null 2>&1 || fail "expected the killed save's temporary file"
"$mnist" evaluate --model "$work/save/checkpoint.ckpt" --data "$work/data" >"$work/save.eval.log" 2>&1 ||
    fail "the checkpoint left by the killed save does not load: $(cat "$work/save.eval.log")"
grep -qF "trained 20 of its 60 batches (2 epochs x 30 batches; a run that stopped part-way)" "$work/save.eval.log" ||
    fail "evaluate did not say the checkpoint is of a run that stopped part-way: $(head -1 "$work/save.eval.log")"
# A new run over the stopped one is refused (that run can still be resumed) and changes nothing.
cp -r "$work/save" "$work/save.before"
if "$mnist" "${run[@]}" --out "$work/save" >"$work/save.fresh.log" 2>&1; then fail "a new run over the stopped run was accepted"; fi
grep -qF "$work/save/checkpoint.ckpt: a run that stopped after 20 of 60 batches, which a new run here would replace; \
continue it with train --resume $work/save/checkpoint.ckpt (and the --data it trained on)" "$work/save.fresh.log" ||
    fail "a new run over a stopped run: $(tail -1 "$work/save.fresh.log")"
diff -r "$work/save.before" "$work/save" >/dev/null || fail "a refused new run changed $work/save"
resume "$work/save"
grep -q "at epoch 1, batch 21" "$work/save.resumed.log" || fail "expected to resume after batch 20: $(head -3 "$work/save.resumed.log")"
# The resumed part of an epoch is timed as such (its rate counted all 30 batches in 10 batches' time).
grep -qE "^epoch 1: [0-9.]+ s for its last 10 batches \([0-9]+ pairs/s\)$" "$work/save.resumed.log" ||
    fail "the resumed epoch's timing: $(grep '^epoch 1' "$work/save.resumed.log")"
! ls "$work"/save/checkpoint.ckpt.tmp.* >/dev/null 2>&1 || fail "the resumed run's saves left the killed save's temporary file"
cmp "$work/full/model.ckpt" "$work/save/model.ckpt" || fail "resumed after a killed save: final checkpoint differs"

# 3. Killed inside batch 45 (epoch 2), between backward and the optimizer step.
run_and_kill "$work/step" step:45
resume "$work/step" without-out
grep -q "at epoch 2, batch 11" "$work/step.resumed.log" || fail "expected to resume after batch 40: $(head -3 "$work/step.resumed.log")"
cmp "$work/full/model.ckpt" "$work/step/model.ckpt" || fail "resumed after a killed step: final checkpoint differs"

# 4. The same with a metric loss and Adam (moments and step count in the checkpoint), killed mid-step.
run=(train "${common[@]}" --seed 3 --epochs 2 --batches 30 --log-every 10 --test-batches 10 --episodes 50
     --loss triplet --optimizer adam --lr 0.0003 --margin 5 --classes-per-batch 5 --images-per-class 4)
"$mnist" "${run[@]}" --out "$work/full" >"$work/full.log"
run_and_kill "$work/adam" step:37
resume "$work/adam"
cmp "$work/full/model.ckpt" "$work/adam/model.ckpt" || fail "triplet + Adam resumed after a killed step: final checkpoint differs"

# 5. A new run over a finished one replaces it. Killed after writing its model.ckpt, before the
#    evaluation: the old run's numbers and pictures must not stay beside the new model.
run=(train "${common[@]}" --seed 4 --epochs 1 --batches 10 --batch-size 20 --log-every 10 --test-batches 10 --episodes 50)
#    A report that is a link stays, as the user's: reports are written through it.
cp -r "$work/full" "$work/replaced"
mv "$work/replaced/training_curve.svg" "$work/linked_curve.svg"
ln -s ../linked_curve.svg "$work/replaced/training_curve.svg"
run_and_kill "$work/replaced" evaluate:1
! cmp -s "$work/full/model.ckpt" "$work/replaced/model.ckpt" || fail "a new run over a finished one: model.ckpt not replaced"
for report in metrics.json pairs.png; do
    [ ! -e "$work/replaced/$report" ] || fail "the old run's $report stayed beside the new run's model.ckpt"
done
[ -L "$work/replaced/training_curve.svg" ] || fail "a new run over a finished one removed the user's link"

# 6. Killed inside the save of model.ckpt, after the last batch: the trained model is only in
#    checkpoint.ckpt. A new run there is refused; --resume saves the model and evaluates it.
run_and_kill "$work/unsaved" save:2
[ ! -e "$work/unsaved/model.ckpt" ] || fail "expected the killed save to leave no model.ckpt"
if "$mnist" "${run[@]}" --out "$work/unsaved" >"$work/unsaved.fresh.log" 2>&1; then
    fail "a new run over a run without its model.ckpt was accepted"
fi
grep -qF "a run that stopped after its last batch, before its model.ckpt was saved" "$work/unsaved.fresh.log" ||
    fail "a new run over a run without its model.ckpt: $(tail -1 "$work/unsaved.fresh.log")"
resume "$work/unsaved"
cmp -s "$work/unsaved/model.ckpt" "$work/unsaved/checkpoint.ckpt" && [ -s "$work/unsaved/metrics.json" ] ||
    fail "resuming a run without its model.ckpt did not save and evaluate it"
grep -qF "the run had trained all its batches; evaluating it and writing its outputs" "$work/unsaved.resumed.log" ||
    fail "resuming a finished run: $(grep resuming "$work/unsaved.resumed.log")"

# 7. Ctrl-C inside batch 45: the run ends that batch, says what its checkpoint holds and how to
#    resume it, and ends as killed by SIGINT; the command it gives resumes it bit for bit.
run=(train "${common[@]}" --seed 5 --epochs 2 --batches 30 --batch-size 20 --log-every 10 --test-batches 10 --episodes 50)
"$mnist" "${run[@]}" --out "$work/full7" >"$work/full7.log"

# Starts the run into $1 pausing at $2, presses Ctrl-C once it is there, and checks that it ended
# as killed by SIGINT. (A background job of a script starts with SIGINT ignored, and the run keeps
# it so: env resets it.)
interrupt_at_pause() {
    local out="$1" pause="$2" status=0
    : >"$out.err"  # emptied before the run starts: wait_for_pause must not find an older run's pause
    env --default-signal=INT "$mnist" "${run[@]}" --out "$out" --debug-pause "$pause" >"$out.log" 2>"$out.err" &
    local pid=$!
    wait_for_pause "$out" "$pid" "$pause"
    kill -INT "$pid"
    # A run that does not stop is killed after a minute: the test fails instead of hanging.
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" || status=$?
    [ "$status" = 130 ] || fail "Ctrl-C at $pause: exit status $status, expected 130 (killed by SIGINT): $(cat "$out.err")"
}

interrupt_at_pause "$work/sigint" step:45
threads=2  # the run's thread count, which the resume command gives: 1 without OpenMP
grep -q -e GOMP_parallel -e __kmpc_fork_call "$mnist" || threads=1
expected="interrupted before epoch 2, batch 16: $work/sigint/checkpoint.ckpt holds the run after 40 of 60 batches; \
continue it with train --resume $work/sigint/checkpoint.ckpt --data $work/data --threads $threads --checkpoint-every 10"
grep -qxF "$expected" "$work/sigint.err" || fail "Ctrl-C: $(cat "$work/sigint.err")"
resume_command="$(sed -n 's/.*; continue it with //p' "$work/sigint.err")"
# shellcheck disable=SC2086 # the message's command, as a user pastes it (these paths have no spaces)
"$mnist" $resume_command >"$work/sigint.resumed.log" 2>&1 || fail "the resume command given after Ctrl-C: $(cat "$work/sigint.resumed.log")"
cmp "$work/full7/model.ckpt" "$work/sigint/model.ckpt" || fail "resumed after Ctrl-C: final checkpoint differs"

#    Ctrl-C once training is done (before the evaluation, and before that between the training
#    loop and the evaluation, where the loop no longer looks for it): the process ends at once,
#    saying how to get the outputs without training again, and that command writes them.
#    (A folder and log of its own for each: a log the previous run left let wait_for_pause see its
#    pause and press Ctrl-C before the new run had even started.)
for pause in trained:1 evaluate:1; do
    out="$work/int_${pause%:1}"
    interrupt_at_pause "$out" "$pause"
    grep -qxF "interrupted after training: the trained network is safe in $out/checkpoint.ckpt; train --resume \
$out/checkpoint.ckpt --data $work/data evaluates it and writes the outputs without training" "$out.err" ||
        fail "Ctrl-C after training ($pause): $(cat "$out.err")"
    if [ -e "$out/metrics.json" ]; then fail "Ctrl-C after training ($pause): the outputs were written"; fi
done
"$mnist" train --resume "$work/int_evaluate/checkpoint.ckpt" --data "$work/data" --threads 2 >"$work/int_evaluate.resumed.log" 2>&1 &&
    [ -s "$work/int_evaluate/metrics.json" ] || fail "the command given after Ctrl-C after training: $(cat "$work/int_evaluate.resumed.log")"
cmp "$work/full7/model.ckpt" "$work/int_evaluate/model.ckpt" || fail "Ctrl-C after training: model.ckpt differs"

echo "crash_resume: killed mid-save and mid-step (SGD and Adam), stopped by Ctrl-C, resumed, final checkpoints identical to uninterrupted runs; new runs over stopped ones refused"
