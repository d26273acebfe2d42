// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/detail/check_scalar.hpp>
#include <siamese/detail/format_number.hpp>
#include <siamese/optim/param_group.hpp>
#include <siamese/param.hpp>

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace siamese::detail {

/// What every optimizer shares, whatever its update rule: its parameters in groups, the base
/// learning rate a schedule sets, and each group's lr_scale. Sgd, Adam and AdamW add their
/// state and step() (a plain base: nothing here is called in the update loop).
template <class T, class Options>
class GroupedOptimizer {
public:
    [[nodiscard]] const Options& options() const noexcept { return options_; }
    /// The base learning rate: options().lr, as AnyOptimizer::lr() reads it.
    [[nodiscard]] double lr() const noexcept { return options_.lr; }
    /// Sets the base learning rate (each group uses lr * its lr_scale); what schedules call.
    /// A negative, NaN or infinite lr, or one that makes a group's rate overflow T, is a
    /// std::invalid_argument, and the rate is left as it was.
    void set_lr(double lr) {
        check_non_negative(name_, "lr", lr, "::set_lr");
        for (std::size_t g = 0; g < groups_.size(); ++g) check_rate(g, lr, groups_[g].lr_scale, "::set_lr");
        options_.lr = lr;
    }
    /// All parameters, group after group (state is matched to them by position).
    [[nodiscard]] const ParamList<T>& params() const noexcept { return params_; }
    /// The groups: their slice of params() and their settings.
    [[nodiscard]] const std::vector<ParamGroupSlot>& groups() const noexcept { return groups_; }
    /// Changes group g's lr_scale (e.g. a per-layer decay); throws on a bad index or value.
    void set_lr_scale(std::size_t g, double lr_scale) {
        check_group(g);
        check_group_settings(name_, g, lr_scale, groups_[g].weight_decay);
        check_rate(g, options_.lr, lr_scale, "::set_lr_scale");
        groups_[g].lr_scale = lr_scale;
    }
    /// The learning rate group g steps with now: lr * lr_scale.
    [[nodiscard]] double group_lr(std::size_t g) const {
        check_group(g);
        return options_.lr * groups_[g].lr_scale;
    }

protected:
    /// Checks the base lr and the groups (see flatten_groups); the optimizer checks the rest of
    /// its options.
    GroupedOptimizer(std::vector<ParamGroup<T>> groups, Options options, std::string name)
        : options_(options), name_(std::move(name)) {
        check_non_negative(name_, "lr", options.lr);
        flatten_groups(name_, std::move(groups), params_, groups_);
        for (std::size_t g = 0; g < groups_.size(); ++g) check_rate(g, options.lr, groups_[g].lr_scale, "");
    }

    ParamList<T> params_;
    Options options_;
    std::string name_;  ///< "Sgd", "Adam", "AdamW": for messages
    std::vector<ParamGroupSlot> groups_;

private:
    /// A group steps with lr * lr_scale as a T, which must stay finite: as a float, a rate of
    /// 1e39 is inf, and the first step would turn every weight of the group to inf or NaN. Adam's
    /// step size is that rate over its bias correction 1 - beta1^t, at most 1 / (1 - beta1) times
    /// the rate (t = 1), so an Adam rate must stay finite divided by 1 - beta1 (a beta1 outside
    /// [0, 1) is the optimizer's own error, checked after this).
    void check_rate(std::size_t g, double lr, double lr_scale, const char* where) const {
        double step_size = lr * lr_scale;
        bool corrected = false;  // divided by Adam's bias correction
        if constexpr (requires { options_.beta1; }) {
            corrected = options_.beta1 >= 0 && options_.beta1 < 1;
            if (corrected) step_size /= 1 - options_.beta1;
        }
        if (step_size <= static_cast<double>(std::numeric_limits<T>::max())) [[likely]] {
            return;  // schedules set the rate every step: nothing allocated on this path
        }
        std::string bias_correction;
        if constexpr (requires { options_.beta1; }) {
            if (corrected)
                bias_correction = " / (1 - beta1 " + format_number(options_.beta1) + "), the first step's size,";
        }
        const std::string what = lr_scale == 1 ? "lr " + format_number(lr)
                                               : "lr " + format_number(lr) + " x lr_scale " + format_number(lr_scale) +
                                                     " of parameter group " + std::to_string(g);
        throw std::invalid_argument(name_ + where + ": " + what + bias_correction + " is out of range for " +
                                    scalar_type_name<T> + " (at most " + format_number(std::numeric_limits<T>::max()) +
                                    ")");
    }

    void check_group(std::size_t g) const {
        if (g >= groups_.size()) {
            throw std::out_of_range(name_ + ": parameter group " + std::to_string(g) + " of " +
                                    std::to_string(groups_.size()));
        }
    }
};

}  // namespace siamese::detail
