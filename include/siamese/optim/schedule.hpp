// SPDX-License-Identifier: MIT
#pragma once

// Learning-rate schedules: small immutable objects mapping a step number (0 for the first
// optimizer step) to a learning rate. lr(step) queries; apply(optimizer, step) sets the
// optimizer's base lr (every parameter group follows with its lr_scale):
//
//   const LinearWarmup schedule(500, CosineAnnealing(3e-4, 9500));   // warm-up, then cosine
//   for (index_t step = 0; step < 10000; ++step) {
//       schedule.apply(adam, step);
//       ... forward, backward, adam.step();
//   }

#include <siamese/config.hpp>
#include <siamese/detail/format_number.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

namespace siamese {

/// Anything with a learning rate per step.
template <class S>
concept LrSchedule = requires(const S& s, index_t step) {
    { s.lr(step) } -> std::convertible_to<double>;
};

namespace detail {

inline void check_lr(const char* who, double lr) {
    if (!(lr >= 0) || !std::isfinite(lr)) {
        throw std::invalid_argument(std::string(who) + ": learning rate must be non-negative and finite, got " +
                                    format_number(lr));
    }
}

inline void check_step_index(const char* who, index_t step) {
    if (step < 0) throw std::invalid_argument(std::string(who) + ": negative step " + std::to_string(step));
}

}  // namespace detail

/// The same learning rate at every step.
class ConstantLr {
public:
    explicit ConstantLr(double lr) : lr_(lr) { detail::check_lr("ConstantLr", lr); }

    [[nodiscard]] double lr(index_t step) const {
        detail::check_step_index("ConstantLr", step);
        return lr_;
    }
    template <class Optimizer>
    void apply(Optimizer& optimizer, index_t step) const {
        optimizer.set_lr(lr(step));
    }

private:
    double lr_;
};

/// Step decay: base_lr * gamma^floor(step / step_size), e.g. a tenth every 30 epochs' steps;
/// gamma in (0, 1].
class StepDecay {
public:
    StepDecay(double base_lr, index_t step_size, double gamma = 0.1)
        : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
        detail::check_lr("StepDecay", base_lr);
        if (step_size < 1) throw std::invalid_argument("StepDecay: step_size must be at least 1");
        // gamma > 1 would grow the rate without bound (to inf); gamma = 0 would stop learning
        // after the first step_size steps.
        if (!(gamma > 0 && gamma <= 1)) {
            throw std::invalid_argument("StepDecay: gamma must be in (0, 1], got " + detail::format_number(gamma));
        }
    }

    [[nodiscard]] double lr(index_t step) const {
        detail::check_step_index("StepDecay", step);
        return base_lr_ * std::pow(gamma_, static_cast<double>(step / step_size_));
    }
    template <class Optimizer>
    void apply(Optimizer& optimizer, index_t step) const {
        optimizer.set_lr(lr(step));
    }

private:
    double base_lr_;
    index_t step_size_;
    double gamma_;
};

/// Cosine annealing from base_lr at step 0 to min_lr at step total_steps:
///   min_lr + (base_lr - min_lr) (1 + cos(pi step / total_steps)) / 2,
/// and min_lr after that (PyTorch's CosineAnnealingLR would climb back up; a run that goes on
/// past its schedule should not).
class CosineAnnealing {
public:
    CosineAnnealing(double base_lr, index_t total_steps, double min_lr = 0.0)
        : base_lr_(base_lr), total_(total_steps), min_lr_(min_lr) {
        detail::check_lr("CosineAnnealing", base_lr);
        detail::check_lr("CosineAnnealing", min_lr);
        if (total_steps < 1) throw std::invalid_argument("CosineAnnealing: total_steps must be at least 1");
    }

    [[nodiscard]] double lr(index_t step) const {
        detail::check_step_index("CosineAnnealing", step);
        const double progress = static_cast<double>(std::min(step, total_)) / static_cast<double>(total_);
        return min_lr_ + (base_lr_ - min_lr_) * (1 + std::cos(std::numbers::pi * progress)) / 2;
    }
    template <class Optimizer>
    void apply(Optimizer& optimizer, index_t step) const {
        optimizer.set_lr(lr(step));
    }

private:
    double base_lr_;
    index_t total_;
    double min_lr_;
};

/// Linear warm-up into another schedule: for step < warmup_steps the rate climbs linearly to
/// the next schedule's first rate, target * (step + 1) / warmup_steps (so step 0 already
/// learns, and step warmup_steps - 1 reaches the target); from then on it is
/// next.lr(step - warmup_steps): the next schedule's clock starts when the warm-up ends.
template <LrSchedule Next>
class LinearWarmup {
public:
    LinearWarmup(index_t warmup_steps, Next next) : warmup_(warmup_steps), next_(std::move(next)) {
        if (warmup_steps < 0) throw std::invalid_argument("LinearWarmup: warmup_steps must be non-negative");
    }

    [[nodiscard]] double lr(index_t step) const {
        detail::check_step_index("LinearWarmup", step);
        if (step >= warmup_) return next_.lr(step - warmup_);
        return next_.lr(0) * static_cast<double>(step + 1) / static_cast<double>(warmup_);
    }
    template <class Optimizer>
    void apply(Optimizer& optimizer, index_t step) const {
        optimizer.set_lr(lr(step));
    }

    [[nodiscard]] const Next& next() const noexcept { return next_; }

private:
    index_t warmup_;
    Next next_;
};

}  // namespace siamese
