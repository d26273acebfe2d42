# SPDX-License-Identifier: MIT
# Trains the MNIST example twice with the same seed and thread count on a small synthetic data
# set, and requires identical log lines (timings aside), identical checkpoint bytes, that
# `evaluate` reproduces the test numbers, and that the model learned something; then runs the
# contrastive and triplet losses end to end (outputs written, one-shot accuracy reproduced).
#   cmake -DMNIST=... -DMAKE_DATA=... -DWORK=... -P reproducibility.cmake

include(${CMAKE_CURRENT_LIST_DIR}/../common/script_checks.cmake)

file(REMOVE_RECURSE ${WORK})
run(ignored ${MAKE_DATA} ${WORK}/data 600 200)
set(args train --data ${WORK}/data --threads 2 --seed 5 --epochs 2 --batches 40 --batch-size 20
    --log-every 10 --test-batches 20 --episodes 200)
run(first ${MNIST} ${args} --out ${WORK}/a)
run(second ${MNIST} ${args} --out ${WORK}/b)
without_timings("${first}" first_lines)
without_timings("${second}" second_lines)
if(NOT first_lines STREQUAL second_lines)
    message(FATAL_ERROR "same seed, different logs:\n--- first\n${first_lines}\n--- second\n${second_lines}")
endif()
same_bytes(${WORK}/a/model.ckpt ${WORK}/b/model.ckpt "same seed, different checkpoint bytes")
foreach(f pairs.png training_curve.svg metrics.json)
    if(NOT EXISTS ${WORK}/a/${f})
        message(FATAL_ERROR "train did not write ${f}")
    endif()
endforeach()

# evaluate reproduces the test numbers printed after training.
run(evaluated ${MNIST} evaluate --model ${WORK}/a/model.ckpt --data ${WORK}/data --threads 2)
string(REGEX MATCH "test pair accuracy: [^\n]*" pair_train "${first}")
string(REGEX MATCH "test pair accuracy: [^\n]*" pair_eval "${evaluated}")
string(REGEX MATCH "one-shot accuracy: [^\n]*" shot_train "${first}")
string(REGEX MATCH "one-shot accuracy: [^\n]*" shot_eval "${evaluated}")
if(NOT pair_train STREQUAL pair_eval OR NOT shot_train STREQUAL shot_eval OR pair_train STREQUAL "")
    message(FATAL_ERROR "evaluate does not reproduce train's numbers:\n${first}\n---\n${evaluated}")
endif()

# Ten test classes make 10-way episodes (they were 9-way without a word), and metrics.json holds the
# model's one-shot accuracy as printed (it held the raw pixels'): 200 episodes give at most three
# decimals, exact in both.
file(READ ${WORK}/a/metrics.json metrics)
string(JSON ways GET "${metrics}" one_shot_ways)
string(JSON shot_json GET "${metrics}" one_shot_accuracy)
string(REGEX MATCH "test 10-way one-shot accuracy: ([0-9.]+)" _ "${first}")
if(NOT ways EQUAL 10 OR CMAKE_MATCH_1 STREQUAL "" OR NOT shot_json EQUAL CMAKE_MATCH_1)
    message(FATAL_ERROR "expected 10-way one-shot accuracy, the printed one in metrics.json (one_shot_ways ${ways}, "
                        "one_shot_accuracy ${shot_json}):\n${first}")
endif()

# The synthetic classes are easy: the network must beat chance clearly.
string(REGEX MATCH "test pair accuracy: ([0-9.]+)" _ "${first}")
if(CMAKE_MATCH_1 LESS 0.8)
    message(FATAL_ERROR "pair accuracy ${CMAKE_MATCH_1} < 0.8 on the synthetic set:\n${first}")
endif()

# The metric losses end to end (the tutorial's BCE above): a contrastive and a triplet run train,
# write their outputs, and evaluate reproduces their one-shot accuracy from the checkpoint.
foreach(loss contrastive triplet)
    run(metric_run ${MNIST} train --data ${WORK}/data --threads 2 --seed 5 --epochs 1 --batches 20
        --test-batches 10 --episodes 50 --loss ${loss} --optimizer adam --lr 0.001 --out ${WORK}/${loss})
    run(metric_eval ${MNIST} evaluate --model ${WORK}/${loss}/model.ckpt --data ${WORK}/data --threads 2)
    string(REGEX MATCH "one-shot accuracy: [^\n]*" shot_train "${metric_run}")
    string(REGEX MATCH "one-shot accuracy: [^\n]*" shot_eval "${metric_eval}")
    if(shot_train STREQUAL "" OR NOT shot_train STREQUAL shot_eval)
        message(FATAL_ERROR "--loss ${loss}: evaluate does not reproduce train's numbers:\n${metric_run}\n---\n"
                            "${metric_eval}")
    endif()
    # A metric loss's pair accuracy is at the threshold chosen on training pairs (it was the BCE head's
    # probability 0.5, i.e. distance 0: every pair "different", 0.5).
    string(REGEX MATCH "test pair accuracy: ([0-9.]+)" _ "${metric_run}")
    set(pair_accuracy ${CMAKE_MATCH_1})
    string(REGEX MATCH "training pairs: test accuracy ([0-9.]+)" _ "${metric_run}")
    if(pair_accuracy STREQUAL "" OR NOT pair_accuracy STREQUAL CMAKE_MATCH_1 OR NOT pair_accuracy GREATER 0.5)
        message(FATAL_ERROR "--loss ${loss}: the test pair accuracy is not the calibrated one:\n${metric_run}")
    endif()
    foreach(f model.ckpt pairs.png training_curve.svg metrics.json)
        if(NOT EXISTS ${WORK}/${loss}/${f})
            message(FATAL_ERROR "train --loss ${loss} did not write ${f}")
        endif()
    endforeach()
endforeach()
message(STATUS "reproducible: identical logs and checkpoints; ${pair_train}; contrastive and triplet runs evaluate "
               "as trained")
