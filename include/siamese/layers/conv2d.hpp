// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/conv2d.hpp>
#include <siamese/layers/layer.hpp>
#include <siamese/random.hpp>

#include <string>

namespace siamese {

/// Stride and zero padding of a Conv2d, equal on both axes.
struct Conv2dOptions {
    index_t stride = 1;
    index_t padding = 0;
};

/// 2-D convolution with bias: [N, C, H, W] -> [N, OC, OH, OW], OH = (H + 2p - k) / s + 1.
/// Caches a copy of its input for the weight gradient.
template <class T = float>
class Conv2d {
public:
    using value_type = T;

    /// Weights [OC, C, k, k] and bias [OC], initialised like PyTorch's default from `rng`.
    Conv2d(index_t in_channels, index_t out_channels, index_t kernel_size, Rng& rng, Conv2dOptions options = {})
        : in_channels_(in_channels), out_channels_(out_channels), kernel_(kernel_size), options_(options) {
        if (in_channels < 1 || out_channels < 1 || kernel_size < 1 || options.stride < 1 || options.padding < 0) {
            throw shape_error("Conv2d: invalid configuration " + name());
        }
        weight_ = Tensor<T>(Shape{out_channels, in_channels, kernel_size, kernel_size});
        bias_ = Tensor<T>(Shape{out_channels});
        weight_grad_ = Tensor<T>(weight_.shape());
        bias_grad_ = Tensor<T>(bias_.shape());
        init_pytorch_default(weight_, bias_, in_channels * kernel_size * kernel_size, rng);
    }

    [[nodiscard]] std::string name() const {
        return "Conv2d(" + std::to_string(in_channels_) + ", " + std::to_string(out_channels_) +
               ", kernel_size=" + std::to_string(kernel_) + ", stride=" + std::to_string(options_.stride) +
               ", padding=" + std::to_string(options_.padding) + ")";
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const {
        const index_t min_side = kernel_ - 2 * options_.padding;
        if (in.rank() != 4 || in[1] != in_channels_ || in[2] < min_side || in[3] < min_side || in[2] < 1 ||
            in[3] < 1) {
            throw detail::bad_input(name(),
                                    "[N, " + std::to_string(in_channels_) + ", H, W] with H, W >= " +
                                        std::to_string(std::max<index_t>(min_side, 1)),
                                    in);
        }
        const auto g = geometry(in);
        return Shape{in[0], out_channels_, g.out_height(), g.out_width()};
    }

    const Tensor<T>& forward(const Tensor<T>& x) {
        output_.resize(output_shape(x.shape()));
        const auto g = geometry(x.shape());
        copy_into(input_, x.view());
        workspace_.resize(Shape{kernels::conv2d_workspace_size<T>(g, num_threads())});
        kernels::conv2d_forward(g, x.dim(0), x.data(), weight_.data(), bias_.data(), output_.data(),
                                workspace_.data());
        forward_done_ = true;
        return output_;
    }

    const Tensor<T>& backward(const Tensor<T>& grad_out) {
        // The name (a heap string) is built only for the error message: backward allocates nothing.
        if (!forward_done_ || !(output_.shape() == grad_out.shape())) {
            detail::check_backward(name(), forward_done_, output_.shape(), grad_out.shape());
        }
        const auto g = geometry(input_.shape());
        const index_t N = input_.dim(0);
        workspace_.resize(Shape{kernels::conv2d_workspace_size<T>(g, num_threads())});
        kernels::conv2d_backward_weights(g, N, input_.data(), grad_out.data(), weight_grad_.data(),
                                         bias_grad_.data(), workspace_.data());
        if (!input_grad_) {
            grad_input_.resize(Shape{});
            return grad_input_;
        }
        grad_input_.resize(input_.shape());
        kernels::conv2d_backward_data(g, N, grad_out.data(), weight_.data(), grad_input_.data(), workspace_.data());
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

    index_t in_channels_, out_channels_, kernel_;
    Conv2dOptions options_;
    Tensor<T> weight_, bias_, weight_grad_, bias_grad_;
    Tensor<T> input_, output_, grad_input_, workspace_;
    bool forward_done_ = false;
    bool input_grad_ = true;
};

}  // namespace siamese
