// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/data/labelled_images.hpp>

#include <cstdint>
#include <stdexcept>
#include <vector>

using namespace siamese;
using namespace siamese::data;

namespace {

/// n images of [c, h, w] whose pixel k of image i is (3 i + k) mod 256, with the given labels.
LabelledImages make_set(const std::vector<label_t>& labels, index_t c = 1, index_t h = 2, index_t w = 3) {
    const index_t per = c * h * w;
    std::vector<std::uint8_t> pixels(labels.size() * static_cast<std::size_t>(per));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        for (index_t k = 0; k < per; ++k) {
            pixels[i * static_cast<std::size_t>(per) + static_cast<std::size_t>(k)] =
                static_cast<std::uint8_t>((3 * static_cast<index_t>(i) + k) % 256);
        }
    }
    return LabelledImages(Shape{c, h, w}, std::move(pixels), labels);
}

}  // namespace

TEST_CASE("LabelledImages: shape, count, labels and classes") {
    const LabelledImages set = make_set({7, -2, 7, 300, 7}, 2, 3, 4);
    CHECK(set.size() == 5);
    CHECK_FALSE(set.empty());
    CHECK(set.image_shape() == Shape{2, 3, 4});
    CHECK(set.image_size() == 24);
    CHECK(set.batch_shape(6) == Shape{6, 2, 3, 4});
    CHECK(set.label(3) == 300);
    CHECK(set.labels().size() == 5);
    CHECK(set.classes() == std::vector<label_t>{-2, 7, 300});
    CHECK(set.class_counts() == std::vector<index_t>{1, 3, 1});
    // One byte per pixel: the whole point of storing images compactly.
    CHECK(set.pixels().size() == 5 * 24);
    CHECK(set.image(1).size() == 24);
    CHECK(set.image(1)[0] == 3);
    CHECK_THROWS_AS((void)set.label(5), std::out_of_range);
    CHECK_THROWS_AS((void)set.image(-1), std::out_of_range);
}

TEST_CASE("LabelledImages: [H, W] means one channel; a default set is empty") {
    const LabelledImages set(Shape{2, 2}, std::vector<std::uint8_t>(8, 1), {0, 1});
    CHECK(set.image_shape() == Shape{1, 2, 2});
    const LabelledImages none;
    CHECK(none.empty());
    CHECK(none.size() == 0);
    CHECK(none.classes().empty());
}

TEST_CASE("LabelledImages: inconsistent sizes are shape errors") {
    test::require_shape_error(
        [] {
            LabelledImages(Shape{1, 2, 2}, std::vector<std::uint8_t>(7), {0, 1});
        },
        {"LabelledImages", "8 pixels", "got 7"});
    test::require_shape_error([] { LabelledImages(Shape{1, 0, 2}, {}, {}); }, {"[C, H, W]", "[1, 0, 2]"});
    test::require_shape_error([] { LabelledImages(Shape{4}, std::vector<std::uint8_t>(4), {0}); }, {"[4]"});
    // Too many pixels is as wrong as too few: the rest would be a truncated image or another set.
    test::require_shape_error(
        [] {
            LabelledImages(Shape{1, 2, 2}, std::vector<std::uint8_t>(9), {0, 1});
        },
        {"LabelledImages: 2 labels and images of [1, 2, 2] need 8 pixels, got 9"});
    // Every side must be positive, not only the height.
    for (const Shape& empty_side : {Shape{0, 2, 2}, Shape{1, 2, 0}}) {
        test::require_shape_error([&] { LabelledImages(empty_side, {}, {}); },
                                  {"with positive sizes, got " + empty_side.str()});
    }
}

TEST_CASE("LabelledImages: labels are any 64-bit integer, kept whole") {
    // Ids of other data sets need not fit 32 bits.
    const label_t big = label_t{1} << 40;
    const LabelledImages set(Shape{1, 1}, std::vector<std::uint8_t>(3), {big, -big, big + 1});
    CHECK(set.classes() == std::vector<label_t>{-big, big, big + 1});
    CHECK(set.label(2) == big + 1);
}

TEST_CASE("LabelledImages: copy_image gives raw 0..255 values, unnormalised") {
    std::vector<std::uint8_t> pixels{0, 1, 128, 255, 9, 8, 7, 6};
    const LabelledImages set(Shape{1, 2, 2}, pixels, {4, 5});
    std::vector<float> out(4, -1.0f);
    set.copy_image(0, std::span<float>(out));
    CHECK(out == std::vector<float>{0.0f, 1.0f, 128.0f, 255.0f});
    std::vector<double> d(4);
    set.copy_image(1, d.data());
    CHECK(d == std::vector<double>{9, 8, 7, 6});
    std::vector<float> wrong(5);
    test::require_shape_error([&] { set.copy_image(0, std::span<float>(wrong)); }, {"5 values", "4"});
}

TEST_CASE("LabelledImages: copy_images stacks the chosen images into [n, C, H, W]") {
    const LabelledImages set = make_set({0, 1, 2, 3});
    Tensor<float> out;
    const std::vector<index_t> pick{3, 0, 3};
    set.copy_images(std::span<const index_t>(pick), out);
    CHECK(out.shape() == Shape{3, 1, 2, 3});
    for (index_t r = 0; r < 3; ++r) {
        for (index_t k = 0; k < 6; ++k) {
            CHECK(out[r * 6 + k] ==
                  static_cast<float>(set.image(pick[static_cast<std::size_t>(r)])[static_cast<std::size_t>(k)]));
        }
    }
}

TEST_CASE("LabelledImages: subset keeps order and repeats") {
    const LabelledImages set = make_set({5, 6, 7});
    const std::vector<index_t> pick{2, 2, 0};
    const LabelledImages sub = set.subset(pick);
    CHECK(sub.size() == 3);
    CHECK(sub.label(0) == 7);
    CHECK(sub.label(2) == 5);
    CHECK(sub.image(1)[0] == set.image(2)[0]);
    CHECK(sub.classes() == std::vector<label_t>{5, 7});
    CHECK_THROWS_AS((void)set.subset(std::vector<index_t>{3}), std::out_of_range);
}

TEST_CASE("keep_classes: e.g. digits 0-5 for training, 6-9 for one-shot testing") {
    const LabelledImages set = make_set({0, 6, 1, 9, 5, 6, 2, 7, 3, 8, 4});
    const LabelledImages low = keep_classes(set, {0, 1, 2, 3, 4, 5});
    const LabelledImages high = keep_classes(set, {9, 6, 7, 8, 6});  // order and repeats do not matter
    CHECK(low.size() + high.size() == set.size());
    CHECK(std::vector<label_t>(low.labels().begin(), low.labels().end()) == std::vector<label_t>{0, 1, 5, 2, 3, 4});
    CHECK(high.classes() == std::vector<label_t>{6, 7, 8, 9});
    // Pixels travel with their labels: image 3 of the original (label 9) is image 1 of high.
    CHECK(high.label(1) == 9);
    CHECK(high.image(1)[0] == set.image(3)[0]);
}

TEST_CASE("keep_classes: a class that is not in the set is an error, not a smaller set") {
    const LabelledImages set = make_set({0, 1, 2});
    bool thrown = false;
    try {
        (void)keep_classes(set, {1, 2, 8});
    } catch (const std::invalid_argument& e) {
        thrown = true;
        CHECK(std::string(e.what()).find("8") != std::string::npos);
    }
    CHECK(thrown);
    CHECK_THROWS_AS((void)keep_classes(set, {}), std::invalid_argument);
    // A class missing twice in the request is named once.
    CHECK_THROWS_WITH_AS((void)keep_classes(set, {8, 1, 8}), "keep_classes: class(es) 8 not in the image set",
                         std::invalid_argument);
}

TEST_CASE("LabelledImages: image sizes whose pixel count overflows are shape errors, not wrapped") {
    // 2^63 pixels per image do not fit index_t: Shape itself refuses them.
    test::require_shape_error(
        [] {
            LabelledImages(Shape{index_t{1} << 21, index_t{1} << 21, index_t{1} << 21}, {}, {0});
        },
        {"[2097152, 2097152, 2097152]"});
    // 16 images of 2^60 pixels need 2^64 bytes: the count used to wrap to 0 and match no pixels.
    test::require_shape_error(
        [] {
            LabelledImages(Shape{index_t{1} << 20, index_t{1} << 20, index_t{1} << 20}, {},
                           std::vector<label_t>(16, 0));
        },
        {"LabelledImages", "16 labels", "[1048576, 1048576, 1048576]", "got 0"});
}
