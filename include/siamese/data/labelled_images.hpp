// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/errors.hpp>
#include <siamese/shape.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace siamese::data {

/// A class label: any integer (MNIST uses 0..9, other sets use whatever ids they like).
using label_t = std::int64_t;

/// N labelled images of shape [C, H, W], stored compactly as one byte per pixel (MNIST's
/// 60,000 training images take 47 MB this way instead of 188 MB as float). Pixels are handed
/// out as raw 0..255 values: the tutorial trains on unnormalised pixels.
class LabelledImages {
public:
    LabelledImages() = default;

    /// image_shape: [C, H, W] (or [H, W], meaning C = 1); pixels: the images one after another,
    /// C*H*W bytes each; labels: one per image. Throws shape_error when the sizes disagree.
    LabelledImages(const Shape& image_shape, std::vector<std::uint8_t> pixels, std::vector<label_t> labels)
        : image_shape_(normalise_shape(image_shape)), pixels_(std::move(pixels)), labels_(std::move(labels)) {
        const index_t per_image = image_shape_.numel();
        std::size_t expected = 0;
        if (__builtin_mul_overflow(static_cast<std::size_t>(per_image), labels_.size(), &expected)) {
            throw shape_error("LabelledImages: " + std::to_string(labels_.size()) + " labels and images of " +
                              image_shape_.str() + " need more pixels than a size_t can count, got " +
                              std::to_string(pixels_.size()));
        }
        if (pixels_.size() != expected) {
            throw shape_error("LabelledImages: " + std::to_string(labels_.size()) + " labels and images of " +
                              image_shape_.str() + " need " + std::to_string(expected) + " pixels, got " +
                              std::to_string(pixels_.size()));
        }
        index_classes();
    }

    /// Number of images.
    [[nodiscard]] index_t size() const noexcept { return static_cast<index_t>(labels_.size()); }
    /// True when the set holds no image.
    [[nodiscard]] bool empty() const noexcept { return labels_.empty(); }

    /// One image: [C, H, W].
    [[nodiscard]] const Shape& image_shape() const noexcept { return image_shape_; }
    /// Pixels per image, C*H*W.
    [[nodiscard]] index_t image_size() const noexcept { return image_shape_.numel(); }
    /// A batch of n images: [n, C, H, W].
    [[nodiscard]] Shape batch_shape(index_t n) const {
        return Shape{n, image_shape_[0], image_shape_[1], image_shape_[2]};
    }

    /// Label of image i (checked).
    [[nodiscard]] label_t label(index_t i) const {
        check_index(i);
        return labels_[static_cast<std::size_t>(i)];
    }
    /// All labels, one per image.
    [[nodiscard]] std::span<const label_t> labels() const noexcept { return labels_; }

    /// All pixels, image after image, C*H*W bytes each.
    [[nodiscard]] std::span<const std::uint8_t> pixels() const noexcept { return pixels_; }

    /// The C*H*W bytes of image i (checked).
    [[nodiscard]] std::span<const std::uint8_t> image(index_t i) const {
        check_index(i);
        return std::span<const std::uint8_t>(pixels_).subspan(static_cast<std::size_t>(i * image_size()),
                                                              static_cast<std::size_t>(image_size()));
    }

    /// The distinct labels, ascending.
    [[nodiscard]] const std::vector<label_t>& classes() const noexcept { return classes_; }
    /// Number of images of each class, in the order of classes().
    [[nodiscard]] const std::vector<index_t>& class_counts() const noexcept { return class_counts_; }

    /// Writes image i as image_size() raw values 0..255 to dst (no normalisation).
    template <class T>
    void copy_image(index_t i, T* dst) const {
        const std::uint8_t* src = image(i).data();
        // A plain widening loop: the compiler vectorises it.
        for (index_t k = 0; k < image_size(); ++k) dst[k] = static_cast<T>(src[k]);
    }

    /// Writes image i into dst, which must hold exactly image_size() values.
    template <class T>
    void copy_image(index_t i, std::span<T> dst) const {
        if (static_cast<index_t>(dst.size()) != image_size()) {
            throw shape_error("LabelledImages::copy_image: destination holds " + std::to_string(dst.size()) +
                              " values, an image of " + image_shape_.str() + " has " + std::to_string(image_size()));
        }
        copy_image(i, dst.data());
    }

    /// The images with the given indices as raw pixel values: out becomes [n, C, H, W].
    template <class T>
    void copy_images(std::span<const index_t> indices, Tensor<T>& out) const {
        out.resize(batch_shape(static_cast<index_t>(indices.size())));
        for (std::size_t k = 0; k < indices.size(); ++k) {
            copy_image(indices[k], out.data() + static_cast<index_t>(k) * image_size());
        }
    }

    /// A new set holding the given images, in the given order (indices may repeat).
    [[nodiscard]] LabelledImages subset(std::span<const index_t> indices) const {
        std::vector<std::uint8_t> pixels;
        std::vector<label_t> labels;
        pixels.reserve(indices.size() * static_cast<std::size_t>(image_size()));
        labels.reserve(indices.size());
        for (const index_t i : indices) {
            const auto img = image(i);
            pixels.insert(pixels.end(), img.begin(), img.end());
            labels.push_back(labels_[static_cast<std::size_t>(i)]);
        }
        return LabelledImages(image_shape_, std::move(pixels), std::move(labels));
    }

private:
    static Shape normalise_shape(const Shape& s) {
        const Shape chw = s.rank() == 2 ? Shape{1, s[0], s[1]} : s;
        if (chw.rank() != 3 || chw[0] < 1 || chw[1] < 1 || chw[2] < 1) {
            throw shape_error("LabelledImages: image shape must be [C, H, W] (or [H, W]) with positive sizes, got " +
                              s.str());
        }
        return chw;
    }

    void check_index(index_t i) const {
        if (i < 0 || i >= size()) {
            throw std::out_of_range("LabelledImages: image index " + std::to_string(i) + " out of range for " +
                                    std::to_string(size()) + " images");
        }
    }

    void index_classes() {
        classes_ = labels_;
        std::sort(classes_.begin(), classes_.end());
        classes_.erase(std::unique(classes_.begin(), classes_.end()), classes_.end());
        class_counts_.assign(classes_.size(), 0);
        for (const label_t l : labels_) {
            const auto pos = std::lower_bound(classes_.begin(), classes_.end(), l) - classes_.begin();
            ++class_counts_[static_cast<std::size_t>(pos)];
        }
    }

    Shape image_shape_;
    std::vector<std::uint8_t> pixels_;
    std::vector<label_t> labels_;
    std::vector<label_t> classes_;
    std::vector<index_t> class_counts_;
};

/// The images whose label is one of `classes`, in their original order: e.g. digits 0-5 to
/// train on and 6-9 to test one-shot learning on. Every requested class must occur in the
/// set (a typo would otherwise give a silently smaller set); throws std::invalid_argument.
[[nodiscard]] inline LabelledImages keep_classes(const LabelledImages& images, const std::vector<label_t>& classes) {
    std::vector<label_t> wanted = classes;
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::string missing;
    for (const label_t c : wanted) {
        if (!std::binary_search(images.classes().begin(), images.classes().end(), c)) {
            missing += (missing.empty() ? "" : ", ") + std::to_string(c);
        }
    }
    if (!missing.empty() || wanted.empty()) {
        throw std::invalid_argument("keep_classes: " + (wanted.empty()
                                                            ? std::string("no classes requested")
                                                            : "class(es) " + missing + " not in the image set"));
    }
    std::vector<index_t> indices;
    for (index_t i = 0; i < images.size(); ++i) {
        if (std::binary_search(wanted.begin(), wanted.end(), images.labels()[static_cast<std::size_t>(i)])) {
            indices.push_back(i);
        }
    }
    return images.subset(indices);
}

}  // namespace siamese::data
