// SPDX-License-Identifier: MIT
// The example's samplers. --batch all: every batch holds P distinct characters with K distinct
// drawings each, however the alphabets are sized and however many the batch asks for. --batch
// pairs: balanced pairs, a share of the different ones within one alphabet.
#include "samplers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace {

using siamese::index_t;
using siamese::data::label_t;

/// Alphabets of the given sizes, `drawings` images per character; every pixel of image i is
/// i + 1, so a row left unfilled (or filled from a wrong image) shows.
siamese::data::Omniglot set_of(const std::vector<int>& alphabet_sizes, int drawings) {
    siamese::data::Omniglot set;
    std::vector<std::uint8_t> pixels;
    std::vector<label_t> labels;
    for (std::size_t a = 0; a < alphabet_sizes.size(); ++a) {
        set.alphabets.push_back("Alphabet" + std::to_string(a));
        for (int c = 0; c < alphabet_sizes[a]; ++c) {
            const auto label = static_cast<label_t>(set.characters.size());
            set.characters.push_back(set.alphabets.back() + "/character" + std::to_string(c));
            set.alphabet_of.push_back(static_cast<std::int64_t>(a));
            for (int d = 0; d < drawings; ++d) {
                const auto image = labels.size();
                pixels.insert(pixels.end(), 4, static_cast<std::uint8_t>(image + 1));
                labels.push_back(label);
                set.drawers.push_back(d + 1);
                set.files.push_back(set.characters.back() + "/" + std::to_string(d) + ".png");
            }
        }
    }
    set.images = siamese::data::LabelledImages(siamese::Shape{1, 2, 2}, std::move(pixels), std::move(labels));
    return set;
}

/// Draws `batches` batches and checks each: P distinct characters, K distinct drawings of each,
/// every row the image its label says.
void check_batches(const siamese::data::Omniglot& set, index_t p, index_t k, index_t alphabets) {
    omniglot::CharacterBatchSampler sampler(set, p, k, alphabets, 7);
    siamese::Tensor<float> images;
    std::vector<label_t> labels;
    for (int batch = 0; batch < 20; ++batch) {
        sampler.sample(images, labels);
        REQUIRE(images.shape() == siamese::Shape{p * k, 1, 2, 2});
        REQUIRE(labels.size() == static_cast<std::size_t>(p * k));
        std::set<label_t> characters;
        std::set<float> drawings;
        for (index_t row = 0; row < p * k; ++row) {
            const auto label = labels[static_cast<std::size_t>(row)];
            if (row % k == 0) {
                CHECK(characters.insert(label).second);  // a new character starts every K rows
                drawings.clear();
            } else {
                CHECK(label == labels[static_cast<std::size_t>(row - 1)]);
            }
            const float value = images[row * 4];  // image index + 1
            REQUIRE(value >= 1);
            CHECK(set.images.label(static_cast<index_t>(value) - 1) == label);
            CHECK(drawings.insert(value).second);
        }
        CHECK(characters.size() == static_cast<std::size_t>(p));
    }
}

}  // namespace

TEST_CASE("CharacterBatchSampler: P distinct characters when the alphabets suffice") {
    check_batches(set_of({6, 6, 6, 6}, 3), 8, 2, 2);
}

TEST_CASE("CharacterBatchSampler: more alphabets asked for than there are still gives P characters") {
    // 3 alphabets, --batch-alphabets 100: one character from each, then the rest from all.
    check_batches(set_of({4, 4, 4}, 3), 8, 3, 100);
}

TEST_CASE("CharacterBatchSampler: small alphabets that cannot give their share are topped up") {
    // P = 6 from 2 alphabets (3 each): the one-character alphabet gives 1, the other 3.
    check_batches(set_of({1, 10}, 2), 6, 2, 2);
    // Every character of the set in each batch.
    check_batches(set_of({1, 2, 1}, 2), 4, 2, 3);
}

TEST_CASE(
    "CharacterBatchSampler: the P characters come from the asked number of alphabets, P / alphabets rounded up each") {
    // P = 7 from 2 of 4 alphabets: 4 and 3 characters. Rounding down took 3 and 3 and drew the
    // seventh from any alphabet.
    const auto set = set_of({6, 6, 6, 6}, 3);
    omniglot::CharacterBatchSampler sampler(set, 7, 2, 2, 11);
    siamese::Tensor<float> images;
    std::vector<label_t> labels;
    for (int batch = 0; batch < 20; ++batch) {
        sampler.sample(images, labels);
        std::map<std::int64_t, std::set<label_t>> by_alphabet;
        for (const label_t c : labels) by_alphabet[set.alphabet_of[static_cast<std::size_t>(c)]].insert(c);
        REQUIRE(by_alphabet.size() == 2);
        std::vector<std::size_t> sizes;
        for (const auto& [alphabet, characters] : by_alphabet) sizes.push_back(characters.size());
        std::sort(sizes.begin(), sizes.end());
        CHECK(sizes == std::vector<std::size_t>{3, 4});
    }
}

TEST_CASE("AlphabetPairSampler: different pairs are two characters, within one alphabet for the share `within`") {
    // Outside that share the other character is any other one: here 2 of the 8 share the alphabet.
    const auto set = set_of({3, 3, 3}, 3);
    auto alphabet = [&](index_t image) { return set.alphabet_of[static_cast<std::size_t>(set.images.label(image))]; };
    for (const double within : {0.0, 1.0}) {
        CAPTURE(within);
        omniglot::AlphabetPairSampler sampler(set, within, 5);
        siamese::data::PairBatch<float> batch;
        int different = 0, one_alphabet = 0;
        for (int draw = 0; draw < 40; ++draw) {
            sampler.sample(10, batch);
            for (index_t i = 0; i < 10; ++i) {
                const auto l = batch.left[static_cast<std::size_t>(i)], r = batch.right[static_cast<std::size_t>(i)];
                CHECK(l != r);
                if (batch.labels[i] == 1) {
                    CHECK(set.images.label(l) == set.images.label(r));
                } else {
                    CHECK(set.images.label(l) != set.images.label(r));
                    ++different;
                    one_alphabet += alphabet(l) == alphabet(r);
                }
            }
        }
        REQUIRE(different == 200);
        if (within == 1.0) {
            CHECK(one_alphabet == different);
        } else {
            CHECK(one_alphabet > 20);  // about 50 expected, as 2 in 8
            CHECK(one_alphabet < 80);
        }
    }
}
