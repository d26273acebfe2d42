// SPDX-License-Identifier: MIT
#pragma once

// Evaluation on the test set: the tutorial's pair accuracy and N-way one-shot accuracy, plus the
// questions metric learning asks (ROC AUC, equal error rate, a threshold chosen on training pairs
// and tried on test pairs, retrieval precision@1 and MAP@R), each beside a raw-pixel baseline.

#include "mnist_common.hpp"

#include <siamese/data/pk_sampler.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/distance.hpp>
#include <siamese/eval/embedding_scorer.hpp>
#include <siamese/eval/pixel_baseline.hpp>
#include <siamese/eval/retrieval.hpp>
#include <siamese/eval/roc.hpp>
#include <siamese/eval/threshold.hpp>
#include <siamese/training/numeric_guard.hpp>

#include <algorithm>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace mnist {

struct Results {
    std::string score;         ///< what a pair's score is: the BCE head's logit, or minus the L2 distance
    double pair_accuracy = 0;  ///< BCE: at probability 0.5; metric losses: at the calibrated threshold
    long pairs = 0;
    double roc_auc = 0, eer = 0;
    siamese::eval::CalibratedAccuracy calibrated;
    siamese::eval::FewShotResult one_shot, one_shot_pixels;
    siamese::eval::RetrievalResult retrieval, retrieval_pixels;
    long retrieval_images = 0;
    double seconds = 0;
};

/// Scores pairs by the model: its head's logit (BCE), or minus the embedding distance.
class ModelScorer {
public:
    ModelScorer(Model& model, const siamese::Tensor<float>& embeddings, bool head)
        : head_(model, embeddings), distance_(embeddings, siamese::eval::Distance::l2), use_head_(head) {}
    void operator()(siamese::index_t q, std::span<const siamese::index_t> c, std::span<double> out) {
        if (use_head_) {
            head_(q, c, out);
        } else {
            distance_(q, c, out);
        }
    }

private:
    siamese::eval::EmbeddingScorer<Model> head_;
    siamese::eval::DistanceScorer<float> distance_;
    bool use_head_;
};

/// Calibration pairs come from the first training images: enough pairs, a sixth of the work.
inline siamese::data::LabelledImages calibration_images(const siamese::data::LabelledImages& train) {
    std::vector<siamese::index_t> pool(static_cast<std::size_t>(std::min<siamese::index_t>(train.size(), 10000)));
    std::iota(pool.begin(), pool.end(), 0);
    return train.subset(pool);
}

/// N-way one-shot episodes on the test set, the same ones for the model and for raw pixels.
inline siamese::eval::OneShotOptions one_shot_options(const siamese::data::LabelledImages& test, const Settings& s) {
    return {.ways = std::min<siamese::index_t>(10, static_cast<siamese::index_t>(test.classes().size())),
            .episodes = s.episodes,
            .seed = one_shot_seed(s.seed)};
}

/// Most test pairs a training run asks evaluate_model to score (--test-batches x --batch-size):
/// some 35 bytes each while the ROC curve is computed.
inline constexpr long max_test_pairs = 10'000'000;

/// Checked by train only: `evaluate` still takes a checkpoint that asks for more.
inline void check_test_pairs(const Settings& s) {
    if (s.test_batches > max_test_pairs / std::max(1L, s.batch_size)) {
        throw std::invalid_argument("--test-batches " + std::to_string(s.test_batches) + " x --batch-size " +
                                    std::to_string(s.batch_size) + " = " +
                                    std::to_string(s.test_batches * s.batch_size) + " test pairs, more than the " +
                                    std::to_string(max_test_pairs) + " the evaluation holds in memory");
    }
}

/// The class list an error is about: "--test-classes '3'" or "--test-classes (all classes)".
inline std::string class_option(const char* option, const std::string& spec) {
    return std::string(option) + (spec.empty() ? " (all classes)" : " '" + spec + "'");
}

// The checks below build the samplers that training and evaluate_model draw from, so that a set
// they cannot use (a single class, fewer classes than --classes-per-batch) fails before training,
// naming the option, not after it with OUT/model.ckpt already replaced.

inline void check_training_set(const siamese::data::LabelledImages& train, const Settings& s) {
    try {
        const siamese::data::PairSampler pairs(train, 0);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(class_option("--train-classes", s.train_classes) +
                                    ": cannot sample training batches: " + e.what());
    }
    if (s.loss != Loss::triplet) return;
    try {  // a set that gives pairs but too few classes for P x K batches: the batch shape is at fault
        const siamese::data::PkSampler pk(train, {.p = s.classes_per_batch, .k = s.images_per_class}, 0);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("--classes-per-batch " + std::to_string(s.classes_per_batch) +
                                    " --images-per-class " + std::to_string(s.images_per_class) +
                                    ": cannot sample triplet batches from " +
                                    class_option("--train-classes", s.train_classes) + ": " + e.what());
    }
}

inline void check_evaluation_sets(const siamese::data::LabelledImages& train, const siamese::data::LabelledImages& test,
                                  const Settings& s) {
    try {
        const auto calibration = calibration_images(train);
        const siamese::data::PairSampler pairs(calibration, 0);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(
            class_option("--train-classes", s.train_classes) +
            ": cannot sample calibration pairs from the first 10000 training images: " + e.what());
    }
    try {
        const siamese::data::PairSampler pairs(test, 0);
        auto one_episode = one_shot_options(test, s);
        one_episode.episodes = 1;  // the checks, and one episode scored by a scorer that does nothing
        (void)siamese::eval::one_shot_accuracy(
            test, [](siamese::index_t, std::span<const siamese::index_t>, std::span<double>) {}, one_episode);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(class_option("--test-classes", s.test_classes) +
                                    ": cannot evaluate on the test images: " + e.what());
    }
}

inline Results evaluate_model(Model& model, const siamese::data::LabelledImages& train,
                              const siamese::data::LabelledImages& test, const Settings& s) {
    examples::Progress clock(0, 0, "");
    Results r;
    const bool head = s.loss == Loss::bce;
    r.score = head ? "logit of the BCE head" : "minus the L2 distance of the embeddings";
    const auto test_embeddings = siamese::eval::embed_all(model, test);
    const auto calibration_set = calibration_images(train);
    const auto train_embeddings = siamese::eval::embed_all(model, calibration_set);
    if (!siamese::training::all_finite(test_embeddings) || !siamese::training::all_finite(train_embeddings)) {
        throw siamese::numeric_error(
            "the model's embeddings are not finite: its weights overflow (it diverged in training; train it again with "
            "a smaller learning rate)");
    }
    ModelScorer on_test(model, test_embeddings, head), on_train(model, train_embeddings, head);

    // Pairs drawn like the training ones; a threshold chosen on training pairs, tried on test pairs.
    siamese::data::PairSampler test_pairs(test, test_pairs_seed(s.seed));
    const auto scored = siamese::eval::pair_scores(test_pairs, s.test_batches, s.batch_size, on_test);
    siamese::data::PairSampler train_pairs(calibration_set, calibration_seed(s.seed));
    const auto calibration = siamese::eval::pair_scores(train_pairs, s.calibration_batches, s.batch_size, on_train);
    r.pairs = static_cast<long>(scored.pairs);
    r.roc_auc = siamese::eval::roc_auc(scored.scores, scored.labels);
    r.eer = siamese::eval::equal_error_rate(siamese::eval::roc_curve(scored.scores, scored.labels)).rate;
    r.calibrated =
        siamese::eval::calibrated_accuracy(calibration.scores, calibration.labels, scored.scores, scored.labels);
    // The tutorial's threshold: probability 0.5, i.e. logit 0 (strictly above counts as "same").
    r.pair_accuracy = head
                          ? siamese::eval::accuracy_at_threshold(scored.scores, scored.labels, std::nextafter(0.0, 1.0))
                          : r.calibrated.accuracy;

    // N-way one-shot episodes, the same ones for the model and for raw pixels.
    const siamese::eval::OneShotOptions episodes = one_shot_options(test, s);
    r.one_shot = siamese::eval::one_shot_accuracy(test, on_test, episodes);
    r.one_shot_pixels = siamese::eval::one_shot_accuracy(test, siamese::eval::PixelScorer(test), episodes);

    // Retrieval by exact nearest neighbour among the first test images (N^2 distances).
    const siamese::index_t n = std::min<siamese::index_t>(s.retrieval_images, test.size());
    std::vector<siamese::index_t> first(static_cast<std::size_t>(n));
    std::iota(first.begin(), first.end(), 0);
    const auto subset = test.subset(first);
    siamese::Tensor<float> subset_embeddings;
    siamese::eval::gather_rows(test_embeddings, std::span<const siamese::index_t>(first), subset_embeddings);
    r.retrieval = siamese::eval::retrieval_metrics(subset_embeddings, subset.labels(), siamese::eval::Distance::l2);
    r.retrieval_pixels = siamese::eval::retrieval_metrics(siamese::eval::pixel_embeddings<float>(subset),
                                                          subset.labels(), siamese::eval::Distance::l2);
    r.retrieval_images = static_cast<long>(n);
    r.seconds = clock.elapsed_seconds();
    return r;
}

inline void print_results(const Results& r, const Settings& s) {
    if (s.loss == Loss::bce) {
        std::printf("test pair accuracy: %.4f (%ld pairs, threshold 0.5)\n", r.pair_accuracy, r.pairs);
    } else {
        std::printf("test pair accuracy: %.4f (%ld pairs, distance threshold %.4g chosen on training pairs)\n",
                    r.pair_accuracy, r.pairs, -r.calibrated.threshold);
    }
    std::printf("test ROC AUC: %.4f, equal error rate: %.4f (score: %s)\n", r.roc_auc, r.eer, r.score.c_str());
    std::printf("threshold chosen on %ld training pairs: test accuracy %.4f\n",
                static_cast<long>(r.calibrated.calibration_pairs), r.calibrated.accuracy);
    std::printf(
        "test %ld-way one-shot accuracy: %.4f +- %.4f (%ld episodes, 95%% interval); raw pixels: %.4f +- %.4f\n",
        static_cast<long>(r.one_shot.ways), r.one_shot.accuracy, r.one_shot.ci95,
        static_cast<long>(r.one_shot.episodes), r.one_shot_pixels.accuracy, r.one_shot_pixels.ci95);
    std::printf("test retrieval (%ld images, L2): P@1 %.4f, MAP@R %.4f; raw pixels: P@1 %.4f, MAP@R %.4f\n",
                r.retrieval_images, r.retrieval.precision_at_1, r.retrieval.map_at_r, r.retrieval_pixels.precision_at_1,
                r.retrieval_pixels.map_at_r);
    std::printf("evaluation time: %s\n", format_seconds(r.seconds).c_str());
}

/// The pair picture's verdict for this model: the BCE head's probability against 0.5, or the
/// embedding distance against the calibrated threshold.
inline auto verdict_for(Model& model, const Settings& s, const Results& r) {
    return [&model, bce = s.loss == Loss::bce, threshold = -r.calibrated.threshold](
               const float* left, const float* right, siamese::index_t dim) {
        if (bce) {
            siamese::Tensor<float> a(siamese::Shape{1, dim}), b(siamese::Shape{1, dim});
            std::copy_n(left, dim, a.data());
            std::copy_n(right, dim, b.data());
            const double p = siamese::kernels::sigmoid(static_cast<double>(model.logits_from_embeddings(a, b)[0]));
            return Verdict{p, p > 0.5};
        }
        const double dist = siamese::eval::vector_distance(left, right, dim, siamese::eval::Distance::l2);
        return Verdict{dist, dist <= threshold};
    };
}

inline void write_metrics(const fs::path& path, const Settings& s, const Results& r, const TrainingLog& log,
                          double training_seconds, long resumed_after_batches,
                          const siamese::data::LabelledImages& train, const siamese::data::LabelledImages& test) {
    examples::JsonObject settings;
    settings.add("epochs", s.epochs)
        .add("batches_per_epoch", s.batches)
        .add("batch_size_pairs", s.batch_size)
        .add("loss", loss_name(s.loss))
        .add("optimizer", s.optimizer)
        .add("lr", s.lr)
        .add("momentum", s.momentum)
        .add("weight_decay", s.weight_decay)
        .add("schedule", s.schedule)
        .add("warmup", s.warmup)
        .add("margin", s.margin)
        .add("train_classes", s.train_classes.empty() ? "all" : s.train_classes)
        .add("test_classes", s.test_classes.empty() ? "all" : s.test_classes)
        .add("seed", static_cast<long>(s.seed))
        .add("threads", siamese::num_threads())
        .add("data", s.data);
    examples::JsonObject metrics;
    metrics.add("settings", settings)
        .add("train_images", static_cast<long>(train.size()))
        .add("test_images", static_cast<long>(test.size()))
        .add("pair_score", r.score)
        .add("test_pair_accuracy", r.pair_accuracy)
        .add("test_pairs", r.pairs)
        .add("test_roc_auc", r.roc_auc)
        .add("test_equal_error_rate", r.eer)
        .add("calibrated_threshold", r.calibrated.threshold)
        .add("calibrated_test_accuracy", r.calibrated.accuracy)
        .add("calibration_pairs", static_cast<long>(r.calibrated.calibration_pairs))
        .add("one_shot_ways", static_cast<long>(r.one_shot.ways))
        .add("one_shot_accuracy", r.one_shot.accuracy)
        .add("one_shot_ci95", r.one_shot.ci95)
        .add("one_shot_episodes", static_cast<long>(r.one_shot.episodes))
        .add("one_shot_raw_pixels_accuracy", r.one_shot_pixels.accuracy)
        .add("one_shot_raw_pixels_ci95", r.one_shot_pixels.ci95)
        .add("retrieval_images", r.retrieval_images)
        .add("retrieval_precision_at_1", r.retrieval.precision_at_1)
        .add("retrieval_map_at_r", r.retrieval.map_at_r)
        .add("retrieval_raw_pixels_precision_at_1", r.retrieval_pixels.precision_at_1)
        .add("retrieval_raw_pixels_map_at_r", r.retrieval_pixels.map_at_r)
        .add("training_seconds", training_seconds)  // this process's (see resumed_after_batches)
        .add("epoch_seconds", log.epoch_seconds)
        .add("resumed_after_batches", resumed_after_batches)
        .add("evaluation_seconds", r.seconds)
        .add("log_batch", log.batch)
        .add("log_loss", log.loss)
        .add("log_accuracy", log.accuracy);
    siamese::io::write_file_atomically(path, metrics.str() + "\n");
}

}  // namespace mnist
