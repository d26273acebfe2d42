// SPDX-License-Identifier: MIT
#pragma once

// The alphabets a run learns from, and the alphabets, never trained on, that choose its model.

#include "alphabets.hpp"
#include "class_copies.hpp"
#include "evaluation.hpp"
#include "settings.hpp"

#include "../common/progress.hpp"
#include "../common/run_state.hpp"

#include <siamese/data/omniglot.hpp>
#include <siamese/data/omniglot_episodes.hpp>
#include <siamese/data/one_shot_episode.hpp>
#include <siamese/parallel.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace omniglot {

struct TrainingData {
    std::vector<std::string> train_names, val_names;  ///< alphabets, as --train and --validation expand
    siamese::data::Omniglot train_set;               ///< with the turned and mirrored copies as characters of their own
    std::optional<siamese::data::Omniglot> val_set;  ///< none with --validation none
    std::optional<siamese::data::Omniglot> val_drawn;         ///< the same as drawn (105 x 105), for the baselines
    std::vector<siamese::data::OneShotEpisode> val_episodes;  ///< the same every epoch
    std::string train_fingerprint;  ///< examples::data_fingerprint of the training images as loaded (before copies)
};

inline void print_alphabets(const char* role, const siamese::data::Omniglot& set) {
    std::printf("%s: %zu alphabets, %zu characters, %ld images (%s)\n", role, set.alphabets.size(),
                set.characters.size(), static_cast<long>(set.images.size()), join(set.alphabets, ", ").c_str());
}

/// Loads --train and --validation at the network's side, adds the --turns and --mirror copies
/// of the training characters, and draws the validation episodes; says what it loaded.
inline TrainingData load_training_data(const Settings& s) {
    examples::Progress clock(0, 0, "");
    TrainingData d;
    const auto available = available_alphabets(s.data);
    d.train_names = expand_alphabets(s.train, available);
    d.val_names = expand_alphabets(s.validation, available);
    if (d.train_names.empty()) throw std::invalid_argument("--train: no alphabets to train on");
    for (const auto& a : d.val_names) {
        if (std::find(d.train_names.begin(), d.train_names.end(), a) != d.train_names.end()) {
            throw std::invalid_argument("alphabet " + a +
                                        " is in both --train and --validation: validate on alphabets "
                                        "the network never saw");
        }
    }
    d.train_set = load_alphabets(s.data, d.train_names, s.net.side);
    d.train_fingerprint = examples::data_fingerprint(d.train_set.images);
    const std::string drawn = std::to_string(d.train_set.drawn_width) + "x" + std::to_string(d.train_set.drawn_height);
    print_alphabets("training", d.train_set);
    d.train_set = with_turns(std::move(d.train_set), s.turns);
    if (s.mirror) d.train_set = with_mirrors(std::move(d.train_set));
    if (s.turns > 1 || s.mirror) {
        std::string copies = s.turns == 4   ? "turned by 90, 180, 270 degrees"
                             : s.turns == 2 ? "turned by 180 degrees"
                                            : "";
        if (s.mirror) copies += copies.empty() ? "mirrored" : " and mirrored";
        std::printf("  each character also %s, as new characters: %zu classes, %ld images\n", copies.c_str(),
                    d.train_set.characters.size(), static_cast<long>(d.train_set.images.size()));
    }
    if (!d.val_names.empty()) {
        d.val_set = load_alphabets(s.data, d.val_names, s.net.side);
        d.val_episodes = siamese::data::within_alphabet_episodes(
            *d.val_set, {.ways = s.ways, .episodes = s.val_episodes, .seed = validation_seed(s.seed)});
        print_alphabets("validation", *d.val_set);
        (void)alphabets_hosting(*d.val_set, s.ways);  // says which host no validation episode
        // The report after training compares them as drawn with the baselines: checked now.
        d.val_drawn = load_alphabets(s.data, d.val_names, 105);
        refuse_blank_drawings(*d.val_drawn, s.data);
    }
    std::printf("images %ldx%ld (area-averaged from %s, ink high), loaded in %s; %s\n", s.net.side, s.net.side,
                drawn.c_str(), examples::format_seconds(clock.elapsed_seconds()).c_str(),
                examples::count_of(siamese::num_threads(), "thread").c_str());
    return d;
}

}  // namespace omniglot
