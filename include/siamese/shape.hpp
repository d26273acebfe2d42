// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/errors.hpp>

#include <array>
#include <initializer_list>
#include <string>

namespace siamese {

/// The dimensions of a tensor: rank 0 to 4, row-major, images as [N, C, H, W].
/// A default-constructed Shape has rank 0 and describes an empty tensor (numel 0).
class Shape {
public:
    static constexpr int max_rank = 4;

    constexpr Shape() = default;

    Shape(std::initializer_list<index_t> dims) {
        if (dims.size() > static_cast<std::size_t>(max_rank)) {
            throw shape_error("Shape: rank " + std::to_string(dims.size()) + " exceeds the maximum rank 4");
        }
        for (index_t d : dims) {
            if (d < 0) throw shape_error("Shape: negative dimension " + std::to_string(d));
            dims_[static_cast<std::size_t>(rank_++)] = d;
        }
    }

    [[nodiscard]] constexpr int rank() const noexcept { return rank_; }

    /// Dimension i; i must be below rank().
    [[nodiscard]] constexpr index_t operator[](int i) const noexcept { return dims_[static_cast<std::size_t>(i)]; }

    /// Number of elements; 0 for rank 0.
    [[nodiscard]] constexpr index_t numel() const noexcept {
        if (rank_ == 0) return 0;
        index_t n = 1;
        for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<std::size_t>(i)];
        return n;
    }

    /// Product of the dimensions after the first: the size of one sample.
    [[nodiscard]] constexpr index_t sample_size() const noexcept {
        index_t n = 1;
        for (int i = 1; i < rank_; ++i) n *= dims_[static_cast<std::size_t>(i)];
        return rank_ == 0 ? 0 : n;
    }

    /// The same shape with the first dimension replaced (rank must be at least 1).
    [[nodiscard]] Shape with_batch(index_t n) const {
        Shape s = *this;
        s.dims_[0] = n;
        return s;
    }

    friend constexpr bool operator==(const Shape& a, const Shape& b) noexcept {
        if (a.rank_ != b.rank_) return false;
        for (int i = 0; i < a.rank_; ++i) {
            if (a.dims_[static_cast<std::size_t>(i)] != b.dims_[static_cast<std::size_t>(i)]) return false;
        }
        return true;
    }

    /// "[200, 1, 28, 28]"
    [[nodiscard]] std::string str() const {
        std::string s = "[";
        for (int i = 0; i < rank_; ++i) {
            if (i) s += ", ";
            s += std::to_string(dims_[static_cast<std::size_t>(i)]);
        }
        return s + "]";
    }

private:
    std::array<index_t, max_rank> dims_{};
    int rank_ = 0;
};

}  // namespace siamese
