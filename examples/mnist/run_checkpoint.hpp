// SPDX-License-Identifier: MIT
#pragma once

// Saving and resuming a training run: the weights, the optimizer's state, the sampler's position,
// the training state and the settings, in one io::Checkpoint.

#include "../common/cli_checks.hpp"
#include "../common/run_state.hpp"
#include "../common/stopped_run.hpp"
#include "objectives.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace mnist {

inline constexpr const char* checkpoint_format = "siamese-mnist-example";

using examples::hex_state;
using examples::parse_state;
using examples::to_tensor;
using examples::to_vector;
inline std::string number(double v) { return examples::exact_number(v); }

/// The model's weights, the optimizer's state, the sampler's position, the training state and the
/// settings that produced them. No timings or paths: the same run gives the same bytes.
inline void save_checkpoint(const fs::path& path, Model& model, Optimizer& optimizer, const Objective& objective,
                            const Settings& s, TrainingState& state) {
    siamese::io::Checkpoint c;
    c.add_params(model.params());
    siamese::io::add_optimizer_state(c, optimizer);
    if (!state.log.batch.empty()) {
        c.add("log.batch", to_tensor(state.log.batch));
        c.add("log.loss", to_tensor(state.log.loss));
        c.add("log.accuracy", to_tensor(state.log.accuracy));
    }
    c.set("format", checkpoint_format);
    c.set("architecture", model.name());
    c.set("image_size", std::to_string(s.image_side));
    c.set("seed", std::to_string(s.seed));
    c.set("epochs", std::to_string(s.epochs));
    c.set("batches", std::to_string(s.batches));
    c.set("batch_size", std::to_string(s.batch_size));
    c.set("lr", number(s.lr));
    c.set("momentum", number(s.momentum));
    c.set("loss", loss_name(s.loss));
    c.set("margin", number(s.margin));
    c.set("mining", s.mining);
    c.set("classes_per_batch", std::to_string(s.classes_per_batch));
    c.set("images_per_class", std::to_string(s.images_per_class));
    c.set("optimizer", s.optimizer);
    c.set("weight_decay", number(s.weight_decay));
    c.set("schedule", s.schedule);
    c.set("warmup", std::to_string(s.warmup));
    c.set("train_classes", s.train_classes);
    c.set("test_classes", s.test_classes);
    c.set("log_every", std::to_string(s.log_every));
    c.set("test_batches", std::to_string(s.test_batches));
    c.set("episodes", std::to_string(s.episodes));
    c.set("calibration_batches", std::to_string(s.calibration_batches));
    c.set("retrieval_images", std::to_string(s.retrieval_images));
    c.set("threads", std::to_string(siamese::num_threads()));
    if (!s.train_data.empty()) c.set("train_data", s.train_data);
    c.set("sampler_state", hex_state(objective.sampler_state()));
    c.set("next_epoch", std::to_string(state.epoch));
    c.set("next_batch", std::to_string(state.batch));
    c.set("running_loss", state.loss.state());
    c.set("running_accuracy", state.accuracy.state());
    examples::save_collapse_detector(c, state.collapse);
    ++state.saves;
    const bool pause = state.saves == debug_pause_at(s, "save");
    c.save(path, [&] {
        if (pause)
            examples::debug_pause("inside checkpoint save " + std::to_string(state.saves) + " of " + path.string());
    });
}

/// The settings a checkpoint records (training and test protocol), on top of the command line's
/// (data, threads, output), so that `evaluate` reproduces the numbers printed after training and
/// `train --resume` continues the same run.
inline Settings settings_from_checkpoint(const siamese::io::Checkpoint& c, Settings s) {
    if (c.get("format") != checkpoint_format) {
        throw siamese::io_error(c.path() + ": " +
                                (c.get("format") ? "checkpoint of another program: format '" + *c.get("format") + "'"
                                                 : std::string("checkpoint without the MNIST example's metadata")));
    }
    // Each as the command line checks it: a damaged or edited file would otherwise build a
    // network of terabytes, reach code that assumes a known --loss, or fail later blaming an
    // option the user never gave.
    constexpr long long count_max = std::numeric_limits<int>::max();
    s.image_side = c.at_integer("image_size", 10, 512);
    s.image_side_from = c.path();
    s.seed = static_cast<std::uint64_t>(c.at_integer("seed", 0, std::numeric_limits<long long>::max()));
    s.epochs = static_cast<int>(c.at_integer("epochs", 1, count_max));
    s.batches = c.at_integer("batches", 1, 1'000'000'000);
    s.batch_size = c.at_integer("batch_size", 2, 10000);
    s.lr = examples::checked_real(c, "lr", examples::learning_rate);
    s.momentum = examples::checked_real(c, "momentum", examples::zero_to_one);
    s.loss = parse_loss(c.at_choice("loss", loss_names));
    s.margin = examples::checked_real(c, "margin", examples::finite_positive);
    s.mining = c.at_choice("mining", mining_names);
    s.classes_per_batch = c.at_integer("classes_per_batch", 2, 100000);
    s.images_per_class = c.at_integer("images_per_class", 2, 100000);
    s.optimizer = c.at_choice("optimizer", optimizer_names);
    s.weight_decay = examples::checked_real(c, "weight_decay", examples::finite_non_negative);
    s.schedule = c.at_choice("schedule", schedule_names);
    s.warmup = c.at_integer("warmup", 0, count_max);
    s.train_classes = c.at("train_classes");
    s.test_classes = c.at("test_classes");
    s.log_every = c.at_integer("log_every", 1, count_max);
    s.test_batches = c.at_integer("test_batches", 1, 1'000'000);
    s.episodes = c.at_integer("episodes", 1, 1'000'000);
    s.calibration_batches = c.at_integer("calibration_batches", 1, 1'000'000);
    s.retrieval_images = c.at_integer("retrieval_images", 1, 100000);
    return s;
}

/// The running mean recorded under `key`, or io_error naming the file, the key and the value.
inline examples::RunningMean running_mean(const siamese::io::Checkpoint& c, const std::string& key) {
    const std::string& text = c.at(key);
    const auto mean = examples::RunningMean::from_state(text);
    if (!mean) {
        throw siamese::io_error(c.path() + ": metadata '" + key + "' is '" + text +
                                "', expected a running mean ('<sum> <count>')");
    }
    return *mean;
}

/// Where a run of settings `s` stands: the next epoch and batch its checkpoint records. They must
/// lie within the run: a next batch past the epoch's end would never close it and train for ever.
struct RunPosition {
    int epoch = 1;
    long batch = 0;
};
inline RunPosition run_position(const siamese::io::Checkpoint& c, const Settings& s) {
    return {static_cast<int>(c.at_integer("next_epoch", 1, static_cast<long long>(s.epochs) + 1)),
            static_cast<long>(c.at_integer("next_batch", 0, s.batches - 1))};
}

/// "after 1300 of 5000 batches": where a run of settings `s` stands after `done` batches.
inline std::string run_position_text(long done, const Settings& s) {
    return "after " + std::to_string(done) + " of " + std::to_string(static_cast<long>(s.epochs) * s.batches) +
           " batches";
}

/// Where the run of checkpoint `c`, in `folder`, stopped ("after 1300 of 5000 batches"), or
/// nothing when it trained all its batches and saved its model.ckpt.
inline std::optional<std::string> where_run_stopped(const siamese::io::Checkpoint& c, const fs::path& folder) {
    const Settings s = settings_from_checkpoint(c, Settings{});
    const RunPosition position = run_position(c, s);
    if (position.epoch <= s.epochs)
        return run_position_text(static_cast<long>(position.epoch - 1) * s.batches + position.batch, s);
    // model.ckpt is saved with the last checkpoint's bytes; a kill or a full disk between the two
    // leaves the trained model only in checkpoint.ckpt, and --resume saves and evaluates it.
    std::ifstream in(folder / "model.ckpt", std::ios::binary);
    const std::string model((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (model == c.serialize()) return std::nullopt;
    return "after its last batch, before its model.ckpt was saved";
}

/// Restores a run of settings `s` (read from the same checkpoint) from a checkpoint written by
/// save_checkpoint: weights, optimizer state, sampler position and training state.
inline void restore_run(const siamese::io::Checkpoint& c, const Settings& s, Model& model, Optimizer& optimizer,
                        Objective& objective, TrainingState& state) {
    const RunPosition position = run_position(c, s);
    c.restore_params(model.params());
    siamese::io::restore_optimizer_state(c, optimizer);
    objective.set_sampler_state(parse_state(c.at("sampler_state")));
    state.epoch = position.epoch;
    state.batch = position.batch;
    state.loss = running_mean(c, "running_loss");
    state.accuracy = running_mean(c, "running_accuracy");
    state.log.batch = to_vector(c, "log.batch");
    state.log.loss = to_vector(c, "log.loss");
    state.log.accuracy = to_vector(c, "log.accuracy");
    examples::restore_collapse_detector(c, state.collapse);
    if (c.at("threads") != std::to_string(siamese::num_threads())) {
        std::printf(
            "note: the run was saved with %s threads and resumes with %d: results agree to rounding, "
            "not bit for bit\n",
            c.at("threads").c_str(), siamese::num_threads());
    }
}

}  // namespace mnist
