// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/data/pk_sampler.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

using namespace siamese;
using namespace siamese::data;

namespace {

/// Images of [1, 2, 2] whose pixels spell out their index, with the given labels.
LabelledImages make_set(const std::vector<label_t>& labels) { return test::traceable_images(labels, Shape{1, 2, 2}); }

/// Classes 10 (9 images), 20 (6), 30 (5), 40 (4), 50 (3), 60 (2), 70 (1), interleaved.
LabelledImages mixed_set() {
    return make_set(test::interleaved_labels({{10, 9}, {20, 6}, {30, 5}, {40, 4}, {50, 3}, {60, 2}, {70, 1}}));
}

}  // namespace

TEST_CASE("PkSampler: P distinct classes, K images each, class by class, distinct when the class allows") {
    const LabelledImages set = mixed_set();
    PkSampler sampler(set, {.p = 3, .k = 4}, 1);
    CHECK(sampler.batch_size() == 12);
    CHECK(sampler.eligible_classes() == 6);  // class 70 has one image: no positive
    PkBatch<float> batch;
    for (int round = 0; round < 200; ++round) {
        sampler.sample(batch);
        REQUIRE(batch.images.shape() == Shape{12, 1, 2, 2});
        REQUIRE(batch.labels.size() == 12);
        CHECK(batch.size() == 12);
        std::set<label_t> classes;
        for (std::size_t slot = 0; slot < 3; ++slot) {
            const label_t c = batch.labels[slot * 4];
            CHECK(classes.insert(c).second);  // P distinct classes
            CHECK(c != 70);
            std::set<index_t> images;
            for (std::size_t i = slot * 4; i < slot * 4 + 4; ++i) {
                CHECK(batch.labels[i] == c);  // K of the same class, contiguous
                CHECK(set.label(batch.indices[i]) == c);
                images.insert(batch.indices[i]);
                for (index_t k = 0; k < 4; ++k) {
                    REQUIRE(batch.images[static_cast<index_t>(i) * 4 + k] ==
                            static_cast<float>(set.image(batch.indices[i])[static_cast<std::size_t>(k)]));
                }
            }
            // Distinct images when the class has K; a smaller class shows all of its images.
            const auto count = set.class_counts()[static_cast<std::size_t>(c / 10 - 1)];
            CHECK(static_cast<index_t>(images.size()) == std::min<index_t>(4, count));
        }
    }
}

TEST_CASE("PkSampler: classes are balanced across batches, and so are images within a class") {
    const LabelledImages set = mixed_set();
    PkSampler sampler(set, {.p = 2, .k = 2}, 2);
    std::map<label_t, int> per_class;
    std::map<index_t, int> per_image_of_10;
    PkBatch<double> batch;
    const int rounds = 6000;
    for (int round = 0; round < rounds; ++round) {
        sampler.sample(batch);
        for (std::size_t slot = 0; slot < 2; ++slot) ++per_class[batch.labels[slot * 2]];
        for (std::size_t i = 0; i < 4; ++i) {
            if (batch.labels[i] == 10) ++per_image_of_10[batch.indices[i]];
        }
    }
    REQUIRE(per_class.size() == 6);
    const double expected = rounds * 2 / 6.0, sigma = std::sqrt(expected);
    for (const auto& class_count : per_class) {  // CAPTURE takes no structured binding before clang 16
        CAPTURE(class_count.first);
        CHECK(std::abs(class_count.second - expected) < 5 * sigma);
    }
    REQUIRE(per_image_of_10.size() == 9);
    const double per_image = per_class[10] * 2 / 9.0;
    for (const auto& [index, count] : per_image_of_10) CHECK(std::abs(count - per_image) < 5 * std::sqrt(per_image));
}

TEST_CASE("PkSampler: a small class's repeats are drawn uniformly from all of its images, independently") {
    // Class 1 has 3 images, class 2 has 2; K = 4 shows each once, then pads with repeats.
    const LabelledImages set = make_set({1, 1, 1, 2, 2});
    PkSampler sampler(set, {.p = 2, .k = 4}, 4);
    PkBatch<float> batch;
    const int rounds = 3000;
    int repeat_of[3] = {};   // class 1: which of the three shown images its one repeat equals
    int repeats_differ = 0;  // class 2: its two repeats are different images
    for (int round = 0; round < rounds; ++round) {
        sampler.sample(batch);
        for (std::size_t slot = 0; slot < 2; ++slot) {
            const index_t* row = batch.indices.data() + slot * 4;
            if (batch.labels[slot * 4] == 1) {
                for (int j = 0; j < 3; ++j) repeat_of[j] += row[3] == row[j];
            } else {
                repeats_differ += row[2] != row[3];
            }
        }
    }
    // Binomial(3000, 1/3): sigma 26; Binomial(3000, 1/2): sigma 27. Five sigma each.
    for (int j = 0; j < 3; ++j) {
        CAPTURE(j);
        CHECK(std::abs(repeat_of[j] - rounds / 3) < 130);
    }
    CHECK(std::abs(repeats_differ - rounds / 2) < 140);
}

TEST_CASE("PkSampler: small classes are skipped on request") {
    const LabelledImages set = mixed_set();
    PkSampler sampler(set, {.p = 2, .k = 5, .small_classes = SmallClasses::skip}, 3);
    CHECK(sampler.eligible_classes() == 3);  // 10, 20, 30 have at least 5 images
    PkBatch<float> batch;
    for (int round = 0; round < 100; ++round) {
        sampler.sample(batch);
        for (const label_t l : batch.labels) CHECK(l <= 30);
        CHECK(std::set<index_t>(batch.indices.begin(), batch.indices.end()).size() == 10);
    }
}

TEST_CASE("PkSampler: a seed fixes the batches, the state resumes them, different seeds differ") {
    const LabelledImages set = mixed_set();
    PkSampler a(set, {.p = 3, .k = 3}, 42), b(set, {.p = 3, .k = 3}, 42), c(set, {.p = 3, .k = 3}, 43);
    PkBatch<float> x, y, z;
    bool differs = false;
    for (int round = 0; round < 5; ++round) {
        a.sample(x);
        b.sample(y);
        c.sample(z);
        CHECK(x.indices == y.indices);
        CHECK(std::equal(x.images.begin(), x.images.end(), y.images.begin()));
        differs = differs || x.indices != z.indices;
    }
    CHECK(differs);

    const PkSampler::State saved = a.state();
    a.sample(x);
    PkSampler resumed(set, {.p = 3, .k = 3}, 999);
    resumed.set_state(saved);
    resumed.sample(y);
    CHECK(x.indices == y.indices);
}

TEST_CASE("PkSampler: the second call allocates nothing (caller buffers keep their addresses)") {
    const LabelledImages set = mixed_set();
    PkSampler sampler(set, {.p = 4, .k = 3}, 4);
    PkBatch<float> batch;
    sampler.sample(batch);
    const float* images = batch.images.data();
    const label_t* labels = batch.labels.data();
    const index_t* indices = batch.indices.data();
    Tensor<float> own_images;
    std::vector<label_t> own_labels;
    sampler.sample(own_images, own_labels);
    const float* own_images_data = own_images.data();
    const label_t* own_labels_data = own_labels.data();
    for (int round = 0; round < 20; ++round) {
        sampler.sample(batch);
        sampler.sample(own_images, own_labels);
        CHECK(batch.images.data() == images);
        CHECK(batch.labels.data() == labels);
        CHECK(batch.indices.data() == indices);
        CHECK(own_images.data() == own_images_data);
        CHECK(own_labels.data() == own_labels_data);
        CHECK(own_images.shape() == Shape{12, 1, 2, 2});
    }
}

TEST_CASE("PkSampler: impossible requests are clear errors") {
    const LabelledImages set = mixed_set();
    CHECK_THROWS_WITH_AS(PkSampler(set, {.p = 1, .k = 4}, 1), doctest::Contains("P >= 2"), std::invalid_argument);
    CHECK_THROWS_AS(PkSampler(set, {.p = 4, .k = 1}, 1), std::invalid_argument);
    CHECK_THROWS_WITH_AS(PkSampler(set, {.p = 7, .k = 2}, 1), doctest::Contains("only 6 of the 7 classes"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(PkSampler(set, {.p = 4, .k = 6, .small_classes = SmallClasses::skip}, 1),
                         doctest::Contains("at least K = 6"), std::invalid_argument);
    PkSampler sampler(set, {.p = 2, .k = 2}, 1);
    std::vector<index_t> wrong(3);
    CHECK_THROWS_WITH_AS(sampler.sample_indices(wrong), "PkSampler: 3 indices for a batch of P*K = 4",
                         siamese::shape_error);
}

TEST_CASE("PkSampler: an absurd K or P*K is a clear error before anything is allocated") {
    const LabelledImages set = mixed_set();  // 30 images of [1, 2, 2]
    // K = 2^40 used to allocate 2^40 swap slots (8 TB) in the constructor; 2^62 threw a bare length_error.
    test::require_error<std::invalid_argument>([&] { PkSampler(set, {.p = 2, .k = index_t{1} << 40}, 1); },
                                               {"PkSampler", "K = 1099511627776", "30 images in the set"});
    test::require_error<std::invalid_argument>([&] { PkSampler(set, {.p = 2, .k = index_t{1} << 62}, 1); },
                                               {"K = 4611686018427387904", "30 images"});
    CHECK_THROWS_AS(PkSampler(set, {.p = 2, .k = 31}, 1), std::invalid_argument);
    // K up to the set's size stays valid: small classes are padded with repeats, as before.
    PkSampler full(set, {.p = 2, .k = 30}, 1);
    CHECK(full.batch_size() == 60);
    PkBatch<float> batch;
    full.sample(batch);
    CHECK(batch.images.shape() == Shape{60, 1, 2, 2});
    // In skip mode the existing message still explains that no class is large enough.
    CHECK_THROWS_WITH_AS(PkSampler(set, {.p = 2, .k = 31, .small_classes = SmallClasses::skip}, 1),
                         doctest::Contains("at least K = 31"), std::invalid_argument);
}
