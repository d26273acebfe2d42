// SPDX-License-Identifier: MIT
#pragma once

// What a checkpoint records of a run besides the weights: the architecture and the protocol.

#include "../common/cli_checks.hpp"
#include "../common/run_state.hpp"
#include "alphabets.hpp"
#include "settings.hpp"

#include <siamese/io/checkpoint.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace omniglot {

inline constexpr const char* checkpoint_format = "siamese-omniglot-example";

using examples::hex_state;
using examples::parse_state;
inline std::string number(double v) { return examples::exact_number(v); }

/// The settings a checkpoint records: the architecture and the whole training protocol.
inline void save_settings(siamese::io::Checkpoint& c, const Settings& s, const std::vector<std::string>& train,
                          const std::vector<std::string>& validation) {
    c.set("format", checkpoint_format);
    c.set("side", std::to_string(s.net.side));
    c.set("widths", s.net.widths_text());
    c.set("kernel", std::to_string(s.net.kernel));
    c.set("embedding", std::to_string(s.net.embedding));
    c.set("train_alphabets", join(train));
    c.set("validation_alphabets", join(validation));
    c.set("epochs", std::to_string(s.epochs));
    c.set("steps", std::to_string(s.steps));
    c.set("batch", s.batch);
    c.set("batch_size", std::to_string(s.batch_size));
    c.set("characters", std::to_string(s.characters));
    c.set("drawings", std::to_string(s.drawings));
    c.set("batch_alphabets", std::to_string(s.batch_alphabets));
    c.set("focus", number(s.focus));
    c.set("turns", std::to_string(s.turns));
    c.set("mirror", s.mirror ? "1" : "0");
    c.set("init", s.net.he_init ? "he" : "pytorch");
    c.set("optimizer", s.optimizer);
    c.set("lr", number(s.lr));
    c.set("momentum", number(s.momentum));
    c.set("weight_decay", number(s.weight_decay));
    c.set("layer_lr", s.layer_lr);
    c.set("schedule", s.schedule);
    c.set("warmup", std::to_string(s.warmup));
    c.set("within", number(s.within));
    c.set("augment", number(s.augment));
    c.set("patience", std::to_string(s.patience));
    c.set("ways", std::to_string(s.ways));
    c.set("val_episodes", std::to_string(s.val_episodes));
    c.set("seed", std::to_string(s.seed));
    c.set("log_every", std::to_string(s.log_every));
}

/// Settings from a checkpoint on top of the command line's (data, output, threads).
inline Settings settings_from_checkpoint(const siamese::io::Checkpoint& c, Settings s) {
    if (c.get("format") != checkpoint_format) {
        throw siamese::io_error(c.path() + ": " +
                                (c.get("format") ? "checkpoint of another program: format '" + *c.get("format") + "'"
                                                 : std::string("checkpoint without the Omniglot example's metadata")));
    }
    // Each as the command line checks it: a damaged or edited file would otherwise build a
    // network of terabytes (side 100000), or fail later blaming an option the user never gave.
    constexpr long long count_max = std::numeric_limits<int>::max();
    s.net.side = c.at_integer("side", 16, 105);
    s.net.widths = parse_widths(c.at("widths"), "checkpoint metadata 'widths'");
    s.net.kernel = c.at_integer("kernel", 1, s.net.side);
    s.net.embedding = c.at_integer("embedding", 1, 4096);
    s.train = c.at("train_alphabets");
    s.validation = c.at("validation_alphabets");
    s.epochs = static_cast<int>(c.at_integer("epochs", 1, count_max));
    s.steps = c.at_integer("steps", 1, 1'000'000'000);
    s.batch = c.at_choice("batch", {"all", "pairs"});
    s.batch_size = c.at_integer("batch_size", 2, 100000);
    s.characters = c.at_integer("characters", 2, 100000);
    s.drawings = c.at_integer("drawings", 2, 20);
    s.batch_alphabets = c.at_integer("batch_alphabets", 1, count_max);
    // Models trained before --focus and --turns (af4bc09) or --mirror (22207d7) lack the key: they
    // were trained with each one off, which is what an absent key reads back as.
    s.focus = c.get("focus") ? examples::checked_real(c, "focus", examples::finite_non_negative) : 0.0;
    s.turns = c.get("turns") ? static_cast<int>(c.at_integer("turns", 1, 4)) : 1;
    if (s.turns == 3) throw siamese::io_error(c.path() + ": metadata 'turns' is 3, expected 1, 2 or 4");
    s.mirror = c.get("mirror") && c.at_integer("mirror") != 0;
    s.net.he_init = c.at_choice("init", {"he", "pytorch"}) == "he";
    s.optimizer = c.at_choice("optimizer", {"adam", "adamw", "sgd"});
    s.lr = examples::checked_real(c, "lr", examples::learning_rate);
    s.momentum = examples::checked_real(c, "momentum", examples::zero_to_one);
    s.weight_decay = examples::checked_real(c, "weight_decay", examples::finite_non_negative);
    s.layer_lr = c.at("layer_lr");
    s.schedule = c.at_choice("schedule", {"cosine", "step", "constant"});
    s.warmup = c.at_integer("warmup", 0, count_max);
    s.within = examples::checked_real(c, "within", examples::zero_to_one);
    s.augment = examples::checked_real(c, "augment", examples::zero_to_one);
    s.patience = static_cast<int>(c.at_integer("patience", 0, count_max));
    s.ways = c.at_integer("ways", 2, 1000);
    s.val_episodes = c.at_integer("val_episodes", 1, 100000);
    s.seed = static_cast<std::uint64_t>(c.at_integer("seed", 0, std::numeric_limits<long long>::max()));
    s.log_every = c.at_integer("log_every", 1, count_max);
    return s;
}

}  // namespace omniglot
