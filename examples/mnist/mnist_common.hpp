// SPDX-License-Identifier: MIT
#pragma once

// The MNIST example's plumbing: settings, data folders, logging and pictures. mnist.cpp tells
// the story; this file (with objectives.hpp, run_checkpoint.hpp and report.hpp) keeps the details
// out of its way.

#include "../common/figures.hpp"
#include "../common/image_file.hpp"
#include "../common/json.hpp"
#include "../common/output_folder.hpp"
#include "../common/progress.hpp"
#include "../common/running_mean.hpp"
#include "../common/stopped_run.hpp"

#include <siamese/siamese.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mnist {

namespace fs = std::filesystem;
using Model = siamese::Siamese<siamese::SeedCnn<float>>;
using examples::format_seconds;

/// The losses --loss names. Code that depends on the loss switches over it without a default, so
/// a new loss that a switch does not handle is a compiler warning (an error under SIAMESE_WERROR).
enum class Loss { bce, contrastive, triplet };

// The words of each option that takes one, listed once: the command line accepts these, --help
// shows them, and a checkpoint's settings are read back against them.
inline constexpr std::array<std::string_view, 3> loss_names{"bce", "contrastive", "triplet"};  // Loss's order
inline constexpr std::array<std::string_view, 3> mining_names{"hard", "semi-hard", "all"};
inline constexpr std::array<std::string_view, 3> optimizer_names{"sgd", "adam", "adamw"};
inline constexpr std::array<std::string_view, 2> schedule_names{"constant", "cosine"};

inline std::string loss_name(Loss loss) { return std::string(loss_names.at(static_cast<std::size_t>(loss))); }

/// The Loss a word of loss_names names; the command line and the checkpoint reader check the word
/// first, so anything else is a bug here.
inline Loss parse_loss(std::string_view name) {
    for (std::size_t i = 0; i < loss_names.size(); ++i) {
        if (name == loss_names[i]) return static_cast<Loss>(i);
    }
    throw std::logic_error("parse_loss: '" + std::string(name) + "' is not one of loss_names");
}

/// Command-line settings; the defaults are the tutorial's.
struct Settings {
    std::string data = "data/mnist";
    std::string out = "out/mnist";
    int epochs = 5;
    long batches = 1000;
    long batch_size = 100;
    double lr = 0.001;
    double momentum = 0.1;
    std::uint64_t seed = 0;
    int threads = 0;
    long log_every = 100;
    long test_batches = 1000;
    long episodes = 1000;
    long image_side = 28;         ///< side of the square images (--image-size)
    std::string image_side_from;  ///< the checkpoint whose model fixes image_side (empty: --image-size)
    long checkpoint_every = 0;    ///< batches between checkpoints (0: at the end of each epoch only)
    // Beyond the tutorial: other losses, optimizers, schedules, and held-out classes.
    Loss loss = Loss::bce;          ///< bce (the tutorial's head), contrastive, triplet
    double margin = 1.0;            ///< contrastive and triplet margin
    std::string mining = "hard";    ///< triplet mining: hard, semi-hard, all
    long classes_per_batch = 10;    ///< triplet batches: P classes ...
    long images_per_class = 10;     ///< ... times K images
    std::string optimizer = "sgd";  ///< sgd, adam, adamw
    double weight_decay = 0.0;
    std::string schedule = "constant";  ///< constant, cosine (after --warmup steps of linear warm-up)
    long warmup = 0;
    std::string train_classes;       ///< e.g. "0-5": train on these digits only (empty: all)
    std::string test_classes;        ///< e.g. "6-9": evaluate on these digits only (empty: all)
    long calibration_batches = 100;  ///< training-set pair batches on which a threshold is chosen
    long retrieval_images = 2000;    ///< test images in the retrieval evaluation (N^2 distances)
    std::string resume;              ///< checkpoint to continue from
    std::string debug_pause;         ///< "save:N", "step:N", "trained:1" or "evaluate:1": pause there (crash tests)
    std::string train_data;          ///< the training images' data_fingerprint (set by train, not an option)
};

// Separate seeds for separate random streams, all derived from --seed.
inline std::uint64_t sampler_seed(std::uint64_t seed) { return seed + 1; }
inline std::uint64_t test_pairs_seed(std::uint64_t seed) { return seed + 1000; }
inline std::uint64_t one_shot_seed(std::uint64_t seed) { return seed + 2000; }
inline std::uint64_t figure_seed(std::uint64_t seed) { return seed + 3000; }
inline std::uint64_t calibration_seed(std::uint64_t seed) { return seed + 4000; }

// ------------------------------------------------------------------------------------------- data

/// The tutorial's CSV file of a split in `dir` (it may not exist).
inline fs::path csv_file(const fs::path& dir, siamese::data::Split split) {
    return dir / (split == siamese::data::Split::train ? "mnist_train.csv" : "mnist_test.csv");
}

/// MNIST from `dir`: the IDX files (plain or gzipped), or the tutorial's CSV files
/// mnist_train.csv / mnist_test.csv (label, then the pixels of a side x side image). IDX images
/// must be side x side too: the checkpoint records `side` as the model's image size.
/// `size_from` names the checkpoint whose model fixes `side` (evaluate, compare, resume), empty
/// when it is --image-size: the error then says which to change.
inline siamese::data::LabelledImages load_split(const fs::path& dir, siamese::data::Split split, long side,
                                                const std::string& size_from = {}) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw siamese::io_error(dir.string() +
                                ": no such folder; fetch MNIST with scripts/fetch_mnist.sh or point "
                                "--data at a folder with the IDX or CSV files");
    }
    const std::string size = std::to_string(side) + "x" + std::to_string(side);
    const fs::path csv = csv_file(dir, split);
    if (fs::exists(csv, ec)) {
        // The first row tells the image size; rows of another length are then load_csv's to report.
        if (fs::is_regular_file(csv, ec)) {
            std::ifstream in(csv, std::ios::binary);
            std::string row;
            std::getline(in, row);
            const auto pixels = static_cast<long>(std::count(row.begin(), row.end(), ','));
            if (pixels > 0 && pixels != side * side) {
                const auto root = std::lround(std::sqrt(static_cast<double>(pixels)));
                const std::string expected = "the first row holds " + std::to_string(pixels) +
                                             " pixel values, not the " + std::to_string(side * side) + " (" + size +
                                             ") of ";
                throw siamese::io_error(
                    csv.string() + ": " + expected +
                    (!size_from.empty()
                         ? "the images the model in " + size_from + " was trained on"
                         : "--image-size " + std::to_string(side) +
                               (root * root == pixels ? "; give --image-size " + std::to_string(root) : "")));
            }
        }
        return siamese::data::load_csv(csv, siamese::Shape{1, side, side});
    }
    auto set = siamese::data::load_mnist(dir, split);
    const auto& shape = set.image_shape();
    if (shape[1] != side || shape[2] != side) {
        const std::string found = ": the IDX images are " + std::to_string(shape[2]) + "x" + std::to_string(shape[1]);
        throw siamese::io_error(dir.string() + found +
                                (!size_from.empty()
                                     ? ", not the " + size + " the model in " + size_from + " was trained on"
                                     : ", not the " + size + " of --image-size " + std::to_string(side) +
                                           " (for IDX files, leave --image-size out or give their size)"));
    }
    return set;
}

/// One entry of a class list: the classes lo..hi (a single class: lo == hi).
struct ClassRange {
    siamese::data::label_t lo = 0, hi = 0;
};

/// The ranges of a class list like "0-5" or "6,7,9". Each number must be the whole of its text
/// (std::stol would take "1x" as 1); ranges stay ranges, so "0-9999999999" costs nothing.
inline std::vector<ClassRange> parse_classes(const std::string& option, const std::string& spec) {
    std::vector<ClassRange> out;
    std::size_t pos = 0;
    while (pos < spec.size()) {
        const std::size_t comma = std::min(spec.find(',', pos), spec.size());
        const std::string item = spec.substr(pos, comma - pos);
        const std::size_t dash = item.find('-', 1);
        auto number = [&](std::size_t from, std::size_t to, siamese::data::label_t& value) {
            const char* first = item.data() + from;
            const char* last = item.data() + std::min(to, item.size());
            const auto [end, ec] = std::from_chars(first, last, value);
            return first != last && ec == std::errc{} && end == last;
        };
        ClassRange r;
        bool ok = number(0, dash, r.lo);
        if (dash == std::string::npos) {
            r.hi = r.lo;
        } else {
            ok = ok && number(dash + 1, item.size(), r.hi);
        }
        if (!ok || r.hi < r.lo) {
            throw std::invalid_argument(option + ": class list '" + spec +
                                        "': expected numbers and ranges like 0-5,7, got '" + item + "'");
        }
        out.push_back(r);
        pos = comma + 1;
    }
    return out;
}

/// "a" or "a-b".
inline std::string range_text(siamese::data::label_t lo, siamese::data::label_t hi) {
    return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
}

/// The file load_split reads a split's images from: the CSV file when it is there, else the
/// IDX images (empty when neither is).
inline fs::path split_images_file(const fs::path& dir, siamese::data::Split split) {
    std::error_code ec;
    const fs::path csv = csv_file(dir, split);
    return fs::exists(csv, ec) ? csv : siamese::data::mnist_images_file(dir, split);
}

/// A note when `dir` mixes the two formats: the splits in different ones, or one split in both
/// (the CSV is read). The log names no files, so a stray CSV beside the IDX files would change
/// the data without a word. Empty when there is nothing to say.
inline std::string data_format_note(const fs::path& dir) {
    using siamese::data::Split;
    std::string note;
    const fs::path train = split_images_file(dir, Split::train), test = split_images_file(dir, Split::test);
    auto is_csv = [](const fs::path& file) { return file.extension() == ".csv"; };
    if (!train.empty() && !test.empty() && is_csv(train) != is_csv(test)) {
        note += "note: " + dir.string() + " gives the training images as " + train.filename().string() +
                " and the test images as " + test.filename().string() + ", two formats\n";
    }
    for (const Split split : {Split::train, Split::test}) {
        const fs::path read = split == Split::train ? train : test;
        const fs::path idx = siamese::data::mnist_images_file(dir, split);
        if (is_csv(read) && !idx.empty()) {
            note += "note: " + dir.string() + " holds both " + read.filename().string() + " and " +
                    idx.filename().string() + "; reading " + read.filename().string() + "\n";
        }
    }
    return note;
}

/// One split, keeping only the classes `spec` (the value of `option`) names, all when empty.
/// Every class named must be in the data: a typo would otherwise give a silently smaller set.
inline siamese::data::LabelledImages load_classes(const fs::path& dir, siamese::data::Split split, long side,
                                                  const std::string& spec, const std::string& option,
                                                  const std::string& size_from = {}) {
    auto set = load_split(dir, split, side, size_from);
    if (spec.empty()) return set;
    const auto& have = set.classes();  // ascending
    std::vector<siamese::data::label_t> chosen;
    std::string missing;
    auto add_missing = [&](siamese::data::label_t lo, siamese::data::label_t hi) {
        if (!missing.empty()) missing += ", ";
        missing += range_text(lo, hi);
    };
    for (const ClassRange r : parse_classes(option, spec)) {
        // The data's classes within the range, and the gaps between them: never the range element by element.
        const auto first = std::lower_bound(have.begin(), have.end(), r.lo);
        const auto last = std::upper_bound(have.begin(), have.end(), r.hi);
        chosen.insert(chosen.end(), first, last);
        siamese::data::label_t next = r.lo;  // the first class of the range not yet accounted for
        bool reached_hi = false;
        for (auto c = first; c != last; ++c) {
            if (*c > next) add_missing(next, *c - 1);
            if (*c == r.hi) {
                reached_hi = true;  // *c + 1 could overflow
                break;
            }
            next = *c + 1;
        }
        if (!reached_hi) add_missing(next, r.hi);
    }
    if (!missing.empty()) {
        std::string available;  // runs of consecutive classes, the first ten
        int runs = 0;
        for (std::size_t i = 0; i < have.size(); ++runs) {
            std::size_t j = i;
            while (j + 1 < have.size() && have[j + 1] == have[j] + 1) ++j;
            if (runs == 10) {
                available += ",...";
                break;
            }
            if (!available.empty()) available += ',';
            available += range_text(have[i], have[j]);
            i = j + 1;
        }
        throw std::invalid_argument(option + " '" + spec + "': no class " + missing + " in the " +
                                    std::string(siamese::data::to_string(split)) + " data (it has " + available + ")");
    }
    return siamese::data::keep_classes(set, chosen);
}

// ------------------------------------------------------------------------------------------ logging

/// What the training curve is drawn from.
struct TrainingLog {
    std::vector<double> batch, loss, accuracy, epoch_seconds;
    void record(long b, double l, double a) {
        batch.push_back(static_cast<double>(b));
        loss.push_back(l);
        accuracy.push_back(a);
    }
};

/// Where a run stands: the next (epoch, batch) to train, the log so far and the running means
/// of the current log window. Together with the weights, the optimizer's momentum and the
/// sampler's state this is everything a resumed run needs to continue bit for bit.
struct TrainingState {
    int epoch = 1;
    long batch = 0;
    examples::RunningMean loss, accuracy;
    TrainingLog log;
    /// In checkpoints, so that a resumed run warns when the uninterrupted one would.
    siamese::training::CollapseDetector collapse;
    long saves = 0;  ///< checkpoints written by this process (for --debug-pause save:N)

    /// Batches done since the start of the run.
    [[nodiscard]] long done(const Settings& s) const { return (epoch - 1) * s.batches + batch; }
};

/// A log line in the tutorial's form: "[1,   101] loss: 0.614116 accuracy: 0.67".
inline std::string format_log_line(int epoch, long batch, double loss, double accuracy) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "[%d, %5ld] loss: %.6f accuracy: %.2f", epoch, batch, loss, accuracy);
    return buf;
}

inline std::string step_name(const TrainingState& state) {
    return "epoch " + std::to_string(state.epoch) + ", batch " + std::to_string(state.batch + 1);
}

/// "save:N" / "step:N" / "trained:1" / "evaluate:1" from --debug-pause: the N-th checkpoint save,
/// the N-th batch, after the training loop (before Ctrl-C prints how to get the outputs), or
/// before the evaluation.
inline long debug_pause_at(const Settings& s, const std::string& what) {
    const std::string prefix = what + ":";
    return s.debug_pause.rfind(prefix, 0) == 0 ? std::stol(s.debug_pause.substr(prefix.size())) : -1;
}

inline siamese::Tensor<float> load_image_tensor(const fs::path& path, const siamese::Shape& image_shape) {
    const auto img = examples::load_gray_image(path);
    if (img.height != image_shape[1] || img.width != image_shape[2]) {
        throw siamese::io_error(path.string() + ": image is " + std::to_string(img.width) + "x" +
                                std::to_string(img.height) + ", the model expects " + std::to_string(image_shape[2]) +
                                "x" + std::to_string(image_shape[1]) + " (white digit on black, like MNIST)");
    }
    // MNIST digits are light ink on a dark background (mean about 33 of 255). A drawing the other
    // way round (or in a PNG's alpha channel, composited onto white paper) is scored without
    // complaint and wrongly; said, since the image itself may be what the user meant.
    double sum = 0;
    for (const float v : img.pixels) sum += v;
    const auto [darkest, lightest] = std::minmax_element(img.pixels.begin(), img.pixels.end());
    if (*darkest == *lightest) {
        // A blank image still gets a score, and one that reads like an answer.
        std::fprintf(stderr, "warning: %s is blank (every pixel %.0f): it shows no digit\n", path.string().c_str(),
                     static_cast<double>(*darkest));
    } else if (const double mean = sum / static_cast<double>(img.pixels.size()); mean > 127.5) {
        std::fprintf(stderr,
                     "warning: %s is mostly light (mean %.0f of 255): the model was trained on light digits on a "
                     "dark background; is it inverted?\n",
                     path.string().c_str(), mean);
    }
    siamese::Tensor<float> t(siamese::Shape{1, 1, image_shape[1], image_shape[2]});
    std::copy(img.pixels.begin(), img.pixels.end(), t.begin());
    return t;
}

// ----------------------------------------------------------------------------------------- pictures

/// What the pair picture prints under a pair: a number (a probability, or a distance) and the
/// model's verdict.
struct Verdict {
    double number = 0;
    bool same = false;
};

/// A 2 x 10 grid of test pairs, like the tutorial's figures: the top row pairs of different
/// digits, the bottom row pairs of the same digit. Each pair carries the model's number and
/// verdict (verdict_of(left embedding, right embedding, dim) -> Verdict); the frame is green when
/// the verdict is right, red when wrong.
template <class VerdictOf>
void draw_pairs(const fs::path& path, Model& model, const siamese::data::LabelledImages& test, std::uint64_t seed,
                VerdictOf&& verdict_of) {
    constexpr int columns = 10, rows = 2, scale = 2, border = 3, pad = 8, caption = 2 * 7 + 8;
    siamese::data::PairSampler sampler(test, figure_seed(seed));
    siamese::data::PairBatch<float> batch;
    sampler.sample(columns * rows, batch);
    const siamese::Tensor<float> embeddings = model.embed(batch.images);
    const siamese::index_t dim = embeddings.dim(1);

    const int h = static_cast<int>(test.image_shape()[1]), w = static_cast<int>(test.image_shape()[2]);
    const int pair_w = 2 * w * scale + 2, cell_w = pair_w + 2 * border + pad,
              cell_h = h * scale + 2 * border + caption + pad;
    examples::Canvas canvas(columns * cell_w + pad, rows * cell_h + pad, examples::dark);
    const siamese::index_t n = batch.size(), plane = test.image_size();
    for (siamese::index_t i = 0; i < n; ++i) {
        const int x = pad + static_cast<int>(i % columns) * cell_w, y = pad + static_cast<int>(i / columns) * cell_h;
        const Verdict v = verdict_of(embeddings.data() + i * dim, embeddings.data() + (n + i) * dim, dim);
        const bool says_same = v.same, is_same = batch.labels[i] > 0.5f;
        canvas.frame(x, y, pair_w + 2 * border, h * scale + 2 * border, border,
                     says_same == is_same ? examples::green : examples::red);
        const std::span<const float> left(batch.images.data() + i * plane, static_cast<std::size_t>(plane));
        const std::span<const float> right(batch.images.data() + (n + i) * plane, static_cast<std::size_t>(plane));
        canvas.image(x + border, y + border, left, w, h, scale);
        canvas.image(x + border + w * scale + 2, y + border, right, w, h, scale);
        char text[32];
        std::snprintf(text, sizeof text, "%.2f %s", v.number, says_same ? "SAME" : "DIFF");
        canvas.text(x + (pair_w + 2 * border - examples::Canvas::text_width(text, 2)) / 2,
                    y + h * scale + 2 * border + 5, text, 2, examples::white);
    }
    canvas.save_png(path);
}

/// `loss` (--loss) names the panels.
inline void write_training_curve(const fs::path& path, const TrainingLog& log, Loss loss) {
    const std::string loss_title = loss == Loss::bce ? "BCE loss" : loss_name(loss) + " loss";
    const std::string accuracy_title =
        loss == Loss::triplet ? "triplets with the positive nearer than the negative" : "pair accuracy";
    const std::vector<examples::Panel> panels{
        {loss_title, {{"loss (running)", log.batch, log.loss, "#c0392b"}}},
        {accuracy_title, {{"accuracy (running)", log.batch, log.accuracy, "#2471a3"}}},
    };
    siamese::io::write_file_atomically(path,
                                       examples::line_chart_svg("Siamese network on MNIST: training", "batch", panels));
}

}  // namespace mnist
