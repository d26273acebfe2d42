// SPDX-License-Identifier: MIT
// What the example reads back from a checkpoint: each recorded setting as the command line
// checks it, so an edited or damaged file is refused naming the file, the key and the value.
#include "../common/error_message.hpp"
#include "report.hpp"
#include "run_checkpoint.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

/// A checkpoint whose settings read back, up to and including the words, from a default run.
siamese::io::Checkpoint recorded() {
    siamese::io::Checkpoint c;
    c.set("format", mnist::checkpoint_format);
    for (const char* key :
         {"image_size", "seed", "epochs", "batches", "batch_size", "classes_per_batch", "images_per_class", "warmup",
          "log_every", "test_batches", "episodes", "calibration_batches", "retrieval_images"}) {
        c.set(key, "28");
    }
    for (const char* key : {"lr", "momentum", "margin", "weight_decay"}) c.set(key, "0.1");
    c.set("loss", "bce");
    c.set("mining", "hard");
    c.set("optimizer", "sgd");
    c.set("schedule", "constant");
    c.set("train_classes", "");
    c.set("test_classes", "");
    return c;
}

/// The message settings_from_checkpoint gives for `written`, saved to a file, with the file's
/// path replaced by PATH.
std::string refusal(const siamese::io::Checkpoint& written) {
    const auto path = std::filesystem::temp_directory_path() / ("mnist-" + std::to_string(::getpid()) + ".ckpt");
    written.save(path);
    std::string message = examples::error_message<siamese::io_error>(
        [&] { (void)mnist::settings_from_checkpoint(siamese::io::Checkpoint::load(path), mnist::Settings{}); });
    std::filesystem::remove(path);
    if (const auto at = message.find(path.string()); at != std::string::npos) {
        message.replace(at, path.string().size(), "PATH");
    }
    return message;
}

}  // namespace

TEST_CASE("settings_from_checkpoint reads back a recorded run") { CHECK(refusal(recorded()) == "(no error)"); }

TEST_CASE("settings_from_checkpoint names a checkpoint of another program or without the example's metadata") {
    siamese::io::Checkpoint other;
    other.set("format", "siamese-omniglot-example");
    CHECK(refusal(other) == "PATH: checkpoint of another program: format 'siamese-omniglot-example'");
    CHECK(refusal(siamese::io::Checkpoint{}) == "PATH: checkpoint without the MNIST example's metadata");
}

TEST_CASE(
    "settings_from_checkpoint refuses a word or a number the command line would (an unknown loss reached an empty "
    "sampler)") {
    const struct {
        const char* key;
        const char* value;
        std::string message;
    } cases[] = {
        {"loss", "hinge", "PATH: metadata 'loss' is 'hinge', expected one of bce, contrastive, triplet"},
        {"mining", "easy", "PATH: metadata 'mining' is 'easy', expected one of hard, semi-hard, all"},
        {"optimizer", "adagrad", "PATH: metadata 'optimizer' is 'adagrad', expected one of sgd, adam, adamw"},
        {"schedule", "step", "PATH: metadata 'schedule' is 'step', expected one of constant, cosine"},
        // Numbers, as the command line checks them: a NaN rate trained on NaN weights.
        {"lr", "nan",
         "PATH: metadata 'lr' must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got 'nan'"},
        {"lr", "1e-320",
         "PATH: metadata 'lr' must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got '1e-320'"},
        {"momentum", "2", "PATH: metadata 'momentum' must be a number from 0 to 1, got '2'"},
        {"margin", "0", "PATH: metadata 'margin' must be a finite positive number, got '0'"},
        {"weight_decay", "-1", "PATH: metadata 'weight_decay' must be zero or a finite positive number, got '-1'"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.key);
        auto edited = recorded();
        edited.set(c.key, c.value);
        CHECK(refusal(edited) == c.message);
    }
}

TEST_CASE(
    "settings_from_checkpoint refuses an image size the network cannot take (9 passed, built a network of "
    "nothing)") {
    auto edited = recorded();
    edited.set("image_size", "9");
    CHECK(refusal(edited) == "PATH: metadata 'image_size' is 9, expected 10 to 512");
    edited.set("image_size", "10");
    CHECK(refusal(edited) == "(no error)");
}

TEST_CASE("a class list's ranges run upwards (a reversed range, 5-3, was taken)") {
    CHECK_THROWS_WITH_AS((void)mnist::parse_classes("--train-classes", "5-3"),
                         "--train-classes: class list '5-3': expected numbers and ranges like 0-5,7, got '5-3'",
                         std::invalid_argument);
    const auto ranges = mnist::parse_classes("--train-classes", "3-5,7");
    REQUIRE(ranges.size() == 2);
    CHECK((ranges[0].lo == 3 && ranges[0].hi == 5 && ranges[1].lo == 7 && ranges[1].hi == 7));
}

TEST_CASE("a random generator's state reads back, and a malformed one is refused (it read as zeros)") {
    const siamese::Rng::State state{1, 2, 0xfedcba9876543210ULL, 4};
    CHECK(examples::parse_state(examples::hex_state(state)) == state);
    CHECK_THROWS_WITH_AS((void)examples::parse_state("0 1 2 x"),
                         "checkpoint: malformed random-generator state '0 1 2 x'", siamese::io_error);
}

TEST_CASE("a collapse warning already given is saved and restored (a resumed run gave it again)") {
    siamese::training::CollapseDetector detector({.window = 2});
    (void)detector.add(0.5, 1.0);
    REQUIRE(detector.add(0.5, 1.0));
    REQUIRE(detector.warned());
    siamese::io::Checkpoint c;
    examples::save_collapse_detector(c, detector);
    CHECK(c.get("collapse_warned") == "1");
    siamese::training::CollapseDetector back({.window = 2});
    examples::restore_collapse_detector(siamese::io::Checkpoint::parse(c.serialize(), "run.ckpt"), back);
    CHECK(back.warned());
    CHECK_FALSE(back.add(0.5, 1.0));
}

TEST_CASE("the pair picture's verdict: the BCE head says same above probability 0.5 (it said the opposite)") {
    siamese::Rng init(1);
    mnist::Model model(siamese::make_seed_cnn<float>(init, 10), siamese::Shape{1, 10, 10}, init);
    siamese::Tensor<float> images(siamese::Shape{2, 1, 10, 10});
    for (siamese::index_t i = 0; i < images.size(); ++i) images.data()[i] = static_cast<float>((i * 37) % 256);
    const siamese::Tensor<float> embeddings = model.embed(images);
    const siamese::index_t dim = embeddings.dim(1);
    const float* left = embeddings.data();
    const float* right = embeddings.data() + dim;

    mnist::Settings s;  // --loss bce
    const mnist::Results results;
    const auto bce = mnist::verdict_for(model, s, results);
    for (const float* other : {left, right}) {
        const mnist::Verdict v = bce(left, other, dim);
        CAPTURE(v.number);
        CHECK(v.number != 0.5);
        CHECK(v.same == (v.number > 0.5));
    }

    // A metric loss: the distance against the threshold chosen on training pairs (a score: minus it).
    s.loss = mnist::Loss::contrastive;
    const double distance = siamese::eval::vector_distance(left, right, dim, siamese::eval::Distance::l2);
    mnist::Results at;
    at.calibrated.threshold = -distance;
    CHECK(mnist::verdict_for(model, s, at)(left, right, dim).same);
    at.calibrated.threshold = -std::nextafter(distance, 0.0);
    CHECK_FALSE(mnist::verdict_for(model, s, at)(left, right, dim).same);
}

TEST_CASE("a running mean reads back bit for bit from a checkpoint, and a damaged one is refused naming the key") {
    examples::RunningMean loss;
    for (const double v : {0.1, 0.2, 1.0 / 3}) loss.add(v);
    siamese::io::Checkpoint c;
    c.set("running_loss", loss.state());
    const auto back = mnist::running_mean(c, "running_loss");
    CHECK(back.mean() == loss.mean());
    CHECK(back.state() == loss.state());

    for (const char* text : {"", "0.5", "0.5 ", "x 3", "0.5 3 4", "0.5 -1", "0.5 three"}) {
        CAPTURE(text);
        c.set("running_loss", text);
        const auto loaded = siamese::io::Checkpoint::parse(c.serialize(), "run.ckpt");
        CHECK(examples::error_message<siamese::io_error>([&] { (void)mnist::running_mean(loaded, "running_loss"); }) ==
              std::string("run.ckpt: metadata 'running_loss' is '") + text +
                  "', expected a running mean ('<sum> <count>')");
    }
}

TEST_CASE("run_position refuses a position outside the run (a next batch past the epoch's end trained for ever)") {
    mnist::Settings s;
    s.epochs = 5;
    s.batches = 1000;
    siamese::io::Checkpoint c;
    c.set("next_epoch", "6");
    c.set("next_batch", "0");
    const auto end = mnist::run_position(siamese::io::Checkpoint::parse(c.serialize(), "run.ckpt"), s);
    CHECK(end.epoch == 6);
    CHECK(end.batch == 0);
    const struct {
        const char* key;
        const char* value;
        const char* message;
    } cases[] = {
        {"next_batch", "1000", "run.ckpt: metadata 'next_batch' is 1000, expected 0 to 999"},
        {"next_batch", "-1", "run.ckpt: metadata 'next_batch' is -1, expected 0 to 999"},
        {"next_epoch", "0", "run.ckpt: metadata 'next_epoch' is 0, expected 1 to 6"},
        {"next_epoch", "7", "run.ckpt: metadata 'next_epoch' is 7, expected 1 to 6"},
    };
    for (const auto& k : cases) {
        CAPTURE(k.key);
        auto edited = c;
        edited.set(k.key, k.value);
        CHECK(examples::error_message<siamese::io_error>([&] {
                  (void)mnist::run_position(siamese::io::Checkpoint::parse(edited.serialize(), "run.ckpt"), s);
              }) == k.message);
    }
}

TEST_CASE("a run resumes only on the training images it started on (--data is not restored and could point anywhere)") {
    using siamese::data::LabelledImages;
    const std::vector<std::uint8_t> pixels{0, 1, 2, 3, 4, 5, 6, 7};
    const LabelledImages images(siamese::Shape{1, 2, 2}, pixels, {3, 5});
    const std::string fingerprint = examples::data_fingerprint(images);
    CHECK(fingerprint.rfind("2 images [1, 2, 2], hash ", 0) == 0);
    CHECK(examples::data_fingerprint(LabelledImages(siamese::Shape{1, 2, 2}, pixels, {3, 5})) == fingerprint);
    auto other_pixel = pixels;
    other_pixel[6] = 9;
    CHECK(examples::data_fingerprint(LabelledImages(siamese::Shape{1, 2, 2}, other_pixel, {3, 5})) != fingerprint);
    CHECK(examples::data_fingerprint(LabelledImages(siamese::Shape{1, 2, 2}, pixels, {3, 6})) != fingerprint);

    siamese::io::Checkpoint c;
    const auto resume = [&](const std::string& loaded) {
        const auto saved = siamese::io::Checkpoint::parse(c.serialize(), "run.ckpt");
        return examples::error_message<std::invalid_argument>(
            [&] { examples::require_same_training_data(saved, loaded, "DIR"); });
    };
    CHECK(resume(fingerprint) == "(no error)");  // older checkpoints did not record it
    c.set("train_data", fingerprint);
    CHECK(resume(fingerprint) == "(no error)");
    const std::string other = examples::data_fingerprint(LabelledImages(siamese::Shape{1, 2, 2}, other_pixel, {3, 5}));
    CHECK(resume(other) == "run.ckpt: the run trained on " + fingerprint + ", but --data DIR gives " + other +
                               "; resume it with the data it trained on");
}
