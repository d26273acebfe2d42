// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/labelled_images.hpp>
#include <siamese/eval/scorer.hpp>
#include <siamese/tensor.hpp>

#include <cmath>
#include <cstdint>
#include <span>

namespace siamese::eval {

/// The images' raw pixel values (0..255) as embeddings, one row per image: [N, C*H*W]. With
/// retrieval_metrics(..., Distance::l2) this is the raw-pixel nearest-neighbour baseline.
template <class T = float>
[[nodiscard]] Tensor<T> pixel_embeddings(const data::LabelledImages& images) {
    Tensor<T> out(Shape{images.size(), images.image_size()});
    for (index_t i = 0; i < images.size(); ++i) images.copy_image(i, out.data() + i * images.image_size());
    return out;
}

/// The raw-pixel nearest-neighbour baseline as a scorer: minus the Euclidean distance between
/// two images' raw pixel values, read straight from the set's bytes (no copy). A model that
/// does not beat it has learned nothing its input did not already show. Usable with
/// few_shot_accuracy and retrieval_metrics; keeps a reference to the set. An index outside
/// the set throws shape_error.
class PixelScorer {
public:
    explicit PixelScorer(const data::LabelledImages& images) : images_(&images) {}
    explicit PixelScorer(data::LabelledImages&&) = delete;  // would dangle

    /// out[k] = -||pixels(query) - pixels(candidates[k])||
    void operator()(index_t query, std::span<const index_t> candidates, std::span<double> out) const {
        detail::require_score_per_candidate(candidates.size(), out.size(), "PixelScorer");
        detail::require_images(images_->size(), query, candidates, "PixelScorer");
        const std::uint8_t* q = images_->image(query).data();
        const index_t size = images_->image_size();
        for (std::size_t k = 0; k < candidates.size(); ++k) {
            const std::uint8_t* c = images_->image(candidates[k]).data();
            // Exact in 64-bit integers: 255^2 per pixel, far from overflow at any image size.
            std::int64_t sum = 0;
            for (index_t p = 0; p < size; ++p) {
                const std::int64_t d = static_cast<std::int64_t>(q[p]) - static_cast<std::int64_t>(c[p]);
                sum += d * d;
            }
            out[k] = -std::sqrt(static_cast<double>(sum));
        }
    }

private:
    const data::LabelledImages* images_;
};

}  // namespace siamese::eval
