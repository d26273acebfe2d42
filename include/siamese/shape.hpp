// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/errors.hpp>

#include <array>
#include <initializer_list>
#include <limits>
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
        check_size("Shape");
    }

    [[nodiscard]] constexpr int rank() const noexcept { return rank_; }

    /// Dimension i; i must be below rank().
    [[nodiscard]] constexpr index_t operator[](int i) const noexcept { return dims_[static_cast<std::size_t>(i)]; }

    /// Number of elements; 0 for rank 0. Never overflows: the constructors reject a shape whose
    /// element count (or sample size) does not fit index_t.
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

    /// The same shape with the first dimension replaced; shape_error for a shape of rank 0.
    [[nodiscard]] Shape with_batch(index_t n) const {
        if (rank_ < 1) throw shape_error("Shape::with_batch: the shape [] has no first dimension to replace");
        if (n < 0) throw shape_error("Shape::with_batch: negative dimension " + std::to_string(n));
        Shape s = *this;
        s.dims_[0] = n;
        s.check_size("Shape::with_batch");
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
    // The product of the non-zero dimensions must fit index_t: it bounds both numel() and
    // sample_size(), so neither can overflow (even when a zero dimension hides a huge rest).
    void check_size(const char* who) const {
        index_t product = 1;
        bool overflow = false;
        for (int i = 0; i < rank_; ++i) {
            const index_t d = dims_[static_cast<std::size_t>(i)];
            overflow |= __builtin_mul_overflow(product, d + (d == 0), &product);
        }
        if (overflow) [[unlikely]] {
            too_large(who);
        }
    }
    [[noreturn, gnu::noinline, gnu::cold]] void too_large(const char* who) const {
        throw shape_error(std::string(who) + ": " + str() + " has more elements than index_t can count (at most " +
                          std::to_string(std::numeric_limits<index_t>::max()) + ")");
    }

    std::array<index_t, max_rank> dims_{};
    int rank_ = 0;
};

}  // namespace siamese
