// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/embedding_rows.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::eval {

/// Embeds every image of `images` with the model's backbone, `chunk` images at a time (bounding
/// the activations' memory): [N, D]. Evaluation embeds each image once and then scores any
/// number of pairs from the embeddings (Siamese::logits_from_embeddings). `prepare` sees each
/// chunk's batch [n, C, H, W] before the backbone, in image order, and may change it in place
/// (e.g. distort the images, for embeddings of distorted views), keeping one image per row.
/// An empty set gives [0, D] from a model that knows its D (embedding_dim(), as Siamese does),
/// else an empty tensor []. Throws std::invalid_argument when chunk < 1, shape_error when a
/// chunk's embeddings are not one row per image of the chunk.
template <class Model, class Prepare>
[[nodiscard]] Tensor<typename Model::value_type> embed_all(Model& model, const data::LabelledImages& images,
                                                           index_t chunk, Prepare&& prepare) {
    using T = typename Model::value_type;
    if (chunk < 1) throw std::invalid_argument("embed_all: chunk must be at least 1, got " + std::to_string(chunk));
    const index_t n = images.size();
    Tensor<T> out;
    if constexpr (requires { model.embedding_dim(); }) {
        if (n == 0) return Tensor<T>(Shape{0, static_cast<index_t>(model.embedding_dim())});
    }
    Tensor<T> batch;
    std::vector<index_t> indices;
    for (index_t start = 0; start < n; start += chunk) {
        const index_t count = std::min(chunk, n - start);
        indices.resize(static_cast<std::size_t>(count));
        std::iota(indices.begin(), indices.end(), start);
        images.copy_images(std::span<const index_t>(indices), batch);
        prepare(batch);
        const Tensor<T>& e = model.embed(batch);
        if (out.empty() && e.rank() == 2) out = Tensor<T>(Shape{n, e.dim(1)});
        // A prepare that adds or drops images (views appended to the batch) would write past out.
        if (e.rank() != 2 || e.dim(0) != count || e.dim(1) != out.dim(1)) {
            throw shape_error("embed_all: expected one embedding row per image of a chunk of " + std::to_string(count) +
                              " images, got " + e.shape().str() + " from the batch " + batch.shape().str() +
                              " (prepare must keep one image per row)");
        }
        std::copy_n(e.data(), e.size(), out.data() + start * e.dim(1));
    }
    return out;
}

/// embed_all with the images as they are.
template <class Model>
[[nodiscard]] Tensor<typename Model::value_type> embed_all(Model& model, const data::LabelledImages& images,
                                                           index_t chunk = 500) {
    return embed_all(model, images, chunk, [](Tensor<typename Model::value_type>&) {});
}

/// Gathers rows of `embeddings` ([N, D]) into `out` ([indices.size(), D]). Throws shape_error
/// when there are indices and the embeddings are not a matrix, or an index is not one of their
/// rows (embeddings of another image set).
template <class T>
void gather_rows(const Tensor<T>& embeddings, std::span<const index_t> indices, Tensor<T>& out) {
    if (!indices.empty() && embeddings.rank() != 2) {
        throw shape_error("gather_rows: expected embeddings [N, D], got " + embeddings.shape().str());
    }
    for (const index_t i : indices) detail::require_row(embeddings, i, "gather_rows");
    const index_t d = embeddings.dim(1);
    out.resize(Shape{static_cast<index_t>(indices.size()), d});
    for (std::size_t i = 0; i < indices.size(); ++i) {
        std::copy_n(embeddings.data() + indices[i] * d, d, out.data() + static_cast<index_t>(i) * d);
    }
}

}  // namespace siamese::eval
