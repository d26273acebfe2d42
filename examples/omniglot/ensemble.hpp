// SPDX-License-Identifier: MIT
#pragma once

// Several trained networks scoring as one, loaded from their checkpoints.

#include "network.hpp"
#include "output_checks.hpp"
#include "run_checkpoint.hpp"
#include "settings.hpp"

#include <siamese/io/checkpoint.hpp>
#include <siamese/io/checksum.hpp>
#include <siamese/random.hpp>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace omniglot {

/// One model, or several scoring as one (the mean of their logits), with the settings they
/// were trained with: they must see the same images and episodes.
struct Ensemble {
    std::vector<Model> models;
    std::vector<std::string> trained_on;    ///< each model's --train
    std::vector<std::string> validated_on;  ///< each model's --validation
    std::vector<double> augment;            ///< each model's --augment
    Settings s;                             ///< the first model's settings (image side, ways, distortion)
};

inline Ensemble load_ensemble(const Settings& cmd, const std::vector<std::string>& files) {
    // One model given twice would count twice in the mean logit, an ensemble in name only.
    for (std::size_t i = 0; i < files.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (same_file(files[i], files[j])) {
                throw std::invalid_argument("--model " + files[i] + " is also --model " + files[j] +
                                            ": an ensemble of one model twice; give each model once");
            }
        }
    }
    Ensemble ensemble;
    std::vector<std::uint64_t> weights_hashes;
    for (const auto& file : files) {
        const auto checkpoint = siamese::io::Checkpoint::load(file);
        const Settings own = settings_from_checkpoint(checkpoint, cmd);
        const Settings& first = ensemble.s;
        if (ensemble.models.empty()) {
            ensemble.s = own;
        } else if (own.net.side != first.net.side || own.ways != first.ways) {
            throw std::invalid_argument(
                file + ": an ensemble needs one image side and one episode size; this model has " +
                std::to_string(own.net.side) + "x" + std::to_string(own.net.side) + ", " + std::to_string(own.ways) +
                "-way, " + files.front() + " has " + std::to_string(first.net.side) + "x" +
                std::to_string(first.net.side) + ", " + std::to_string(first.ways) + "-way");
        }
        siamese::Rng init(0);  // the weights come from the checkpoint
        ensemble.models.push_back(make_model(own.net, init));
        checkpoint.restore_params(ensemble.models.back().params());
        // A copy of a model is that model twice too.
        std::uint64_t weights_hash = 0;
        for (const auto& p : ensemble.models.back().params()) {
            const std::string_view bytes(reinterpret_cast<const char*>(p.value->data()),
                                         static_cast<std::size_t>(p.value->size()) * sizeof(T));
            weights_hash = siamese::io::fnv1a64(bytes) ^ (weights_hash * 0x100000001b3ULL);
        }
        for (std::size_t j = 0; j < weights_hashes.size(); ++j) {
            if (weights_hashes[j] == weights_hash) {
                throw std::invalid_argument("--model " + file + " holds the weights of --model " + files[j] +
                                            " (a copy?): an ensemble of one model twice; give each model once");
            }
        }
        weights_hashes.push_back(weights_hash);
        ensemble.trained_on.push_back(own.train);
        ensemble.validated_on.push_back(own.validation);
        ensemble.augment.push_back(own.augment);
        std::printf("%s: %s, trained on %s\n", file.c_str(), ensemble.models.back().name().c_str(), own.train.c_str());
    }
    if (ensemble.models.size() > 1)
        std::printf("ensemble of %zu models: a pair's score is the mean of their logits\n", ensemble.models.size());
    return ensemble;
}

}  // namespace omniglot
