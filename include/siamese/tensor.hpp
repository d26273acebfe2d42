// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/detail/aligned_buffer.hpp>
#include <siamese/detail/eigen.hpp>
#include <siamese/errors.hpp>
#include <siamese/shape.hpp>

#include <algorithm>
#include <array>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace siamese {

namespace detail {

template <class... I>
[[nodiscard]] index_t checked_offset(const Shape& shape, I... idx) {
    constexpr int n = static_cast<int>(sizeof...(I));
    if (n != shape.rank()) {
        throw std::out_of_range("Tensor: " + std::to_string(n) + " indices for a tensor of shape " + shape.str());
    }
    const std::array<index_t, sizeof...(I)> index{static_cast<index_t>(idx)...};
    index_t offset = 0;
    for (int i = 0; i < n; ++i) {
        const index_t k = index[static_cast<std::size_t>(i)];
        if (k < 0 || k >= shape[i]) {
            throw std::out_of_range("Tensor: index " + std::to_string(k) + " out of range for dimension " +
                                    std::to_string(i) + " of shape " + shape.str());
        }
        offset = offset * shape[i] + k;
    }
    return offset;
}

}  // namespace detail

/// A non-owning view of contiguous row-major data with a Shape: what the metrics and copy_into
/// take (the kernels take raw pointers and a geometry).
/// TensorView<const T> reads, TensorView<T> writes.
template <class T>
struct TensorView {
    T* data = nullptr;
    Shape shape;

    [[nodiscard]] index_t size() const noexcept { return shape.numel(); }
    [[nodiscard]] index_t dim(int i) const noexcept { return shape[i]; }
    [[nodiscard]] std::span<T> span() const noexcept { return {data, static_cast<std::size_t>(size())}; }

    /// The first element of sample n (along the first dimension).
    [[nodiscard]] T* sample(index_t n) const noexcept { return data + n * shape.sample_size(); }

    operator TensorView<const T>() const noexcept requires(!std::is_const_v<T>) { return {data, shape}; }
};

/// Owning, contiguous, 64-byte aligned tensor of rank 0..4 in row-major order (images NCHW).
/// T is float for training and double for gradient checks.
///
/// `resize` keeps the storage when it is large enough, so buffers owned by layers stop
/// allocating after the first batch; `reshape` never touches the data.
template <class T>
class Tensor {
    static_assert(std::is_floating_point_v<T>, "Tensor<T>: T must be float or double");

public:
    using value_type = T;

    Tensor() = default;

    /// A zero-filled tensor of the given shape.
    explicit Tensor(const Shape& shape) : Tensor(shape, T(0)) {}

    /// A tensor of the given shape with every element set to `fill`.
    Tensor(const Shape& shape, T fill) : storage_(shape.numel()), shape_(shape) { this->fill(fill); }

    Tensor(const Tensor&) = default;
    Tensor& operator=(const Tensor&) = default;
    /// A moved-from tensor is empty (shape [], no storage): the defaulted moves would empty the
    /// storage but keep the shape, leaving a size() > 0 over a null data().
    Tensor(Tensor&& other) noexcept
        : storage_(std::move(other.storage_)), shape_(std::exchange(other.shape_, Shape{})) {}
    Tensor& operator=(Tensor&& other) noexcept {
        if (this != &other) {
            storage_ = std::move(other.storage_);
            shape_ = std::exchange(other.shape_, Shape{});
        }
        return *this;
    }
    ~Tensor() = default;

    [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
    [[nodiscard]] int rank() const noexcept { return shape_.rank(); }
    /// Dimension i; unchecked, like Shape::operator[] and t[i]: i must be below rank().
    [[nodiscard]] index_t dim(int i) const noexcept { return shape_[i]; }
    [[nodiscard]] index_t size() const noexcept { return shape_.numel(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] index_t capacity() const noexcept { return storage_.capacity(); }

    [[nodiscard]] T* data() noexcept { return storage_.data(); }
    [[nodiscard]] const T* data() const noexcept { return storage_.data(); }
    [[nodiscard]] T* begin() noexcept { return data(); }
    [[nodiscard]] T* end() noexcept { return data() + size(); }
    [[nodiscard]] const T* begin() const noexcept { return data(); }
    [[nodiscard]] const T* end() const noexcept { return data() + size(); }
    [[nodiscard]] std::span<T> span() noexcept { return {data(), static_cast<std::size_t>(size())}; }
    [[nodiscard]] std::span<const T> span() const noexcept { return {data(), static_cast<std::size_t>(size())}; }

    /// Checked element access: one index per dimension, each within bounds (std::out_of_range otherwise).
    template <class... I>
    requires(sizeof...(I) >= 1 && sizeof...(I) <= 4 && (std::is_integral_v<I> && ...)) [[nodiscard]] T& operator()(
        I... idx) {
        return data()[detail::checked_offset(shape_, idx...)];
    }
    template <class... I>
    requires(sizeof...(I) >= 1 && sizeof...(I) <= 4 && (std::is_integral_v<I> && ...)) [[nodiscard]] const T&
    operator()(I... idx) const {
        return data()[detail::checked_offset(shape_, idx...)];
    }

    /// Unchecked flat access.
    [[nodiscard]] T& operator[](index_t i) noexcept { return data()[i]; }
    [[nodiscard]] const T& operator[](index_t i) const noexcept { return data()[i]; }

    /// Gives the tensor a new shape. Keeps the storage if it is large enough; the contents are
    /// unspecified unless the element count is unchanged (callers overwrite them).
    void resize(const Shape& shape) {
        storage_.reserve_discard(shape.numel());
        shape_ = shape;
    }

    /// Reinterprets the same elements with another shape of equal element count (no copy).
    void reshape(const Shape& shape) {
        if (shape.numel() != shape_.numel()) {
            throw shape_error("Tensor::reshape: cannot view " + shape_.str() + " (" + std::to_string(size()) +
                              " elements) as " + shape.str());
        }
        shape_ = shape;
    }

    void fill(T value) noexcept { std::fill_n(data(), size(), value); }
    void zero() noexcept { fill(T(0)); }

    [[nodiscard]] TensorView<T> view() noexcept { return {data(), shape_}; }
    [[nodiscard]] TensorView<const T> view() const noexcept { return {data(), shape_}; }

    /// A view of the same elements with another shape of equal element count (no copy).
    [[nodiscard]] TensorView<T> view(const Shape& shape) {
        check_view(shape);
        return {data(), shape};
    }
    [[nodiscard]] TensorView<const T> view(const Shape& shape) const {
        check_view(shape);
        return {data(), shape};
    }

private:
    void check_view(const Shape& shape) const {
        if (shape.numel() != size()) {
            throw shape_error("Tensor::view: cannot view " + shape_.str() + " as " + shape.str());
        }
    }

    detail::AlignedBuffer<T> storage_;
    Shape shape_;
};

/// Row-major Eigen matrix type used by as_matrix.
template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The tensor as a row-major matrix of dim(0) rows and size()/dim(0) columns, for linear algebra.
template <class T>
[[nodiscard]] Eigen::Map<RowMatrix<T>, Eigen::Aligned64> as_matrix(Tensor<T>& t) {
    const index_t rows = t.rank() == 0 ? 0 : t.dim(0);
    return {t.data(), rows, rows == 0 ? 0 : t.size() / rows};
}
template <class T>
[[nodiscard]] Eigen::Map<const RowMatrix<T>, Eigen::Aligned64> as_matrix(const Tensor<T>& t) {
    const index_t rows = t.rank() == 0 ? 0 : t.dim(0);
    return {t.data(), rows, rows == 0 ? 0 : t.size() / rows};
}

/// Copies `src` into `dst`, resizing `dst` to src's shape. `src` may be a mutable view too (T is
/// taken from `dst` alone, so the view converts).
template <class T>
void copy_into(Tensor<T>& dst, std::type_identity_t<TensorView<const T>> src) {
    dst.resize(src.shape);
    std::copy_n(src.data, src.size(), dst.data());
}

}  // namespace siamese
