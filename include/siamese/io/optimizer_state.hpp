// SPDX-License-Identifier: MIT
#pragma once

// An optimizer's state in a checkpoint, so that a training run can stop and resume with the
// same updates as if it had never stopped: SGD's momentum buffers, Adam's and AdamW's moments
// and step count. Keys are named after the optimizer's parameters:
//   Sgd:          tensors optimizer.velocity.NAME
//   Adam, AdamW:  tensors optimizer.m.NAME and optimizer.v.NAME, the value optimizer_steps

#include <siamese/errors.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/optim/adam.hpp>
#include <siamese/optim/any_optimizer.hpp>
#include <siamese/optim/sgd.hpp>
#include <siamese/param.hpp>
#include <siamese/tensor.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace siamese::io {

namespace detail {

/// Tensor PREFIX + NAME of `c` for each parameter, each of the shape of its `like` tensor.
/// Throws io_error naming the key when one is missing or of another shape.
template <class T>
std::vector<Tensor<T>> read_state(const Checkpoint& c, const ParamList<T>& params, const std::string& prefix,
                                  const std::vector<Tensor<T>>& like) {
    std::vector<Tensor<T>> state;
    state.reserve(params.size());
    for (std::size_t k = 0; k < params.size(); ++k) {
        state.emplace_back(like[k].shape());
        c.read(prefix + params[k].name, state.back());
    }
    return state;
}

/// Refuses a checkpoint that lacks this optimizer's state but holds the other kind's, found by
/// the first parameter's key: a user who switched optimizers reads that, not which key is missing.
template <class T>
void refuse_other_kind(const Checkpoint& c, bool has_own_state, const ParamList<T>& params,
                       const std::string& other_prefix, const std::string& holds, const std::string& wanted) {
    if (has_own_state || params.empty()) return;
    const std::string other_key = other_prefix + params.front().name;
    if (!c.contains(other_key)) return;
    throw io_error(c.source_name() + ": holds " + holds + " (" + other_key + "), not " + wanted +
                   "; resume with the optimizer that wrote it");
}

}  // namespace detail

/// Adds SGD's momentum buffers to `c`, one tensor per parameter.
template <class T>
void add_optimizer_state(Checkpoint& c, const Sgd<T>& sgd) {
    require_unique_names(sgd.params(), "add_optimizer_state");
    for (std::size_t k = 0; k < sgd.params().size(); ++k) {
        c.add("optimizer.velocity." + sgd.params()[k].name, sgd.velocity()[k]);
    }
}

/// Adds Adam's or AdamW's first and second moments (two tensors per parameter) and its step
/// count to `c`.
template <class T, class Options, bool Decoupled>
void add_optimizer_state(Checkpoint& c, const siamese::detail::AdamBase<T, Options, Decoupled>& adam) {
    require_unique_names(adam.params(), "add_optimizer_state");
    for (std::size_t k = 0; k < adam.params().size(); ++k) {
        c.add("optimizer.m." + adam.params()[k].name, adam.first_moments()[k]);
        c.add("optimizer.v." + adam.params()[k].name, adam.second_moments()[k]);
    }
    c.set("optimizer_steps", std::to_string(adam.step_count()));
}

/// Restores SGD's momentum buffers from `c`. A buffer missing or of another shape throws
/// io_error naming its key (or saying that `c` holds Adam's state instead), and the optimizer
/// is left as it was.
template <class T>
void restore_optimizer_state(const Checkpoint& c, Sgd<T>& sgd) {
    require_unique_names(sgd.params(), "restore_optimizer_state");
    const bool has_velocity = !sgd.params().empty() && c.contains("optimizer.velocity." + sgd.params().front().name);
    detail::refuse_other_kind(c, has_velocity, sgd.params(), "optimizer.m.", "Adam or AdamW moments",
                              "Sgd momentum buffers");
    sgd.velocity() = detail::read_state(c, sgd.params(), "optimizer.velocity.", sgd.velocity());
}

/// Restores Adam's or AdamW's moments and step count from `c`. A moment missing or of another
/// shape, or a step count missing, not a whole number or negative, throws io_error naming the
/// key (or saying that `c` holds SGD's state instead), and the optimizer is left as it was.
template <class T, class Options, bool Decoupled>
void restore_optimizer_state(const Checkpoint& c, siamese::detail::AdamBase<T, Options, Decoupled>& adam) {
    require_unique_names(adam.params(), "restore_optimizer_state");
    detail::refuse_other_kind(c, c.get("optimizer_steps").has_value(), adam.params(), "optimizer.velocity.",
                              "Sgd momentum buffers", "Adam or AdamW moments");
    const long long steps = c.at_integer("optimizer_steps");
    if (steps < 0) {
        throw io_error(c.source_name() + ": optimizer_steps is " + std::to_string(steps) +
                       ", expected a step count >= 0");
    }
    auto m = detail::read_state(c, adam.params(), "optimizer.m.", adam.first_moments());
    auto v = detail::read_state(c, adam.params(), "optimizer.v.", adam.second_moments());
    adam.first_moments() = std::move(m);
    adam.second_moments() = std::move(v);
    adam.set_step_count(steps);
}

/// The state of whichever optimizer `optimizer` holds, under that optimizer's keys.
template <class T>
void add_optimizer_state(Checkpoint& c, const AnyOptimizer<T>& optimizer) {
    optimizer.visit([&](const auto& o) { add_optimizer_state(c, o); });
}

/// Restores the state of whichever optimizer `optimizer` holds. A checkpoint of SGD restored
/// into Adam or AdamW, or the reverse, is an io_error saying so; the optimizer is left as it was.
template <class T>
void restore_optimizer_state(const Checkpoint& c, AnyOptimizer<T>& optimizer) {
    optimizer.visit([&](auto& o) { restore_optimizer_state(c, o); });
}

}  // namespace siamese::io
