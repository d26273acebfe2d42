// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/data/class_members.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/random.hpp>
#include <siamese/tensor.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::data {

/// One batch of B triplets, owned by the caller and refilled in place by TripletSampler.
template <class T = float>
struct TripletBatch {
    Tensor<T> images;               ///< [3B, C, H, W]: the B anchors, then the B positives, then the B negatives
    std::vector<label_t> labels;    ///< [3B] class of each image, in the same order
    std::vector<index_t> anchor;    ///< [B] image index (into the sampled set) of each anchor
    std::vector<index_t> positive;  ///< [B] an image of the anchor's class, never the anchor itself
    std::vector<index_t> negative;  ///< [B] an image of another class

    /// Number of triplets B.
    [[nodiscard]] index_t size() const noexcept { return static_cast<index_t>(anchor.size()); }
};

/// Draws triplets (anchor, positive, negative) for TripletMarginLoss::forward_triplets. Each
/// triplet draws the anchor's class uniformly among the classes with at least two images, the
/// anchor and the positive as two distinct random images of it, and the negative as a random
/// image of a class drawn uniformly from all the other classes. The stream of batches depends
/// only on the seed and the image set.
///
/// The sampler keeps a reference to the image set, which must outlive it and stay as it was:
/// a draw that finds the set changed (another size, an image of another class) throws
/// std::logic_error.
class TripletSampler {
public:
    /// The generator's full state, for checkpoints.
    using State = Rng::State;

    /// Indexes `images` by class; throws std::invalid_argument when it has fewer than two
    /// classes or no class with two images.
    TripletSampler(const LabelledImages& images, std::uint64_t seed)
        : images_(&images), rng_(seed), indexed_(images), members_(class_members(images)) {
        if (members_.size() < 2) {
            throw std::invalid_argument("TripletSampler: negatives need at least 2 classes, the image set has " +
                                        std::to_string(members_.size()));
        }
        for (std::size_t c = 0; c < members_.size(); ++c) {
            if (members_[c].size() >= 2) anchorable_.push_back(static_cast<index_t>(c));
        }
        if (anchorable_.empty()) {
            throw std::invalid_argument(
                "TripletSampler: positives need a class with at least 2 images, every one of the " +
                std::to_string(members_.size()) + " classes has a single image");
        }
    }
    /// A temporary image set would dangle.
    TripletSampler(LabelledImages&&, std::uint64_t) = delete;

    /// Draws B = anchor.size() triplets' image indices (positive and negative must be as long, or
    /// shape_error).
    void sample_indices(std::span<index_t> anchor, std::span<index_t> positive, std::span<index_t> negative) {
        if (positive.size() != anchor.size() || negative.size() != anchor.size()) {
            throw shape_error("TripletSampler: " + std::to_string(anchor.size()) + " anchor, " +
                              std::to_string(positive.size()) + " positive and " + std::to_string(negative.size()) +
                              " negative indices");
        }
        indexed_.check_size(name_, *images_);
        const auto n_classes = static_cast<index_t>(members_.size());
        for (std::size_t i = 0; i < anchor.size(); ++i) {
            const index_t c = anchorable_[at(rng_.uniform_int(static_cast<index_t>(anchorable_.size())))];
            const auto& m = members_[at(c)];
            const auto n = static_cast<index_t>(m.size());
            const index_t a = rng_.uniform_int(n);
            const index_t p = rng_.uniform_int(n - 1);
            anchor[i] = m[at(a)];
            positive[i] = m[at(p >= a ? p + 1 : p)];  // any image of c but the anchor
            const index_t k = rng_.uniform_int(n_classes - 1);
            const index_t other = k >= c ? k + 1 : k;  // uniform over the classes other than c
            const auto& o = members_[at(other)];
            negative[i] = o[at(rng_.uniform_int(static_cast<index_t>(o.size())))];
            indexed_.check_member(name_, *images_, anchor[i], c);
            indexed_.check_member(name_, *images_, positive[i], c);
            indexed_.check_member(name_, *images_, negative[i], other);
        }
    }

    /// Fills `batch` with B triplets: images [3B, C, H, W] (anchors, positives, negatives; raw
    /// 0..255), labels and indices. Reuses the batch's storage: no allocation once it has held a
    /// batch this large.
    template <class T>
    void sample(index_t batch_size, TripletBatch<T>& batch) {
        if (batch_size < 1) {
            throw std::invalid_argument("TripletSampler: batch size must be positive, got " +
                                        std::to_string(batch_size));
        }
        const auto b = static_cast<std::size_t>(batch_size);
        batch.anchor.resize(b);
        batch.positive.resize(b);
        batch.negative.resize(b);
        // Every allocation before the first draw: a std::bad_alloc leaves the stream where it was.
        batch.images.resize(images_->batch_shape(3 * batch_size));
        batch.labels.resize(3 * b);
        sample_indices(batch.anchor, batch.positive, batch.negative);
        const index_t s = images_->image_size();
        const std::vector<index_t>* parts[] = {&batch.anchor, &batch.positive, &batch.negative};
        for (std::size_t part = 0; part < 3; ++part) {
            for (std::size_t i = 0; i < b; ++i) {
                const index_t image = (*parts[part])[i];
                const std::size_t row = part * b + i;
                images_->copy_image(image, batch.images.data() + static_cast<index_t>(row) * s);
                batch.labels[row] = images_->labels()[at(image)];
            }
        }
    }

    /// The generator state: restoring it with set_state resumes the exact stream of batches.
    [[nodiscard]] State state() const noexcept { return rng_.state(); }
    /// Restores a state saved with state().
    void set_state(const State& s) noexcept { rng_.set_state(s); }

    /// The image set triplets are drawn from.
    [[nodiscard]] const LabelledImages& images() const noexcept { return *images_; }
    /// Positions (into images().classes()) of the classes anchors are drawn from.
    [[nodiscard]] const std::vector<index_t>& anchor_classes() const noexcept { return anchorable_; }

private:
    static std::size_t at(index_t i) noexcept { return static_cast<std::size_t>(i); }

    static constexpr const char* name_ = "TripletSampler";
    const LabelledImages* images_;
    Rng rng_;
    IndexedSet indexed_;
    std::vector<std::vector<index_t>> members_;  // image indices of each class, in classes() order
    std::vector<index_t> anchorable_;            // classes with at least 2 images
};

}  // namespace siamese::data
