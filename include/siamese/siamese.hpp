// SPDX-License-Identifier: MIT
#pragma once

// The whole public API of siamese. Each header also compiles on its own.

#include <siamese/config.hpp>
#include <siamese/errors.hpp>
#include <siamese/parallel.hpp>
#include <siamese/param.hpp>
#include <siamese/random.hpp>
#include <siamese/shape.hpp>
#include <siamese/tensor.hpp>
#include <siamese/version.hpp>

#include <siamese/kernels/conv2d.hpp>
#include <siamese/kernels/conv_geometry.hpp>
#include <siamese/kernels/conv_relu_pool.hpp>
#include <siamese/kernels/elementwise.hpp>
#include <siamese/kernels/gemm.hpp>
#include <siamese/kernels/im2col.hpp>
#include <siamese/kernels/linear.hpp>
#include <siamese/kernels/max_pool2d.hpp>
#include <siamese/kernels/pairwise_distance.hpp>
#include <siamese/kernels/pairwise_distance_reference.hpp>
#include <siamese/kernels/reference.hpp>
#include <siamese/kernels/simd.hpp>
#include <siamese/kernels/transpose.hpp>

#include <siamese/layers/conv2d.hpp>
#include <siamese/layers/conv_relu_pool.hpp>
#include <siamese/layers/flatten.hpp>
#include <siamese/layers/layer.hpp>
#include <siamese/layers/linear.hpp>
#include <siamese/layers/max_pool2d.hpp>
#include <siamese/layers/relu.hpp>

#include <siamese/models/seed_cnn.hpp>
#include <siamese/models/sequential.hpp>
#include <siamese/models/siamese.hpp>

#include <siamese/metrics/distance.hpp>

#include <siamese/losses/bce_with_logits.hpp>
#include <siamese/losses/contrastive.hpp>
#include <siamese/losses/triplet.hpp>
#include <siamese/optim/adam.hpp>
#include <siamese/optim/any_optimizer.hpp>
#include <siamese/optim/param_group.hpp>
#include <siamese/optim/schedule.hpp>
#include <siamese/optim/sgd.hpp>

#include <siamese/io/atomic_write.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/io/checksum.hpp>
#include <siamese/io/file_checks.hpp>
#include <siamese/io/optimizer_state.hpp>

#include <siamese/eval/confidence.hpp>
#include <siamese/eval/distance.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/eval/embedding_scorer.hpp>
#include <siamese/eval/episode_accuracy.hpp>
#include <siamese/eval/episodes.hpp>
#include <siamese/eval/hausdorff.hpp>
#include <siamese/eval/one_shot.hpp>
#include <siamese/eval/pair_accuracy.hpp>
#include <siamese/eval/pair_scores.hpp>
#include <siamese/eval/pixel_baseline.hpp>
#include <siamese/eval/retrieval.hpp>
#include <siamese/eval/roc.hpp>
#include <siamese/eval/scorer.hpp>
#include <siamese/eval/sorted_pair_scores.hpp>
#include <siamese/eval/threshold.hpp>

#include <siamese/testing/gradient_check.hpp>

#include <siamese/training/collapse_detector.hpp>
#include <siamese/training/numeric_guard.hpp>

#include <siamese/data/augment.hpp>
#include <siamese/data/class_members.hpp>
#include <siamese/data/csv.hpp>
#include <siamese/data/folder_listing.hpp>
#include <siamese/data/idx.hpp>
#include <siamese/data/input_file.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/data/mnist.hpp>
#include <siamese/data/omniglot.hpp>
#include <siamese/data/omniglot_episodes.hpp>
#include <siamese/data/one_shot_episode.hpp>
#include <siamese/data/one_shot_runs.hpp>
#include <siamese/data/pair_sampler.hpp>
#include <siamese/data/pk_sampler.hpp>
#include <siamese/data/png.hpp>
#include <siamese/data/triplet_sampler.hpp>
