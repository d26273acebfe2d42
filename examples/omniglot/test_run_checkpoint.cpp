// SPDX-License-Identifier: MIT
// What the example reads back from a checkpoint: a file of another program, or one without the
// example's metadata, is refused with a message naming the file (in an ensemble of several
// --model files the user could not tell which was wrong).
#include "../common/error_message.hpp"
#include "run_checkpoint.hpp"
#include "training_state.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

std::string refusal(const siamese::io::Checkpoint& written, const std::string& name) {
    const auto path = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".ckpt");
    written.save(path);
    const omniglot::Settings given;
    const std::string message = examples::error_message<siamese::io_error>(
        [&] { (void)omniglot::settings_from_checkpoint(siamese::io::Checkpoint::load(path), given); });
    std::filesystem::remove(path);
    return path.string() + "|" + message;
}

}  // namespace

TEST_CASE("settings_from_checkpoint names the file of another program or without the example's metadata") {
    siamese::io::Checkpoint other;
    other.set("format", "siamese-mnist-example");
    const auto a = refusal(other, "other_program");
    const auto path_a = a.substr(0, a.find('|'));
    CHECK(a.substr(a.find('|') + 1) == path_a + ": checkpoint of another program: format 'siamese-mnist-example'");

    const auto b = refusal(siamese::io::Checkpoint{}, "no_metadata");
    const auto path_b = b.substr(0, b.find('|'));
    CHECK(b.substr(b.find('|') + 1) == path_b + ": checkpoint without the Omniglot example's metadata");
}

TEST_CASE("settings_from_checkpoint checks the recorded settings as the command line does") {
    // An edited or damaged file with side 100000 built a network of terabytes in evaluate.
    siamese::io::Checkpoint edited;
    edited.set("format", omniglot::checkpoint_format);
    edited.set("side", "100000");
    const auto a = refusal(edited, "side");
    CHECK(a.substr(a.find('|') + 1) == a.substr(0, a.find('|')) + ": metadata 'side' is 100000, expected 16 to 105");
}

TEST_CASE("settings_from_checkpoint refuses a word the command line would") {
    // The settings a run records, then one word edited.
    siamese::io::Checkpoint edited;
    edited.set("format", omniglot::checkpoint_format);
    const omniglot::Settings defaults;
    const std::vector<std::string> train{"Alphabet0"}, validation{"Alphabet1"};
    omniglot::save_settings(edited, defaults, train, validation);
    edited.set("batch", "triplets");
    const auto a = refusal(edited, "batch");
    CHECK(a.substr(a.find('|') + 1) ==
          a.substr(0, a.find('|')) + ": metadata 'batch' is 'triplets', expected one of all, pairs");
}

TEST_CASE("settings_from_checkpoint refuses a number the command line would (a NaN rate, a probability of 5)") {
    const struct {
        const char* key;
        const char* value;
        const char* problem;
    } cases[] = {
        {"lr", "nan", "must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got 'nan'"},
        {"lr", "0", "must be a number from 1.2e-38 to 3.4e38 (a float's normal range), got '0'"},
        {"momentum", "1.5", "must be a number from 0 to 1, got '1.5'"},
        {"weight_decay", "-0.1", "must be zero or a finite positive number, got '-0.1'"},
        {"within", "inf", "must be a number from 0 to 1, got 'inf'"},
        {"augment", "5", "must be a number from 0 to 1, got '5'"},
        {"focus", "-1", "must be zero or a finite positive number, got '-1'"},
        {"turns", "3", "is 3, expected 1, 2 or 4"},
        {"kernel", "49", "is 49, expected 1 to 48"},  // no larger than the images (the default side)
    };
    const std::vector<std::string> train{"Alphabet0"}, validation{"Alphabet1"};
    const omniglot::Settings defaults;
    siamese::io::Checkpoint recorded;
    recorded.set("format", omniglot::checkpoint_format);
    omniglot::save_settings(recorded, defaults, train, validation);
    const auto good = refusal(recorded, "good");
    CHECK(good.substr(good.find('|') + 1) == "(no error)");
    for (const auto& c : cases) {
        CAPTURE(c.key);
        auto edited = recorded;
        edited.set(c.key, c.value);
        const auto a = refusal(edited, "real");
        CHECK(a.substr(a.find('|') + 1) == a.substr(0, a.find('|')) + ": metadata '" + c.key + "' " + c.problem);
    }
}

TEST_CASE("settings_from_checkpoint reads a model saved before --focus, --turns and --mirror as trained without them") {
    omniglot::Settings trained;
    trained.focus = 0.1;
    trained.turns = 4;
    trained.mirror = true;
    const std::vector<std::string> train{"Alphabet0"}, validation{"Alphabet1"};
    siamese::io::Checkpoint recorded;
    recorded.set("format", omniglot::checkpoint_format);
    omniglot::save_settings(recorded, trained, train, validation);
    siamese::io::Checkpoint older;
    for (const auto& [key, value] : recorded.metadata()) {
        if (key != "focus" && key != "turns" && key != "mirror") older.set(key, value);
    }
    const omniglot::Settings given;
    const auto now = omniglot::settings_from_checkpoint(recorded, given);
    CHECK(now.focus == 0.1);
    CHECK(now.turns == 4);
    CHECK(now.mirror);
    const auto before = omniglot::settings_from_checkpoint(older, given);
    CHECK(before.focus == 0.0);
    CHECK(before.turns == 1);
    CHECK_FALSE(before.mirror);
}

TEST_CASE("restore_state refuses a position outside the run (a next epoch of -1000000 trained a million epochs)") {
    omniglot::TrainingState saved;
    saved.epoch = 4;
    saved.best = 0.75;
    saved.best_epoch = 2;
    saved.stale = 1;
    siamese::io::Checkpoint c;
    omniglot::save_state(c, saved);
    auto restored = [&](const siamese::io::Checkpoint& edited) {
        const auto loaded = siamese::io::Checkpoint::parse(edited.serialize(), "run.ckpt");
        omniglot::TrainingState st;
        const std::string message =
            examples::error_message<siamese::io_error>([&] { omniglot::restore_state(loaded, 10, st); });
        if (message != "(no error)") return message;
        return message + " epoch " + std::to_string(st.epoch) + " best epoch " + std::to_string(st.best_epoch);
    };
    CHECK(restored(c) == "(no error) epoch 4 best epoch 2");
    const struct {
        const char* key;
        const char* value;
        const char* message;
    } cases[] = {
        {"next_epoch", "-1000000", "run.ckpt: metadata 'next_epoch' is -1000000, expected 1 to 11"},
        {"next_epoch", "12", "run.ckpt: metadata 'next_epoch' is 12, expected 1 to 11"},
        {"best_epoch", "11", "run.ckpt: metadata 'best_epoch' is 11, expected 0 to 10"},
        {"stale_epochs", "-1", "run.ckpt: metadata 'stale_epochs' is -1, expected 0 to 10"},
        {"best_accuracy", "nan", "run.ckpt: metadata 'best_accuracy' is not a number: 'nan'"},
        {"best_accuracy", "1.5",
         "run.ckpt: metadata 'best_accuracy' is 1.5, expected an accuracy from 0 to 1 (or -1 before the first "
         "validation)"},
    };
    for (const auto& k : cases) {
        CAPTURE(k.key);
        auto edited = c;
        edited.set(k.key, k.value);
        CHECK(restored(edited) == k.message);
    }
}
