// SPDX-License-Identifier: MIT
#pragma once

// An optimizer's state in a checkpoint, so that a training run can stop and resume with the
// same updates as if it had never stopped: SGD's momentum buffers, Adam's and AdamW's moments
// and step count. Keys are named after the optimizer's parameters, under a key prefix that is
// "optimizer" unless given:
//   Sgd:          tensors PREFIX.velocity.NAME
//   Adam, AdamW:  tensors PREFIX.m.NAME and PREFIX.v.NAME, the metadata values PREFIX_steps and
//                 PREFIX_kind ("adam" or "adamw": their states look alike, and one restored into
//                 the other would go on with other updates; checkpoints written before the kind
//                 was recorded have none and restore into either)
// Two optimizers in one checkpoint (two models) each need a prefix of their own, such as
// "optimizer1" and "optimizer2"; saving one over the other's keys is an std::invalid_argument.
// A prefix that begins with a model's add_params prefix ("m1.optimizer" beside "m1.") puts the
// state among that model's tensors, which restore_params then refuses as unexpected.

#include <siamese/errors.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/optim/adam.hpp>
#include <siamese/optim/any_optimizer.hpp>
#include <siamese/optim/sgd.hpp>
#include <siamese/param.hpp>
#include <siamese/tensor.hpp>

#include <cstddef>
#include <stdexcept>
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

/// The keys of one optimizer's state under `prefix`; with "optimizer", the keys every
/// checkpoint had before prefixes could be given.
struct OptimizerKeys {
    std::string prefix;
    [[nodiscard]] std::string velocity(const std::string& param) const { return prefix + ".velocity." + param; }
    [[nodiscard]] std::string m(const std::string& param) const { return prefix + ".m." + param; }
    [[nodiscard]] std::string v(const std::string& param) const { return prefix + ".v." + param; }
    [[nodiscard]] std::string steps() const { return prefix + "_steps"; }
    [[nodiscard]] std::string kind() const { return prefix + "_kind"; }
};

/// How PREFIX_kind names Adam (coupled weight decay) and AdamW (decoupled).
inline const char* adam_kind(bool decoupled) { return decoupled ? "adamw" : "adam"; }
inline const char* adam_kind_shown(bool decoupled) { return decoupled ? "AdamW" : "Adam"; }

/// Checkpoint::add would refuse it too, but after the tensors before it were added.
inline void refuse_present_tensor(const Checkpoint& c, const std::string& key) {
    if (c.contains(key)) {
        throw std::invalid_argument("add_optimizer_state: the checkpoint already holds '" + key +
                                    "', another optimizer's state: give each optimizer its own key prefix");
    }
}

}  // namespace detail

/// The default key prefix: the keys every checkpoint had before prefixes could be given.
inline constexpr const char* default_optimizer_prefix = "optimizer";

/// Adds SGD's momentum buffers to `c`, one tensor per parameter, under `prefix`. A key already
/// in `c` (another optimizer's state under the same prefix) is an std::invalid_argument before
/// anything is added.
template <class T>
void add_optimizer_state(Checkpoint& c, const Sgd<T>& sgd, const std::string& prefix = default_optimizer_prefix) {
    require_unique_names(sgd.params(), "add_optimizer_state");
    const detail::OptimizerKeys keys{prefix};
    for (const auto& p : sgd.params()) detail::refuse_present_tensor(c, keys.velocity(p.name));
    for (std::size_t k = 0; k < sgd.params().size(); ++k) {
        c.add(keys.velocity(sgd.params()[k].name), sgd.velocity()[k]);
    }
}

/// Adds Adam's or AdamW's first and second moments (two tensors per parameter) and its step
/// count to `c`, under `prefix`. A key already in `c` (another optimizer's state under the same
/// prefix) is an std::invalid_argument before anything is added.
template <class T, class Options, bool Decoupled>
void add_optimizer_state(Checkpoint& c, const siamese::detail::AdamBase<T, Options, Decoupled>& adam,
                         const std::string& prefix = default_optimizer_prefix) {
    require_unique_names(adam.params(), "add_optimizer_state");
    const detail::OptimizerKeys keys{prefix};
    for (const auto& p : adam.params()) {
        detail::refuse_present_tensor(c, keys.m(p.name));
        detail::refuse_present_tensor(c, keys.v(p.name));
    }
    // set would replace them: the other optimizer's step count lost, this one's restored into both.
    for (const auto& key : {keys.steps(), keys.kind()}) {
        if (c.get(key)) {
            throw std::invalid_argument("add_optimizer_state: the checkpoint already holds '" + key +
                                        "', another optimizer's state: give each optimizer its own key prefix");
        }
    }
    for (std::size_t k = 0; k < adam.params().size(); ++k) {
        c.add(keys.m(adam.params()[k].name), adam.first_moments()[k]);
        c.add(keys.v(adam.params()[k].name), adam.second_moments()[k]);
    }
    c.set(keys.steps(), std::to_string(adam.step_count()));
    c.set(keys.kind(), detail::adam_kind(Decoupled));
}

/// Restores SGD's momentum buffers from `c`, under `prefix`. A buffer missing or of another
/// shape throws io_error naming its key (or saying that `c` holds Adam's state instead), and
/// the optimizer is left as it was.
template <class T>
void restore_optimizer_state(const Checkpoint& c, Sgd<T>& sgd, const std::string& prefix = default_optimizer_prefix) {
    require_unique_names(sgd.params(), "restore_optimizer_state");
    const detail::OptimizerKeys keys{prefix};
    const bool has_velocity = !sgd.params().empty() && c.contains(keys.velocity(sgd.params().front().name));
    detail::refuse_other_kind(c, has_velocity, sgd.params(), keys.m(""), "Adam or AdamW moments",
                              "Sgd momentum buffers");
    sgd.velocity() = detail::read_state(c, sgd.params(), keys.velocity(""), sgd.velocity());
}

/// Restores Adam's or AdamW's moments and step count from `c`, under `prefix`. A moment missing
/// or of another shape, or a step count missing, not a whole number or negative, throws
/// io_error naming the key (or saying that `c` holds SGD's state, or the other one of Adam and
/// AdamW, instead), and the optimizer is left as it was. A checkpoint that does not record the
/// kind (written before it was recorded) restores into either.
template <class T, class Options, bool Decoupled>
void restore_optimizer_state(const Checkpoint& c, siamese::detail::AdamBase<T, Options, Decoupled>& adam,
                             const std::string& prefix = default_optimizer_prefix) {
    require_unique_names(adam.params(), "restore_optimizer_state");
    const detail::OptimizerKeys keys{prefix};
    detail::refuse_other_kind(c, c.get(keys.steps()).has_value(), adam.params(), keys.velocity(""),
                              "Sgd momentum buffers", "Adam or AdamW moments");
    if (c.get(keys.kind())) {
        const std::string& kind = c.at_choice(keys.kind(), {detail::adam_kind(false), detail::adam_kind(true)});
        if (kind != detail::adam_kind(Decoupled)) {
            throw io_error(c.source_name() + ": holds " + detail::adam_kind_shown(!Decoupled) + " moments (" +
                           keys.kind() + " '" + kind + "'), not " + detail::adam_kind_shown(Decoupled) +
                           " moments; resume with the optimizer that wrote it");
        }
    }
    const long long steps = c.at_integer(keys.steps());
    if (steps < 0) {
        throw io_error(c.source_name() + ": " + keys.steps() + " is " + std::to_string(steps) +
                       ", expected a step count >= 0");
    }
    auto m = detail::read_state(c, adam.params(), keys.m(""), adam.first_moments());
    auto v = detail::read_state(c, adam.params(), keys.v(""), adam.second_moments());
    adam.first_moments() = std::move(m);
    adam.second_moments() = std::move(v);
    adam.set_step_count(steps);
}

/// The state of whichever optimizer `optimizer` holds, under that optimizer's keys and `prefix`.
template <class T>
void add_optimizer_state(Checkpoint& c, const AnyOptimizer<T>& optimizer,
                         const std::string& prefix = default_optimizer_prefix) {
    optimizer.visit([&](const auto& o) { add_optimizer_state(c, o, prefix); });
}

/// Restores the state of whichever optimizer `optimizer` holds, under `prefix`. A checkpoint of
/// SGD restored into Adam or AdamW, or the reverse, or one of Adam into AdamW, or the reverse, is
/// an io_error saying so; the optimizer is left as it was.
template <class T>
void restore_optimizer_state(const Checkpoint& c, AnyOptimizer<T>& optimizer,
                             const std::string& prefix = default_optimizer_prefix) {
    optimizer.visit([&](auto& o) { restore_optimizer_state(c, o, prefix); });
}

}  // namespace siamese::io
