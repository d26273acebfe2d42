// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace siamese::eval::detail {

/// Draws `ways` distinct classes of a pool uniformly among the sets of `ways` classes whose spare
/// images (those beyond the supports) add up to at least `queries`, in a uniformly random order:
/// the distribution of drawing `ways` classes uniformly and drawing again until they hold the
/// queries, at a cost that does not grow with how rare such sets are.
///
/// How: only a class's spare images up to `queries` matter, so the classes fall into groups by
/// that capped count. A table counts, for the groups from g on, the sets of j classes holding r
/// more queries; a draw walks the groups, taking c classes of group g with probability
/// proportional to C(size of g, c) times the sets the later groups complete it with. The counts
/// are kept as logarithms (they reach C(classes, ways)). The table has (groups + 1) x (ways + 1)
/// x (queries + 1) entries, with groups at most queries + 1.
class QueryHoldingClasses {
public:
    /// pool: class indices; spare[i]: spare images of pool[i]. Throws std::invalid_argument when
    /// the sizes differ, ways or queries is below 1, or no `ways` classes hold `queries`.
    QueryHoldingClasses(std::span<const index_t> pool, std::span<const index_t> spare, index_t ways, index_t queries)
        : ways_(static_cast<std::size_t>(ways)), queries_(static_cast<std::size_t>(queries)) {
        if (pool.size() != spare.size() || ways < 1 || queries < 1) {
            throw std::invalid_argument("QueryHoldingClasses: needs one spare count per class, ways and queries >= 1");
        }
        std::map<std::size_t, std::vector<index_t>> by_capped_spare;
        for (std::size_t i = 0; i < pool.size(); ++i) {
            const auto capped = static_cast<std::size_t>(std::clamp<index_t>(spare[i], 0, queries));
            by_capped_spare[capped].push_back(pool[i]);
        }
        for (auto& [capped, classes] : by_capped_spare) {
            // log C(n, c) for the counts a draw can take, by C(n, c) = C(n, c - 1) (n - c + 1) / c.
            const std::size_t n = classes.size();
            std::vector<double> log_choose{0.0};
            for (std::size_t c = 1; c <= std::min(n, ways_); ++c) {
                log_choose.push_back(log_choose.back() + std::log(static_cast<double>(n - c + 1)) -
                                     std::log(static_cast<double>(c)));
            }
            groups_.push_back({capped, std::move(classes), std::move(log_choose)});
        }

        log_sets_.assign((groups_.size() + 1) * (ways_ + 1) * (queries_ + 1), minus_infinity);
        log_sets_[at(groups_.size(), 0, 0)] = 0;  // past the last group: only the empty set, needing nothing
        for (std::size_t g = groups_.size(); g-- > 0;) {
            for (std::size_t j = 0; j <= ways_; ++j)
                for (std::size_t r = 0; r <= queries_; ++r) {
                    double most = minus_infinity;
                    for (std::size_t c = 0; c <= take_limit(g, j); ++c) most = std::max(most, log_term(g, j, r, c));
                    if (most == minus_infinity) continue;
                    double sum = 0;
                    for (std::size_t c = 0; c <= take_limit(g, j); ++c) sum += std::exp(log_term(g, j, r, c) - most);
                    log_sets_[at(g, j, r)] = most + std::log(sum);
                }
        }
        if (log_sets_[at(0, ways_, queries_)] == minus_infinity) {
            throw std::invalid_argument("QueryHoldingClasses: no " + std::to_string(ways) + " classes hold " +
                                        std::to_string(queries) + " queries");
        }
    }

    /// Writes `ways` classes into chosen (chosen.size() == ways).
    void draw(Rng& rng, std::span<index_t> chosen) {
        std::size_t filled = 0, j = ways_, r = queries_;
        for (std::size_t g = 0; g < groups_.size() && j > 0; ++g) {
            // Rounding can leave the probabilities a hair short of 1: the last possible count
            // takes what remains.
            const double u = rng.uniform();
            const double whole = log_sets_[at(g, j, r)];
            std::size_t take = 0;
            double below = 0;
            for (std::size_t c = 0; c <= take_limit(g, j); ++c) {
                const double term = log_term(g, j, r, c);
                if (term == minus_infinity) continue;
                take = c;
                below += std::exp(term - whole);
                if (u < below) break;
            }
            auto& classes = groups_[g].classes;
            for (std::size_t c = 0; c < take; ++c) chosen[filled++] = draw_next(classes, c, rng);
            j -= take;
            r -= std::min(r, take * groups_[g].capped_spare);
        }
        // The walk took the classes group by group; episodes take them in random order.
        for (std::size_t k = 0; k < ways_; ++k) swap_random_to(chosen, k, rng);
    }

private:
    static constexpr double minus_infinity = -std::numeric_limits<double>::infinity();

    struct Group {
        std::size_t capped_spare;        ///< spare images of each class, up to `queries`
        std::vector<index_t> classes;    ///< shuffled in place as draws take from it
        std::vector<double> log_choose;  ///< log C(classes.size(), c) for c = 0..min(size, ways)
    };

    [[nodiscard]] std::size_t at(std::size_t g, std::size_t j, std::size_t r) const {
        return (g * (ways_ + 1) + j) * (queries_ + 1) + r;
    }
    [[nodiscard]] std::size_t take_limit(std::size_t g, std::size_t j) const {
        return std::min(j, groups_[g].classes.size());
    }
    /// log of C(size of g, c) x the sets of j - c classes from the groups after g that hold the
    /// queries left once c classes of g have given theirs.
    [[nodiscard]] double log_term(std::size_t g, std::size_t j, std::size_t r, std::size_t c) const {
        const double rest = log_sets_[at(g + 1, j - c, r - std::min(r, c * groups_[g].capped_spare))];
        return rest == minus_infinity ? rest : groups_[g].log_choose[c] + rest;
    }

    std::size_t ways_, queries_;
    std::vector<Group> groups_;     ///< by capped spare count, ascending
    std::vector<double> log_sets_;  ///< log of the number of such sets, by (group, classes, queries)
};

}  // namespace siamese::eval::detail
