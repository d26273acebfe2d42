// SPDX-License-Identifier: MIT
#pragma once

// Noticing a collapsed run: a Siamese model that gives every pair (almost) the same score has
// stopped learning, and on balanced batches its pair accuracy sits at 0.5. This watches a
// window of batches and says so once, with the usual causes.

#include <siamese/config.hpp>
#include <siamese/detail/format_number.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace siamese::training {

/// When CollapseDetector speaks up: over a full window of batches, a mean pair accuracy within
/// the band around 0.5, or the logits of every batch spread less than min_logit_spread.
struct CollapseOptions {
    index_t window = 500;            ///< batches watched; a warning needs a full window
    double accuracy_band = 0.02;     ///< "stuck at 0.5" means within 0.5 +- this, on average
    double min_logit_spread = 1e-4;  ///< "constant output": logits' spread in a batch below this
};

/// Watches each batch's pair accuracy and logit spread (add) and returns a warning, once, the
/// first time training looks collapsed (see CollapseOptions).
class CollapseDetector {
public:
    /// window must be at least 1, accuracy_band and min_logit_spread finite numbers >= 0;
    /// otherwise std::invalid_argument naming the option and its value.
    explicit CollapseDetector(CollapseOptions options = {}) : options_(options) {
        if (options.window < 1) {
            throw std::invalid_argument("CollapseDetector: window must be at least 1 batch, got " +
                                        std::to_string(options.window));
        }
        check_option("accuracy_band", options.accuracy_band);
        check_option("min_logit_spread", options.min_logit_spread);
    }

    /// Records one batch: its pair accuracy and the spread (max - min) of its logits. Returns a
    /// warning the first time the last `window` batches look collapsed, nothing otherwise.
    [[nodiscard]] std::optional<std::string> add(double accuracy, double logit_spread) {
        accuracies_.push_back(accuracy);
        spreads_.push_back(logit_spread);
        if (static_cast<index_t>(accuracies_.size()) > options_.window) {
            accuracies_.erase(accuracies_.begin());
            spreads_.erase(spreads_.begin());
        }
        if (warned_ || static_cast<index_t>(accuracies_.size()) < options_.window) return std::nullopt;
        double mean = 0;
        for (double a : accuracies_) mean += a / static_cast<double>(accuracies_.size());
        const double widest = *std::max_element(spreads_.begin(), spreads_.end());
        const bool stuck = std::abs(mean - 0.5) <= options_.accuracy_band;
        const bool constant = widest < options_.min_logit_spread;
        if (!stuck && !constant) return std::nullopt;
        warned_ = true;
        return std::string("warning: the model looks collapsed: over the last ") + std::to_string(options_.window) +
               " batches " +
               (constant ? "it gave every pair the same score"
                         : "its pair accuracy stayed at " + std::to_string(mean)) +
               ". Likely causes: a learning rate too high (dead ReLUs) or too low, unnormalised or "
               "constant inputs, or labels that do not match the pairs.";
    }

    // What a checkpoint saves so that a resumed run warns when the uninterrupted one would have.
    [[nodiscard]] const std::vector<double>& window_accuracies() const noexcept { return accuracies_; }
    [[nodiscard]] const std::vector<double>& window_spreads() const noexcept { return spreads_; }
    [[nodiscard]] bool warned() const noexcept { return warned_; }

    /// Puts back what window_accuracies(), window_spreads() and warned() returned, into a
    /// detector with the same options. Mismatched or overlong windows are an invalid_argument.
    void restore(std::vector<double> accuracies, std::vector<double> spreads, bool warned) {
        if (accuracies.size() != spreads.size() || static_cast<index_t>(accuracies.size()) > options_.window) {
            throw std::invalid_argument("CollapseDetector::restore: " + std::to_string(accuracies.size()) +
                                        " accuracies and " + std::to_string(spreads.size()) +
                                        " spreads for a window of " + std::to_string(options_.window) + " batches");
        }
        accuracies_ = std::move(accuracies);
        spreads_ = std::move(spreads);
        warned_ = warned;
    }

    /// The spread (max - min) of a batch of logits, for add(): 0 for equal logits (infinite ones
    /// too), an empty batch or one of NaNs only.
    template <class Range>
    [[nodiscard]] static double spread(const Range& logits) {
        constexpr double inf = std::numeric_limits<double>::infinity();
        double lo = inf, hi = -inf;
        for (const auto v : logits) {
            lo = std::min(lo, static_cast<double>(v));
            hi = std::max(hi, static_cast<double>(v));
        }
        return hi > lo ? hi - lo : 0.0;
    }

private:
    static void check_option(const char* option, double value) {
        if (!(value >= 0) || !std::isfinite(value)) {
            throw std::invalid_argument(std::string("CollapseDetector: ") + option +
                                        " must be a finite number >= 0, got " + siamese::detail::format_number(value));
        }
    }

    CollapseOptions options_;
    std::vector<double> accuracies_, spreads_;
    bool warned_ = false;
};

}  // namespace siamese::training
