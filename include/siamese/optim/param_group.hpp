// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/detail/format_number.hpp>
#include <siamese/param.hpp>

#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace siamese {

/// Parameters that share optimizer settings, e.g. one group per layer as in Koch et al. (2015),
/// who trained each layer with its own learning rate:
///   Sgd<float> sgd({{.params = conv_params, .lr_scale = 1.0}, {.params = head_params, .lr_scale = 0.1}},
///                  {.lr = 0.01, .momentum = 0.9});
/// A group's learning rate is the optimizer's lr times lr_scale, so a schedule that sets the
/// optimizer's lr moves every group together and keeps their ratios (an absolute per-group lr
/// would have to be rescheduled group by group).
template <class T>
struct ParamGroup {
    ParamList<T> params{};
    double lr_scale = 1.0;                 ///< this group's lr = the optimizer's lr * lr_scale
    std::optional<double> weight_decay{};  ///< empty: the optimizer's weight_decay
};

/// Where a group's parameters sit in an optimizer's flat params() list, and its settings.
struct ParamGroupSlot {
    std::size_t begin = 0, end = 0;  ///< params()[begin, end)
    double lr_scale = 1.0;
    std::optional<double> weight_decay{};
};

namespace detail {

/// Throws unless `value` is a finite number >= 0, naming `who` (and `where`, e.g. "::set_lr"),
/// the option and the value: "Sgd: momentum must be a finite number >= 0, got inf". Builds no
/// string unless it throws: set_lr runs it at every step a schedule applies.
inline void check_non_negative(std::string_view who, const char* option, double value, const char* where = "") {
    if (!(value >= 0) || !std::isfinite(value)) {
        throw std::invalid_argument(std::string(who) + where + ": " + option + " must be a finite number >= 0, got " +
                                    format_number(value));
    }
}

/// Throws std::logic_error unless parameter p's value and gradient still hold `state_size`
/// elements, the size of the optimizer state built for it. An optimizer keeps pointers to the
/// model's tensors: after the model is moved (a moved-from tensor is empty) or a parameter is
/// replaced by a tensor of another size, a step would read and write out of bounds (another
/// shape of the same size is not seen). Builds no
/// string unless it throws: step() runs it for every parameter.
template <class T>
void check_param_size(std::string_view who, const Param<T>& p, index_t state_size) {
    if (p.value->size() == state_size && p.grad->size() == state_size) [[likely]] {
        return;
    }
    throw std::logic_error(std::string(who) + ": parameter '" + p.name + "' now has " +
                           std::to_string(p.value->size()) + " values and " + std::to_string(p.grad->size()) +
                           " gradients, but the optimizer was built for " + std::to_string(state_size) +
                           ": the model was likely moved, or the parameter replaced, after the optimizer was built "
                           "(build the optimizer from the model where it lives; a copy of the model is not the "
                           "one it trains)");
}

/// The one group of an optimizer built from a plain parameter list, which must not be empty.
template <class T>
std::vector<ParamGroup<T>> single_group(const std::string& who, ParamList<T> params) {
    if (params.empty()) throw std::invalid_argument(who + ": the parameter list is empty, nothing to optimize");
    std::vector<ParamGroup<T>> groups(1);
    groups[0].params = std::move(params);
    return groups;
}

inline void check_group_settings(const std::string& who, std::size_t g, double lr_scale,
                                 const std::optional<double>& weight_decay) {
    if (!(lr_scale >= 0) || !std::isfinite(lr_scale)) {
        throw std::invalid_argument(who + ": parameter group " + std::to_string(g) +
                                    " needs a non-negative finite lr_scale, got " + format_number(lr_scale));
    }
    if (weight_decay && (!(*weight_decay >= 0) || !std::isfinite(*weight_decay))) {
        throw std::invalid_argument(who + ": parameter group " + std::to_string(g) +
                                    " needs a non-negative finite weight_decay, got " + format_number(*weight_decay));
    }
}

/// Concatenates the groups' parameters into `params` (the optimizer's flat, positional list)
/// and records each group's slot. A parameter in two groups would be stepped twice: an error.
template <class T>
void flatten_groups(const std::string& who, std::vector<ParamGroup<T>> groups, ParamList<T>& params,
                    std::vector<ParamGroupSlot>& slots) {
    if (groups.empty()) throw std::invalid_argument(who + ": no parameter groups");
    for (std::size_t g = 0; g < groups.size(); ++g) {
        check_group_settings(who, g, groups[g].lr_scale, groups[g].weight_decay);
        if (groups[g].params.empty()) {
            throw std::invalid_argument(who + ": parameter group " + std::to_string(g) +
                                        " has no parameters, nothing to optimize");
        }
        ParamGroupSlot slot{params.size(), 0, groups[g].lr_scale, groups[g].weight_decay};
        for (auto& p : groups[g].params) {
            if (p.value == nullptr || p.grad == nullptr || !(p.value->shape() == p.grad->shape())) {
                throw std::invalid_argument(who + ": parameter '" + p.name +
                                            "' needs a value and a gradient of the same shape");
            }
            for (const auto& q : params) {
                if (q.value == p.value) {
                    throw std::invalid_argument(who + ": parameter '" + p.name +
                                                "' is given twice (in one group or in two): it would be stepped twice");
                }
            }
            params.push_back(std::move(p));
        }
        slot.end = params.size();
        slots.push_back(slot);
    }
}

}  // namespace detail

}  // namespace siamese
