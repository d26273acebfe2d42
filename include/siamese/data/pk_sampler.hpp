// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/data/class_members.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/random.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace siamese::data {

/// What PkSampler does with a class that has fewer than K images (but at least 2).
enum class SmallClasses {
    with_replacement,  ///< draw it: each of its n images once, then K - n repeats drawn uniformly
    skip,              ///< never draw it
};

/// Batch geometry of PkSampler.
struct PkOptions {
    index_t p = 8;  ///< classes per batch
    index_t k = 4;  ///< images per class (at most the number of images in the set)
    SmallClasses small_classes = SmallClasses::with_replacement;
};

/// One class-balanced batch of P x K images, owned by the caller and refilled in place.
template <class T = float>
struct PkBatch {
    Tensor<T> images;              ///< [P*K, C, H, W]: K images of the first drawn class, then K of the next, ...
    std::vector<label_t> labels;   ///< [P*K] class of each image
    std::vector<index_t> indices;  ///< [P*K] image index (into the sampled set) of each image

    [[nodiscard]] index_t size() const noexcept { return static_cast<index_t>(labels.size()); }  ///< P*K
};

/// The P x K sampler of batch-hard triplet training (Hermans, Beyer & Leibe 2017): each batch
/// draws P distinct classes uniformly, then K distinct images of each, so every anchor has
/// K - 1 positives and (P - 1) K negatives in the batch. A class with a single image can give
/// no positive and is never drawn; a class with 2..K-1 images is drawn with repeats or skipped
/// (PkOptions::small_classes). The stream of batches depends only on the seed and the image
/// set, and a batch allocates nothing once the caller's buffers have held one.
///
/// The sampler keeps a reference to the image set, which must outlive it and stay as it was:
/// a draw that finds the set changed (another size, an image of another class) throws
/// std::logic_error.
class PkSampler {
public:
    /// The generator's full state, for checkpoints.
    using State = Rng::State;

    /// Throws std::invalid_argument when p < 2 or k < 2 (a batch needs negatives and
    /// positives), when k exceeds the number of images in the set (no class can have more, so
    /// such a K would only repeat images), when a batch of P*K images would not fit index_t,
    /// or when fewer than p classes can be drawn.
    PkSampler(const LabelledImages& images, PkOptions options, std::uint64_t seed)
        : images_(&images), options_(options), rng_(seed), indexed_(images), members_(class_members(images)) {
        if (options.p < 2 || options.k < 2) {
            throw std::invalid_argument("PkSampler: need P >= 2 classes and K >= 2 images per class, got P = " +
                                        std::to_string(options.p) + ", K = " + std::to_string(options.k));
        }
        for (std::size_t c = 0; c < members_.size(); ++c) {
            const auto n = static_cast<index_t>(members_[c].size());
            const bool enough = options.small_classes == SmallClasses::skip ? n >= options.k : n >= 2;
            if (enough) eligible_.push_back(static_cast<index_t>(c));
        }
        if (static_cast<index_t>(eligible_.size()) < options.p) {
            throw std::invalid_argument(
                "PkSampler: P = " + std::to_string(options.p) + " classes per batch, but only " +
                std::to_string(eligible_.size()) + " of the " + std::to_string(members_.size()) + " classes have " +
                (options.small_classes == SmallClasses::skip ? "at least K = " + std::to_string(options.k)
                                                             : std::string("at least 2")) +
                " images");
        }
        if (options.k > images.size()) {
            throw std::invalid_argument("PkSampler: K = " + std::to_string(options.k) +
                                        " images per class is more than the " + std::to_string(images.size()) +
                                        " images in the set (K must be at most the set's size)");
        }
        index_t batch = 0, batch_values = 0;
        if (__builtin_mul_overflow(options.p, options.k, &batch) ||
            __builtin_mul_overflow(batch, images.image_size(), &batch_values)) {
            throw std::invalid_argument(
                "PkSampler: a batch of P = " + std::to_string(options.p) + " x K = " + std::to_string(options.k) +
                " images of " + images.image_shape().str() + " has more values than index_t can count (at most " +
                std::to_string(std::numeric_limits<index_t>::max()) + ")");
        }
        class_swaps_.resize(static_cast<std::size_t>(options.p));
        slot_classes_.resize(static_cast<std::size_t>(options.p));
        image_swaps_.resize(static_cast<std::size_t>(options.k));
    }
    /// A temporary image set would dangle.
    PkSampler(LabelledImages&&, PkOptions, std::uint64_t) = delete;

    /// Images per batch, P * K.
    [[nodiscard]] index_t batch_size() const noexcept { return options_.p * options_.k; }
    [[nodiscard]] const PkOptions& options() const noexcept { return options_; }

    /// Draws one batch's image indices into out (P * K of them, or shape_error): class after
    /// class, K each.
    void sample_indices(std::span<index_t> out) {
        if (static_cast<index_t>(out.size()) != batch_size()) {
            throw shape_error("PkSampler: " + std::to_string(out.size()) +
                              " indices for a batch of P*K = " + std::to_string(batch_size()));
        }
        indexed_.check_size(name_, *images_);
        const auto p = static_cast<std::size_t>(options_.p), k = static_cast<std::size_t>(options_.k);
        // Partial Fisher-Yates shuffles, undone afterwards: distinct draws without a scratch
        // copy, and the member lists stay as built, so the generator state alone is the state.
        shuffle_prefix(eligible_, p, class_swaps_);
        for (std::size_t slot = 0; slot < p; ++slot) {
            auto& m = members_[static_cast<std::size_t>(eligible_[slot])];
            const std::size_t distinct = std::min(k, m.size());
            shuffle_prefix(m, distinct, image_swaps_);
            index_t* row = out.data() + slot * k;
            for (std::size_t i = 0; i < distinct; ++i) row[i] = m[i];
            for (std::size_t i = distinct; i < k; ++i) {  // a small class: repeats
                row[i] = m[static_cast<std::size_t>(rng_.uniform_int(static_cast<index_t>(m.size())))];
            }
            undo(m, distinct, image_swaps_);
            slot_classes_[slot] = eligible_[slot];
        }
        undo(eligible_, p, class_swaps_);
        // Checked once the member lists are as built again: a sampler that throws here can still
        // be restored with set_state.
        for (std::size_t slot = 0; slot < p; ++slot) {
            for (std::size_t i = 0; i < k; ++i) {
                indexed_.check_member(name_, *images_, out[slot * k + i], slot_classes_[slot]);
            }
        }
    }

    /// Fills `batch`: images [P*K, C, H, W] (raw 0..255), labels and indices [P*K]. Reuses the
    /// batch's storage: no allocation once it has held a batch.
    template <class T>
    void sample(PkBatch<T>& batch) {
        batch.indices.resize(static_cast<std::size_t>(batch_size()));
        reserve(batch.images, batch.labels);
        sample_indices(batch.indices);
        fill(batch.indices, batch.images, batch.labels);
    }

    /// The same draws into a caller-owned image tensor (resized to [P*K, C, H, W]) and labels
    /// (resized to P*K); the indices stay internal.
    template <class T>
    void sample(Tensor<T>& images, std::vector<label_t>& labels) {
        indices_.resize(static_cast<std::size_t>(batch_size()));
        reserve(images, labels);
        sample_indices(indices_);
        fill(indices_, images, labels);
    }

    /// The generator state: restoring it with set_state resumes the exact stream of batches.
    [[nodiscard]] State state() const noexcept { return rng_.state(); }
    /// Restores a state saved with state().
    void set_state(const State& s) noexcept { rng_.set_state(s); }

    /// The image set batches are drawn from.
    [[nodiscard]] const LabelledImages& images() const noexcept { return *images_; }
    /// Number of classes batches are drawn from.
    [[nodiscard]] index_t eligible_classes() const noexcept { return static_cast<index_t>(eligible_.size()); }

private:
    // Moves `count` uniformly drawn distinct elements of v to its front, logging the swaps.
    void shuffle_prefix(std::vector<index_t>& v, std::size_t count, std::vector<std::size_t>& swaps) {
        for (std::size_t i = 0; i < count; ++i) swaps[i] = swap_random_to(v, i, rng_);
    }
    // Replays the logged swaps backwards: v is as before shuffle_prefix.
    static void undo(std::vector<index_t>& v, std::size_t count, const std::vector<std::size_t>& swaps) {
        for (std::size_t i = count; i-- > 0;) std::swap(v[i], v[swaps[i]]);
    }

    // Every allocation before the first draw: a std::bad_alloc leaves the stream where it was.
    template <class T>
    void reserve(Tensor<T>& images, std::vector<label_t>& labels) const {
        images.resize(images_->batch_shape(batch_size()));
        labels.resize(static_cast<std::size_t>(batch_size()));
    }

    // Copies the drawn images and their labels into storage reserve() sized.
    template <class T>
    void fill(std::span<const index_t> indices, Tensor<T>& images, std::vector<label_t>& labels) const {
        const index_t s = images_->image_size();
        for (std::size_t i = 0; i < indices.size(); ++i) {
            images_->copy_image(indices[i], images.data() + static_cast<index_t>(i) * s);
            labels[i] = images_->labels()[static_cast<std::size_t>(indices[i])];
        }
    }

    static constexpr const char* name_ = "PkSampler";
    const LabelledImages* images_;
    PkOptions options_;
    Rng rng_;
    IndexedSet indexed_;
    std::vector<std::vector<index_t>> members_;  // image indices of each class, in classes() order
    std::vector<index_t> eligible_;              // classes a batch may draw
    std::vector<std::size_t> class_swaps_;       // swap logs of the partial shuffles
    std::vector<std::size_t> image_swaps_;
    std::vector<index_t> slot_classes_;  // each drawn slot's class, for the checks after the shuffle's undo
    std::vector<index_t> indices_;       // for sample(images, labels)
};

}  // namespace siamese::data
