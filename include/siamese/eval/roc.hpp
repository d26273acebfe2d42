// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/detail/format_number.hpp>
#include <siamese/eval/sorted_pair_scores.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace siamese::eval {

/// A receiver operating characteristic: point i is the operating point of the rule
/// "same when score >= thresholds[i]". Point 0 has threshold +infinity (nothing called same,
/// FPR = TPR = 0); each later point lowers the threshold to the next distinct score, so all
/// pairs with one score enter together and a tie shows as one diagonal step. The last point
/// is (1, 1). All three vectors have one entry per point.
struct RocCurve {
    std::vector<double> fpr;         ///< false positive rate: different pairs called same / different pairs
    std::vector<double> tpr;         ///< true positive rate: same pairs called same / same pairs
    std::vector<double> thresholds;  ///< descending; thresholds[0] = +infinity
    index_t positives = 0;           ///< same pairs (label 1)
    index_t negatives = 0;           ///< different pairs (label 0)

    /// Number of points.
    [[nodiscard]] index_t size() const noexcept { return static_cast<index_t>(fpr.size()); }
};

namespace detail {

inline void require_both_labels(const SortedPairScores& s, const char* who) {
    if (s.positives == 0 || s.negatives == 0) {
        throw std::invalid_argument(std::string(who) + ": needs pairs of both labels, got " +
                                    std::to_string(s.positives) + " same and " + std::to_string(s.negatives) +
                                    " different");
    }
}

}  // namespace detail

/// The ROC curve of already sorted pair scores (sort_pair_scores); needs both labels.
[[nodiscard]] inline RocCurve roc_curve(const SortedPairScores& s) {
    detail::require_both_labels(s, "roc_curve");
    RocCurve roc;
    roc.positives = s.positives;
    roc.negatives = s.negatives;
    roc.fpr.push_back(0.0);
    roc.tpr.push_back(0.0);
    roc.thresholds.push_back(std::numeric_limits<double>::infinity());
    index_t tp = 0, fp = 0;
    detail::for_each_tie_group(s, [&](double score, index_t p, index_t n) {
        tp += p;
        fp += n;
        roc.fpr.push_back(static_cast<double>(fp) / static_cast<double>(s.negatives));
        roc.tpr.push_back(static_cast<double>(tp) / static_cast<double>(s.positives));
        roc.thresholds.push_back(score);
    });
    return roc;
}

/// The ROC curve of pair scores (higher = more likely same) and labels (1 = same, 0 = different),
/// both of length P. Throws shape_error when the lengths differ, std::invalid_argument on a
/// non-finite score, a label other than 0/1, or when one label is missing.
template <NumberRange Scores, NumberRange Labels>
[[nodiscard]] RocCurve roc_curve(const Scores& scores, const Labels& labels) {
    return roc_curve(sort_pair_scores(scores, labels, "roc_curve"));
}

/// Exact area under the ROC curve of sorted pair scores: the probability that a random same
/// pair scores above a random different pair, a tie counting one half. This is the
/// Mann-Whitney U statistic divided by P*N, and equals the trapezoidal area under roc_curve().
[[nodiscard]] inline double roc_auc(const SortedPairScores& s) {
    detail::require_both_labels(s, "roc_auc");
    // Twice U in integers, so the only rounding is the final division.
    std::int64_t twice_u = 0, positives_above = 0;
    detail::for_each_tie_group(s, [&](double, index_t p, index_t n) {
        twice_u += static_cast<std::int64_t>(n) * (2 * positives_above + static_cast<std::int64_t>(p));
        positives_above += static_cast<std::int64_t>(p);
    });
    return static_cast<double>(twice_u) / (2.0 * static_cast<double>(s.positives) * static_cast<double>(s.negatives));
}

/// ROC AUC of pair scores and labels (see roc_curve for the arguments and errors): 1 for a
/// perfect ranking, 0 for a reversed one, 0.5 when every score ties.
template <NumberRange Scores, NumberRange Labels>
[[nodiscard]] double roc_auc(const Scores& scores, const Labels& labels) {
    return roc_auc(sort_pair_scores(scores, labels, "roc_auc"));
}

/// Equal error rate and where it occurs.
struct EqualErrorRate {
    double rate = 0;       ///< the common value of FPR and FNR at the crossing
    double threshold = 0;  ///< the first ROC threshold at or past the crossing (FPR >= rate >= FNR there)
};

/// Equal error rate of a ROC curve: the point where the false positive rate equals the false
/// negative rate (FNR = 1 - TPR). Along the curve FPR - FNR rises from -1 to +1; the EER is
/// read off the ROC polyline by linear interpolation on the segment where that difference
/// changes sign, i.e. where the polyline meets the line TPR = 1 - FPR. This interpolates
/// between the two neighbouring operating points (a randomised mix of the two thresholds
/// achieves it), so ties need no special case: all-tied scores give 0.5, a perfect ranking 0.
/// The sign is decided on the pair counts behind the rates (positives, negatives), exactly, as
/// the double rates can differ in the last bit where they are equal. Throws std::invalid_argument for a curve of fewer
/// than 2 points, vectors of different lengths, a rate outside [0, 1] (NaN included), a rate that falls from one point
/// to the next, no positives or negatives, or a curve that stops short of the crossing: curves not from roc_curve.
[[nodiscard]] inline EqualErrorRate equal_error_rate(const RocCurve& roc) {
    if (roc.size() < 2) throw std::invalid_argument("equal_error_rate: the ROC curve has fewer than 2 points");
    if (roc.tpr.size() != roc.fpr.size() || roc.thresholds.size() != roc.fpr.size()) {
        throw std::invalid_argument("equal_error_rate: the ROC curve has " + std::to_string(roc.fpr.size()) + " fpr, " +
                                    std::to_string(roc.tpr.size()) + " tpr and " +
                                    std::to_string(roc.thresholds.size()) +
                                    " thresholds; expected one of each per point");
    }
    for (std::size_t i = 0; i < roc.fpr.size(); ++i) {
        if (!(roc.fpr[i] >= 0.0 && roc.fpr[i] <= 1.0 && roc.tpr[i] >= 0.0 && roc.tpr[i] <= 1.0)) {
            throw std::invalid_argument("equal_error_rate: point " + std::to_string(i) + " of the ROC curve has fpr " +
                                        siamese::detail::format_number(roc.fpr[i]) + " and tpr " +
                                        siamese::detail::format_number(roc.tpr[i]) + "; rates are in [0, 1]");
        }
        // Thresholds fall along a ROC curve, so neither rate can: a curve that goes back could
        // cross TPR = 1 - FPR more than once, or never on the way up.
        if (i > 0 && (roc.fpr[i] < roc.fpr[i - 1] || roc.tpr[i] < roc.tpr[i - 1])) {
            throw std::invalid_argument(
                "equal_error_rate: the ROC curve goes back at point " + std::to_string(i) + " (fpr " +
                siamese::detail::format_number(roc.fpr[i - 1]) + " -> " + siamese::detail::format_number(roc.fpr[i]) +
                ", tpr " + siamese::detail::format_number(roc.tpr[i - 1]) + " -> " +
                siamese::detail::format_number(roc.tpr[i]) + "); both rates rise along a curve, as roc_curve lists it");
        }
    }
    if (roc.positives <= 0 || roc.negatives <= 0) {
        throw std::invalid_argument("equal_error_rate: the ROC curve counts " + std::to_string(roc.positives) +
                                    " positives and " + std::to_string(roc.negatives) +
                                    " negatives; it needs both (as roc_curve sets them)");
    }
    // sign(FPR - FNR) = sign(fp * P - fn * N), with fp and fn recovered from the rates: the
    // products are exact while they fit an int64 (any curve of fewer than 3e9 pairs of each label).
    const auto positives = static_cast<std::int64_t>(roc.positives),
               negatives = static_cast<std::int64_t>(roc.negatives);
    const bool exact = positives <= std::numeric_limits<std::int64_t>::max() / negatives;
    auto gap_sign = [&](std::size_t i) {
        if (!exact) {
            const double gap = roc.fpr[i] - (1.0 - roc.tpr[i]);
            return (gap > 0) - (gap < 0);
        }
        const auto fp = static_cast<std::int64_t>(std::llround(roc.fpr[i] * static_cast<double>(negatives)));
        const auto fn =
            positives - static_cast<std::int64_t>(std::llround(roc.tpr[i] * static_cast<double>(positives)));
        const std::int64_t a = fp * positives, b = fn * negatives;
        return (a > b) - (a < b);
    };
    for (std::size_t i = 0; i + 1 < roc.fpr.size(); ++i) {
        const int s0 = gap_sign(i);
        if (s0 == 0) return {roc.fpr[i], roc.thresholds[i]};
        const int s1 = gap_sign(i + 1);
        if (s0 < 0 && s1 == 0) return {roc.fpr[i + 1], roc.thresholds[i + 1]};  // exactly, not interpolated
        if (s0 < 0 && s1 > 0) {
            const double g0 = roc.fpr[i] - (1.0 - roc.tpr[i]), g1 = roc.fpr[i + 1] - (1.0 - roc.tpr[i + 1]);
            const double t = std::clamp(-g0 / (g1 - g0), 0.0, 1.0);
            return {roc.fpr[i] + t * (roc.fpr[i + 1] - roc.fpr[i]), roc.thresholds[i + 1]};
        }
    }
    // Unreachable for a curve from roc_curve, which rises from (0, 0) to (1, 1). A curve of one's
    // own that stops short of the crossing has no EER: its last point is not one.
    const auto gap_at = [&](std::size_t i) { return siamese::detail::format_number(roc.fpr[i] - (1.0 - roc.tpr[i])); };
    throw std::invalid_argument("equal_error_rate: the ROC curve never rises across TPR = 1 - FPR (FPR - FNR is " +
                                gap_at(0) + " at its first point and " + gap_at(roc.fpr.size() - 1) +
                                " at its last); a curve from roc_curve runs from (0, 0) to (1, 1)");
}

/// Equal error rate of pair scores and labels (see roc_curve for the arguments and errors).
template <NumberRange Scores, NumberRange Labels>
[[nodiscard]] EqualErrorRate equal_error_rate(const Scores& scores, const Labels& labels) {
    const auto sorted = sort_pair_scores(scores, labels, "equal_error_rate");
    detail::require_both_labels(sorted, "equal_error_rate");
    return equal_error_rate(roc_curve(sorted));
}

}  // namespace siamese::eval
