// SPDX-License-Identifier: MIT
#pragma once

// What a training step draws: balanced pairs (--batch pairs) or P characters x K drawings
// from a few alphabets (--batch all).

#include <siamese/data/omniglot.hpp>
#include <siamese/data/pair_sampler.hpp>
#include <siamese/random.hpp>
#include <siamese/tensor.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace omniglot {

using siamese::index_t;
using T = float;

/// Balanced pairs from an Omniglot set, as the library's PairSampler draws them (first half
/// different characters, second half the same character, never one image twice), except that
/// a share `within` of the different-character pairs takes both characters from one alphabet:
/// the one-shot test discriminates characters of one alphabet, and those pairs are the hard ones.
/// The other different-character pairs draw their second character from all others, its own
/// alphabet included, so slightly more than `within` of them are within one alphabet. A
/// character alone in its alphabet always pairs with another alphabet's.
class AlphabetPairSampler {
public:
    AlphabetPairSampler(const siamese::data::Omniglot& set, double within, std::uint64_t seed)
        : set_(&set), within_(within), rng_(seed) {
        const auto& images = set.images;
        members_.resize(set.characters.size());
        for (index_t i = 0; i < images.size(); ++i) members_[static_cast<std::size_t>(images.label(i))].push_back(i);
        by_alphabet_.resize(set.alphabets.size());
        for (std::size_t c = 0; c < members_.size(); ++c) {
            if (members_[c].size() < 2)
                throw std::invalid_argument("AlphabetPairSampler: " + set.characters[c] + " has a single image");
            by_alphabet_[static_cast<std::size_t>(set.alphabet_of[c])].push_back(static_cast<index_t>(c));
        }
        if (members_.size() < 2) throw std::invalid_argument("AlphabetPairSampler: need at least two characters");
    }

    void sample(index_t b, siamese::data::PairBatch<T>& batch) {
        batch.left.resize(static_cast<std::size_t>(b));
        batch.right.resize(static_cast<std::size_t>(b));
        const auto n = static_cast<index_t>(members_.size());
        for (index_t i = 0; i < b; ++i) {
            const auto row = static_cast<std::size_t>(i);
            const index_t c = rng_.uniform_int(n);
            const auto& m = members_[static_cast<std::size_t>(c)];
            const index_t a = rng_.uniform_int(static_cast<index_t>(m.size()));
            batch.left[row] = m[static_cast<std::size_t>(a)];
            if (siamese::data::PairSampler::pair_label(i, b) == 1) {
                const index_t k = rng_.uniform_int(static_cast<index_t>(m.size()) - 1);
                batch.right[row] = m[static_cast<std::size_t>(k >= a ? k + 1 : k)];
                continue;
            }
            const auto& mates = by_alphabet_[static_cast<std::size_t>(set_->alphabet_of[static_cast<std::size_t>(c)])];
            const bool same_alphabet = rng_.uniform() < within_ && mates.size() >= 2;
            index_t other = 0;
            if (same_alphabet) {
                const index_t pos = std::find(mates.begin(), mates.end(), c) - mates.begin();
                const index_t k = rng_.uniform_int(static_cast<index_t>(mates.size()) - 1);
                other = mates[static_cast<std::size_t>(k >= pos ? k + 1 : k)];
            } else {
                const index_t k = rng_.uniform_int(n - 1);
                other = k >= c ? k + 1 : k;
            }
            const auto& o = members_[static_cast<std::size_t>(other)];
            batch.right[row] = o[static_cast<std::size_t>(rng_.uniform_int(static_cast<index_t>(o.size())))];
        }
        const auto& images = set_->images;
        batch.images.resize(images.batch_shape(2 * b));
        const index_t s = images.image_size();
        for (index_t i = 0; i < b; ++i) {
            images.copy_image(batch.left[static_cast<std::size_t>(i)], batch.images.data() + i * s);
            images.copy_image(batch.right[static_cast<std::size_t>(i)], batch.images.data() + (b + i) * s);
        }
        batch.labels.resize(siamese::Shape{b});
        for (index_t i = 0; i < b; ++i) batch.labels[i] = static_cast<T>(siamese::data::PairSampler::pair_label(i, b));
    }

    [[nodiscard]] siamese::Rng::State state() const noexcept { return rng_.state(); }
    void set_state(const siamese::Rng::State& s) noexcept { rng_.set_state(s); }

private:
    const siamese::data::Omniglot* set_;
    double within_;
    siamese::Rng rng_;
    std::vector<std::vector<index_t>> members_;      // images of each character
    std::vector<std::vector<index_t>> by_alphabet_;  // characters of each alphabet
};

/// Batches of P characters x K drawings for all-pairs training: the characters come from a few
/// alphabets (P / alphabets each, drawn without replacement; an alphabet with fewer gives all it
/// has and the next one fills in), so most different-character pairs of a batch are pairs within
/// one alphabet; each character's K drawings are distinct. When the alphabets cannot give P that
/// way (more alphabets asked for than there are, or too many small ones), the rest are drawn from
/// all characters not yet chosen: a batch always holds P distinct characters.
class CharacterBatchSampler {
public:
    CharacterBatchSampler(const siamese::data::Omniglot& set, index_t characters, index_t drawings, index_t alphabets,
                          std::uint64_t seed)
        : set_(&set), p_(characters), k_(drawings), a_(std::max<index_t>(1, alphabets)), rng_(seed) {
        members_.resize(set.characters.size());
        for (index_t i = 0; i < set.images.size(); ++i)
            members_[static_cast<std::size_t>(set.images.label(i))].push_back(i);
        by_alphabet_.resize(set.alphabets.size());
        for (std::size_t c = 0; c < members_.size(); ++c) {
            if (static_cast<index_t>(members_[c].size()) < k_) {
                throw std::invalid_argument("--drawings: " + set.characters[c] + " has " +
                                            std::to_string(members_[c].size()) + " drawings, fewer than " +
                                            std::to_string(k_));
            }
            by_alphabet_[static_cast<std::size_t>(set.alphabet_of[c])].push_back(static_cast<index_t>(c));
        }
        if (p_ < 2 || p_ > static_cast<index_t>(members_.size())) {
            throw std::invalid_argument("--characters: need 2 to " + std::to_string(members_.size()) +
                                        " characters per batch, got " + std::to_string(p_));
        }
        if (k_ < 2) throw std::invalid_argument("--drawings: need at least 2 drawings per character");
    }

    /// images: [P*K, 1, side, side] (K drawings of one character after another); labels: [P*K].
    void sample(siamese::Tensor<T>& images, std::vector<siamese::data::label_t>& labels) {
        // Draws from fresh copies of the pools, so the stream depends on the generator's state
        // alone and a resumed run continues it exactly.
        const index_t per_alphabet = std::max<index_t>(1, (p_ + a_ - 1) / a_);
        order_.resize(by_alphabet_.size());
        for (std::size_t a = 0; a < order_.size(); ++a) order_[a] = static_cast<index_t>(a);
        chosen_.clear();
        for (std::size_t a = 0; a < order_.size() && static_cast<index_t>(chosen_.size()) < p_; ++a) {
            pool_ = by_alphabet_[static_cast<std::size_t>(siamese::draw_next(order_, a, rng_))];
            const index_t take =
                std::min({per_alphabet, static_cast<index_t>(pool_.size()), p_ - static_cast<index_t>(chosen_.size())});
            for (index_t k = 0; k < take; ++k)
                chosen_.push_back(siamese::draw_next(pool_, static_cast<std::size_t>(k), rng_));
        }
        if (static_cast<index_t>(chosen_.size()) < p_) fill_from_all_characters();
        const auto& set = set_->images;
        images.resize(set.batch_shape(p_ * k_));
        labels.resize(static_cast<std::size_t>(p_ * k_));
        index_t row = 0;
        for (const index_t c : chosen_) {
            pool_ = members_[static_cast<std::size_t>(c)];
            for (index_t k = 0; k < k_; ++k, ++row) {
                set.copy_image(siamese::draw_next(pool_, static_cast<std::size_t>(k), rng_),
                               images.data() + row * set.image_size());
                labels[static_cast<std::size_t>(row)] = c;
            }
        }
    }

    [[nodiscard]] siamese::Rng::State state() const noexcept { return rng_.state(); }
    void set_state(const siamese::Rng::State& s) noexcept { rng_.set_state(s); }

private:
    // Tops chosen_ up to P with characters drawn uniformly from those not chosen yet (the
    // constructor checked that there are P characters in all).
    void fill_from_all_characters() {
        pool_.clear();
        for (index_t c = 0; c < static_cast<index_t>(members_.size()); ++c)
            if (std::find(chosen_.begin(), chosen_.end(), c) == chosen_.end()) pool_.push_back(c);
        const auto missing = static_cast<std::size_t>(p_) - chosen_.size();
        for (std::size_t k = 0; k < missing; ++k) chosen_.push_back(siamese::draw_next(pool_, k, rng_));
    }

    const siamese::data::Omniglot* set_;
    index_t p_, k_, a_;
    siamese::Rng rng_;
    std::vector<std::vector<index_t>> members_, by_alphabet_;
    std::vector<index_t> order_, chosen_, pool_;
};

}  // namespace omniglot
