// SPDX-License-Identifier: MIT
#pragma once

// What one training step optimises: a batch of pairs, distorted, and the head's binary
// cross-entropy on it, for either kind of batch (--batch).

#include "all_pairs_bce.hpp"
#include "network.hpp"
#include "run_checkpoint.hpp"
#include "samplers.hpp"
#include "settings.hpp"

#include "../common/progress.hpp"
#include "../common/run_state.hpp"

#include <siamese/data/augment.hpp>
#include <siamese/data/omniglot.hpp>
#include <siamese/data/pair_sampler.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/losses/bce_with_logits.hpp>
#include <siamese/param.hpp>
#include <siamese/training/collapse_detector.hpp>
#include <siamese/training/numeric_guard.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace omniglot {

/// What a training step measured on its batch.
struct StepMeasures {
    double loss = 0;
    double accuracy = 0;  ///< the share of the batch's pairs the head puts on the right side of 0.5
    double spread = 0;    ///< how far apart the batch's logits are, for the collapse detector
};

/// The batches a run trains on and the loss on them. --batch all: P characters x K drawings
/// through the backbone once, then every pair of them through the head (AllPairsBce). --batch
/// pairs: the tutorial's way, B sampled pairs with their left and right images in one pass.
/// Either way each image is first distorted by Koch's affine transforms. The sampler and the
/// augmenter are the objective's own, so their states are all a checkpoint needs to continue
/// the run's batches exactly.
class PairObjective {
public:
    /// `train_set` must outlive the objective (the samplers draw from it).
    PairObjective(const Settings& s, const siamese::data::Omniglot& train_set)
        : all_pairs_(is_all_pairs(s.batch)),
          batch_size_(s.batch_size),
          distort_(s.augment > 0),
          augmenter_(augment_options(s), augment_seed(s.seed)),
          all_pairs_bce_(s.focus) {
        if (all_pairs_) {
            character_sampler_.emplace(train_set, s.characters, s.drawings, s.batch_alphabets, sampler_seed(s.seed));
            const long images = s.characters * s.drawings;
            pairs_per_step_ = images * (images - 1) / 2;
        } else {
            pair_sampler_.emplace(train_set, s.within, sampler_seed(s.seed));
            pairs_per_step_ = s.batch_size;
        }
    }

    /// Samples and distorts a batch and adds the loss's gradients to the model's (the caller
    /// zeroes them). Throws numeric_error naming `step_name` on a non-finite loss, gradient or
    /// embedding.
    StepMeasures add_gradients(Model& model, const siamese::ParamList<T>& params, const std::string& step_name) {
        StepMeasures m;
        if (all_pairs_) {
            character_sampler_->sample(images_, labels_);
            if (distort_) augmenter_.augment_all(images_);
            const auto& embeddings = model.embed(images_);
            m.loss = all_pairs_bce_.forward(model, embeddings, labels_);
            model.backward_embeddings(all_pairs_bce_.backward(model, embeddings));
            m.accuracy = all_pairs_bce_.accuracy();
            m.spread = all_pairs_bce_.spread();
            siamese::training::check_embedding_step(model, images_, embeddings, m.loss, params, step_name);
        } else {
            pair_sampler_->sample(batch_size_, batch_);
            if (distort_) augmenter_.augment_all(batch_.images);
            const auto& logits = model.logits_stacked(batch_.images);
            m.loss = criterion_.forward(logits, batch_.labels);
            model.backward(criterion_.backward());
            m.accuracy = examples::batch_accuracy(logits, batch_.labels);
            m.spread = siamese::training::CollapseDetector::spread(logits);
            siamese::training::check_step(model, batch_.images, m.loss, params, step_name);
        }
        return m;
    }

    /// add_gradients checks an update only through the next batch's forward pass: this checks
    /// the last one, on the last batch, before anything scores or saves the parameters.
    void check_last_update(Model& model, const siamese::ParamList<T>& params, const std::string& step_name) {
        if (all_pairs_) {
            siamese::training::check_embedding_update(model, images_, params, step_name);
        } else {
            siamese::training::check_update(model, batch_.images, params, step_name);
        }
    }

    [[nodiscard]] long pairs_per_step() const noexcept { return pairs_per_step_; }

    void save(siamese::io::Checkpoint& c) const {
        c.set("sampler_state", hex_state(all_pairs_ ? character_sampler_->state() : pair_sampler_->state()));
        c.set("augmenter_state", hex_state(augmenter_.state()));
    }
    void restore(const siamese::io::Checkpoint& c) {
        const auto sampler_state = parse_state(c.at("sampler_state"));
        if (all_pairs_) {
            character_sampler_->set_state(sampler_state);
        } else {
            pair_sampler_->set_state(sampler_state);
        }
        augmenter_.set_state(parse_state(c.at("augmenter_state")));
    }

private:
    static bool is_all_pairs(const std::string& batch) {
        if (batch != "all" && batch != "pairs")
            throw std::invalid_argument("--batch: expected all or pairs, got '" + batch + "'");
        return batch == "all";
    }

    bool all_pairs_;
    long batch_size_;
    long pairs_per_step_ = 0;
    bool distort_;
    std::optional<CharacterBatchSampler> character_sampler_;  // --batch all
    std::optional<AlphabetPairSampler> pair_sampler_;         // --batch pairs
    siamese::data::Augmenter augmenter_;
    AllPairsBce all_pairs_bce_;
    siamese::BceWithLogits<T> criterion_;
    // The last batch, kept for check_last_update.
    siamese::Tensor<T> images_;
    std::vector<siamese::data::label_t> labels_;
    siamese::data::PairBatch<T> batch_;
};

}  // namespace omniglot
