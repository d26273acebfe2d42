// SPDX-License-Identifier: MIT
#pragma once

// The examples' --schedule and --warmup: the library's schedules put together the way both
// example programs offer them.

#include <siamese/config.hpp>
#include <siamese/optim/schedule.hpp>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

namespace examples {

/// The learning rate at each step of a run of `total_steps`: linear warm-up over the first
/// `warmup_steps`, then over the rest of the run
///   "constant":  the base rate;
///   "cosine":    cosine annealing to zero at the run's end;
///   "step":      a tenth every third of it (three levels, the last a hundredth).
class RunSchedule {
public:
    RunSchedule(std::string kind, double base_lr, siamese::index_t warmup_steps, siamese::index_t total_steps)
        : kind_(std::move(kind)), base_(base_lr), warmup_(warmup_steps), total_(total_steps) {
        if (kind_ != "cosine" && kind_ != "step" && kind_ != "constant") {
            throw std::invalid_argument("--schedule: expected cosine, step or constant, got '" + kind_ + "'");
        }
    }

    [[nodiscard]] double lr(siamese::index_t step) const {
        // A warm-up as long as the run leaves one step for what follows it.
        const siamese::index_t after = std::max<siamese::index_t>(1, total_ - warmup_);
        if (kind_ == "cosine") return siamese::LinearWarmup(warmup_, siamese::CosineAnnealing(base_, after)).lr(step);
        if (kind_ == "step") {
            // Thirds rounded up: rounded down, the last after % 3 steps would fall to a fourth level.
            const siamese::index_t third = std::max<siamese::index_t>(1, (after + 2) / 3);
            return siamese::LinearWarmup(warmup_, siamese::StepDecay(base_, third, 0.1)).lr(step);
        }
        return siamese::LinearWarmup(warmup_, siamese::ConstantLr(base_)).lr(step);
    }

    /// A note for the log when the warm-up is not shorter than the run, which then never reaches
    /// the base rate (and with a warm-up far longer, hardly learns); empty otherwise.
    [[nodiscard]] std::string warmup_note() const {
        if (warmup_ < total_ || total_ < 1) return "";
        const double highest = lr(total_ - 1);
        char text[256];
        std::snprintf(text, sizeof text,
                      "note: --warmup %lld is not shorter than the run's %lld steps: the learning rate rises to "
                      "%.3g at most, %.2g%% of --lr",
                      static_cast<long long>(warmup_), static_cast<long long>(total_), highest, 100 * highest / base_);
        return text;
    }

    /// Sets the optimizer's base rate for `step` (every parameter group follows with its scale).
    template <class Optimizer>
    void apply(Optimizer& optimizer, siamese::index_t step) const {
        optimizer.set_lr(lr(step));
    }

private:
    std::string kind_;
    double base_;
    siamese::index_t warmup_, total_;
};

}  // namespace examples
