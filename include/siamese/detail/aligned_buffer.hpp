// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace siamese::detail {

/// Owning, 64-byte aligned storage of `capacity` elements of T. Grows, never shrinks;
/// a grow discards the contents (callers rewrite them), so a reused buffer never reallocates.
template <class T>
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(index_t n) { reserve_discard(n); }

    AlignedBuffer(const AlignedBuffer& other) {
        reserve_discard(other.capacity_);
        if (other.capacity_ > 0) std::copy_n(other.data_, other.capacity_, data_);
    }
    AlignedBuffer& operator=(const AlignedBuffer& other) {
        if (this != &other) {
            AlignedBuffer copy(other);
            swap(copy);
        }
        return *this;
    }
    AlignedBuffer(AlignedBuffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}
    AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
        AlignedBuffer moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~AlignedBuffer() { release(); }

    void swap(AlignedBuffer& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(capacity_, other.capacity_);
    }

    /// Ensures room for n elements; contents are unspecified afterwards if it had to grow. On an
    /// exception (std::length_error, std::bad_alloc) the buffer is unchanged.
    void reserve_discard(index_t n) {
        if (n <= capacity_) return;
        // As std::vector: a byte count beyond PTRDIFF_MAX is refused, never wrapped around.
        if (static_cast<std::size_t>(n) > static_cast<std::size_t>(std::numeric_limits<index_t>::max()) / sizeof(T))
            [[unlikely]] {
            throw std::length_error("AlignedBuffer: " + std::to_string(n) + " elements of " +
                                    std::to_string(sizeof(T)) + " bytes exceed the largest possible allocation");
        }
        // Allocated before the old storage is freed, as std::vector does: a std::bad_alloc leaves
        // the buffer (and the tensor's shape over it) as it was.
        const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(T);
        T* grown = static_cast<T*>(::operator new (bytes, std::align_val_t{tensor_alignment}));
        release();
        data_ = grown;
        capacity_ = n;
    }

    [[nodiscard]] T* data() noexcept { return data_; }
    [[nodiscard]] const T* data() const noexcept { return data_; }
    [[nodiscard]] index_t capacity() const noexcept { return capacity_; }

private:
    void release() noexcept {
        if (data_) ::operator delete (data_, std::align_val_t{tensor_alignment});
        data_ = nullptr;
        capacity_ = 0;
    }

    T* data_ = nullptr;
    index_t capacity_ = 0;
};

}  // namespace siamese::detail
