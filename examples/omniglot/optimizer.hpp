// SPDX-License-Identifier: MIT
#pragma once

// The optimiser with a learning rate per layer, and the schedule that moves them together.

#include "network.hpp"
#include "settings.hpp"

#include "../common/cli_checks.hpp"
#include "../common/schedule.hpp"

#include <siamese/optim/adam.hpp>
#include <siamese/optim/any_optimizer.hpp>
#include <siamese/optim/param_group.hpp>
#include <siamese/optim/sgd.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace omniglot {

using Optimizer = siamese::AnyOptimizer<T>;

/// The learning-rate scale of each layer, from --layer-lr.
inline std::vector<double> layer_scales(const Settings& s) {
    auto scales = parse_numbers(s.layer_lr, "--layer-lr");
    if (scales.size() != layer_prefixes.size()) {
        throw std::invalid_argument(
            "--layer-lr: expected 6 scales (conv1, conv2, conv3, conv4, embedding, head), got '" + s.layer_lr + "'");
    }
    return scales;
}

/// Refuses, before the run, a weight decay that makes the weights grow at the largest layer rate
/// (examples::check_weight_decay).
inline void check_weight_decay(const Settings& s) {
    const auto scales = layer_scales(s);
    const double top = *std::max_element(scales.begin(), scales.end());
    examples::check_weight_decay(s.optimizer, s.lr * top, top == 1 ? "--lr" : "--lr x the largest --layer-lr",
                                 s.momentum, s.weight_decay);
}

/// One parameter group per layer of layer_prefixes, with that layer's rate scale. A parameter
/// of no listed layer is an error (std::logic_error naming it), not a parameter left untrained:
/// a layer added to ConvNet must be added to layer_prefixes too.
inline std::vector<siamese::ParamGroup<T>> layer_groups(const siamese::ParamList<T>& params,
                                                        const std::vector<double>& scales) {
    std::vector<siamese::ParamGroup<T>> groups(layer_prefixes.size());
    for (const auto& p : params) {
        const auto g = std::find_if(layer_prefixes.begin(), layer_prefixes.end(),
                                    [&](const char* prefix) { return p.name.rfind(prefix, 0) == 0; });
        if (g == layer_prefixes.end()) {
            throw std::logic_error("parameter '" + p.name +
                                   "' belongs to no layer of layer_prefixes (network.hpp): it would not be trained");
        }
        groups[static_cast<std::size_t>(g - layer_prefixes.begin())].params.push_back(p);
    }
    for (std::size_t g = 0; g < groups.size(); ++g) groups[g].lr_scale = scales.at(g);
    return groups;
}

/// Adam, AdamW or SGD with momentum, one parameter group per layer (Koch trained each layer with
/// its own learning rate; --layer-lr sets the ratios, the schedule moves them together).
inline Optimizer make_optimizer(Model& model, const Settings& s) {
    auto groups = layer_groups(model.params(), layer_scales(s));
    if (s.optimizer == "adam") {
        return Optimizer(siamese::Adam<T>(std::move(groups), {.lr = s.lr, .weight_decay = s.weight_decay}));
    }
    if (s.optimizer == "adamw") {
        return Optimizer(siamese::AdamW<T>(std::move(groups), {.lr = s.lr, .weight_decay = s.weight_decay}));
    }
    if (s.optimizer == "sgd") {
        return Optimizer(
            siamese::Sgd<T>(std::move(groups), {.lr = s.lr, .momentum = s.momentum, .weight_decay = s.weight_decay}));
    }
    throw std::invalid_argument("--optimizer: expected adam, adamw or sgd, got '" + s.optimizer + "'");
}

/// The run's learning rate at each step (--schedule, with --warmup steps of linear warm-up, over
/// epochs x steps).
inline examples::RunSchedule make_schedule(const Settings& s) {
    return {s.schedule, s.lr, s.warmup, static_cast<index_t>(s.epochs) * s.steps};
}

}  // namespace omniglot
