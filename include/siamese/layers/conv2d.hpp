// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/conv2d.hpp>
#include <siamese/layers/layer.hpp>
#include <siamese/layers/weight_and_bias.hpp>
#include <siamese/random.hpp>

#include <limits>
#include <string>

namespace siamese {

/// Stride and zero padding of a Conv2d, equal on both axes.
struct Conv2dOptions {
    index_t stride = 1;
    index_t padding = 0;
};

/// "Conv2d(C, OC, kernel_size=k, stride=s, padding=p)": how Conv2d, and ConvReluPool for its
/// convolution, name themselves in messages and model summaries.
inline std::string conv2d_name(index_t in_channels, index_t out_channels, index_t kernel_size, Conv2dOptions options) {
    return "Conv2d(" + std::to_string(in_channels) + ", " + std::to_string(out_channels) +
           ", kernel_size=" + std::to_string(kernel_size) + ", stride=" + std::to_string(options.stride) +
           ", padding=" + std::to_string(options.padding) + ")";
}

/// A convolution's weight [OC, C, k, k] and bias [OC], initialised like PyTorch's Conv2d from `rng`;
/// a configuration that makes no sense (a size below 1, negative or overflowing padding) is a
/// shape_error naming `layer`.
template <class T>
[[nodiscard]] WeightAndBias<T> conv2d_parameters(const char* layer, index_t in_channels, index_t out_channels,
                                                 index_t kernel_size, Conv2dOptions options, Rng& rng) {
    // A padding past a quarter of index_t's range would overflow the output size's H + 2 padding.
    constexpr index_t max_padding = std::numeric_limits<index_t>::max() / 4;
    if (in_channels < 1 || out_channels < 1 || kernel_size < 1 || options.stride < 1 || options.padding < 0 ||
        options.padding > max_padding) {
        throw shape_error(std::string(layer) + ": invalid configuration " +
                          conv2d_name(in_channels, out_channels, kernel_size, options));
    }
    // The Shape first: it refuses a weight count that overflows, which C * k * k would compute.
    const Shape weight_shape = [&] {
        try {
            return Shape{out_channels, in_channels, kernel_size, kernel_size};
        } catch (const shape_error& e) {
            throw shape_error(std::string(layer) + ": invalid configuration " +
                              conv2d_name(in_channels, out_channels, kernel_size, options) + ": " + e.what());
        }
    }();
    return WeightAndBias<T>(weight_shape, weight_shape.numel() / out_channels, rng);
}

/// 2-D convolution with bias: [N, C, H, W] -> [N, OC, OH, OW], OH = (H + 2p - k) / s + 1.
/// Caches a copy of its input for the weight gradient.
template <class T = float>
class Conv2d {
public:
    using value_type = T;

    /// Weights [OC, C, k, k] and bias [OC], initialised like PyTorch's default from `rng`.
    Conv2d(index_t in_channels, index_t out_channels, index_t kernel_size, Rng& rng, Conv2dOptions options = {})
        : in_channels_(in_channels),
          out_channels_(out_channels),
          kernel_(kernel_size),
          options_(options),
          parameters_(conv2d_parameters<T>("Conv2d", in_channels, out_channels, kernel_size, options, rng)) {}

    [[nodiscard]] std::string name() const { return conv2d_name(in_channels_, out_channels_, kernel_, options_); }

    [[nodiscard]] Shape output_shape(const Shape& in) const {
        const index_t min_side = kernel_ - 2 * options_.padding;
        if (in.rank() != 4 || in[1] != in_channels_ || in[2] < min_side || in[3] < min_side || in[2] < 1 || in[3] < 1) {
            throw detail::bad_input(name(),
                                    "[N, " + std::to_string(in_channels_) +
                                        ", H, W] with H, W >= " + std::to_string(std::max<index_t>(min_side, 1)),
                                    in);
        }
        const auto g = geometry(in);
        return Shape{in[0], out_channels_, g.out_height(), g.out_width()};
    }

    const Tensor<T>& forward(const Tensor<T>& x) {
        detail::check_not_own_output(*this, x, output_);
        const Shape out = output_shape(x.shape());
        forward_done_ = false;  // until every cache holds this pass (layer.hpp: a failed forward leaves none)
        output_.resize(out);
        const auto g = geometry(x.shape());
        copy_into(input_, x.view());
        workspace_.resize(Shape{kernels::conv2d_workspace_size<T>(g, num_threads())});
        kernels::conv2d_forward(g, x.dim(0), x.data(), parameters_.weight.data(), parameters_.bias.data(),
                                output_.data(), workspace_.data());
        forward_done_ = true;
        return output_;
    }

    const Tensor<T>& backward(const Tensor<T>& grad_out) {
        detail::check_backward(*this, forward_done_, output_.shape(), grad_out.shape());
        const auto g = geometry(input_.shape());
        const index_t N = input_.dim(0);
        workspace_.resize(Shape{kernels::conv2d_workspace_size<T>(g, num_threads())});
        kernels::conv2d_backward_weights(g, N, input_.data(), grad_out.data(), parameters_.weight_grad.data(),
                                         parameters_.bias_grad.data(), workspace_.data());
        if (!input_grad_) {
            grad_input_.resize(Shape{});
            return grad_input_;
        }
        grad_input_.resize(input_.shape());
        kernels::conv2d_backward_data(g, N, grad_out.data(), parameters_.weight.data(), grad_input_.data(),
                                      workspace_.data());
        return grad_input_;
    }

    [[nodiscard]] ParamList<T> params() { return parameters_.params(); }

    /// false: backward skips dL/dx (for a first layer whose input is data).
    void set_input_grad(bool enabled) noexcept { input_grad_ = enabled; }

    [[nodiscard]] Tensor<T>& weight() noexcept { return parameters_.weight; }
    [[nodiscard]] Tensor<T>& bias() noexcept { return parameters_.bias; }
    [[nodiscard]] const Tensor<T>& weight() const noexcept { return parameters_.weight; }
    [[nodiscard]] const Tensor<T>& bias() const noexcept { return parameters_.bias; }

private:
    [[nodiscard]] kernels::Conv2dGeometry geometry(const Shape& in) const noexcept {
        return {in[1], in[2], in[3], out_channels_, kernel_, kernel_, options_.stride, options_.padding};
    }

    index_t in_channels_, out_channels_, kernel_;
    Conv2dOptions options_;
    WeightAndBias<T> parameters_;
    Tensor<T> input_, output_, grad_input_, workspace_;
    bool forward_done_ = false;
    bool input_grad_ = true;
};

}  // namespace siamese
