// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/optim/param_group.hpp>
#include <siamese/param.hpp>

#include <cstddef>
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
    /// Sets the base learning rate (each group uses lr * its lr_scale); what schedules call.
    /// A negative, NaN or infinite lr is a std::invalid_argument, and the rate is left as it was.
    void set_lr(double lr) {
        check_non_negative(name_, "lr", lr, "::set_lr");
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
    }

    ParamList<T> params_;
    Options options_;
    std::string name_;  ///< "Sgd", "Adam", "AdamW": for messages
    std::vector<ParamGroupSlot> groups_;

private:
    void check_group(std::size_t g) const {
        if (g >= groups_.size()) {
            throw std::out_of_range(name_ + ": parameter group " + std::to_string(g) + " of " +
                                    std::to_string(groups_.size()));
        }
    }
};

}  // namespace siamese::detail
