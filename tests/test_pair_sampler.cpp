// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/data/pair_sampler.hpp>
#include <siamese/data/pk_sampler.hpp>
#include <siamese/data/triplet_sampler.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace siamese;
using namespace siamese::data;

namespace {

/// Images of [1, 3, 2] whose pixels spell out their index (so a copied image can be traced
/// back), with the given labels.
LabelledImages make_set(const std::vector<label_t>& labels) { return test::traceable_images(labels, Shape{1, 3, 2}); }

/// Five classes with unusual labels and unequal sizes, and class 99 with a single image.
LabelledImages mixed_set() {
    return make_set(test::interleaved_labels({{10, 7}, {-20, 3}, {30, 12}, {40, 2}, {50, 5}, {99, 1}}));
}

}  // namespace

TEST_CASE("PairSampler: first half different classes (label 0), second half same class (label 1)") {
    const LabelledImages set = mixed_set();
    PairSampler sampler(set, 1);
    PairBatch<float> batch;
    for (const index_t b : {100, 7, 2, 1}) {
        CAPTURE(b);
        sampler.sample(b, batch);
        REQUIRE(batch.size() == b);
        REQUIRE(batch.labels.shape() == Shape{b});
        REQUIRE(batch.images.shape() == Shape{2 * b, 1, 3, 2});
        for (index_t i = 0; i < b; ++i) {
            const auto l = batch.left[static_cast<std::size_t>(i)], r = batch.right[static_cast<std::size_t>(i)];
            const bool first_half = i < b / 2;
            CHECK(batch.labels[i] == (first_half ? 0.0f : 1.0f));
            CHECK(PairSampler::pair_label(i, b) == (first_half ? 0 : 1));
            if (first_half) {
                CHECK(set.label(l) != set.label(r));
            } else {
                CHECK(set.label(l) == set.label(r));
            }
            CHECK(l != r);  // never the same image twice in a pair
        }
    }
}

TEST_CASE("PairSampler: a single-image class appears in different pairs but never in same pairs") {
    const LabelledImages set = mixed_set();
    PairSampler sampler(set, 2);
    CHECK(sampler.pairable_classes().size() == 5);
    PairBatch<float> batch;
    int singles_in_different = 0;
    for (int round = 0; round < 200; ++round) {
        sampler.sample(20, batch);
        for (index_t i = 0; i < 20; ++i) {
            const auto row = static_cast<std::size_t>(i);
            const bool single = set.label(batch.left[row]) == 99 || set.label(batch.right[row]) == 99;
            if (i >= 10) CHECK_FALSE(single);
            singles_in_different += single ? 1 : 0;
        }
    }
    CHECK(singles_in_different > 0);
}

TEST_CASE("PairSampler: the stacked tensor holds the left images then the right images, raw") {
    const LabelledImages set = mixed_set();
    PairSampler sampler(set, 3);
    PairBatch<float> batch;
    sampler.sample(9, batch);
    const index_t s = set.image_size();
    for (index_t i = 0; i < 9; ++i) {
        for (index_t k = 0; k < s; ++k) {
            const auto row = static_cast<std::size_t>(i);
            REQUIRE(batch.images[i * s + k] ==
                    static_cast<float>(set.image(batch.left[row])[static_cast<std::size_t>(k)]));
            REQUIRE(batch.images[(9 + i) * s + k] ==
                    static_cast<float>(set.image(batch.right[row])[static_cast<std::size_t>(k)]));
        }
    }
}

TEST_CASE("PairSampler: the second call allocates nothing") {
    const LabelledImages set = mixed_set();
    PairSampler sampler(set, 4);
    PairBatch<float> batch;
    sampler.sample(64, batch);
    const float* images = batch.images.data();
    const float* labels = batch.labels.data();
    const index_t* left = batch.left.data();
    const index_t* right = batch.right.data();
    for (const index_t b : {64, 64, 10, 64}) {
        sampler.sample(b, batch);
        CHECK(batch.images.data() == images);
        CHECK(batch.labels.data() == labels);
        CHECK(batch.left.data() == left);
        CHECK(batch.right.data() == right);
    }
}

TEST_CASE("PairSampler: a seed fixes the batches; different seeds differ") {
    const LabelledImages set = mixed_set();
    PairSampler a(set, 42), b(set, 42), c(set, 43);
    PairBatch<float> x, y, z;
    bool differs = false;
    for (int round = 0; round < 5; ++round) {
        a.sample(30, x);
        b.sample(30, y);
        c.sample(30, z);
        CHECK(x.left == y.left);
        CHECK(x.right == y.right);
        CHECK(std::equal(x.images.begin(), x.images.end(), y.images.begin()));
        differs = differs || x.left != z.left || x.right != z.right;
    }
    CHECK(differs);
}

TEST_CASE("PairSampler: saving and restoring the state resumes the same batches") {
    const LabelledImages set = mixed_set();
    PairSampler sampler(set, 5);
    PairBatch<double> first, again;
    sampler.sample(16, first);
    const PairSampler::State saved = sampler.state();
    sampler.sample(16, first);
    PairSampler resumed(set, 12345);
    resumed.set_state(saved);
    resumed.sample(16, again);
    CHECK(first.left == again.left);
    CHECK(first.right == again.right);
    sampler.set_state(saved);
    sampler.sample(16, again);
    CHECK(first.left == again.left);
}

TEST_CASE("PairSampler: separate left/right tensors match the stacked batch for the same seed") {
    const LabelledImages set = mixed_set();
    PairSampler a(set, 6), b(set, 6);
    PairBatch<float> stacked;
    Tensor<float> left, right, labels;
    std::vector<index_t> li, ri;
    a.sample(11, stacked);
    b.sample(11, left, right, labels, li, ri);
    CHECK(li == stacked.left);
    CHECK(ri == stacked.right);
    CHECK(left.shape() == Shape{11, 1, 3, 2});
    CHECK(right.shape() == Shape{11, 1, 3, 2});
    CHECK(std::equal(left.begin(), left.end(), stacked.images.begin()));
    CHECK(std::equal(right.begin(), right.end(), stacked.images.begin() + left.size()));
    CHECK(std::equal(labels.begin(), labels.end(), stacked.labels.begin()));
}

TEST_CASE("PairSampler: classes are drawn uniformly, whatever their sizes") {
    const LabelledImages set = mixed_set();  // class sizes 7, 3, 12, 2, 5, 1
    PairSampler sampler(set, 7);
    std::map<label_t, int> different_left, different_right, same;
    std::map<index_t, int> images_of_30;
    PairBatch<float> batch;
    const int rounds = 3000, b = 20;  // 30,000 different and 30,000 same rows
    for (int round = 0; round < rounds; ++round) {
        sampler.sample(b, batch);
        for (index_t i = 0; i < b; ++i) {
            const auto row = static_cast<std::size_t>(i);
            if (i < b / 2) {
                ++different_left[set.label(batch.left[row])];
                ++different_right[set.label(batch.right[row])];
            } else {
                ++same[set.label(batch.left[row])];
                if (set.label(batch.left[row]) == 30) ++images_of_30[batch.left[row]];
            }
        }
    }
    const double rows = rounds * b / 2.0;
    auto check_uniform = [](const std::map<label_t, int>& counts, std::size_t n_classes, double total) {
        CHECK(counts.size() == n_classes);
        const double p = 1.0 / static_cast<double>(n_classes);
        const double sigma = std::sqrt(total * p * (1 - p));
        // Not a structured binding: CAPTURE's lambda cannot capture one before clang 16.
        for (const auto& class_count : counts) {
            CAPTURE(class_count.first);
            CHECK(std::abs(class_count.second - total * p) < 5 * sigma);
        }
    };
    check_uniform(different_left, 6, rows);
    check_uniform(different_right, 6, rows);  // uniform over the other classes of a uniform class
    check_uniform(same, 5, rows);             // class 99 cannot make a same pair
    // Within a class every image is equally likely.
    CHECK(images_of_30.size() == 12);
    const double per_image = static_cast<double>(same[30]) / 12.0;
    for (const auto& [index, count] : images_of_30) CHECK(std::abs(count - per_image) < 5 * std::sqrt(per_image));
}

TEST_CASE("PairSampler: impossible sampling is a clear error") {
    const LabelledImages one_class = make_set({3, 3, 3});
    CHECK_THROWS_WITH_AS(PairSampler(one_class, 1), doctest::Contains("at least 2 classes"), std::invalid_argument);
    const LabelledImages singletons = make_set({1, 2, 3});
    CHECK_THROWS_WITH_AS(PairSampler(singletons, 1), doctest::Contains("a class with at least 2 images"),
                         std::invalid_argument);
    const LabelledImages empty;
    CHECK_THROWS_AS(PairSampler(empty, 1), std::invalid_argument);

    // Two classes, one of them a singleton: possible, and same pairs always come from the other.
    const LabelledImages minimal = make_set({1, 2, 2});
    PairSampler sampler(minimal, 1);
    PairBatch<float> batch;
    sampler.sample(4, batch);
    CHECK(minimal.label(batch.left[2]) == 2);
    CHECK(minimal.label(batch.left[3]) == 2);
    CHECK_THROWS_AS(sampler.sample(0, batch), std::invalid_argument);
    std::vector<index_t> l(3), r(2);
    CHECK_THROWS_WITH_AS(sampler.sample_indices(l, r), "PairSampler: 3 left but 2 right indices", siamese::shape_error);
}

TEST_CASE("Samplers: an image set changed after the sampler indexed it is an error at the next draw") {
    // A sampler refers to its set. Another set assigned to the same variable was drawn with the
    // old class lists: of the same size, pairs labelled "same" across classes without a word;
    // smaller, an index error that did not name the sampler.
    const std::vector<label_t> labels{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    std::vector<label_t> relabelled = labels;
    std::rotate(relabelled.begin(), relabelled.begin() + 1, relabelled.end());  // 0 0 1 1 1 2 2 2 3 3 3 0
    const std::vector<label_t> smaller{0, 0, 1, 1};
    const std::vector<label_t>* changed_sets[] = {&relabelled, &smaller};
    for (const auto* changed : changed_sets) {
        const std::string why = changed == &smaller ? "it had 12 images and now has 4" : "was of class";
        LabelledImages set = make_set(labels);
        PairSampler pairs(set, 1);
        PkSampler pk(set, {.p = 2, .k = 2}, 1);
        TripletSampler triplets(set, 1);
        PairBatch<float> pair_batch;
        PkBatch<float> pk_batch;
        TripletBatch<float> triplet_batch;
        pairs.sample(16, pair_batch);  // the set as indexed: fine
        pk.sample(pk_batch);
        triplets.sample(8, triplet_batch);
        set = make_set(*changed);
        auto draws = [&] {
            for (int i = 0; i < 20; ++i) pairs.sample(16, pair_batch);
        };
        test::require_error<std::logic_error>(draws, {"PairSampler: the image set changed", why});
        test::require_error<std::logic_error>(
            [&] {
                for (int i = 0; i < 20; ++i) pk.sample(pk_batch);
            },
            {"PkSampler: the image set changed", why, "build a new sampler"});
        test::require_error<std::logic_error>(
            [&] {
                for (int i = 0; i < 20; ++i) triplets.sample(8, triplet_batch);
            },
            {"TripletSampler: the image set changed", why});
        // With the set put back, a sampler that threw resumes from a saved state like any other
        // (PkSampler's partial shuffle of the classes was left undone).
        set = make_set(labels);
        PkSampler fresh(set, {.p = 2, .k = 2}, 9);
        pk.set_state(fresh.state());
        PkBatch<float> from_fresh;
        for (int i = 0; i < 10; ++i) {
            pk.sample(pk_batch);
            fresh.sample(from_fresh);
            CHECK(pk_batch.indices == from_fresh.indices);
        }
    }
}
