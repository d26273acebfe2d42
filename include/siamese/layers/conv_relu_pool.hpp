// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/conv_relu_pool.hpp>
#include <siamese/layers/conv2d.hpp>
#include <siamese/layers/layer.hpp>
#include <siamese/random.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace siamese {

/// Conv2d -> ReLU -> MaxPool2d(2) in one layer: [N, C, H, W] -> [N, OC, OH / 2, OW / 2], with
/// OH = (H + 2p - k) / s + 1 (a last odd conv row or column is dropped, as MaxPool2d(2) does).
/// Computes exactly what Sequential<Conv2d, ReLU, MaxPool2d> computes with the same weights,
/// without materialising the conv and ReLU outputs: the pool runs in the conv kernel's registers.
/// Weights, initialisation (same rng draws) and parameter names ("weight", "bias") are Conv2d's.
/// Caches the input (zero-padded, NHWC order, for the weight gradient) and one byte per output:
/// which pixel of its 2x2 window won, or that ReLU cut it.
template <class T = float>
class ConvReluPool {
public:
    using value_type = T;

    /// Weights [OC, C, k, k] and bias [OC], initialised like PyTorch's Conv2d from `rng`.
    ConvReluPool(index_t in_channels, index_t out_channels, index_t kernel_size, Rng& rng, Conv2dOptions options = {})
        : in_channels_(in_channels), out_channels_(out_channels), kernel_(kernel_size), options_(options) {
        if (in_channels < 1 || out_channels < 1 || kernel_size < 1 || options.stride < 1 || options.padding < 0) {
            throw shape_error("ConvReluPool: invalid configuration " + name());
        }
        weight_ = Tensor<T>(Shape{out_channels, in_channels, kernel_size, kernel_size});
        bias_ = Tensor<T>(Shape{out_channels});
        weight_grad_ = Tensor<T>(weight_.shape());
        bias_grad_ = Tensor<T>(bias_.shape());
        init_pytorch_default(weight_, bias_, in_channels * kernel_size * kernel_size, rng);
    }

    [[nodiscard]] std::string name() const {
        return "ConvReluPool(Conv2d(" + std::to_string(in_channels_) + ", " + std::to_string(out_channels_) +
               ", kernel_size=" + std::to_string(kernel_) + ", stride=" + std::to_string(options_.stride) +
               ", padding=" + std::to_string(options_.padding) + "), ReLU, MaxPool2d(kernel_size=2, stride=2))";
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const {
        // The conv output must hold at least one 2x2 window.
        const index_t min_side = kernel_ + options_.stride - 2 * options_.padding;
        if (in.rank() != 4 || in[1] != in_channels_ || in[2] < min_side || in[3] < min_side || in[2] < 1 ||
            in[3] < 1) {
            throw detail::bad_input(name(),
                                    "[N, " + std::to_string(in_channels_) + ", H, W] with H, W >= " +
                                        std::to_string(std::max<index_t>(min_side, 1)),
                                    in);
        }
        const auto g = geometry(in);
        return Shape{in[0], out_channels_, kernels::pooled_height(g), kernels::pooled_width(g)};
    }

    const Tensor<T>& forward(const Tensor<T>& x) {
        output_.resize(output_shape(x.shape()));
        const auto g = geometry(x.shape());
        const index_t N = x.dim(0);
        input_shape_ = x.shape();
        code_.resize(static_cast<std::size_t>(output_.size()));
        cache_.resize(Shape{N * kernels::conv_relu_pool_cache_size(g)});
        reserve(g);
        kernels::conv_relu_pool_forward(g, N, x.data(), weight_.data(), bias_.data(), output_.data(), code_.data(),
                                        cache_.data(), workspace_.data(), table_.data());
        forward_done_ = true;
        return output_;
    }

    const Tensor<T>& backward(const Tensor<T>& grad_out) {
        // The name (a heap string) is built only for the error message: backward allocates nothing.
        if (!forward_done_ || !(output_.shape() == grad_out.shape())) {
            detail::check_backward(name(), forward_done_, output_.shape(), grad_out.shape());
        }
        const auto g = geometry(input_shape_);
        reserve(g);
        T* dx = nullptr;
        if (input_grad_) {
            grad_input_.resize(input_shape_);
            dx = grad_input_.data();
        } else {
            grad_input_.resize(Shape{});
        }
        kernels::conv_relu_pool_backward(g, input_shape_[0], grad_out.data(), code_.data(), cache_.data(),
                                         weight_.data(), weight_grad_.data(), bias_grad_.data(), dx,
                                         workspace_.data(), table_.data());
        return grad_input_;
    }

    [[nodiscard]] ParamList<T> params() {
        return {{"weight", &weight_, &weight_grad_}, {"bias", &bias_, &bias_grad_}};
    }

    /// false: backward skips dL/dx (for a first layer whose input is data).
    void set_input_grad(bool enabled) noexcept { input_grad_ = enabled; }

    [[nodiscard]] Tensor<T>& weight() noexcept { return weight_; }
    [[nodiscard]] Tensor<T>& bias() noexcept { return bias_; }
    [[nodiscard]] const Tensor<T>& weight() const noexcept { return weight_; }
    [[nodiscard]] const Tensor<T>& bias() const noexcept { return bias_; }

private:
    [[nodiscard]] kernels::Conv2dGeometry geometry(const Shape& in) const noexcept {
        return {in[1], in[2], in[3], out_channels_, kernel_, kernel_, options_.stride, options_.padding};
    }

    // Grows the workspace for this geometry and the current thread count (never shrinks).
    void reserve(const kernels::Conv2dGeometry& g) {
        workspace_.resize(Shape{kernels::conv_relu_pool_workspace_size<T>(g, num_threads())});
        const auto table = static_cast<std::size_t>(kernels::conv_relu_pool_table_size(g));
        if (table_.size() < table) table_.resize(table);
    }

    index_t in_channels_, out_channels_, kernel_;
    Conv2dOptions options_;
    Tensor<T> weight_, bias_, weight_grad_, bias_grad_;
    Tensor<T> output_, grad_input_, cache_, workspace_;
    Shape input_shape_;
    std::vector<std::uint8_t> code_;
    std::vector<index_t> table_;
    bool forward_done_ = false;
    bool input_grad_ = true;
};

}  // namespace siamese
