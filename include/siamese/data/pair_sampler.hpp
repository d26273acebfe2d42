// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/data/class_members.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>
#include <siamese/random.hpp>
#include <siamese/shape.hpp>
#include <siamese/tensor.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::data {

/// One batch of B image pairs, owned by the caller and refilled in place by PairSampler.
template <class T = float>
struct PairBatch {
    Tensor<T> images;            ///< [2B, C, H, W]: the B left images, then the B right images
    Tensor<T> labels;            ///< [B]: 1 = same class, 0 = different class
    std::vector<index_t> left;   ///< [B] image index (into the sampled set) of each left image
    std::vector<index_t> right;  ///< [B] image index of each right image

    /// Number of pairs B.
    [[nodiscard]] index_t size() const noexcept { return static_cast<index_t>(left.size()); }
};

/// The tutorial's balanced pair sampler. In a batch of B pairs, row i draws a class c uniformly
/// and a random image of c as its left image; rows i < B/2 pair it with a random image of a
/// class drawn uniformly from the other classes (label 0), rows i >= B/2 with another image of
/// c (label 1), never the left image itself. Same-class rows draw c only among classes with at
/// least two images. The stream of batches depends only on the seed and the image set.
///
/// The sampler keeps a reference to the image set, which must outlive it and stay as it was:
/// a draw that finds the set changed (another size, an image of another class) throws
/// std::logic_error.
class PairSampler {
public:
    /// The generator's full state, for checkpoints.
    using State = Rng::State;

    /// Indexes `images` by class; throws std::invalid_argument when it has fewer than two
    /// classes or no class with two images.
    PairSampler(const LabelledImages& images, std::uint64_t seed) : images_(&images), rng_(seed), indexed_(images) {
        const auto& classes = images.classes();
        if (classes.size() < 2) {
            throw std::invalid_argument(
                "PairSampler: different-class pairs need at least 2 classes, the image set has " +
                std::to_string(classes.size()));
        }
        members_ = class_members(images);
        for (std::size_t c = 0; c < members_.size(); ++c) {
            if (members_[c].size() >= 2) pairable_.push_back(static_cast<index_t>(c));
        }
        if (pairable_.empty()) {
            throw std::invalid_argument(
                "PairSampler: same-class pairs need a class with at least 2 images, every one of the " +
                std::to_string(classes.size()) + " classes has a single image");
        }
    }
    /// A temporary image set would dangle.
    PairSampler(LabelledImages&&, std::uint64_t) = delete;

    /// Draws B pairs: only their image indices, left[i] and right[i], i < B = left.size()
    /// (right must be as long, or shape_error). Label of row i is pair_label(i, B).
    void sample_indices(std::span<index_t> left, std::span<index_t> right) {
        if (left.size() != right.size()) {
            throw shape_error("PairSampler: " + std::to_string(left.size()) + " left but " +
                              std::to_string(right.size()) + " right indices");
        }
        indexed_.check_size(name_, *images_);
        const index_t b = static_cast<index_t>(left.size());
        const auto n_classes = static_cast<index_t>(members_.size());
        for (index_t i = 0; i < b; ++i) {
            const auto row = static_cast<std::size_t>(i);
            if (pair_label(i, b) == 0) {
                const index_t c = rng_.uniform_int(n_classes);
                const index_t k = rng_.uniform_int(n_classes - 1);
                const index_t other = k >= c ? k + 1 : k;  // uniform over the classes other than c
                left[row] = pick(c);
                right[row] = pick(other);
                indexed_.check_member(name_, *images_, left[row], c);
                indexed_.check_member(name_, *images_, right[row], other);
            } else {
                const index_t c =
                    pairable_[static_cast<std::size_t>(rng_.uniform_int(static_cast<index_t>(pairable_.size())))];
                const auto& m = members_[static_cast<std::size_t>(c)];
                const index_t n = static_cast<index_t>(m.size());
                const index_t a = rng_.uniform_int(n);
                const index_t k = rng_.uniform_int(n - 1);
                left[row] = m[static_cast<std::size_t>(a)];
                right[row] = m[static_cast<std::size_t>(k >= a ? k + 1 : k)];  // any image of c but the left one
                indexed_.check_member(name_, *images_, left[row], c);
                indexed_.check_member(name_, *images_, right[row], c);
            }
        }
    }

    /// Fills `batch` with B pairs: images [2B, C, H, W] (left images then right images, raw
    /// 0..255), labels [B], and the indices. Reuses the batch's storage: no allocation once it
    /// has held a batch this large.
    template <class T>
    void sample(index_t batch_size, PairBatch<T>& batch) {
        check_batch_size(batch_size);
        // Every allocation before the first draw: a std::bad_alloc leaves the stream where it was.
        batch.left.resize(static_cast<std::size_t>(batch_size));
        batch.right.resize(static_cast<std::size_t>(batch_size));
        batch.images.resize(images_->batch_shape(2 * batch_size));
        batch.labels.resize(Shape{batch_size});
        sample_indices(batch.left, batch.right);
        const index_t s = images_->image_size();
        for (index_t i = 0; i < batch_size; ++i) {
            images_->copy_image(batch.left[static_cast<std::size_t>(i)], batch.images.data() + i * s);
            images_->copy_image(batch.right[static_cast<std::size_t>(i)], batch.images.data() + (batch_size + i) * s);
        }
        fill_labels(batch_size, batch.labels);
    }

    /// The same draws as sample(), into separate left and right tensors [B, C, H, W] and
    /// labels [B]; `left_index` and `right_index` receive the indices (resized to B).
    template <class T>
    void sample(index_t batch_size, Tensor<T>& left, Tensor<T>& right, Tensor<T>& labels,
                std::vector<index_t>& left_index, std::vector<index_t>& right_index) {
        check_batch_size(batch_size);
        left_index.resize(static_cast<std::size_t>(batch_size));
        right_index.resize(static_cast<std::size_t>(batch_size));
        left.resize(images_->batch_shape(batch_size));  // before the draws, as in sample(batch)
        right.resize(images_->batch_shape(batch_size));
        labels.resize(Shape{batch_size});
        sample_indices(left_index, right_index);
        images_->copy_images(std::span<const index_t>(left_index), left);
        images_->copy_images(std::span<const index_t>(right_index), right);
        fill_labels(batch_size, labels);
    }

    /// Label of row i in a batch of b pairs: 0 (different) for the first b/2 rows, then 1 (same).
    [[nodiscard]] static int pair_label(index_t i, index_t b) noexcept { return i < b / 2 ? 0 : 1; }

    /// The generator state: restoring it with set_state resumes the exact stream of batches.
    [[nodiscard]] State state() const noexcept { return rng_.state(); }
    /// Restores a state saved with state().
    void set_state(const State& s) noexcept { rng_.set_state(s); }

    /// The image set pairs are drawn from.
    [[nodiscard]] const LabelledImages& images() const noexcept { return *images_; }
    /// Positions (into images().classes()) of the classes used for same-class pairs.
    [[nodiscard]] const std::vector<index_t>& pairable_classes() const noexcept { return pairable_; }

private:
    static void check_batch_size(index_t b) {
        if (b < 1) throw std::invalid_argument("PairSampler: batch size must be positive, got " + std::to_string(b));
    }

    index_t pick(index_t c) {
        const auto& m = members_[static_cast<std::size_t>(c)];
        return m[static_cast<std::size_t>(rng_.uniform_int(static_cast<index_t>(m.size())))];
    }

    template <class T>
    static void fill_labels(index_t b, Tensor<T>& labels) {
        labels.resize(Shape{b});
        for (index_t i = 0; i < b; ++i) labels[i] = static_cast<T>(pair_label(i, b));
    }

    static constexpr const char* name_ = "PairSampler";
    const LabelledImages* images_;
    Rng rng_;
    IndexedSet indexed_;
    std::vector<std::vector<index_t>> members_;  // image indices of each class, in classes() order
    std::vector<index_t> pairable_;              // classes with at least 2 images
};

}  // namespace siamese::data
