// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/layers/conv2d.hpp>
#include <siamese/layers/flatten.hpp>
#include <siamese/layers/linear.hpp>
#include <siamese/layers/max_pool2d.hpp>
#include <siamese/layers/relu.hpp>
#include <siamese/models/sequential.hpp>

namespace siamese {

/// The tutorial's backbone for 1 x 28 x 28 images (MNIST):
/// Conv2d(1,32,3) -> ReLU -> MaxPool2d(2) -> Conv2d(32,64,3) -> ReLU -> MaxPool2d(2)
/// -> Flatten(1600) -> Linear(1600,120) -> ReLU -> Linear(120,84): [N, 1, 28, 28] -> [N, 84].
template <class T = float>
using SeedCnn = Sequential<Conv2d<T>, ReLU<T>, MaxPool2d<T>, Conv2d<T>, ReLU<T>, MaxPool2d<T>, Flatten<T>,
                           Linear<T>, ReLU<T>, Linear<T>>;

/// Builds the tutorial's backbone, initialised like PyTorch's defaults from `rng`.
template <class T = float>
[[nodiscard]] SeedCnn<T> make_seed_cnn(Rng& rng) {
    // Each layer draws from rng in network order; the order of the arguments below is that order.
    Conv2d<T> conv1(1, 32, 3, rng);
    Conv2d<T> conv2(32, 64, 3, rng);
    Linear<T> fc1(64 * 5 * 5, 120, rng);
    Linear<T> fc2(120, 84, rng);
    return SeedCnn<T>(std::move(conv1), ReLU<T>(), MaxPool2d<T>(2), std::move(conv2), ReLU<T>(), MaxPool2d<T>(2),
                      Flatten<T>(), std::move(fc1), ReLU<T>(), std::move(fc2));
}

/// Embedding width of SeedCnn.
inline constexpr index_t seed_cnn_embedding_dim = 84;

}  // namespace siamese
