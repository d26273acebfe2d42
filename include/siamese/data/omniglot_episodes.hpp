// SPDX-License-Identifier: MIT
#pragma once

// Lake et al.'s within-alphabet one-shot episodes, drawn from a loaded Omniglot set.

#include <siamese/config.hpp>
#include <siamese/data/omniglot.hpp>
#include <siamese/data/one_shot_episode.hpp>
#include <siamese/random.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace siamese::data {

namespace detail {

/// "1, 2, 5": drawers for a message.
inline std::string drawer_list(const std::vector<int>& drawers) {
    std::string out;
    for (const int d : drawers) out += (out.empty() ? "" : ", ") + std::to_string(d);
    return out;
}

}  // namespace detail

/// Options of within_alphabet_episodes.
struct AlphabetEpisodeOptions {
    index_t ways = 20;        ///< characters per episode, all from one alphabet
    index_t episodes = 1000;  ///< number of episodes
    std::uint64_t seed = 0;
};

/// Lake et al.'s one-shot protocol on an Omniglot set: each episode draws an alphabet uniformly
/// among those with at least `ways` characters, `ways` of its characters, and two different
/// drawers a and b (among the drawers every one of those characters has); the supports are
/// drawer a's images of the characters, the queries drawer b's, one per character (answers[k]
/// = k). Characters drawn by fewer than two people take no part. Deterministic for a seed.
/// Throws std::invalid_argument, whatever the seed, when ways < 2 or episodes < 0, when no
/// alphabet can host an episode (too few characters), when the characters of a hosting alphabet
/// do not all share two drawers (some draws would find no pair), or when the drawers are
/// unknown: an image whose name has no drawer number, or two images of one character by one
/// drawer, or when the set's tables disagree (an edited set: alphabet_of not one alphabet per
/// character, a label past the characters).
[[nodiscard]] inline std::vector<OneShotEpisode> within_alphabet_episodes(const Omniglot& set,
                                                                          const AlphabetEpisodeOptions& options = {}) {
    if (options.ways < 2) {
        throw std::invalid_argument("within_alphabet_episodes: ways must be at least 2, got " +
                                    std::to_string(options.ways));
    }
    if (options.episodes < 0) {
        throw std::invalid_argument("within_alphabet_episodes: episodes must not be negative, got " +
                                    std::to_string(options.episodes));
    }
    if (set.drawers.size() != static_cast<std::size_t>(set.images.size())) {
        throw std::invalid_argument("within_alphabet_episodes: the set has " + std::to_string(set.images.size()) +
                                    " images but " + std::to_string(set.drawers.size()) + " drawers");
    }
    const auto file_name = [&set](index_t i) {
        const auto k = static_cast<std::size_t>(i);
        return k < set.files.size() ? set.files[k] : "image " + std::to_string(i);
    };
    // A set edited by hand (alphabets or characters dropped) indexed past its tables below.
    if (set.alphabet_of.size() != set.characters.size()) {
        throw std::invalid_argument("within_alphabet_episodes: the set has " + std::to_string(set.characters.size()) +
                                    " characters but " + std::to_string(set.alphabet_of.size()) +
                                    " alphabet_of entries");
    }
    for (std::size_t c = 0; c < set.alphabet_of.size(); ++c) {
        if (set.alphabet_of[c] < 0 || set.alphabet_of[c] >= static_cast<std::int64_t>(set.alphabets.size())) {
            throw std::invalid_argument("within_alphabet_episodes: character " + set.characters[c] + " has alphabet " +
                                        std::to_string(set.alphabet_of[c]) + ", but the set has " +
                                        std::to_string(set.alphabets.size()) + " alphabets");
        }
    }
    // image index of (character, drawer)
    std::vector<std::map<int, index_t>> by_drawer(set.characters.size());
    for (index_t i = 0; i < set.images.size(); ++i) {
        const auto c = static_cast<std::size_t>(set.images.label(i));
        if (c >= by_drawer.size()) {
            throw std::invalid_argument("within_alphabet_episodes: " + file_name(i) + " has label " +
                                        std::to_string(set.images.label(i)) + ", but the set has " +
                                        std::to_string(set.characters.size()) + " characters");
        }
        const int drawer = set.drawers[static_cast<std::size_t>(i)];
        if (drawer <= 0) {
            throw std::invalid_argument("within_alphabet_episodes: " + file_name(i) +
                                        " has no drawer number (the MM of NNNN_MM.png, from 1): episodes take "
                                        "supports and queries from different drawers");
        }
        const auto [at, added] = by_drawer[c].emplace(drawer, i);
        if (!added) {
            throw std::invalid_argument("within_alphabet_episodes: " + file_name(at->second) + " and " + file_name(i) +
                                        " are both by drawer " + std::to_string(drawer) +
                                        ": an episode takes one image of a character from each drawer");
        }
    }
    std::vector<std::vector<index_t>> members(set.alphabets.size());
    for (std::size_t c = 0; c < set.characters.size(); ++c) {
        if (by_drawer[c].size() >= 2)
            members[static_cast<std::size_t>(set.alphabet_of[c])].push_back(static_cast<index_t>(c));
    }
    std::vector<std::size_t> hosts;
    std::string sizes;
    for (std::size_t a = 0; a < members.size(); ++a) {
        if (static_cast<index_t>(members[a].size()) >= options.ways) hosts.push_back(a);
        if (!sizes.empty()) sizes += ", ";
        sizes += set.alphabets[a] + " " + std::to_string(members[a].size());
    }
    if (hosts.empty()) {
        throw std::invalid_argument("within_alphabet_episodes: no alphabet has " + std::to_string(options.ways) +
                                    " characters drawn by at least two people (" + sizes + ")");
    }
    // Checked here rather than at a draw, so that the seed decides the episodes but never whether
    // they can be made: any `ways` of a host's characters must share two drawers.
    for (const std::size_t a : hosts) {
        std::vector<int> shared;
        for (const auto& entry : by_drawer[static_cast<std::size_t>(members[a][0])]) shared.push_back(entry.first);
        for (const index_t c : members[a]) {
            const auto& drawn = by_drawer[static_cast<std::size_t>(c)];
            std::vector<int> kept;
            for (const int d : shared) {
                if (drawn.count(d) > 0) kept.push_back(d);
            }
            if (kept.size() < 2) {
                std::vector<int> own;
                for (const auto& entry : drawn) own.push_back(entry.first);
                throw std::invalid_argument(
                    "within_alphabet_episodes: the characters of " + set.alphabets[a] +
                    " do not all share two drawers: " + set.characters[static_cast<std::size_t>(c)] + " is drawn by " +
                    detail::drawer_list(own) + ", the characters before it all by " + detail::drawer_list(shared) +
                    " (supports and queries come from two drawers of every character)");
            }
            shared = std::move(kept);
        }
    }
    Rng rng(options.seed);
    std::vector<OneShotEpisode> episodes;
    episodes.reserve(static_cast<std::size_t>(options.episodes));
    std::vector<int> common;
    for (index_t e = 0; e < options.episodes; ++e) {
        const std::size_t a = hosts[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(hosts.size())))];
        auto& pool = members[a];
        OneShotEpisode ep;
        ep.group = static_cast<std::int64_t>(a);
        // ways distinct characters at the front of the pool
        for (index_t k = 0; k < options.ways; ++k) swap_random_to(pool, static_cast<std::size_t>(k), rng);
        // The drawers all `ways` characters share: at least the two the check above found.
        common.clear();
        for (const auto& [drawer, image] : by_drawer[static_cast<std::size_t>(pool[0])]) {
            bool everywhere = true;
            for (index_t k = 1; k < options.ways && everywhere; ++k) {
                everywhere = by_drawer[static_cast<std::size_t>(pool[static_cast<std::size_t>(k)])].count(drawer) > 0;
            }
            if (everywhere) common.push_back(drawer);
        }
        const auto da = static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(common.size())));
        auto db = static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(common.size()) - 1));
        db += db >= da;  // uniform over the other drawers
        for (index_t k = 0; k < options.ways; ++k) {
            const auto& images = by_drawer[static_cast<std::size_t>(pool[static_cast<std::size_t>(k)])];
            ep.supports.push_back(images.at(common[da]));
            ep.queries.push_back(images.at(common[db]));
            ep.answers.push_back(k);
        }
        episodes.push_back(std::move(ep));
    }
    return episodes;
}

}  // namespace siamese::data
