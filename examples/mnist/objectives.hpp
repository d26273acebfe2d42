// SPDX-License-Identifier: MIT
#pragma once

// What a training step optimises, and with which optimizer: the tutorial's BCE pair head (the
// default), or a metric loss on the embeddings (contrastive on pairs, triplet on P x K batches);
// SGD (the default), Adam or AdamW, with an optional warm-up and cosine schedule.

#include "mnist_common.hpp"

#include "../common/schedule.hpp"

#include <siamese/data/pk_sampler.hpp>
#include <siamese/io/optimizer_state.hpp>
#include <siamese/losses/contrastive.hpp>
#include <siamese/losses/triplet.hpp>
#include <siamese/optim/adam.hpp>
#include <siamese/optim/any_optimizer.hpp>

#include <stdexcept>
#include <string>

namespace mnist {

// ----------------------------------------------------------------------------------------- optimizer

using Optimizer = siamese::AnyOptimizer<float>;

inline Optimizer make_optimizer(const Settings& s, const siamese::ParamList<float>& params) {
    if (s.optimizer == "sgd") {
        return Optimizer(
            siamese::Sgd<float>(params, {.lr = s.lr, .momentum = s.momentum, .weight_decay = s.weight_decay}));
    }
    if (s.optimizer == "adam")
        return Optimizer(siamese::Adam<float>(params, {.lr = s.lr, .weight_decay = s.weight_decay}));
    return Optimizer(siamese::AdamW<float>(params, {.lr = s.lr, .weight_decay = s.weight_decay}));
}

/// The run's learning rate at each step: constant, or cosine decay to zero (--schedule), after
/// --warmup steps of linear warm-up.
inline examples::RunSchedule make_schedule(const Settings& s) {
    return {s.schedule, s.lr, s.warmup, static_cast<long>(s.epochs) * s.batches};
}

// ----------------------------------------------------------------------------------------- objective

/// One batch's numbers for the log.
struct StepResult {
    double loss = 0;
    double accuracy = 0;  ///< pairs on the right side (BCE: p > 0.5; contrastive: d < margin / 2),
                          ///< or, for triplets, the share of mined triplets already beyond the
                          ///< margin (d(a, n) >= d(a, p) + margin)
    double spread = 0;    ///< max - min of the batch's scores, for the collapse detector
};

/// The loss being trained and the sampler that feeds it.
class Objective {
public:
    Objective(const Settings& s, const siamese::data::LabelledImages& train)
        : settings_(s),
          loss_(s.loss),
          pairs_(train, sampler_seed(s.seed)),
          contrastive_({.margin = s.margin}),
          triplet_({.margin = s.margin, .mining = mining(s.mining)}) {
        if (loss_ == Loss::triplet) {
            pk_.emplace(train, siamese::data::PkOptions{.p = s.classes_per_batch, .k = s.images_per_class},
                        sampler_seed(s.seed));
        }
    }

    /// Samples a batch, runs forward and backward into the gradients, and checks the step
    /// (a NaN stops training here, before the optimizer touches the weights).
    StepResult forward_backward(Model& model, const siamese::ParamList<float>& params, const std::string& step) {
        switch (loss_) {
            case Loss::bce:
                return bce(model, params, step);
            case Loss::contrastive:
                return contrastive(model, params, step);
            case Loss::triplet:
                return triplet(model, params, step);
        }
        throw std::logic_error("Objective: a loss without a step");  // unreachable: every Loss is handled above
    }

    /// Checks the weights the last optimizer step left, on that step's batch, before they are
    /// saved (the step checks see an update only through the next batch).
    void check_update(Model& model, const siamese::ParamList<float>& params, const std::string& step) {
        if (loss_ == Loss::bce) {
            siamese::training::check_update(model, pair_batch_.images, params, step);
        } else {
            siamese::training::check_embedding_update(model, images(), params, step);
        }
    }

    /// The batch of the last step ([2B, C, H, W] pairs, or [P*K, C, H, W] for triplets).
    [[nodiscard]] const siamese::Tensor<float>& images() const {
        return loss_ == Loss::triplet ? pk_batch_.images : pair_batch_.images;
    }

    [[nodiscard]] siamese::Rng::State sampler_state() const { return pk_ ? pk_->state() : pairs_.state(); }
    void set_sampler_state(const siamese::Rng::State& state) {
        if (pk_) {
            pk_->set_state(state);
        } else {
            pairs_.set_state(state);
        }
    }

private:
    static siamese::TripletMining mining(const std::string& name) {
        if (name == "all") return siamese::TripletMining::batch_all;
        if (name == "semi-hard") return siamese::TripletMining::semi_hard;
        return siamese::TripletMining::batch_hard;
    }

    // The tutorial's step: sigmoid(Linear(|e_left - e_right|)) against same/different, BCE.
    StepResult bce(Model& model, const siamese::ParamList<float>& params, const std::string& step) {
        pairs_.sample(settings_.batch_size, pair_batch_);
        const auto& logits = model.logits_stacked(pair_batch_.images);  // left and right in one pass
        const float loss = bce_.forward(logits, pair_batch_.labels);
        model.backward(bce_.backward());
        siamese::training::check_step(model, pair_batch_.images, loss, params, step);
        return {loss, examples::batch_accuracy(logits, pair_batch_.labels),
                siamese::training::CollapseDetector::spread(logits)};
    }

    // Contrastive loss on the embedding distance of the same balanced pairs.
    StepResult contrastive(Model& model, const siamese::ParamList<float>& params, const std::string& step) {
        pairs_.sample(settings_.batch_size, pair_batch_);
        const auto& e = model.embed(pair_batch_.images);
        const float loss = contrastive_.forward_stacked(e, pair_batch_.labels);
        model.backward_embeddings(contrastive_.backward());
        siamese::training::check_embedding_step(model, pair_batch_.images, e, loss, params, step);
        // A pair counts as right when its distance is on the right side of half the margin.
        const siamese::index_t b = pair_batch_.size(), d = e.dim(1);
        long right = 0;
        double lo = 1e300, hi = -1e300;
        for (siamese::index_t i = 0; i < b; ++i) {
            const double dist = siamese::eval::vector_distance(e.data() + i * d, e.data() + (b + i) * d, d,
                                                               siamese::eval::Distance::l2);
            right += (dist < settings_.margin / 2) == (pair_batch_.labels[i] > 0.5f);
            lo = std::min(lo, dist);
            hi = std::max(hi, dist);
        }
        return {loss, static_cast<double>(right) / static_cast<double>(b), hi - lo};
    }

    // Triplet margin loss on P classes x K images, triplets mined from the labels in the batch.
    StepResult triplet(Model& model, const siamese::ParamList<float>& params, const std::string& step) {
        pk_->sample(pk_batch_);
        const auto& e = model.embed(pk_batch_.images);
        const float loss = triplet_.forward(e, pk_batch_.labels);
        model.backward_embeddings(triplet_.backward());
        siamese::training::check_embedding_step(model, pk_batch_.images, e, loss, params, step);
        const double satisfied = triplet_.triplets() > 0 ? 1.0 - static_cast<double>(triplet_.active_triplets()) /
                                                                     static_cast<double>(triplet_.triplets())
                                                         : 1.0;
        return {loss, satisfied, 1.0};  // spread not measured: 1.0 keeps the constant-output check off
    }

    const Settings& settings_;
    Loss loss_;
    siamese::data::PairSampler pairs_;
    std::optional<siamese::data::PkSampler> pk_;
    siamese::data::PairBatch<float> pair_batch_;
    siamese::data::PkBatch<float> pk_batch_;
    siamese::BceWithLogits<float> bce_;
    siamese::ContrastiveLoss<float> contrastive_;
    siamese::TripletMarginLoss<float> triplet_;
};

}  // namespace mnist
