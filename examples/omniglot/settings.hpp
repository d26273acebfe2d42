// SPDX-License-Identifier: MIT
#pragma once

// The command line's settings and the random streams derived from --seed.

#include "network.hpp"

#include <siamese/data/augment.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace omniglot {

/// Command-line settings; the defaults are the configuration docs/omniglot.md reports.
struct Settings {
    std::string data = "data/omniglot/images_background";
    std::string out = "out/omniglot";
    std::string train = "train25";
    std::string validation = "none";  ///< tuning: --train train20 --validation validation5
    NetConfig net;
    int epochs = 90;
    long steps = 500;           ///< optimizer steps per epoch
    std::string batch = "all";  ///< "all": every pair of P characters x K drawings; "pairs": B sampled pairs
    long batch_size = 64;       ///< pairs per step in "pairs" mode (half different, half same)
    long characters = 32;       ///< P, characters per step in "all" mode
    long drawings = 4;          ///< K, drawings of each character per step in "all" mode
    long batch_alphabets = 4;   ///< alphabets the P characters come from in "all" mode
    double focus = 0.1;  ///< "all" mode: softmax temperature focusing on alike different-character pairs (0: uniform)
    int turns = 4;       ///< training classes: each character also turned by 90, 180, 270 degrees (1: as drawn)
    bool mirror = true;  ///< training classes: each (turned) character also mirrored left to right
    std::string optimizer = "adam";
    double lr = 3e-3;
    double momentum = 0.9;  ///< SGD only
    double weight_decay = 0;
    std::string layer_lr = "1,1,1,1,1,1";  ///< lr scale of conv1..conv4, embedding, head
    std::string schedule = "cosine";
    long warmup = 500;     ///< steps of linear warm-up
    double within = 0.5;   ///< share of different-character pairs drawn within one alphabet
    double augment = 0.5;  ///< probability of each of Koch's distortions (0: none)
    int patience = 10;     ///< epochs without a better validation score before stopping (0: never stop early)
    long ways = 20;
    long val_episodes = 400;
    std::uint64_t seed = 0;
    int threads = 0;
    long log_every = 100;
    std::string resume;
};

// Separate random streams, all derived from --seed.
inline std::uint64_t sampler_seed(std::uint64_t seed) { return seed + 1; }
inline std::uint64_t augment_seed(std::uint64_t seed) { return seed + 2; }
inline std::uint64_t validation_seed(std::uint64_t seed) { return seed + 1000; }
inline std::uint64_t test_seed() { return 2015; }  // evaluation episodes do not depend on the training seed

inline std::vector<double> parse_numbers(const std::string& text, const char* what) {
    std::vector<double> v;
    std::stringstream in(text);
    std::string token;
    while (std::getline(in, token, ',')) {
        char* end = nullptr;
        const double x = std::strtod(token.c_str(), &end);
        if (token.empty() || *end != '\0' || !std::isfinite(x) || x < 0) {
            throw std::invalid_argument(std::string(what) +
                                        ": expected non-negative numbers separated by commas, got '" + text + "'");
        }
        v.push_back(x);
    }
    return v;
}

/// The four channel counts of --widths ("64,64,64,64"): whole numbers from 1 to max_channels.
/// Anything else (4.7, 1e30, -4) is an error naming `what`, never truncated or wrapped around.
inline std::vector<long> parse_widths(const std::string& text, const char* what) {
    std::vector<long> v;
    std::stringstream in(text);
    std::string token;
    while (std::getline(in, token, ',')) {
        const bool digits =
            !token.empty() && token.size() <= 9 &&
            std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
        const long w = digits ? std::stol(token) : 0;
        if (w < 1 || w > max_channels) {
            v.clear();
            break;
        }
        v.push_back(w);
    }
    if (v.size() != 4) {
        throw std::invalid_argument(std::string(what) + ": expected four channel counts, whole numbers from 1 to " +
                                    std::to_string(max_channels) + " separated by commas, got '" + text + "'");
    }
    return v;
}

/// Koch's affine distortions, with the translation range scaled from his 105-pixel images to ours.
inline siamese::data::KochAugmentOptions augment_options(const Settings& s) {
    siamese::data::KochAugmentOptions o;
    o.probability = s.augment;
    o.max_translation = 2.0 * static_cast<double>(s.net.side) / 105.0;
    o.fill = 0;  // paper is 0 once the ink is inverted
    return o;
}

}  // namespace omniglot
