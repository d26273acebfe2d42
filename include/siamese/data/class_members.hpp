// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/data/labelled_images.hpp>

#include <algorithm>
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

}  // namespace siamese::data
