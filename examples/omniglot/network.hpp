// SPDX-License-Identifier: MIT
#pragma once

// The example's backbone: four fused conv blocks and a linear embedding, under the library's
// Siamese head.

#include <siamese/layers/conv_relu_pool.hpp>
#include <siamese/layers/flatten.hpp>
#include <siamese/layers/linear.hpp>
#include <siamese/models/sequential.hpp>
#include <siamese/models/siamese.hpp>
#include <siamese/random.hpp>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace omniglot {

using siamese::index_t;
using T = float;

/// The most channels of a conv block (--widths) and embedding units (--embedding): at 4096, one
/// layer's weights and optimizer state already take gigabytes.
inline constexpr long max_channels = 4096;

/// The backbone's shape: four conv blocks (k x k "same" convolution, ReLU, 2x2 max-pool), then
/// a linear embedding.
struct NetConfig {
    long side = 48;                            ///< input images are side x side
    std::vector<long> widths{64, 64, 64, 64};  ///< output channels of the four conv blocks
    long kernel = 3;                           ///< odd kernel size of every conv
    long embedding = 128;                      ///< D, the embedding size
    bool he_init = true;                       ///< He-uniform backbone weights (false: PyTorch's default)

    [[nodiscard]] long pooled_side() const {
        long s = side;
        for (int i = 0; i < 4; ++i) s /= 2;
        return s;
    }
    [[nodiscard]] std::string widths_text() const {
        std::string s;
        for (const long w : widths) {
            if (!s.empty()) s += ',';
            s += std::to_string(w);
        }
        return s;
    }
};

/// A Koch-style convolutional backbone for two CPU cores: [N, 1, side, side] pixels 0..255 ->
/// [N, D]. Pixels are scaled to 0..1 first (ink 1, paper 0); each block is one fused
/// ConvReluPool layer. A Layer, with forward_inspect for the training guards.
class ConvNet {
public:
    using value_type = T;
    using Layers = siamese::Sequential<siamese::ConvReluPool<T>, siamese::ConvReluPool<T>, siamese::ConvReluPool<T>,
                                       siamese::ConvReluPool<T>, siamese::Flatten<T>, siamese::Linear<T>>;

    explicit ConvNet(Layers layers) : layers_(std::move(layers)) {
        layers_.set_input_grad(false);  // the images are data: conv1 never computes dL/dx
    }

    [[nodiscard]] std::string name() const { return "ConvNet(x/255, " + layers_.name() + ")"; }
    [[nodiscard]] siamese::Shape output_shape(const siamese::Shape& in) const { return layers_.output_shape(in); }
    const siamese::Tensor<T>& forward(const siamese::Tensor<T>& x) { return layers_.forward(scale(x)); }
    template <class Inspect>
    const siamese::Tensor<T>& forward_inspect(const siamese::Tensor<T>& x, Inspect&& inspect) {
        return layers_.forward_inspect(scale(x), std::forward<Inspect>(inspect));
    }
    const siamese::Tensor<T>& backward(const siamese::Tensor<T>& grad) { return layers_.backward(grad); }
    [[nodiscard]] siamese::ParamList<T> params() { return layers_.params(); }
    // Input gradients stay off whatever the caller asks: backward returns dL/d(x/255), not dL/dx.
    void set_input_grad(bool) noexcept {}

private:
    const siamese::Tensor<T>& scale(const siamese::Tensor<T>& x) {
        scaled_.resize(x.shape());
        for (index_t i = 0; i < x.size(); ++i) scaled_[i] = x[i] * (T(1) / T(255));
        return scaled_;
    }

    Layers layers_;
    siamese::Tensor<T> scaled_;
};

using Model = siamese::Siamese<ConvNet>;

/// The shape's limits, checked before any data is loaded or any weight allocated.
inline void check_shape(const NetConfig& c) {
    if (c.widths.size() != 4)
        throw std::invalid_argument("--widths: expected four channel counts, got " + c.widths_text());
    if (c.kernel < 1 || c.kernel % 2 == 0)
        throw std::invalid_argument("--kernel: must be odd, got " + std::to_string(c.kernel));
    if (c.kernel > c.side) {
        throw std::invalid_argument("--kernel: must be at most the image side (--side " + std::to_string(c.side) +
                                    "), got " + std::to_string(c.kernel));
    }
    if (c.embedding < 1 || c.embedding > max_channels) {
        throw std::invalid_argument("--embedding: must be from 1 to " + std::to_string(max_channels) + ", got " +
                                    std::to_string(c.embedding));
    }
    if (c.pooled_side() < 1) {
        throw std::invalid_argument("--side: four 2x2 pools need images of at least 16 pixels, got " +
                                    std::to_string(c.side));
    }
}

inline Model make_model(const NetConfig& c, siamese::Rng& rng) {
    check_shape(c);
    const siamese::Conv2dOptions same{1, c.kernel / 2};
    siamese::ConvReluPool<T> b1(1, c.widths[0], c.kernel, rng, same);
    siamese::ConvReluPool<T> b2(c.widths[0], c.widths[1], c.kernel, rng, same);
    siamese::ConvReluPool<T> b3(c.widths[1], c.widths[2], c.kernel, rng, same);
    siamese::ConvReluPool<T> b4(c.widths[2], c.widths[3], c.kernel, rng, same);
    const long flat = c.widths[3] * c.pooled_side() * c.pooled_side();
    siamese::Linear<T> embed(flat, c.embedding, rng);
    ConvNet net(ConvNet::Layers(std::move(b1), std::move(b2), std::move(b3), std::move(b4), siamese::Flatten<T>(),
                                std::move(embed)));
    Model model(std::move(net), siamese::Shape{1, c.side, c.side}, rng);
    if (c.he_init) {
        // PyTorch's default bound 1/sqrt(fan_in) shrinks activations by about sqrt(6) per ReLU
        // layer; without normalisation layers that starves the deeper blocks at the start.
        // sqrt(6) more is He-uniform, which keeps their scale.
        for (auto& p : model.params()) {
            if (p.name.rfind("backbone.", 0) == 0 && p.name.find("weight") != std::string::npos) {
                for (auto& v : *p.value) v *= static_cast<T>(std::sqrt(6.0));
            }
        }
    }
    return model;
}

/// The six parameterised layers in order (conv1..conv4, embedding, head): their parameter name prefixes.
inline const std::array<const char*, 6> layer_prefixes = {"backbone.0.", "backbone.1.", "backbone.2.",
                                                          "backbone.3.", "backbone.5.", "head."};

}  // namespace omniglot
