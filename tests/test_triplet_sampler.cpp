// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/data/triplet_sampler.hpp>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <vector>

using namespace siamese;
using namespace siamese::data;

namespace {

/// Images of [1, 1, 3] whose pixels spell out their index, with the given labels.
LabelledImages make_set(const std::vector<label_t>& labels) { return test::traceable_images(labels, Shape{1, 1, 3}); }

/// Classes 1 (5 images), 2 (2), 3 (8), 4 (1).
LabelledImages mixed_set() { return make_set({1, 3, 2, 3, 1, 4, 3, 1, 3, 2, 3, 1, 3, 3, 1, 3}); }

}  // namespace

TEST_CASE("TripletSampler: positives share the anchor's class but not its image; negatives differ in class") {
    const LabelledImages set = mixed_set();
    TripletSampler sampler(set, 1);
    CHECK(sampler.anchor_classes().size() == 3);  // class 4 has a single image
    TripletBatch<float> batch;
    bool saw_class_4_negative = false;
    for (int round = 0; round < 300; ++round) {
        sampler.sample(7, batch);
        REQUIRE(batch.size() == 7);
        REQUIRE(batch.images.shape() == Shape{21, 1, 1, 3});
        REQUIRE(batch.labels.size() == 21);
        for (std::size_t i = 0; i < 7; ++i) {
            const index_t a = batch.anchor[i], p = batch.positive[i], n = batch.negative[i];
            CHECK(set.label(a) == set.label(p));
            CHECK(a != p);
            CHECK(set.label(n) != set.label(a));
            CHECK(set.label(a) != 4);
            saw_class_4_negative = saw_class_4_negative || set.label(n) == 4;
            CHECK(batch.labels[i] == set.label(a));
            CHECK(batch.labels[7 + i] == set.label(p));
            CHECK(batch.labels[14 + i] == set.label(n));
            // Image rows: anchors, then positives, then negatives.
            for (std::size_t k = 0; k < 3; ++k) {
                CHECK(batch.images[static_cast<index_t>(i * 3 + k)] == static_cast<float>(set.image(a)[k]));
                CHECK(batch.images[static_cast<index_t>((7 + i) * 3 + k)] == static_cast<float>(set.image(p)[k]));
                CHECK(batch.images[static_cast<index_t>((14 + i) * 3 + k)] == static_cast<float>(set.image(n)[k]));
            }
        }
    }
    CHECK(saw_class_4_negative);  // a single-image class still serves as a negative
}

TEST_CASE("TripletSampler: anchor classes are drawn uniformly, whatever their sizes") {
    const LabelledImages set = mixed_set();
    TripletSampler sampler(set, 2);
    std::map<label_t, int> anchors;
    std::vector<index_t> a(30), p(30), n(30);
    const int rounds = 1000;
    for (int round = 0; round < rounds; ++round) {
        sampler.sample_indices(a, p, n);
        for (const index_t i : a) ++anchors[set.label(i)];
    }
    REQUIRE(anchors.size() == 3);
    const double expected = rounds * 30 / 3.0, sigma = std::sqrt(expected * (2.0 / 3.0));
    for (const auto& [label, count] : anchors) CHECK(std::abs(count - expected) < 5 * sigma);
}

TEST_CASE("TripletSampler: seeded, resumable, and allocation-free after the first batch") {
    const LabelledImages set = mixed_set();
    TripletSampler a(set, 7), b(set, 7), c(set, 8);
    TripletBatch<float> x, y, z;
    a.sample(12, x);
    b.sample(12, y);
    c.sample(12, z);
    CHECK(x.anchor == y.anchor);
    CHECK(x.positive == y.positive);
    CHECK(x.negative == y.negative);
    CHECK((x.anchor != z.anchor || x.positive != z.positive || x.negative != z.negative));

    const TripletSampler::State saved = a.state();
    a.sample(12, x);
    TripletSampler resumed(set, 0);
    resumed.set_state(saved);
    resumed.sample(12, y);
    CHECK(x.anchor == y.anchor);
    CHECK(x.negative == y.negative);

    const float* images = x.images.data();
    const label_t* labels = x.labels.data();
    const index_t* anchor = x.anchor.data();
    for (const index_t size : {12, 5, 12}) {
        a.sample(size, x);
        CHECK(x.images.data() == images);
        CHECK(x.labels.data() == labels);
        CHECK(x.anchor.data() == anchor);
    }
}

TEST_CASE("TripletSampler: impossible sampling is a clear error") {
    const LabelledImages one_class = make_set({1, 1, 1});
    CHECK_THROWS_WITH_AS(TripletSampler(one_class, 1), doctest::Contains("at least 2 classes"), std::invalid_argument);
    const LabelledImages singletons = make_set({1, 2, 3});
    CHECK_THROWS_WITH_AS(TripletSampler(singletons, 1), doctest::Contains("a class with at least 2 images"),
                         std::invalid_argument);
    const LabelledImages set = mixed_set();
    TripletSampler sampler(set, 1);
    TripletBatch<float> batch;
    CHECK_THROWS_AS(sampler.sample(0, batch), std::invalid_argument);
    std::vector<index_t> a(3), p(3), n(2);
    CHECK_THROWS_WITH_AS(sampler.sample_indices(a, p, n), "TripletSampler: 3 anchor, 3 positive and 2 negative indices",
                         siamese::shape_error);
}
