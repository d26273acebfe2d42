// SPDX-License-Identifier: MIT
#pragma once

// The optimiser with a learning rate per layer, and the schedule that moves them together.

#include "network.hpp"
#include "settings.hpp"

#include <siamese/optim/adam.hpp>
#include <siamese/optim/any_optimizer.hpp>
#include <siamese/optim/param_group.hpp>
#include <siamese/optim/schedule.hpp>
#include <siamese/optim/sgd.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace omniglot {

using Optimizer = siamese::AnyOptimizer<T>;

/// Adam, AdamW or SGD with momentum, one parameter group per layer (Koch trained each layer with
/// its own learning rate; --layer-lr sets the ratios, the schedule moves them together).
inline Optimizer make_optimizer(Model& model, const Settings& s) {
    const auto scales = parse_numbers(s.layer_lr, "--layer-lr");
    if (scales.size() != layer_prefixes.size()) {
        throw std::invalid_argument(
            "--layer-lr: expected 6 scales (conv1, conv2, conv3, conv4, embedding, head), got '" + s.layer_lr + "'");
    }
    std::vector<siamese::ParamGroup<T>> groups(layer_prefixes.size());
    for (auto& p : model.params()) {
        for (std::size_t g = 0; g < layer_prefixes.size(); ++g) {
            if (p.name.rfind(layer_prefixes[g], 0) == 0) groups[g].params.push_back(p);
        }
    }
    for (std::size_t g = 0; g < groups.size(); ++g) groups[g].lr_scale = scales[g];
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

/// The learning rate at a step: linear warm-up, then cosine annealing to zero over the whole
/// run, a tenth every third of the run (step), or constant.
class Schedule {
public:
    explicit Schedule(const Settings& s)
        : base_(s.lr), warmup_(s.warmup), total_(static_cast<index_t>(s.epochs) * s.steps), kind_(s.schedule) {
        if (kind_ != "cosine" && kind_ != "step" && kind_ != "constant") {
            throw std::invalid_argument("--schedule: expected cosine, step or constant, got '" + kind_ + "'");
        }
    }
    [[nodiscard]] double lr(index_t step) const {
        const index_t after = std::max<index_t>(1, total_ - warmup_);
        if (kind_ == "cosine") return siamese::LinearWarmup(warmup_, siamese::CosineAnnealing(base_, after)).lr(step);
        if (kind_ == "step") {
            // Thirds rounded up: rounded down, the last after % 3 steps would fall to a fourth level.
            const index_t third = std::max<index_t>(1, (after + 2) / 3);
            return siamese::LinearWarmup(warmup_, siamese::StepDecay(base_, third, 0.1)).lr(step);
        }
        return siamese::LinearWarmup(warmup_, siamese::ConstantLr(base_)).lr(step);
    }
    void apply(Optimizer& optimizer, index_t step) const { optimizer.set_lr(lr(step)); }

private:
    double base_;
    index_t warmup_, total_;
    std::string kind_;
};

}  // namespace omniglot
