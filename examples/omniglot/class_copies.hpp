// SPDX-License-Identifier: MIT
#pragma once

// Turned and mirrored characters as extra training classes (--turns, --mirror).

#include <siamese/data/omniglot.hpp>
#include <siamese/shape.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace omniglot {

using siamese::index_t;

/// One transformed copy of a whole image set: a name suffix for its alphabets and characters,
/// and for each pixel of a copied image, the pixel of the original it takes its value from.
struct ImageCopy {
    std::string suffix;
    std::vector<index_t> source_pixel;
};

/// Appends, for each copy in turn, a transformed copy of every image of `set` as new characters
/// of new alphabets: copy k (from 1) of image i is image k*n + i, of character c + k*characters
/// in alphabet a + k*alphabets, named with the copy's suffix; drawers and files are kept.
inline siamese::data::Omniglot with_copies(siamese::data::Omniglot set, const std::vector<ImageCopy>& copies) {
    if (copies.empty()) return set;
    const auto& images = set.images;
    const index_t n = images.size();
    const auto characters = static_cast<siamese::data::label_t>(set.characters.size());
    const auto alphabets = static_cast<std::int64_t>(set.alphabets.size());
    const auto drawers = set.drawers;
    const auto files = set.files;
    std::vector<std::uint8_t> pixels(images.pixels().begin(), images.pixels().end());
    std::vector<siamese::data::label_t> labels(images.labels().begin(), images.labels().end());
    for (std::size_t k = 1; k <= copies.size(); ++k) {
        const auto& copy = copies[k - 1];
        for (std::int64_t a = 0; a < alphabets; ++a)
            set.alphabets.push_back(set.alphabets[static_cast<std::size_t>(a)] + copy.suffix);
        for (siamese::data::label_t c = 0; c < characters; ++c) {
            set.characters.push_back(set.characters[static_cast<std::size_t>(c)] + copy.suffix);
            set.alphabet_of.push_back(set.alphabet_of[static_cast<std::size_t>(c)] +
                                      static_cast<std::int64_t>(k) * alphabets);
        }
        for (index_t i = 0; i < n; ++i) {
            const auto src = images.image(i);
            for (const index_t p : copy.source_pixel) pixels.push_back(src[static_cast<std::size_t>(p)]);
            labels.push_back(images.label(i) + static_cast<siamese::data::label_t>(k) * characters);
        }
        set.drawers.insert(set.drawers.end(), drawers.begin(), drawers.end());
        set.files.insert(set.files.end(), files.begin(), files.end());
    }
    set.images = siamese::data::LabelledImages(images.image_shape(), std::move(pixels), std::move(labels));
    return set;
}

/// Adds each alphabet turned by 360/turns, 2 * 360/turns, ... degrees as new alphabets of new
/// characters ("Latin@180"): a turned character is not the character, so it is one more class
/// to tell apart (turns = 1 adds nothing, 2 doubles the classes, 4 quadruples them). Images
/// must be square.
inline siamese::data::Omniglot with_turns(siamese::data::Omniglot set, int turns) {
    const index_t side = set.images.image_shape()[1];
    std::vector<ImageCopy> copies;
    for (int t = 1; t < turns; ++t) {
        const int quarters = t * (4 / turns);
        ImageCopy copy;
        copy.suffix = std::string(1, '@');  // not "@" + ...: g++ 12 takes that for an overlapping copy (-Wrestrict)
        copy.suffix += std::to_string(90 * quarters);
        for (index_t y = 0; y < side; ++y)
            for (index_t x = 0; x < side; ++x) {
                // Quarter turns: (x, y) -> (side-1-y, x), applied `quarters` times.
                index_t sx = x, sy = y;
                for (int q = 0; q < quarters; ++q) {
                    const index_t nx = sy, ny = side - 1 - sx;
                    sx = nx;
                    sy = ny;
                }
                copy.source_pixel.push_back(sy * side + sx);
            }
        copies.push_back(std::move(copy));
    }
    return with_copies(std::move(set), copies);
}

/// Adds each alphabet mirrored left to right as new alphabets of new characters ("Latin|"):
/// like a turned character, a mirrored one is another class (applied after with_turns, it
/// yields all eight symmetries of the square).
inline siamese::data::Omniglot with_mirrors(siamese::data::Omniglot set) {
    const index_t height = set.images.image_shape()[1], width = set.images.image_shape()[2];
    ImageCopy mirror{"|", {}};
    for (index_t y = 0; y < height; ++y)
        for (index_t x = 0; x < width; ++x) mirror.source_pixel.push_back(y * width + (width - 1 - x));
    return with_copies(std::move(set), {mirror});
}

}  // namespace omniglot
