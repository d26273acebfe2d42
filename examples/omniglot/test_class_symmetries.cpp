// SPDX-License-Identifier: MIT
// The example's extra training classes: turned and mirrored characters land as new characters
// of new alphabets, with the pixels where the turn or the mirror puts them.
#include "class_copies.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace {

using siamese::index_t;
using siamese::data::label_t;

constexpr index_t side = 3;

/// One alphabet of two characters, one drawing each; pixel (x, y) of image i holds 10 i + 3 y + x,
/// so every pixel says where it came from.
siamese::data::Omniglot tiny_set() {
    siamese::data::Omniglot set;
    std::vector<std::uint8_t> pixels;
    for (int i = 0; i < 2; ++i)
        for (index_t y = 0; y < side; ++y)
            for (index_t x = 0; x < side; ++x) pixels.push_back(static_cast<std::uint8_t>(10 * i + 3 * y + x));
    set.images = siamese::data::LabelledImages(siamese::Shape{1, side, side}, std::move(pixels), {0, 1});
    set.alphabets = {"Latin"};
    set.characters = {"Latin/character01", "Latin/character02"};
    set.alphabet_of = {0, 0};
    set.drawers = {3, 7};
    set.files = {"Latin/character01/0001_03.png", "Latin/character02/0002_07.png"};
    return set;
}

std::uint8_t pixel(const siamese::data::Omniglot& set, index_t i, index_t x, index_t y) {
    return set.images.image(i)[static_cast<std::size_t>(y * side + x)];
}

}  // namespace

TEST_CASE("with_turns: each turn is a new alphabet of new characters, the pixels turned") {
    const auto set = omniglot::with_turns(tiny_set(), 4);
    REQUIRE(set.images.size() == 8);
    CHECK(set.alphabets == std::vector<std::string>{"Latin", "Latin@90", "Latin@180", "Latin@270"});
    REQUIRE(set.characters.size() == 8);
    CHECK(set.characters[5] == "Latin/character02@180");
    CHECK(set.alphabet_of == std::vector<std::int64_t>{0, 0, 1, 1, 2, 2, 3, 3});
    for (index_t i = 0; i < 8; ++i) {
        CHECK(set.images.label(i) == static_cast<label_t>(i));  // turn t of image j is image 2 t + j, character 2 t + j
        CHECK(set.drawers[static_cast<std::size_t>(i)] == (i % 2 == 0 ? 3 : 7));
        CHECK(set.files[static_cast<std::size_t>(i)] == tiny_set().files[static_cast<std::size_t>(i % 2)]);
    }
    for (index_t y = 0; y < side; ++y)
        for (index_t x = 0; x < side; ++x) {
            CHECK(pixel(set, 1, x, y) == pixel(tiny_set(), 1, x, y));                        // as drawn
            CHECK(pixel(set, 3, x, y) == pixel(tiny_set(), 1, y, side - 1 - x));             // 90 degrees
            CHECK(pixel(set, 5, x, y) == pixel(tiny_set(), 1, side - 1 - x, side - 1 - y));  // 180 degrees
            CHECK(pixel(set, 7, x, y) == pixel(tiny_set(), 1, side - 1 - y, x));             // 270 degrees
        }
    // Two turns are the half turn only.
    const auto halves = omniglot::with_turns(tiny_set(), 2);
    CHECK(halves.alphabets == std::vector<std::string>{"Latin", "Latin@180"});
    CHECK(pixel(halves, 2, 0, 0) == pixel(tiny_set(), 0, side - 1, side - 1));
    CHECK(omniglot::with_turns(tiny_set(), 1).images.size() == 2);
}

TEST_CASE("with_mirrors after with_turns: all eight symmetries of the square, each its own character") {
    const auto set = omniglot::with_mirrors(omniglot::with_turns(tiny_set(), 4));
    REQUIRE(set.images.size() == 16);
    REQUIRE(set.alphabets.size() == 8);
    CHECK(set.alphabets[4] == "Latin|");
    CHECK(set.alphabets[7] == "Latin@270|");
    CHECK(set.characters[9] == "Latin/character02|");
    CHECK(set.alphabet_of[15] == 7);
    for (index_t i = 0; i < 16; ++i) CHECK(set.images.label(i) == static_cast<label_t>(i));
    for (index_t y = 0; y < side; ++y)
        for (index_t x = 0; x < side; ++x) CHECK(pixel(set, 9, x, y) == pixel(tiny_set(), 1, side - 1 - x, y));
    // The picture has no symmetry, so its eight images differ from one another.
    for (index_t i = 0; i < 16; i += 2)
        for (index_t j = i + 2; j < 16; j += 2) {
            const auto a = set.images.image(i), b = set.images.image(j);
            CHECK_FALSE(std::equal(a.begin(), a.end(), b.begin()));
        }
}
