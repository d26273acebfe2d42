// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/data/labelled_images.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::data {

/// The image indices of each class, in the order of images.classes(), each list ascending.
/// What the samplers draw from.
[[nodiscard]] inline std::vector<std::vector<index_t>> class_members(const LabelledImages& images) {
    const auto& classes = images.classes();
    std::vector<std::vector<index_t>> members(classes.size());
    for (std::size_t c = 0; c < classes.size(); ++c) {
        members[c].reserve(static_cast<std::size_t>(images.class_counts()[c]));
    }
    for (index_t i = 0; i < images.size(); ++i) {
        const label_t l = images.labels()[static_cast<std::size_t>(i)];
        const auto c = std::lower_bound(classes.begin(), classes.end(), l) - classes.begin();
        members[static_cast<std::size_t>(c)].push_back(i);
    }
    return members;
}

/// What a sampler remembers of the image set it indexed, to notice that the set has changed
/// since. A sampler keeps a pointer to its set, not a copy: another set assigned to that variable
/// would be drawn with the old class lists, giving pairs labelled "same" across classes (or
/// image indices past the end) without a word.
class IndexedSet {
public:
    explicit IndexedSet(const LabelledImages& images) : size_(images.size()), classes_(images.classes()) {}

    /// Throws std::logic_error naming `who` unless `images` has as many images as when indexed.
    void check_size(const char* who, const LabelledImages& images) const {
        if (images.size() != size_) [[unlikely]] {
            changed(who, "it had " + std::to_string(size_) + " images and now has " + std::to_string(images.size()));
        }
    }

    /// Throws std::logic_error naming `who` unless image i still has the label of the class at
    /// position c of the classes as indexed (call check_size first: i must be in range).
    void check_member(const char* who, const LabelledImages& images, index_t i, index_t c) const {
        const label_t now = images.labels()[static_cast<std::size_t>(i)];
        const label_t then = classes_[static_cast<std::size_t>(c)];
        if (now != then) [[unlikely]] {
            changed(who, "image " + std::to_string(i) + " was of class " + std::to_string(then) + " and is now of " +
                             std::to_string(now));
        }
    }

private:
    [[noreturn]] static void changed(const char* who, const std::string& what) {
        throw std::logic_error(std::string(who) + ": the image set changed after the sampler indexed it (" + what +
                               "): a sampler refers to its set, which must stay as it was; build a new sampler for "
                               "a new set");
    }

    index_t size_;
    std::vector<label_t> classes_;
};

}  // namespace siamese::data
