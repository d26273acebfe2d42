// SPDX-License-Identifier: MIT
#pragma once

// The Omniglot example's plumbing: alphabet splits, the backbone, the within-alphabet pair
// sampler, optimizers and schedules, checkpoints, one-shot evaluation with its baselines, and
// pictures. omniglot.cpp tells the story; this file keeps the details out of its way.

#include "../common/figures.hpp"
#include "../common/json.hpp"
#include "../common/progress.hpp"
#include "../common/run_state.hpp"

#include <siamese/siamese.hpp>
#include <siamese/data/omniglot.hpp>
#include <siamese/data/one_shot_runs.hpp>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace omniglot {

namespace fs = std::filesystem;
using siamese::index_t;
using T = float;

// ---------------------------------------------------------------------------------------- splits

// The 30 background alphabets, split once (a seeded draw among the alphabets with at least 20
// characters that are in neither minimal set; the two Georgian scripts and Japanese hiragana
// stay in training, so no test alphabet has a sibling script there): 5 test alphabets,
// reported once; 5 validation alphabets, for early stopping and every tuning decision; 20 more
// to train on. Only alphabets with at least 20 characters can host 20-way within-alphabet episodes.
inline const std::vector<std::string> test5 = {"Bengali", "Braille", "Burmese_(Myanmar)", "Gujarati", "Tifinagh"};
inline const std::vector<std::string> validation5 = {"Arcadian", "Cyrillic", "Futurama", "Grantha",
                                                     "Syriac_(Estrangelo)"};
// Lake et al.'s two "minimal" background sets (the archives images_background_small1/2 hold
// exactly these alphabets of images_background, byte for byte).
inline const std::vector<std::string> small1 = {"Balinese", "Early_Aramaic", "Greek", "Korean", "Latin"};
inline const std::vector<std::string> small2 = {"Greek", "Japanese_(katakana)", "Latin", "Sanskrit", "Tagalog"};

inline const char* alphabet_list_help =
    "comma-separated alphabet names (folder names under --data) or presets: all; train25 (all but "
    "test5); train20 (all but test5 and validation5); test5 (Bengali, Braille, Burmese_(Myanmar), "
    "Gujarati, Tifinagh); validation5 (Arcadian, Cyrillic, Futurama, Grantha, Syriac_(Estrangelo)); "
    "small1; small2; none";

/// Expands a comma-separated list of alphabet names and presets against the alphabets present.
inline std::vector<std::string> expand_alphabets(const std::string& list, const std::vector<std::string>& available) {
    auto minus = [&](const std::vector<std::vector<std::string>>& out) {
        std::vector<std::string> r;
        for (const auto& a : available) {
            bool excluded = false;
            for (const auto& l : out) excluded = excluded || std::find(l.begin(), l.end(), a) != l.end();
            if (!excluded) r.push_back(a);
        }
        return r;
    };
    std::vector<std::string> result;
    std::stringstream in(list);
    std::string token;
    while (std::getline(in, token, ',')) {
        if (token.empty() || token == "none") continue;
        std::vector<std::string> add;
        if (token == "all") add = available;
        else if (token == "train25") add = minus({test5});
        else if (token == "train20") add = minus({test5, validation5});
        else if (token == "test5") add = test5;
        else if (token == "validation5") add = validation5;
        else if (token == "small1") add = small1;
        else if (token == "small2") add = small2;
        else add = {token};
        for (auto& a : add) {
            if (std::find(result.begin(), result.end(), a) == result.end()) result.push_back(a);
        }
    }
    return result;
}

inline std::string join(const std::vector<std::string>& v, const char* sep = ",") {
    std::string s;
    for (const auto& x : v) {
        if (!s.empty()) s += sep;
        s += x;
    }
    return s;
}

// -------------------------------------------------------------------------------------- backbone

/// The backbone's shape: four conv blocks (k x k "same" convolution, ReLU, 2x2 max-pool), then
/// a linear embedding.
struct NetConfig {
    long side = 48;                          ///< input images are side x side
    std::vector<long> widths{64, 64, 64, 64};  ///< output channels of the four conv blocks
    long kernel = 3;                         ///< odd kernel size of every conv
    long embedding = 128;                    ///< D, the embedding size
    bool he_init = true;                     ///< He-uniform backbone weights (false: PyTorch's default)

    [[nodiscard]] long pooled_side() const {
        long s = side;
        for (int i = 0; i < 4; ++i) s /= 2;
        return s;
    }
    [[nodiscard]] std::string widths_text() const {
        std::string s;
        for (const long w : widths) {
            if (!s.empty()) s += ',';
            s += std::to_string(w);
        }
        return s;
    }
};

/// A Koch-style convolutional backbone for two CPU cores: [N, 1, side, side] pixels 0..255 ->
/// [N, D]. Pixels are scaled to 0..1 first (ink 1, paper 0); each block is one fused
/// ConvReluPool layer. A Layer, with forward_inspect for the training guards.
class ConvNet {
public:
    using value_type = T;
    using Layers = siamese::Sequential<siamese::ConvReluPool<T>, siamese::ConvReluPool<T>, siamese::ConvReluPool<T>,
                                       siamese::ConvReluPool<T>, siamese::Flatten<T>, siamese::Linear<T>>;

    explicit ConvNet(Layers layers) : layers_(std::move(layers)) {
        layers_.set_input_grad(false);  // the images are data: conv1 never computes dL/dx
    }

    [[nodiscard]] std::string name() const { return "ConvNet(x/255, " + layers_.name() + ")"; }
    [[nodiscard]] siamese::Shape output_shape(const siamese::Shape& in) const { return layers_.output_shape(in); }
    const siamese::Tensor<T>& forward(const siamese::Tensor<T>& x) { return layers_.forward(scale(x)); }
    template <class Inspect>
    const siamese::Tensor<T>& forward_inspect(const siamese::Tensor<T>& x, Inspect&& inspect) {
        return layers_.forward_inspect(scale(x), std::forward<Inspect>(inspect));
    }
    const siamese::Tensor<T>& backward(const siamese::Tensor<T>& grad) { return layers_.backward(grad); }
    [[nodiscard]] siamese::ParamList<T> params() { return layers_.params(); }
    void set_input_grad(bool) noexcept {}  // already off for good

private:
    const siamese::Tensor<T>& scale(const siamese::Tensor<T>& x) {
        scaled_.resize(x.shape());
        for (index_t i = 0; i < x.size(); ++i) scaled_[i] = x[i] * (T(1) / T(255));
        return scaled_;
    }

    Layers layers_;
    siamese::Tensor<T> scaled_;
};

using Model = siamese::Siamese<ConvNet>;

inline Model make_model(const NetConfig& c, siamese::Rng& rng) {
    if (c.widths.size() != 4) throw std::invalid_argument("--widths: expected four channel counts, got " + c.widths_text());
    if (c.kernel < 1 || c.kernel % 2 == 0) throw std::invalid_argument("--kernel: must be odd, got " + std::to_string(c.kernel));
    if (c.pooled_side() < 1) {
        throw std::invalid_argument("--side: four 2x2 pools need images of at least 16 pixels, got " + std::to_string(c.side));
    }
    const siamese::Conv2dOptions same{1, c.kernel / 2};
    siamese::ConvReluPool<T> b1(1, c.widths[0], c.kernel, rng, same);
    siamese::ConvReluPool<T> b2(c.widths[0], c.widths[1], c.kernel, rng, same);
    siamese::ConvReluPool<T> b3(c.widths[1], c.widths[2], c.kernel, rng, same);
    siamese::ConvReluPool<T> b4(c.widths[2], c.widths[3], c.kernel, rng, same);
    const long flat = c.widths[3] * c.pooled_side() * c.pooled_side();
    siamese::Linear<T> embed(flat, c.embedding, rng);
    ConvNet net(ConvNet::Layers(std::move(b1), std::move(b2), std::move(b3), std::move(b4), siamese::Flatten<T>(),
                                std::move(embed)));
    Model model(std::move(net), siamese::Shape{1, c.side, c.side}, rng);
    if (c.he_init) {
        // PyTorch's default bound 1/sqrt(fan_in) shrinks activations by about sqrt(6) per ReLU
        // layer; without normalisation layers that starves the deeper blocks at the start.
        // sqrt(6) more is He-uniform, which keeps their scale.
        for (auto& p : model.params()) {
            if (p.name.rfind("backbone.", 0) == 0 && p.name.find("weight") != std::string::npos) {
                for (auto& v : *p.value) v *= static_cast<T>(std::sqrt(6.0));
            }
        }
    }
    return model;
}

/// The six parameterised layers in order (conv1..conv4, embedding, head): their parameter name prefixes.
inline const std::array<const char*, 6> layer_prefixes = {"backbone.0.", "backbone.1.", "backbone.2.",
                                                          "backbone.3.", "backbone.5.", "head."};

// ------------------------------------------------------------------------------------- settings

/// Command-line settings; the defaults are the configuration docs/omniglot.md reports.
struct Settings {
    std::string data = "data/omniglot/images_background";
    std::string out = "out/omniglot";
    std::string train = "train25";
    std::string validation = "none";  ///< tuning: --train train20 --validation validation5
    NetConfig net;
    int epochs = 90;
    long steps = 500;        ///< optimizer steps per epoch
    std::string batch = "all";  ///< "all": every pair of P characters x K drawings; "pairs": B sampled pairs
    long batch_size = 64;    ///< pairs per step in "pairs" mode (half different, half same)
    long characters = 32;    ///< P, characters per step in "all" mode
    long drawings = 4;       ///< K, drawings of each character per step in "all" mode
    long batch_alphabets = 4;  ///< alphabets the P characters come from in "all" mode
    double focus = 0.1;      ///< "all" mode: softmax temperature focusing on alike different-character pairs (0: uniform)
    int turns = 4;           ///< training classes: each character also turned by 90, 180, 270 degrees (1: as drawn)
    bool mirror = true;      ///< training classes: each (turned) character also mirrored left to right
    std::string optimizer = "adam";
    double lr = 3e-3;
    double momentum = 0.9;   ///< SGD only
    double weight_decay = 0;
    std::string layer_lr = "1,1,1,1,1,1";  ///< lr scale of conv1..conv4, embedding, head
    std::string schedule = "cosine";
    long warmup = 500;       ///< steps of linear warm-up
    double within = 0.5;     ///< share of different-character pairs drawn within one alphabet
    double augment = 0.5;    ///< probability of each of Koch's distortions (0: none)
    int patience = 10;       ///< epochs without a better validation score before stopping (0: never stop early)
    long ways = 20;
    long val_episodes = 400;
    std::uint64_t seed = 0;
    int threads = 0;
    long log_every = 100;
    std::string resume;
};

// Separate random streams, all derived from --seed.
inline std::uint64_t sampler_seed(std::uint64_t seed) { return seed + 1; }
inline std::uint64_t augment_seed(std::uint64_t seed) { return seed + 2; }
inline std::uint64_t validation_seed(std::uint64_t seed) { return seed + 1000; }
inline std::uint64_t test_seed() { return 2015; }  // evaluation episodes do not depend on the training seed

inline std::vector<double> parse_numbers(const std::string& text, const char* what) {
    std::vector<double> v;
    std::stringstream in(text);
    std::string token;
    while (std::getline(in, token, ',')) {
        char* end = nullptr;
        const double x = std::strtod(token.c_str(), &end);
        if (token.empty() || *end != '\0' || !std::isfinite(x) || x < 0) {
            throw std::invalid_argument(std::string(what) + ": expected non-negative numbers separated by commas, got '" + text + "'");
        }
        v.push_back(x);
    }
    return v;
}

// ------------------------------------------------------------------------------------------ data

/// Loads alphabets of the Omniglot folder at the network's resolution, ink high.
inline siamese::data::Omniglot load_alphabets(const fs::path& data, const std::vector<std::string>& alphabets, long side) {
    siamese::data::OmniglotOptions o;
    o.alphabets = alphabets;
    o.side = side;
    o.invert = true;
    return siamese::data::load_omniglot(data, o);
}

/// One transformed copy of a whole image set: a name suffix for its alphabets and characters,
/// and for each pixel of a copied image, the pixel of the original it takes its value from.
struct ImageCopy {
    std::string suffix;
    std::vector<index_t> source_pixel;
};

/// Appends, for each copy in turn, a transformed copy of every image of `set` as new characters
/// of new alphabets: copy k (from 1) of image i is image k*n + i, of character c + k*characters
/// in alphabet a + k*alphabets, named with the copy's suffix; drawers and files are kept.
inline siamese::data::Omniglot with_copies(siamese::data::Omniglot set, const std::vector<ImageCopy>& copies) {
    if (copies.empty()) return set;
    const auto& images = set.images;
    const index_t n = images.size();
    const auto characters = static_cast<siamese::data::label_t>(set.characters.size());
    const auto alphabets = static_cast<std::int64_t>(set.alphabets.size());
    const auto drawers = set.drawers;
    const auto files = set.files;
    std::vector<std::uint8_t> pixels(images.pixels().begin(), images.pixels().end());
    std::vector<siamese::data::label_t> labels(images.labels().begin(), images.labels().end());
    for (std::size_t k = 1; k <= copies.size(); ++k) {
        const auto& copy = copies[k - 1];
        for (std::int64_t a = 0; a < alphabets; ++a) set.alphabets.push_back(set.alphabets[static_cast<std::size_t>(a)] + copy.suffix);
        for (siamese::data::label_t c = 0; c < characters; ++c) {
            set.characters.push_back(set.characters[static_cast<std::size_t>(c)] + copy.suffix);
            set.alphabet_of.push_back(set.alphabet_of[static_cast<std::size_t>(c)] + static_cast<std::int64_t>(k) * alphabets);
        }
        for (index_t i = 0; i < n; ++i) {
            const auto src = images.image(i);
            for (const index_t p : copy.source_pixel) pixels.push_back(src[static_cast<std::size_t>(p)]);
            labels.push_back(images.label(i) + static_cast<siamese::data::label_t>(k) * characters);
        }
        set.drawers.insert(set.drawers.end(), drawers.begin(), drawers.end());
        set.files.insert(set.files.end(), files.begin(), files.end());
    }
    set.images = siamese::data::LabelledImages(images.image_shape(), std::move(pixels), std::move(labels));
    return set;
}

/// Adds each alphabet turned by 360/turns, 2 * 360/turns, ... degrees as new alphabets of new
/// characters ("Latin@180"): a turned character is not the character, so it is one more class
/// to tell apart (turns = 1 adds nothing, 2 doubles the classes, 4 quadruples them). Images
/// must be square.
inline siamese::data::Omniglot with_turns(siamese::data::Omniglot set, int turns) {
    const index_t side = set.images.image_shape()[1];
    std::vector<ImageCopy> copies;
    for (int t = 1; t < turns; ++t) {
        const int quarters = t * (4 / turns);
        ImageCopy copy;
        copy.suffix = std::string(1, '@');  // not "@" + ...: g++ 12 takes that for an overlapping copy (-Wrestrict)
        copy.suffix += std::to_string(90 * quarters);
        for (index_t y = 0; y < side; ++y)
            for (index_t x = 0; x < side; ++x) {
                // Quarter turns: (x, y) -> (side-1-y, x), applied `quarters` times.
                index_t sx = x, sy = y;
                for (int q = 0; q < quarters; ++q) {
                    const index_t nx = sy, ny = side - 1 - sx;
                    sx = nx;
                    sy = ny;
                }
                copy.source_pixel.push_back(sy * side + sx);
            }
        copies.push_back(std::move(copy));
    }
    return with_copies(std::move(set), copies);
}

/// Adds each alphabet mirrored left to right as new alphabets of new characters ("Latin|"):
/// like a turned character, a mirrored one is another class (applied after with_turns, it
/// yields all eight symmetries of the square).
inline siamese::data::Omniglot with_mirrors(siamese::data::Omniglot set) {
    const index_t height = set.images.image_shape()[1], width = set.images.image_shape()[2];
    ImageCopy mirror{"|", {}};
    for (index_t y = 0; y < height; ++y)
        for (index_t x = 0; x < width; ++x) mirror.source_pixel.push_back(y * width + (width - 1 - x));
    return with_copies(std::move(set), {mirror});
}

/// The folder's alphabets, with a hint when it is missing.
inline std::vector<std::string> available_alphabets(const fs::path& data) {
    std::error_code ec;
    if (!fs::is_directory(data, ec)) {
        throw siamese::io_error(data.string() + ": no such folder; fetch Omniglot with scripts/fetch_omniglot.sh or point "
                                "--data at a folder of alphabets (e.g. images_background)");
    }
    return siamese::data::omniglot_alphabets(data);
}

/// Creates the output folder and checks that files can be written there.
inline fs::path prepare_output_folder(const fs::path& out) {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out)) throw siamese::io_error(out.string() + ": cannot create the output folder: " + ec.message());
    const fs::path probe = out / ".write_test";
    siamese::io::write_file_atomically(probe, "ok");
    fs::remove(probe, ec);
    return out;
}

/// Balanced pairs from an Omniglot set, as the library's PairSampler draws them (first half
/// different characters, second half the same character, never one image twice), except that
/// a share `within` of the different-character pairs takes both characters from one alphabet:
/// the one-shot test discriminates characters of one alphabet, and those pairs are the hard ones.
class AlphabetPairSampler {
public:
    AlphabetPairSampler(const siamese::data::Omniglot& set, double within, std::uint64_t seed)
        : set_(&set), within_(within), rng_(seed) {
        const auto& images = set.images;
        members_.resize(set.characters.size());
        for (index_t i = 0; i < images.size(); ++i) members_[static_cast<std::size_t>(images.label(i))].push_back(i);
        by_alphabet_.resize(set.alphabets.size());
        for (std::size_t c = 0; c < members_.size(); ++c) {
            if (members_[c].size() < 2) throw std::invalid_argument("AlphabetPairSampler: " + set.characters[c] + " has a single image");
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

    [[nodiscard]] std::array<std::uint64_t, 4> state() const noexcept { return rng_.state(); }
    void set_state(const std::array<std::uint64_t, 4>& s) noexcept { rng_.set_state(s); }

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
/// one alphabet; each character's K drawings are distinct.
class CharacterBatchSampler {
public:
    CharacterBatchSampler(const siamese::data::Omniglot& set, index_t characters, index_t drawings, index_t alphabets,
                          std::uint64_t seed)
        : set_(&set), p_(characters), k_(drawings), a_(std::max<index_t>(1, alphabets)), rng_(seed) {
        members_.resize(set.characters.size());
        for (index_t i = 0; i < set.images.size(); ++i) members_[static_cast<std::size_t>(set.images.label(i))].push_back(i);
        by_alphabet_.resize(set.alphabets.size());
        for (std::size_t c = 0; c < members_.size(); ++c) {
            if (static_cast<index_t>(members_[c].size()) < k_) {
                throw std::invalid_argument("--drawings: " + set.characters[c] + " has " + std::to_string(members_[c].size()) +
                                            " drawings, fewer than " + std::to_string(k_));
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
            pool_ = by_alphabet_[static_cast<std::size_t>(draw_next(order_, a))];
            const index_t take = std::min({per_alphabet, static_cast<index_t>(pool_.size()), p_ - static_cast<index_t>(chosen_.size())});
            for (index_t k = 0; k < take; ++k) chosen_.push_back(draw_next(pool_, static_cast<std::size_t>(k)));
        }
        const auto& set = set_->images;
        images.resize(set.batch_shape(p_ * k_));
        labels.resize(static_cast<std::size_t>(p_ * k_));
        index_t row = 0;
        for (const index_t c : chosen_) {
            pool_ = members_[static_cast<std::size_t>(c)];
            for (index_t k = 0; k < k_; ++k, ++row) {
                set.copy_image(draw_next(pool_, static_cast<std::size_t>(k)), images.data() + row * set.image_size());
                labels[static_cast<std::size_t>(row)] = c;
            }
        }
    }

    [[nodiscard]] std::array<std::uint64_t, 4> state() const noexcept { return rng_.state(); }
    void set_state(const std::array<std::uint64_t, 4>& s) noexcept { rng_.set_state(s); }

private:
    // Partial Fisher-Yates: moves a uniformly chosen element of v[pos..] to v[pos] and returns it.
    index_t draw_next(std::vector<index_t>& v, std::size_t pos) {
        const auto j = pos + static_cast<std::size_t>(rng_.uniform_int(static_cast<index_t>(v.size() - pos)));
        std::swap(v[pos], v[j]);
        return v[pos];
    }

    const siamese::data::Omniglot* set_;
    index_t p_, k_, a_;
    siamese::Rng rng_;
    std::vector<std::vector<index_t>> members_, by_alphabet_;
    std::vector<index_t> order_, chosen_, pool_;
};

/// Binary cross-entropy of the Siamese head on every pair of a batch of embeddings: the pairs'
/// logits are the head's, z_ij = w . |e_i - e_j| + b (what Siamese::logits computes for one
/// pair), the target is 1 for two drawings of one character. Same-character pairs share half
/// the weight equally. The other half goes to the different-character pairs: equally when
/// focus = 0; otherwise each image spreads its share over its different-character pairs by
/// softmax(z / focus), so the pairs the head finds most alike, the ones that decide a one-shot
/// trial, weigh most (the weights are constants for the gradient). At the start every z is
/// about the same and the weighting is about uniform, so this cannot collapse onto a few
/// pairs the way keeping only the hardest ones does. backward() adds the head's gradients and
/// returns dL/de for Siamese::backward_embeddings: one backbone pass yields N (N - 1) / 2 pair
/// gradients.
class AllPairsBce {
public:
    explicit AllPairsBce(double focus = 0) : focus_(focus) {}

    /// embeddings: [N, D]; labels: [N]  ->  loss. Also the balanced pair accuracy (threshold 0)
    /// and the logits' spread.
    double forward(Model& model, const siamese::Tensor<T>& embeddings, const std::vector<siamese::data::label_t>& labels) {
        const index_t n = embeddings.dim(0), d = embeddings.dim(1);
        const T* w = model.head().weight().data();
        const double b = model.head().bias()[0];
        const auto nn = static_cast<std::size_t>(n * n);
        z_.assign(nn, 0.0);
        weight_.assign(nn, 0.0);
        for (index_t i = 0; i < n; ++i) {
            const T* ei = embeddings.data() + i * d;
            for (index_t j = i + 1; j < n; ++j) {
                const T* ej = embeddings.data() + j * d;
                double z = b;
                for (index_t k = 0; k < d; ++k) z += static_cast<double>(w[k]) * std::abs(static_cast<double>(ei[k]) - ej[k]);
                z_[static_cast<std::size_t>(i * n + j)] = z_[static_cast<std::size_t>(j * n + i)] = z;
            }
        }
        auto same = [&](index_t i, index_t j) { return labels[static_cast<std::size_t>(i)] == labels[static_cast<std::size_t>(j)]; };
        double positives = 0, negatives = 0, right_p = 0, right_n = 0;
        spread_lo_ = 1e300;
        spread_hi_ = -1e300;
        for (index_t i = 0; i < n; ++i)
            for (index_t j = i + 1; j < n; ++j) {
                const double z = z_[static_cast<std::size_t>(i * n + j)];
                const bool s = same(i, j);
                (s ? positives : negatives) += 1;
                (s ? right_p : right_n) += (z > 0) == s;
                spread_lo_ = std::min(spread_lo_, z);
                spread_hi_ = std::max(spread_hi_, z);
            }
        if (positives == 0 || negatives == 0) throw std::invalid_argument("AllPairsBce: a batch needs same and different pairs");
        accuracy_ = 0.5 * (right_p / positives + right_n / negatives);
        // Pair weights, kept in the upper triangle.
        for (index_t i = 0; i < n; ++i)
            for (index_t j = i + 1; j < n; ++j)
                if (same(i, j) || focus_ <= 0) weight_[static_cast<std::size_t>(i * n + j)] = 0.5 / (same(i, j) ? positives : negatives);
        if (focus_ > 0) {
            for (index_t i = 0; i < n; ++i) {
                double top = -1e300, sum = 0;
                for (index_t j = 0; j < n; ++j)
                    if (j != i && !same(i, j)) top = std::max(top, z_[static_cast<std::size_t>(i * n + j)]);
                for (index_t j = 0; j < n; ++j)
                    if (j != i && !same(i, j)) sum += std::exp((z_[static_cast<std::size_t>(i * n + j)] - top) / focus_);
                for (index_t j = 0; j < n; ++j) {
                    if (j == i || same(i, j)) continue;
                    const double p = std::exp((z_[static_cast<std::size_t>(i * n + j)] - top) / focus_) / sum;
                    weight_[static_cast<std::size_t>(std::min(i, j) * n + std::max(i, j))] += 0.5 * p / static_cast<double>(n);
                }
            }
        }
        grad_z_.assign(nn, 0.0);
        double loss = 0;
        for (index_t i = 0; i < n; ++i) {
            for (index_t j = i + 1; j < n; ++j) {
                const auto at = static_cast<std::size_t>(i * n + j);
                const double z = z_[at], t = same(i, j) ? 1.0 : 0.0, weight = weight_[at];
                loss += weight * (std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z))));
                grad_z_[at] = weight * (1 / (1 + std::exp(-z)) - t);
            }
        }
        return loss;
    }

    /// Adds dL/dw, dL/db to the head's gradients; returns dL/de [N, D].
    const siamese::Tensor<T>& backward(Model& model, const siamese::Tensor<T>& embeddings) {
        const index_t n = embeddings.dim(0), d = embeddings.dim(1);
        const T* w = model.head().weight().data();
        auto head = model.head().params();  // weight, bias
        T* dw = head[0].grad->data();
        T* db = head[1].grad->data();
        grad_e_.resize(embeddings.shape());
        grad_e_.zero();
        dw_sum_.assign(static_cast<std::size_t>(d), 0.0);  // kept: no allocation per step
        double db_sum = 0;
        for (index_t i = 0; i < n; ++i) {
            const T* ei = embeddings.data() + i * d;
            T* gi = grad_e_.data() + i * d;
            for (index_t j = i + 1; j < n; ++j) {
                const double g = grad_z_[static_cast<std::size_t>(i * n + j)];
                const T* ej = embeddings.data() + j * d;
                T* gj = grad_e_.data() + j * d;
                db_sum += g;
                for (index_t k = 0; k < d; ++k) {
                    const double delta = static_cast<double>(ei[k]) - ej[k];
                    dw_sum_[static_cast<std::size_t>(k)] += g * std::abs(delta);
                    const double s = delta > 0 ? g * w[k] : (delta < 0 ? -g * w[k] : 0.0);
                    gi[k] += static_cast<T>(s);
                    gj[k] -= static_cast<T>(s);
                }
            }
        }
        for (index_t k = 0; k < d; ++k) dw[k] += static_cast<T>(dw_sum_[static_cast<std::size_t>(k)]);
        db[0] += static_cast<T>(db_sum);
        return grad_e_;
    }

    [[nodiscard]] double accuracy() const noexcept { return accuracy_; }
    [[nodiscard]] double spread() const noexcept { return spread_hi_ - spread_lo_; }

private:
    double focus_;
    std::vector<double> z_, weight_, grad_z_, dw_sum_;
    siamese::Tensor<T> grad_e_;
    double accuracy_ = 0, spread_lo_ = 0, spread_hi_ = 0;
};

/// Koch's affine distortions, with the translation range scaled from his 105-pixel images to ours.
inline siamese::data::KochAugmentOptions augment_options(const Settings& s) {
    siamese::data::KochAugmentOptions o;
    o.probability = s.augment;
    o.max_translation = 2.0 * static_cast<double>(s.net.side) / 105.0;
    o.fill = 0;  // paper is 0 once the ink is inverted
    return o;
}

// ------------------------------------------------------------------------------------ optimizers

/// Adam, AdamW or SGD with momentum, one parameter group per layer (Koch trained each layer with
/// its own learning rate; --layer-lr sets the ratios, the schedule moves them together).
class Optimizer {
public:
    Optimizer(Model& model, const Settings& s) : opt_(make(model, s)) {}

    void zero_grad() { std::visit([](auto& o) { o.zero_grad(); }, opt_); }
    void step() { std::visit([](auto& o) { o.step(); }, opt_); }
    void set_lr(double lr) { std::visit([&](auto& o) { o.set_lr(lr); }, opt_); }

    /// Moments (or velocities) and the step count, for checkpoints.
    void save(siamese::io::Checkpoint& c) {
        std::visit([&](auto& o) {
            using O = std::decay_t<decltype(o)>;
            for (std::size_t k = 0; k < o.params().size(); ++k) {
                if constexpr (std::is_same_v<O, siamese::Sgd<T>>) {
                    c.add("optimizer.velocity." + o.params()[k].name, o.velocity()[k]);
                } else {
                    c.add("optimizer.m." + o.params()[k].name, o.first_moments()[k]);
                    c.add("optimizer.v." + o.params()[k].name, o.second_moments()[k]);
                }
            }
            if constexpr (!std::is_same_v<O, siamese::Sgd<T>>) c.set("optimizer_steps", std::to_string(o.step_count()));
        }, opt_);
    }
    void restore(const siamese::io::Checkpoint& c) {
        std::visit([&](auto& o) {
            using O = std::decay_t<decltype(o)>;
            for (std::size_t k = 0; k < o.params().size(); ++k) {
                if constexpr (std::is_same_v<O, siamese::Sgd<T>>) {
                    c.read("optimizer.velocity." + o.params()[k].name, o.velocity()[k]);
                } else {
                    c.read("optimizer.m." + o.params()[k].name, o.first_moments()[k]);
                    c.read("optimizer.v." + o.params()[k].name, o.second_moments()[k]);
                }
            }
            if constexpr (!std::is_same_v<O, siamese::Sgd<T>>) o.set_step_count(c.at_integer("optimizer_steps"));
        }, opt_);
    }

private:
    using Variant = std::variant<siamese::Adam<T>, siamese::AdamW<T>, siamese::Sgd<T>>;

    static Variant make(Model& model, const Settings& s) {
        const auto scales = parse_numbers(s.layer_lr, "--layer-lr");
        if (scales.size() != layer_prefixes.size()) {
            throw std::invalid_argument("--layer-lr: expected 6 scales (conv1, conv2, conv3, conv4, embedding, head), got '" +
                                        s.layer_lr + "'");
        }
        std::vector<siamese::ParamGroup<T>> groups(layer_prefixes.size());
        for (auto& p : model.params()) {
            for (std::size_t g = 0; g < layer_prefixes.size(); ++g) {
                if (p.name.rfind(layer_prefixes[g], 0) == 0) groups[g].params.push_back(p);
            }
        }
        for (std::size_t g = 0; g < groups.size(); ++g) groups[g].lr_scale = scales[g];
        if (s.optimizer == "adam") {
            return Variant(std::in_place_type<siamese::Adam<T>>, std::move(groups),
                           siamese::AdamOptions{.lr = s.lr, .weight_decay = s.weight_decay});
        }
        if (s.optimizer == "adamw") {
            return Variant(std::in_place_type<siamese::AdamW<T>>, std::move(groups),
                           siamese::AdamWOptions{.lr = s.lr, .weight_decay = s.weight_decay});
        }
        if (s.optimizer == "sgd") {
            return Variant(std::in_place_type<siamese::Sgd<T>>, std::move(groups),
                           siamese::SgdOptions{.lr = s.lr, .momentum = s.momentum, .weight_decay = s.weight_decay});
        }
        throw std::invalid_argument("--optimizer: expected adam, adamw or sgd, got '" + s.optimizer + "'");
    }

    Variant opt_;
};

/// The learning rate at a step: linear warm-up, then cosine annealing to zero over the whole
/// run, a tenth every third of the run (step), or constant.
class Schedule {
public:
    explicit Schedule(const Settings& s) : base_(s.lr), warmup_(s.warmup), total_(static_cast<index_t>(s.epochs) * s.steps), kind_(s.schedule) {
        if (kind_ != "cosine" && kind_ != "step" && kind_ != "constant") {
            throw std::invalid_argument("--schedule: expected cosine, step or constant, got '" + kind_ + "'");
        }
    }
    [[nodiscard]] double lr(index_t step) const {
        const index_t after = std::max<index_t>(1, total_ - warmup_);
        if (kind_ == "cosine") return siamese::LinearWarmup(warmup_, siamese::CosineAnnealing(base_, after)).lr(step);
        if (kind_ == "step") return siamese::LinearWarmup(warmup_, siamese::StepDecay(base_, std::max<index_t>(1, after / 3), 0.1)).lr(step);
        return siamese::LinearWarmup(warmup_, siamese::ConstantLr(base_)).lr(step);
    }
    void apply(Optimizer& optimizer, index_t step) const { optimizer.set_lr(lr(step)); }

private:
    double base_;
    index_t warmup_, total_;
    std::string kind_;
};

// ------------------------------------------------------------------------------------ evaluation

/// The outcome of a set of one-shot episodes.
struct EpisodeResult {
    double accuracy = 0, ci95 = 0;
    long episodes = 0, queries = 0, correct = 0;
    std::vector<std::vector<index_t>> chosen;  ///< per episode, per query: the support picked
};

/// Classifies every query of every episode by the most similar support (scorer: higher = more
/// alike; a tie goes to the first). Mean per-episode accuracy with its 95 % interval.
template <class Scorer>
EpisodeResult score_episodes(const std::vector<siamese::data::OneShotEpisode>& episodes, Scorer&& scorer) {
    EpisodeResult r;
    std::vector<double> per_episode, scores;
    for (const auto& e : episodes) {
        scores.resize(e.supports.size());
        long right = 0;
        auto& picks = r.chosen.emplace_back();
        for (std::size_t q = 0; q < e.queries.size(); ++q) {
            scorer(e.queries[q], std::span<const index_t>(e.supports), std::span<double>(scores));
            const auto best = static_cast<index_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
            picks.push_back(best);
            right += best == e.answers[q];
        }
        per_episode.push_back(static_cast<double>(right) / static_cast<double>(std::max<std::size_t>(1, e.queries.size())));
        r.queries += static_cast<long>(e.queries.size());
        r.correct += right;
    }
    const auto m = siamese::eval::mean_with_ci95(per_episode);
    r.accuracy = m.mean;
    r.ci95 = m.ci95;
    r.episodes = static_cast<long>(episodes.size());
    return r;
}

/// Each image's embedding averaged over `views` looks at it: as it is, then views - 1 times
/// distorted as in training (a fixed seed, so every model sees the same views). views = 1 is
/// embed_all.
inline siamese::Tensor<T> embed_views(Model& model, const siamese::data::LabelledImages& images, int views,
                                      const siamese::data::KochAugmentOptions& distortion) {
    constexpr index_t chunk = 256;
    auto mean = siamese::eval::embed_all(model, images, chunk);
    if (views <= 1) return mean;
    siamese::data::Augmenter augmenter(distortion, test_seed());
    for (int v = 1; v < views; ++v) {
        const auto view = siamese::eval::embed_all(model, images, chunk,
                                                   [&](siamese::Tensor<T>& batch) { augmenter.augment_all(batch); });
        for (index_t k = 0; k < mean.size(); ++k) mean[k] += view[k];
    }
    for (auto& x : mean) x /= static_cast<T>(views);
    return mean;
}

/// The one-shot accuracy of several models scoring as one (an ensemble): a pair's score is the
/// mean of the models' logits, each from embeddings averaged over `views` (embed_views).
inline EpisodeResult ensemble_accuracy(std::span<Model> models, const siamese::data::LabelledImages& images,
                                       const std::vector<siamese::data::OneShotEpisode>& episodes, int views = 1,
                                       const siamese::data::KochAugmentOptions& distortion = {}) {
    if (models.empty()) throw std::invalid_argument("ensemble_accuracy: no models");
    std::vector<siamese::Tensor<T>> embeddings;
    embeddings.reserve(models.size());
    for (auto& m : models) embeddings.push_back(embed_views(m, images, views, distortion));
    std::vector<siamese::eval::EmbeddingScorer<Model>> scorers;
    for (std::size_t i = 0; i < models.size(); ++i) scorers.emplace_back(models[i], embeddings[i]);
    std::vector<double> one;
    auto mean_logit = [&](index_t query, std::span<const index_t> candidates, std::span<double> out) {
        std::fill(out.begin(), out.end(), 0.0);
        one.resize(out.size());
        for (auto& scorer : scorers) {
            scorer(query, candidates, std::span<double>(one));
            for (std::size_t k = 0; k < out.size(); ++k) out[k] += one[k] / static_cast<double>(scorers.size());
        }
    };
    return score_episodes(episodes, mean_logit);
}

/// One model's one-shot accuracy, every image embedded once as drawn (training's validation).
inline EpisodeResult model_accuracy(Model& model, const siamese::data::LabelledImages& images,
                                    const std::vector<siamese::data::OneShotEpisode>& episodes) {
    return ensemble_accuracy(std::span<Model>(&model, 1), images, episodes);
}

/// The images with each one's ink centroid moved to the image centre (by whole pixels; ink
/// moved past an edge is dropped, paper comes in as 0). The modified-Hausdorff baseline compares
/// centred drawings, as Lake et al.'s baseline code does, so that where a drawer put the
/// character on the page does not count.
inline siamese::data::LabelledImages centre_ink(const siamese::data::LabelledImages& images) {
    const index_t h = images.image_shape()[1], w = images.image_shape()[2];
    std::vector<std::uint8_t> pixels(images.pixels().size(), 0);
    for (index_t i = 0; i < images.size(); ++i) {
        const auto src = images.image(i);
        double sx = 0, sy = 0, n = 0;
        for (index_t y = 0; y < h; ++y)
            for (index_t x = 0; x < w; ++x)
                if (src[static_cast<std::size_t>(y * w + x)] >= 128) {
                    sx += static_cast<double>(x);
                    sy += static_cast<double>(y);
                    ++n;
                }
        const auto dx = n > 0 ? static_cast<index_t>(std::lround(static_cast<double>(w - 1) / 2 - sx / n)) : 0;
        const auto dy = n > 0 ? static_cast<index_t>(std::lround(static_cast<double>(h - 1) / 2 - sy / n)) : 0;
        std::uint8_t* dst = pixels.data() + i * h * w;
        for (index_t y = 0; y < h; ++y)
            for (index_t x = 0; x < w; ++x) {
                const index_t ty = y + dy, tx = x + dx;
                if (ty >= 0 && tx >= 0 && ty < h && tx < w) dst[ty * w + tx] = src[static_cast<std::size_t>(y * w + x)];
            }
    }
    return siamese::data::LabelledImages(images.image_shape(), std::move(pixels),
                                         std::vector<siamese::data::label_t>(images.labels().begin(), images.labels().end()));
}

/// Raw-pixel nearest neighbour and modified Hausdorff distance (on centred ink) on the same
/// episodes, on images at their drawn resolution (ink high).
struct Baselines {
    EpisodeResult pixels, hausdorff;
};

inline Baselines baseline_accuracy(const siamese::data::LabelledImages& images,
                                   const std::vector<siamese::data::OneShotEpisode>& episodes) {
    Baselines b;
    b.pixels = score_episodes(episodes, siamese::eval::PixelScorer(images));
    const auto centred = centre_ink(images);
    b.hausdorff = score_episodes(episodes, siamese::eval::HausdorffScorer(centred, {.threshold = 128, .ink = siamese::eval::Ink::light}));
    return b;
}

inline std::string format_accuracy(const EpisodeResult& r) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%5.1f %% +- %.1f", 100 * r.accuracy, 100 * r.ci95);
    return buf;
}

inline std::string format_seconds(double s) {
    char buf[32];
    if (s >= 120) {
        std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f s", s);
    }
    return buf;
}

// ------------------------------------------------------------------------------------ checkpoints

inline constexpr const char* checkpoint_format = "siamese-omniglot-example";

using examples::hex_state;
using examples::parse_state;
inline std::string number(double v) { return examples::exact_number(v); }

/// The settings a checkpoint records: the architecture and the whole training protocol.
inline void save_settings(siamese::io::Checkpoint& c, const Settings& s, const std::vector<std::string>& train,
                          const std::vector<std::string>& validation) {
    c.set("format", checkpoint_format);
    c.set("side", std::to_string(s.net.side));
    c.set("widths", s.net.widths_text());
    c.set("kernel", std::to_string(s.net.kernel));
    c.set("embedding", std::to_string(s.net.embedding));
    c.set("train_alphabets", join(train));
    c.set("validation_alphabets", join(validation));
    c.set("epochs", std::to_string(s.epochs));
    c.set("steps", std::to_string(s.steps));
    c.set("batch", s.batch);
    c.set("batch_size", std::to_string(s.batch_size));
    c.set("characters", std::to_string(s.characters));
    c.set("drawings", std::to_string(s.drawings));
    c.set("batch_alphabets", std::to_string(s.batch_alphabets));
    c.set("focus", number(s.focus));
    c.set("turns", std::to_string(s.turns));
    c.set("mirror", s.mirror ? "1" : "0");
    c.set("init", s.net.he_init ? "he" : "pytorch");
    c.set("optimizer", s.optimizer);
    c.set("lr", number(s.lr));
    c.set("momentum", number(s.momentum));
    c.set("weight_decay", number(s.weight_decay));
    c.set("layer_lr", s.layer_lr);
    c.set("schedule", s.schedule);
    c.set("warmup", std::to_string(s.warmup));
    c.set("within", number(s.within));
    c.set("augment", number(s.augment));
    c.set("patience", std::to_string(s.patience));
    c.set("ways", std::to_string(s.ways));
    c.set("val_episodes", std::to_string(s.val_episodes));
    c.set("seed", std::to_string(s.seed));
    c.set("log_every", std::to_string(s.log_every));
}

/// Settings from a checkpoint on top of the command line's (data, output, threads).
inline Settings settings_from_checkpoint(const siamese::io::Checkpoint& c, Settings s) {
    if (c.get("format") != checkpoint_format) {
        throw siamese::io_error(c.get("format") ? "checkpoint of another program: format '" + *c.get("format") + "'"
                                                : "checkpoint without the Omniglot example's metadata");
    }
    s.net.side = c.at_integer("side");
    s.net.widths.clear();
    for (const double w : parse_numbers(c.at("widths"), "checkpoint metadata 'widths'")) s.net.widths.push_back(static_cast<long>(w));
    s.net.kernel = c.at_integer("kernel");
    s.net.embedding = c.at_integer("embedding");
    s.train = c.at("train_alphabets");
    s.validation = c.at("validation_alphabets");
    s.epochs = static_cast<int>(c.at_integer("epochs"));
    s.steps = c.at_integer("steps");
    s.batch = c.at("batch");
    s.batch_size = c.at_integer("batch_size");
    s.characters = c.at_integer("characters");
    s.drawings = c.at_integer("drawings");
    s.batch_alphabets = c.at_integer("batch_alphabets");
    s.focus = c.get("focus") ? c.at_real("focus") : 0.0;
    s.turns = c.get("turns") ? static_cast<int>(c.at_integer("turns")) : 1;
    s.mirror = c.get("mirror") && c.at_integer("mirror") != 0;
    s.net.he_init = c.at("init") == "he";
    s.optimizer = c.at("optimizer");
    s.lr = c.at_real("lr");
    s.momentum = c.at_real("momentum");
    s.weight_decay = c.at_real("weight_decay");
    s.layer_lr = c.at("layer_lr");
    s.schedule = c.at("schedule");
    s.warmup = c.at_integer("warmup");
    s.within = c.at_real("within");
    s.augment = c.at_real("augment");
    s.patience = static_cast<int>(c.at_integer("patience"));
    s.ways = c.at_integer("ways");
    s.val_episodes = c.at_integer("val_episodes");
    s.seed = static_cast<std::uint64_t>(c.at_integer("seed"));
    s.log_every = c.at_integer("log_every");
    return s;
}

// ------------------------------------------------------------------------------------- pictures

/// A few episodes as rows: one query (framed white), a gap, then its candidates, drawn as
/// written (dark ink on white). The correct candidate is framed green; the model's choice, when
/// wrong, red.
inline void draw_episodes(const fs::path& path, const siamese::data::LabelledImages& images,
                          const std::vector<siamese::data::OneShotEpisode>& episodes, const EpisodeResult& result,
                          std::size_t rows) {
    rows = std::min(rows, episodes.size());
    if (rows == 0) return;
    const int side = static_cast<int>(images.image_shape()[1]), w = static_cast<int>(images.image_shape()[2]);
    const int scale = side < 40 ? 2 : 1, border = 2, cell = w * scale + 2 * border + 2, gap = 14;
    std::size_t columns = 0;
    for (std::size_t e = 0; e < rows; ++e) columns = std::max(columns, episodes[e].supports.size());
    const int width = gap + cell + gap + static_cast<int>(columns) * cell + gap;
    const int row_h = side * scale + 2 * border + 8;
    examples::Canvas canvas(width, gap + static_cast<int>(rows) * row_h + gap, examples::dark);
    std::vector<float> plane(static_cast<std::size_t>(images.image_size()));
    auto draw = [&](int x, int y, index_t image) {
        images.copy_image(image, std::span<float>(plane));
        for (auto& v : plane) v = 255 - v;  // show ink dark on white paper, as drawn
        canvas.image(x + border, y + border, plane, w, side, scale);
    };
    for (std::size_t e = 0; e < rows; ++e) {
        const auto& ep = episodes[e];
        const std::size_t q = (3 * e + 1) % ep.queries.size();  // not always the first: its class comes first
        const int y = gap + static_cast<int>(e) * row_h;
        draw(gap, y, ep.queries[q]);
        canvas.frame(gap, y, w * scale + 2 * border, side * scale + 2 * border, border, examples::white);
        const index_t answer = ep.answers[q], chosen = result.chosen[e][q];
        for (std::size_t k = 0; k < ep.supports.size(); ++k) {
            const int x = gap + cell + gap + static_cast<int>(k) * cell;
            draw(x, y, ep.supports[k]);
            if (static_cast<index_t>(k) == answer) {
                canvas.frame(x, y, w * scale + 2 * border, side * scale + 2 * border, border, examples::green);
            } else if (static_cast<index_t>(k) == chosen) {
                canvas.frame(x, y, w * scale + 2 * border, side * scale + 2 * border, border, examples::red);
            }
        }
    }
    canvas.save_png(path);
}

}  // namespace omniglot
