// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/eval/sorted_pair_scores.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace siamese::eval {

/// A decision threshold and the accuracy it reaches on the pairs it was chosen on.
struct ThresholdChoice {
    double threshold = 0;  ///< call a pair "same" when its score >= threshold
    double accuracy = 0;   ///< fraction of the calibration pairs classified right
};

/// The threshold that maximises accuracy on sorted pair scores (the calibration split). Every
/// cut between two neighbouring distinct scores is tried, plus "nothing is same" (+infinity)
/// and "everything is same" (-infinity). The threshold returned for a cut is the midpoint of
/// the two scores around it, so held-out scores near the boundary fall on the side nearer to
/// them. Among cuts of equal accuracy the highest threshold wins (fewest "same" calls).
/// Needs at least one pair; one label alone is allowed.
[[nodiscard]] inline ThresholdChoice best_accuracy_threshold(const SortedPairScores& s) {
    if (s.size() == 0) throw std::invalid_argument("best_accuracy_threshold: no pairs to calibrate on");
    const double total = static_cast<double>(s.size());
    // Cut 0 calls nothing "same": every different pair is right.
    index_t best_right = s.negatives, right = s.negatives;
    double best_threshold = std::numeric_limits<double>::infinity();
    double last_included = 0;
    bool pending = false;  // a new best whose midpoint waits for the next distinct score
    detail::for_each_tie_group(s, [&](double score, index_t p, index_t n) {
        if (pending) {
            const double mid = last_included / 2 + score / 2;    // halves first: no overflow
            best_threshold = mid > score ? mid : last_included;  // adjacent doubles: keep the cut exact
            pending = false;
        }
        right += p - n;
        last_included = score;
        if (right > best_right) {
            best_right = right;
            pending = true;
        }
    });
    if (pending) best_threshold = -std::numeric_limits<double>::infinity();  // every pair "same"
    return {best_threshold, static_cast<double>(best_right) / total};
}

/// best_accuracy_threshold on pair scores (higher = more likely same) and labels (1 = same).
/// Throws shape_error when the lengths differ, std::invalid_argument on an empty input, a
/// non-finite score or a label other than 0/1.
template <NumberRange Scores, NumberRange Labels>
[[nodiscard]] ThresholdChoice best_accuracy_threshold(const Scores& scores, const Labels& labels) {
    return best_accuracy_threshold(sort_pair_scores(scores, labels, "best_accuracy_threshold"));
}

namespace detail {

/// accuracy_at_threshold on pairs already checked and sorted; `who` names the caller in errors.
inline double accuracy_at_threshold(const SortedPairScores& s, double threshold, const std::string& who) {
    if (std::isnan(threshold)) throw std::invalid_argument(who + ": threshold must be a number, got nan");
    if (s.size() == 0) throw std::invalid_argument(who + ": no pairs");
    index_t right = 0;
    for (std::size_t i = 0; i < s.scores.size(); ++i) right += (s.scores[i] >= threshold) == s.same[i];
    return static_cast<double>(right) / static_cast<double>(s.size());
}

}  // namespace detail

/// Fraction of pairs classified right by "same when score >= threshold". Same arguments and
/// errors as best_accuracy_threshold, and std::invalid_argument when the threshold is NaN
/// (+-infinity are allowed: everything or nothing is "same").
template <NumberRange Scores, NumberRange Labels>
[[nodiscard]] double accuracy_at_threshold(const Scores& scores, const Labels& labels, double threshold) {
    return detail::accuracy_at_threshold(sort_pair_scores(scores, labels, "accuracy_at_threshold"), threshold,
                                         "accuracy_at_threshold");
}

/// Accuracy with a threshold calibrated on one split and measured on another.
struct CalibratedAccuracy {
    double threshold = 0;             ///< chosen on the calibration split; "same" when score >= threshold
    double calibration_accuracy = 0;  ///< accuracy on the calibration split (optimistic by construction)
    double accuracy = 0;              ///< accuracy on the held-out split: the number to report
    index_t calibration_pairs = 0;
    index_t held_out_pairs = 0;
};

/// Chooses the accuracy-maximising threshold on the calibration split's scores and labels and
/// applies it to the held-out split. The two splits should hold disjoint pairs (e.g. two
/// pair_scores runs with different sampler seeds; pair_accuracy's probabilities saturate at 1), or the held-out number
/// is optimistic too. Errors are best_accuracy_threshold's and accuracy_at_threshold's, naming the split at fault.
template <NumberRange Scores1, NumberRange Labels1, NumberRange Scores2, NumberRange Labels2>
[[nodiscard]] CalibratedAccuracy calibrated_accuracy(const Scores1& calibration_scores,
                                                     const Labels1& calibration_labels, const Scores2& held_out_scores,
                                                     const Labels2& held_out_labels) {
    const auto calibration =
        sort_pair_scores(calibration_scores, calibration_labels, "calibrated_accuracy (calibration split)");
    if (calibration.size() == 0) throw std::invalid_argument("calibrated_accuracy: no calibration pairs");
    const auto held_out = sort_pair_scores(held_out_scores, held_out_labels, "calibrated_accuracy (held-out split)");
    const ThresholdChoice choice = best_accuracy_threshold(calibration);
    CalibratedAccuracy r;
    r.threshold = choice.threshold;
    r.calibration_accuracy = choice.accuracy;
    r.accuracy = detail::accuracy_at_threshold(held_out, choice.threshold, "calibrated_accuracy (held-out split)");
    r.calibration_pairs = calibration.size();
    r.held_out_pairs = held_out.size();
    return r;
}

}  // namespace siamese::eval
