// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/data/class_members.hpp>
#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>
#include <siamese/eval/confidence.hpp>
#include <siamese/eval/query_holding_classes.hpp>
#include <siamese/eval/scorer.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace siamese::eval {

/// How a class's K support scores become the class's score.
enum class ShotAggregate {
    mean,  ///< average of the K scores (of whatever the scorer returns: logits, probabilities, -distances)
    max,   ///< the best of the K scores: the nearest support decides
};

/// Maps a class label to its group (e.g. an Omniglot character to its alphabet).
using GroupOf = std::function<std::int64_t(data::label_t)>;

/// A GroupOf reading a label -> group table; a label missing from it throws std::invalid_argument.
[[nodiscard]] inline GroupOf group_from_map(std::map<data::label_t, std::int64_t> table) {
    return [table = std::move(table)](data::label_t label) {
        const auto it = table.find(label);
        if (it == table.end()) {
            throw std::invalid_argument("group_from_map: class " + std::to_string(label) + " has no group");
        }
        return it->second;
    };
}

/// Parameters of N-way K-shot classification episodes.
struct FewShotOptions {
    index_t ways = 5;               ///< N: classes per episode
    index_t shots = 1;              ///< K: support images per class
    index_t queries_per_class = 1;  ///< queries drawn from every class of an episode (when queries_per_episode is 0)
    /// When > 0, replaces queries_per_class: this many queries per episode, each from a class
    /// drawn uniformly among the episode's classes that still have an image that is neither a
    /// support nor an earlier query. Classes then need only K images to appear in an episode;
    /// episodes are drawn uniformly among those whose classes hold that many images beyond their
    /// supports (as if drawn again until they do, at a cost that does not grow with how rare
    /// they are: see few_shot_accuracy).
    index_t queries_per_episode = 0;
    index_t episodes = 1000;
    std::uint64_t seed = 2000;
    ShotAggregate aggregate = ShotAggregate::mean;
    /// Empty: each episode draws its classes from the whole set. Set: each episode first draws a
    /// group uniformly among the groups that can fill an episode, then its classes within that
    /// group (Omniglot's within-alphabet protocol).
    GroupOf group_of{};
};

/// Outcome of few_shot_accuracy.
struct FewShotResult {
    double accuracy = 0;  ///< mean over episodes of each episode's fraction of queries classified right
    double ci95 = 0;      ///< half-width of the 95 % interval of that mean (mean_with_ci95: 1.96 s / sqrt(episodes))
    double std_dev = 0;   ///< sample standard deviation of the per-episode accuracies
    index_t episodes = 0;
    index_t ways = 0;
    index_t shots = 0;
    index_t queries = 0;  ///< queries over all episodes
    index_t correct = 0;  ///< of which classified right
};

namespace detail {

/// Episodes drawn whole before few_shot_accuracy draws the classes of one directly among those
/// that hold its queries. Enough that sets where most draws hold them keep the draws they had
/// when every episode was drawn until it held them; few enough to bound an episode's cost.
inline constexpr int episode_redraws = 64;

/// few_shot_accuracy's std::invalid_argument.
[[noreturn]] inline void few_shot_error(const std::string& why) {
    throw std::invalid_argument("few_shot_accuracy: " + why);
}

/// The classes episodes are drawn from: each class's images, and the pools of classes one
/// episode may take (one per group, or the whole set) that can fill an episode.
struct EpisodePools {
    std::vector<std::vector<index_t>> members;  ///< images of each class, by class index
    std::vector<std::vector<index_t>> pools;    ///< class indices, each pool able to host an episode
    index_t shots = 1;                          ///< supports per class

    /// Spare images of class c: those beyond its supports, the ones queries come from.
    [[nodiscard]] index_t spare(index_t c) const {
        return static_cast<index_t>(members[static_cast<std::size_t>(c)].size()) - shots;
    }
};

/// Checks the options against the set and builds the pools; throws (few_shot_error) when the
/// options are out of range or no pool can host an episode, naming what is missing.
[[nodiscard]] inline EpisodePools episode_pools(const data::LabelledImages& images, const FewShotOptions& o) {
    const bool per_episode = o.queries_per_episode > 0;
    if (o.ways < 2) few_shot_error("ways must be at least 2, got " + std::to_string(o.ways));
    if (o.shots < 1) few_shot_error("shots must be at least 1, got " + std::to_string(o.shots));
    if (o.episodes < 1) few_shot_error("episodes must be at least 1, got " + std::to_string(o.episodes));
    if (o.queries_per_episode < 0) few_shot_error("queries_per_episode must not be negative");
    if (!per_episode && o.queries_per_class < 1) {
        few_shot_error("queries_per_class must be at least 1 (or set queries_per_episode), got " +
                       std::to_string(o.queries_per_class));
    }
    // Each against the largest class before adding them: their sum could overflow.
    const auto& counts = images.class_counts();
    const index_t largest = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
    if (o.shots > largest) {
        few_shot_error("shots = " + std::to_string(o.shots) + " supports per class, but the largest class has " +
                       std::to_string(largest) + " images");
    }
    if (!per_episode && o.queries_per_class > largest) {
        few_shot_error("queries_per_class = " + std::to_string(o.queries_per_class) +
                       " queries per class, but the largest class has " + std::to_string(largest) + " images");
    }
    const index_t need = o.shots + (per_episode ? 0 : o.queries_per_class);

    const auto& classes = images.classes();
    EpisodePools result{data::class_members(images), {}, o.shots};
    const auto& members = result.members;
    // Pools of classes an episode can be drawn from: one per group, or the whole set.
    std::map<std::int64_t, std::vector<index_t>> by_group;
    index_t usable = 0, query_capable = 0;
    for (std::size_t c = 0; c < classes.size(); ++c) {
        if (static_cast<index_t>(members[c].size()) < need) continue;
        ++usable;
        query_capable += static_cast<index_t>(members[c].size()) > o.shots;
        by_group[o.group_of ? o.group_of(classes[c]) : 0].push_back(static_cast<index_t>(c));
    }
    // With queries per episode, a pool serves only if its `ways` classes richest in spare images
    // hold enough queries; otherwise every episode drawn from it would run out half-way.
    auto can_fill = [&](std::vector<index_t> pool) {
        if (!per_episode) return true;
        std::sort(pool.begin(), pool.end(), [&](index_t a, index_t b) { return result.spare(a) > result.spare(b); });
        index_t queries = 0;
        for (std::size_t k = 0; k < static_cast<std::size_t>(o.ways) && queries < o.queries_per_episode; ++k)
            queries += result.spare(pool[k]);
        return queries >= o.queries_per_episode;
    };
    index_t short_of_queries = 0;
    for (auto& [group, pool] : by_group) {
        if (static_cast<index_t>(pool.size()) < o.ways) continue;
        if (can_fill(pool))
            result.pools.push_back(std::move(pool));
        else
            ++short_of_queries;
    }
    const std::string requirement = "classes with at least " + std::to_string(need) + " images (" +
                                    std::to_string(o.shots) + " supports" +
                                    (per_episode ? "" : " + " + std::to_string(o.queries_per_class) + " queries") + ")";
    if (result.pools.empty() && short_of_queries == 0) {
        few_shot_error(std::to_string(o.ways) + "-way episodes need " + std::to_string(o.ways) + " " + requirement +
                       (o.group_of ? " within one group" : "") + "; the set has " + std::to_string(usable) +
                       " such classes" +
                       (o.group_of ? " in " + std::to_string(by_group.size()) + " groups, none with enough" : ""));
    }
    if (per_episode && query_capable == 0) {
        few_shot_error("no class has an image beyond its " + std::to_string(o.shots) + " supports to serve as a query");
    }
    if (result.pools.empty()) {
        few_shot_error("queries_per_episode = " + std::to_string(o.queries_per_episode) +
                       " needs as many images beyond the supports (" + std::to_string(o.shots) +
                       " per class) of an episode's " + std::to_string(o.ways) + " classes; no " +
                       std::to_string(o.ways) + " classes of the set" + (o.group_of ? " within one group" : "") +
                       " have that many");
    }
    return result;
}

/// The class a query goes to: each class's `shots` scores (consecutive in `scores`) aggregated
/// into class_scores, then the best (a tie to the first). Infinities are scores like any other
/// (-inf: a log-probability of 0). Throws when a score, or a class's aggregate, is NaN: it would
/// silently lose every comparison and pick the first class.
[[nodiscard]] inline index_t best_class(std::span<const double> scores, std::size_t shots, ShotAggregate aggregate,
                                        std::span<double> class_scores, index_t query) {
    for (std::size_t k = 0; k < class_scores.size(); ++k) {
        const auto first = scores.begin() + static_cast<std::ptrdiff_t>(k * shots);
        const auto last = first + static_cast<std::ptrdiff_t>(shots);
        class_scores[k] = aggregate == ShotAggregate::max
                              ? *std::max_element(first, last)
                              : std::accumulate(first, last, 0.0) / static_cast<double>(shots);
    }
    if (std::any_of(scores.begin(), scores.end(), [](double v) { return std::isnan(v); })) {
        few_shot_error("the scorer returned NaN for query image " + std::to_string(query));
    }
    if (std::any_of(class_scores.begin(), class_scores.end(), [](double v) { return std::isnan(v); })) {
        few_shot_error("the scores of a class average to NaN for query image " + std::to_string(query) +
                       " (the scorer returned +inf and -inf for its supports)");
    }
    return static_cast<index_t>(std::max_element(class_scores.begin(), class_scores.end()) - class_scores.begin());
}

}  // namespace detail

/// N-way K-shot classification accuracy. Each episode draws N distinct classes (within one
/// group when options.group_of is set), K support images per class and queries that are never
/// support images (queries_per_class per class, or queries_per_episode in all). A query is
/// scored against all N*K supports in one call, score(query, supports, out), supports ordered
/// class by class (class k's at [k*K, (k+1)*K)); each class's K scores are aggregated (mean or
/// max) and the query goes to the best class (a tie to the first of the episode's random class
/// order). Scores may be infinite: -inf (a log-probability of 0) loses to every number, +inf
/// wins, and equal infinities tie like equal numbers; only NaN, which has no order, is refused
/// (the rule of episode_accuracy too). The result is the mean per-episode accuracy with a
/// normal-approximation 95 % interval over episodes. Deterministic for a seed. With
/// queries_per_episode, episodes are uniform among those whose classes hold the queries: an
/// episode is drawn whole up to detail::episode_redraws times, then its classes directly among
/// the sets that hold them (detail::QueryHoldingClasses), so its cost is bounded however few such
/// sets there are. Throws std::invalid_argument, before any scoring, when the options are out of
/// range (episodes < 1 among them), or when the set (or every group) has too few classes with
/// enough images, or too few spare images for the queries; and, part-way through, when the
/// scorer returns NaN (a diverged model), or +inf and -inf for one class's supports under mean
/// aggregation (their mean is NaN).
template <class Score>
requires PairScorer<Score>
[[nodiscard]] FewShotResult few_shot_accuracy(const data::LabelledImages& images, Score&& score,
                                              const FewShotOptions& options = {}) {
    const FewShotOptions& o = options;
    const bool per_episode = o.queries_per_episode > 0;
    detail::EpisodePools drawable = detail::episode_pools(images, o);
    auto& members = drawable.members;  // draw_next shuffles them in place as it draws
    auto& pools = drawable.pools;

    Rng rng(o.seed);
    const auto ways = static_cast<std::size_t>(o.ways);
    const auto shots = static_cast<std::size_t>(o.shots);
    std::vector<index_t> chosen(ways), supports(ways * shots), query_class;
    std::vector<std::size_t> used(ways);
    std::vector<index_t> queries;
    std::vector<std::size_t> open;
    std::vector<double> scores(supports.size()), class_scores(ways), episode_accuracy;
    episode_accuracy.reserve(static_cast<std::size_t>(o.episodes));
    // Per pool, built when first needed: the direct draw of classes that hold the queries.
    std::vector<std::optional<detail::QueryHoldingClasses>> direct(pools.size());
    // K distinct images of the episode's k-th class as its supports; its queries are drawn after them.
    auto draw_supports = [&](std::size_t k) {
        auto& m = members[static_cast<std::size_t>(chosen[k])];
        for (std::size_t s = 0; s < shots; ++s) supports[k * shots + s] = draw_next(m, s, rng);
        used[k] = shots;
    };
    FewShotResult r;
    for (index_t e = 0; e < o.episodes; ++e) {
        const std::size_t p =
            pools.size() == 1 ? 0 : static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(pools.size())));
        auto& pool = pools[p];
        // An episode whose classes lack spare images for its queries is drawn again: episodes are
        // uniform among those that can be completed (every pool holds some, checked above). After
        // detail::episode_redraws tries, the classes are drawn directly among the sets that hold
        // the queries, which is the same distribution: a redraw alone could take C(pool, ways)
        // tries. The tries come first so that sets where they succeed keep their episodes.
        bool holds = false;
        for (int attempt = 0; attempt < detail::episode_redraws && !holds; ++attempt) {
            index_t episode_spare = 0;
            for (std::size_t k = 0; k < ways; ++k) {
                chosen[k] = draw_next(pool, k, rng);
                draw_supports(k);
                episode_spare += drawable.spare(chosen[k]);
            }
            holds = !per_episode || episode_spare >= o.queries_per_episode;
        }
        if (!holds) {
            if (!direct[p]) {
                std::vector<index_t> spare(pool.size());
                for (std::size_t i = 0; i < pool.size(); ++i) spare[i] = drawable.spare(pool[i]);
                direct[p].emplace(pool, spare, o.ways, o.queries_per_episode);
            }
            direct[p]->draw(rng, chosen);
            for (std::size_t k = 0; k < ways; ++k) draw_supports(k);
        }
        queries.clear();
        query_class.clear();
        auto add_query = [&](std::size_t k) {
            auto& m = members[static_cast<std::size_t>(chosen[k])];
            queries.push_back(draw_next(m, used[k]++, rng));
            query_class.push_back(static_cast<index_t>(k));
        };
        if (per_episode) {
            for (index_t q = 0; q < o.queries_per_episode; ++q) {
                open.clear();
                for (std::size_t k = 0; k < ways; ++k) {
                    if (used[k] < members[static_cast<std::size_t>(chosen[k])].size()) open.push_back(k);
                }
                if (open.empty()) {
                    detail::few_shot_error("episode " + std::to_string(e) + " ran out of query images after " +
                                           std::to_string(q) +
                                           " queries: its classes have no image left beyond their supports");
                }
                add_query(open[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(open.size())))]);
            }
        } else {
            for (std::size_t k = 0; k < ways; ++k)
                for (index_t q = 0; q < o.queries_per_class; ++q) add_query(k);
        }

        index_t right = 0;
        for (std::size_t q = 0; q < queries.size(); ++q) {
            score(queries[q], std::span<const index_t>(supports), std::span<double>(scores));
            right += detail::best_class(scores, shots, o.aggregate, class_scores, queries[q]) == query_class[q];
        }
        r.queries += static_cast<index_t>(queries.size());
        r.correct += right;
        episode_accuracy.push_back(static_cast<double>(right) / static_cast<double>(queries.size()));
    }
    const MeanInterval m = mean_with_ci95(episode_accuracy);
    r.accuracy = m.mean;
    r.ci95 = m.ci95;
    r.std_dev = m.std_dev;
    r.episodes = o.episodes;
    r.ways = o.ways;
    r.shots = o.shots;
    return r;
}

}  // namespace siamese::eval
