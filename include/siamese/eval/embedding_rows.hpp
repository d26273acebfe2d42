// SPDX-License-Identifier: MIT
#pragma once

// Checks on a matrix of embeddings ([N, D], one row per image) before it is read by index.
// Every evaluation that looks up images' embeddings by their index in an image set uses
// these, so that embeddings of another image set fail with a message instead of reading
// past the buffer.

#include <siamese/config.hpp>
#include <siamese/errors.hpp>
#include <siamese/tensor.hpp>

#include <span>
#include <string>

namespace siamese::eval::detail {

/// Throws shape_error unless `embeddings` is [N, D] with N, D >= 1.
template <class T>
void require_matrix(const Tensor<T>& embeddings, const char* who) {
    if (embeddings.rank() != 2 || embeddings.dim(0) < 1 || embeddings.dim(1) < 1) {
        throw shape_error(std::string(who) + ": expected embeddings [N, D] with N, D >= 1, got " +
                          embeddings.shape().str());
    }
}

/// Throws shape_error unless `row` is a row of `embeddings` ([N, D]): an index from another,
/// larger image set than the one embedded would read past the end.
template <class T>
void require_row(const Tensor<T>& embeddings, index_t row, const char* who) {
    if (row < 0 || row >= embeddings.dim(0)) {
        throw shape_error(std::string(who) + ": image index " + std::to_string(row) + " out of range for embeddings " +
                          embeddings.shape().str() + " (embeddings of another image set?)");
    }
}

/// require_row for a query and all its candidates, before any of them is read.
template <class T>
void require_rows(const Tensor<T>& embeddings, index_t query, std::span<const index_t> candidates, const char* who) {
    require_row(embeddings, query, who);
    for (const index_t c : candidates) require_row(embeddings, c, who);
}

}  // namespace siamese::eval::detail
