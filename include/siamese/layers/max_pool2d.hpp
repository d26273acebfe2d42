// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/kernels/max_pool2d.hpp>
#include <siamese/layers/layer.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace siamese {

/// Max-pooling over kernel x kernel windows: [N, C, H, W] -> [N, C, OH, OW], OH = (H - k) / s + 1
/// (a partial window at the border is dropped, as in PyTorch). Caches the argmax of each window;
/// backward routes each gradient to it.
template <class T = float>
class MaxPool2d {
public:
    using value_type = T;

    /// stride 0 (the default) means stride = kernel_size, as PyTorch's stride=None; a kernel_size
    /// below 1 or a negative stride is a shape_error naming both.
    explicit MaxPool2d(index_t kernel_size, index_t stride = 0)
        : kernel_(kernel_size), stride_(stride == 0 ? kernel_size : stride) {
        // Only 0 stands for the kernel size: a negative stride is a mistake, not a request for the default.
        if (kernel_size < 1 || stride < 0) {
            throw shape_error("MaxPool2d: invalid configuration kernel_size=" + std::to_string(kernel_size) +
                              ", stride=" + std::to_string(stride) +
                              " (kernel_size must be at least 1, stride at least 1, or 0 for the kernel size)");
        }
    }

    [[nodiscard]] std::string name() const {
        return "MaxPool2d(kernel_size=" + std::to_string(kernel_) + ", stride=" + std::to_string(stride_) + ")";
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const {
        if (in.rank() != 4 || in[1] < 1 || in[2] < kernel_ || in[3] < kernel_) {
            throw detail::bad_input(name(), "[N, C, H, W] with H, W >= " + std::to_string(kernel_), in);
        }
        const auto g = geometry(in);
        return Shape{in[0], in[1], g.out_height(), g.out_width()};
    }

    const Tensor<T>& forward(const Tensor<T>& x) {
        detail::check_not_own_output(*this, x, output_);
        const Shape out = output_shape(x.shape());
        forward_done_ = false;  // until every cache holds this pass (layer.hpp: a failed forward leaves none)
        output_.resize(out);
        input_shape_ = x.shape();
        argmax_.resize(static_cast<std::size_t>(output_.size()));
        kernels::max_pool2d_forward(geometry(x.shape()), x.dim(0), x.data(), output_.data(), argmax_.data());
        forward_done_ = true;
        return output_;
    }

    const Tensor<T>& backward(const Tensor<T>& grad_out) {
        detail::check_backward(*this, forward_done_, output_.shape(), grad_out.shape());
        grad_input_.resize(input_shape_);
        kernels::max_pool2d_backward(geometry(input_shape_), input_shape_[0], grad_out.data(), argmax_.data(),
                                     grad_input_.data());
        return grad_input_;
    }

    [[nodiscard]] ParamList<T> params() { return {}; }

private:
    [[nodiscard]] kernels::Pool2dGeometry geometry(const Shape& in) const noexcept {
        return {in[1], in[2], in[3], kernel_, stride_};
    }

    index_t kernel_, stride_;
    Shape input_shape_;
    Tensor<T> output_, grad_input_;
    std::vector<std::int32_t> argmax_;
    bool forward_done_ = false;
};

}  // namespace siamese
