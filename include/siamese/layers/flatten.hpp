// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/layers/layer.hpp>

#include <algorithm>
#include <string>

namespace siamese {

/// [N, C, H, W] (or any rank >= 2) -> [N, C*H*W]. Caches only the input shape.
template <class T = float>
class Flatten {
public:
    using value_type = T;

    [[nodiscard]] std::string name() const { return "Flatten"; }

    [[nodiscard]] Shape output_shape(const Shape& in) const {
        if (in.rank() < 2) throw detail::bad_input(name(), "[N, ...] of rank 2 to 4", in);
        return Shape{in[0], in.sample_size()};
    }

    const Tensor<T>& forward(const Tensor<T>& x) {
        detail::check_not_own_output(*this, x, output_);
        const Shape out = output_shape(x.shape());
        forward_done_ = false;  // until every cache holds this pass (layer.hpp: a failed forward leaves none)
        output_.resize(out);
        input_shape_ = x.shape();
        std::copy_n(x.data(), x.size(), output_.data());
        forward_done_ = true;
        return output_;
    }

    const Tensor<T>& backward(const Tensor<T>& grad_out) {
        detail::check_backward(*this, forward_done_, output_.shape(), grad_out.shape());
        grad_input_.resize(input_shape_);
        std::copy_n(grad_out.data(), grad_out.size(), grad_input_.data());
        return grad_input_;
    }

    [[nodiscard]] ParamList<T> params() { return {}; }

private:
    Shape input_shape_;
    Tensor<T> output_, grad_input_;
    bool forward_done_ = false;
};

}  // namespace siamese
