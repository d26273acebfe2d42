// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/errors.hpp>
#include <siamese/layers/conv_relu_pool.hpp>
#include <siamese/layers/flatten.hpp>
#include <siamese/layers/linear.hpp>
#include <siamese/layers/relu.hpp>
#include <siamese/models/sequential.hpp>

#include <string>
#include <type_traits>
#include <utility>

namespace siamese {

/// The tutorial's backbone for 1 x 28 x 28 images (MNIST):
/// Conv2d(1,32,3) -> ReLU -> MaxPool2d(2) -> Conv2d(32,64,3) -> ReLU -> MaxPool2d(2)
/// -> Flatten(1600) -> Linear(1600,120) -> ReLU -> Linear(120,84): [N, 1, 28, 28] -> [N, 84].
/// Each conv -> ReLU -> pool runs as one fused ConvReluPool layer (the same maths and weights,
/// without materialising the conv and ReLU outputs), and conv1 hands its output to conv2 in
/// channels-last order, the order both work in: no transposes between them, and conv2 reads
/// conv1's output as its backward cache instead of copying it. A Layer; caches what its layers
/// cache.
/// Parameters keep the names and order of the unfused ten-layer Sequential, so checkpoints and
/// code written against that layout keep working:
///   "0.weight" [32, 1, 3, 3], "0.bias" [32]        conv1
///   "3.weight" [64, 32, 3, 3], "3.bias" [64]       conv2
///   "7.weight" [120, 1600], "7.bias" [120]         fc1 (1600 = 64 x 5 x 5 for 28 x 28 images)
///   "9.weight" [84, 120], "9.bias" [84]            fc2
template <class T = float>
class SeedCnn {
public:
    using value_type = T;
    using Layers = Sequential<ConvReluPool<T>, ConvReluPool<T>, Flatten<T>, Linear<T>, ReLU<T>, Linear<T>>;

    explicit SeedCnn(Layers layers) : layers_(std::move(layers)) {
        // conv1's output lives in conv1 until the next forward: conv2 may keep a reference to it.
        layers_.template layer<0>().set_channels_last(false, true);
        layers_.template layer<1>().set_channels_last(true, false);
    }

    // A copy or move of conv2 drops its reference to the original's conv1 output; point it at
    // this model's own conv1 output (the same values), so backward after a copy or move reads
    // this model's buffers and gives the original's gradients.
    SeedCnn(const SeedCnn& other) : layers_(other.layers_) { reborrow(); }
    SeedCnn(SeedCnn&& other) noexcept(std::is_nothrow_move_constructible_v<Layers>)
        : layers_(std::move(other.layers_)) {
        reborrow();
    }
    SeedCnn& operator=(const SeedCnn& other) {
        layers_ = other.layers_;
        reborrow();
        return *this;
    }
    SeedCnn& operator=(SeedCnn&& other) noexcept(std::is_nothrow_move_assignable_v<Layers>) {
        layers_ = std::move(other.layers_);
        reborrow();
        return *this;
    }
    ~SeedCnn() = default;

    [[nodiscard]] std::string name() const { return "SeedCnn(" + layers_.layer_names() + ")"; }
    [[nodiscard]] Shape output_shape(const Shape& in) const { return layers_.output_shape(in); }
    const Tensor<T>& forward(const Tensor<T>& x) { return layers_.forward(x); }
    const Tensor<T>& backward(const Tensor<T>& grad_out) { return layers_.backward(grad_out); }

    /// forward, showing each fused layer's output to inspect(index, name, output) on the way
    /// (as Sequential::forward_inspect; index 0 is conv1 -> ReLU -> pool, 1 the same for conv2).
    template <class Inspect>
    const Tensor<T>& forward_inspect(const Tensor<T>& x, Inspect&& inspect) {
        return layers_.forward_inspect(x, std::forward<Inspect>(inspect));
    }

    [[nodiscard]] ParamList<T> params() {
        ParamList<T> out;
        append_params(out, layers_.template layer<0>().params(), "0");
        append_params(out, layers_.template layer<1>().params(), "3");
        append_params(out, layers_.template layer<3>().params(), "7");
        append_params(out, layers_.template layer<5>().params(), "9");
        return out;
    }

    /// false: conv1's backward skips dL/dx (the images are data).
    void set_input_grad(bool enabled) noexcept { layers_.set_input_grad(enabled); }

    /// The fused layers: 0 conv1, 1 conv2, 2 flatten, 3 fc1, 4 ReLU, 5 fc2 (conv1's output and
    /// conv2's input are channels-last).
    template <std::size_t I>
    [[nodiscard]] auto& layer() noexcept {
        return layers_.template layer<I>();
    }
    template <std::size_t I>
    [[nodiscard]] const auto& layer() const noexcept {
        return layers_.template layer<I>();
    }

private:
    void reborrow() noexcept { layers_.template layer<1>().reborrow_input(layers_.template layer<0>()); }

    Layers layers_;
};

/// Embedding width of SeedCnn.
inline constexpr index_t seed_cnn_embedding_dim = 84;

/// Side of SeedCnn's feature maps after its two conv(3) + pool(2) blocks, for square images of
/// `image_side` pixels: 5 for MNIST's 28 (and for 26 to 29), 0 below 10.
[[nodiscard]] constexpr index_t seed_cnn_feature_side(index_t image_side) noexcept {
    return image_side < 10 ? 0 : ((image_side - 2) / 2 - 2) / 2;
}

/// Builds the tutorial's backbone for square images of `image_side` pixels (28: MNIST, the
/// tutorial's Linear(1600, 120); other sides change fc1's input, 64 x s x s), initialised like
/// PyTorch's defaults from `rng`. A side below 10 leaves nothing after the second pooling: a
/// shape_error naming it.
template <class T = float>
[[nodiscard]] SeedCnn<T> make_seed_cnn(Rng& rng, index_t image_side = 28) {
    const index_t s = seed_cnn_feature_side(image_side);
    if (s < 1) {
        throw shape_error("make_seed_cnn: images of side " + std::to_string(image_side) +
                          " are too small for two conv(3) + pool(2) blocks (at least 10)");
    }
    // Each layer draws from rng in network order; the order of the arguments below is that order.
    ConvReluPool<T> conv1(1, 32, 3, rng);
    ConvReluPool<T> conv2(32, 64, 3, rng);
    Linear<T> fc1(64 * s * s, 120, rng);
    Linear<T> fc2(120, seed_cnn_embedding_dim, rng);
    return SeedCnn<T>(typename SeedCnn<T>::Layers(std::move(conv1), std::move(conv2), Flatten<T>(), std::move(fc1),
                                                  ReLU<T>(), std::move(fc2)));
}

}  // namespace siamese
