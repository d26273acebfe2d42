// SPDX-License-Identifier: MIT
#pragma once

// The MNIST example's plumbing: settings, data folders, logging, checkpoints, evaluation and
// pictures. mnist.cpp tells the story; this file keeps the details out of its way.

#include "../common/figures.hpp"
#include "../common/image_file.hpp"
#include "../common/json.hpp"
#include "../common/progress.hpp"

#include <siamese/siamese.hpp>
#include <siamese/eval/embed.hpp>
#include <siamese/eval/one_shot.hpp>
#include <siamese/eval/pair_accuracy.hpp>
#include <siamese/training/collapse_detector.hpp>
#include <siamese/training/numeric_guard.hpp>

#include <array>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <string>
#include <vector>

namespace mnist {

namespace fs = std::filesystem;
using Model = siamese::Siamese<siamese::SeedCnn<float>>;

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
    long image_size = 28;
    long checkpoint_every = 0;  ///< batches between checkpoints (0: at the end of each epoch only)
    std::string resume;         ///< checkpoint to continue from
    std::string debug_pause;    ///< "save:N" or "step:N": pause there (for crash tests)
};

// Separate seeds for separate random streams, all derived from --seed.
inline std::uint64_t sampler_seed(std::uint64_t seed) { return seed + 1; }
inline std::uint64_t test_pairs_seed(std::uint64_t seed) { return seed + 1000; }
inline std::uint64_t one_shot_seed(std::uint64_t seed) { return seed + 2000; }
inline std::uint64_t figure_seed(std::uint64_t seed) { return seed + 3000; }

// ------------------------------------------------------------------------------------------- data

/// MNIST from `dir`: the IDX files (plain or gzipped), or the tutorial's CSV files
/// mnist_train.csv / mnist_test.csv (label, then the pixels of a side x side image).
inline siamese::data::LabelledImages load_split(const fs::path& dir, siamese::data::Split split, long side) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw siamese::io_error(dir.string() + ": no such folder; fetch MNIST with scripts/fetch_mnist.sh or point "
                                "--data at a folder with the IDX or CSV files");
    }
    const fs::path csv = dir / (split == siamese::data::Split::train ? "mnist_train.csv" : "mnist_test.csv");
    if (fs::exists(csv, ec)) return siamese::data::load_csv(csv, siamese::Shape{1, side, side});
    return siamese::data::load_mnist(dir, split);
}

/// Creates the output folder and checks that files can be written there.
inline fs::path prepare_output_folder(const fs::path& out) {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out)) {
        throw siamese::io_error(out.string() + ": cannot create the output folder: " + ec.message());
    }
    const fs::path probe = out / ".write_test";
    siamese::io::write_file_atomically(probe, "ok");
    fs::remove(probe, ec);
    return out;
}

// ------------------------------------------------------------------------------------------ logging

/// Mean of the values added since the last clear().
class RunningMean {
public:
    void add(double v) {
        sum_ += v;
        ++count_;
    }
    [[nodiscard]] double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
    void clear() {
        sum_ = 0;
        count_ = 0;
    }
    /// Exact text form ("<hex sum> <count>") for checkpoints: a resumed run continues bit for bit.
    [[nodiscard]] std::string state() const {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%a %ld", sum_, count_);
        return buf;
    }
    void set_state(const std::string& text) {
        char* end = nullptr;
        sum_ = std::strtod(text.c_str(), &end);
        count_ = std::strtol(end, nullptr, 10);
    }

private:
    double sum_ = 0;
    long count_ = 0;
};

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
    RunningMean loss, accuracy;
    TrainingLog log;
    long saves = 0;  ///< checkpoints written by this process (for --debug-pause save:N)

    /// Batches done since the start of the run.
    [[nodiscard]] long done(const Settings& s) const { return (epoch - 1) * s.batches + batch; }
};

/// Fraction of pairs whose logit falls on the side of 0 (probability 0.5) that its label says.
inline double batch_accuracy(const siamese::Tensor<float>& logits, const siamese::Tensor<float>& same) {
    long right = 0;
    for (siamese::index_t i = 0; i < same.size(); ++i) right += (logits[i] > 0.0f) == (same[i] > 0.5f);
    return static_cast<double>(right) / static_cast<double>(same.size());
}

inline std::string format_log_line(int epoch, long batch, double loss, double accuracy) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "[%d, %5ld] loss: %.6f accuracy: %.2f", epoch, batch, loss, accuracy);
    return buf;
}

inline std::string step_name(const TrainingState& state) {
    return "epoch " + std::to_string(state.epoch) + ", batch " + std::to_string(state.batch + 1);
}

inline std::string format_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

// -------------------------------------------------------------------------------------- checkpoints

inline constexpr const char* checkpoint_format = "siamese-mnist-example";

inline std::string hex_state(const std::array<std::uint64_t, 4>& state) {
    std::string s;
    for (auto v : state) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
        s += s.empty() ? buf : std::string(" ") + buf;
    }
    return s;
}

inline std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

inline std::array<std::uint64_t, 4> parse_state(const std::string& text) {
    std::array<std::uint64_t, 4> state{};
    const char* p = text.c_str();
    for (auto& v : state) {
        char* end = nullptr;
        v = std::strtoull(p, &end, 16);
        if (end == p) throw siamese::io_error("checkpoint: malformed sampler_state '" + text + "'");
        p = end;
    }
    return state;
}

/// "save:N" / "step:N" from --debug-pause: the N-th checkpoint save or the N-th batch.
inline long debug_pause_at(const Settings& s, const std::string& what) {
    const std::string prefix = what + ":";
    return s.debug_pause.rfind(prefix, 0) == 0 ? std::stol(s.debug_pause.substr(prefix.size())) : -1;
}

/// Stops the process where a crash test wants to kill it: announces it on stderr, then waits.
inline void debug_pause(const std::string& where) {
    std::fprintf(stderr, "debug: pausing %s\n", where.c_str());
    std::fflush(stderr);
    std::this_thread::sleep_for(std::chrono::seconds(60));
}

inline siamese::Tensor<double> to_tensor(const std::vector<double>& v) {
    siamese::Tensor<double> t(siamese::Shape{static_cast<siamese::index_t>(v.size())});
    std::copy(v.begin(), v.end(), t.begin());
    return t;
}

inline std::vector<double> to_vector(const siamese::io::Checkpoint& c, const std::string& name) {
    for (const auto& e : c.entries()) {
        if (e.name == name) return e.values;
    }
    return {};
}

/// The model's weights, the optimizer's momentum, the sampler's position, the training state and
/// the settings that produced them. No timings or paths: the same run gives the same bytes.
inline void save_checkpoint(const fs::path& path, Model& model, siamese::Sgd<float>& optimizer,
                            const siamese::data::PairSampler& sampler, const Settings& s, TrainingState& state) {
    siamese::io::Checkpoint c;
    c.add_params(model.params());
    for (std::size_t k = 0; k < optimizer.params().size(); ++k) {
        c.add("optimizer.velocity." + optimizer.params()[k].name, optimizer.velocity()[k]);
    }
    if (!state.log.batch.empty()) {
        c.add("log.batch", to_tensor(state.log.batch));
        c.add("log.loss", to_tensor(state.log.loss));
        c.add("log.accuracy", to_tensor(state.log.accuracy));
    }
    c.set("format", checkpoint_format);
    c.set("architecture", model.name());
    c.set("image_size", std::to_string(s.image_size));
    c.set("seed", std::to_string(s.seed));
    c.set("epochs", std::to_string(s.epochs));
    c.set("batches", std::to_string(s.batches));
    c.set("batch_size", std::to_string(s.batch_size));
    c.set("lr", number(s.lr));
    c.set("momentum", number(s.momentum));
    c.set("log_every", std::to_string(s.log_every));
    c.set("test_batches", std::to_string(s.test_batches));
    c.set("episodes", std::to_string(s.episodes));
    c.set("threads", std::to_string(siamese::num_threads()));
    c.set("sampler_state", hex_state(sampler.state()));
    c.set("next_epoch", std::to_string(state.epoch));
    c.set("next_batch", std::to_string(state.batch));
    c.set("running_loss", state.loss.state());
    c.set("running_accuracy", state.accuracy.state());
    ++state.saves;
    const bool pause = state.saves == debug_pause_at(s, "save");
    c.save(path, [&] {
        if (pause) debug_pause("inside checkpoint save " + std::to_string(state.saves) + " of " + path.string());
    });
}

/// The settings a checkpoint records (training and test protocol), on top of the command line's
/// (data, threads, output), so that `evaluate` reproduces the numbers printed after training and
/// `train --resume` continues the same run.
inline Settings settings_from_checkpoint(const siamese::io::Checkpoint& c, Settings s) {
    if (c.get("format") != checkpoint_format) {
        throw siamese::io_error(c.get("format") ? "checkpoint of another program: format '" + *c.get("format") + "'"
                                                : "checkpoint without the MNIST example's metadata");
    }
    auto integer = [&](const char* key) {
        const std::string& v = c.at(key);
        try {
            return std::stoll(v);
        } catch (const std::exception&) {
            throw siamese::io_error(std::string("checkpoint metadata '") + key + "' is not a number: " + v);
        }
    };
    auto real = [&](const char* key) {
        const std::string& v = c.at(key);
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (end == v.c_str()) throw siamese::io_error(std::string("checkpoint metadata '") + key + "' is not a number: " + v);
        return x;
    };
    s.image_size = integer("image_size");
    s.seed = static_cast<std::uint64_t>(integer("seed"));
    s.epochs = static_cast<int>(integer("epochs"));
    s.batches = integer("batches");
    s.batch_size = integer("batch_size");
    s.lr = real("lr");
    s.momentum = real("momentum");
    s.log_every = integer("log_every");
    s.test_batches = integer("test_batches");
    s.episodes = integer("episodes");
    return s;
}

/// Restores a run from a checkpoint written by save_checkpoint: weights, momentum, sampler
/// position and training state.
inline void restore_run(const siamese::io::Checkpoint& c, Model& model, siamese::Sgd<float>& optimizer,
                        siamese::data::PairSampler& sampler, TrainingState& state) {
    c.restore_params(model.params());
    for (std::size_t k = 0; k < optimizer.params().size(); ++k) {
        c.read("optimizer.velocity." + optimizer.params()[k].name, optimizer.velocity()[k]);
    }
    sampler.set_state(parse_state(c.at("sampler_state")));
    state.epoch = static_cast<int>(std::stol(c.at("next_epoch")));
    state.batch = std::stol(c.at("next_batch"));
    state.loss.set_state(c.at("running_loss"));
    state.accuracy.set_state(c.at("running_accuracy"));
    state.log.batch = to_vector(c, "log.batch");
    state.log.loss = to_vector(c, "log.loss");
    state.log.accuracy = to_vector(c, "log.accuracy");
    if (c.at("threads") != std::to_string(siamese::num_threads())) {
        std::printf("note: the run was saved with %s threads and resumes with %d: results agree to rounding, "
                    "not bit for bit\n", c.at("threads").c_str(), siamese::num_threads());
    }
}

// --------------------------------------------------------------------------------------- evaluation

struct Results {
    double pair_accuracy = 0;
    long pairs = 0;
    siamese::eval::OneShotResult one_shot;
    double seconds = 0;
};

/// The tutorial's test protocol: pair accuracy over test batches drawn like the training ones
/// (threshold 0.5), and N-way one-shot accuracy (N = 10 for MNIST). Each test image is embedded
/// once; pairs are scored from the embeddings.
inline Results evaluate_model(Model& model, const siamese::data::LabelledImages& test, const Settings& s) {
    examples::Progress clock(0, 0, "");
    Results r;
    const auto embeddings = siamese::eval::embed_all(model, test);
    siamese::data::PairSampler sampler(test, test_pairs_seed(s.seed));
    const auto pairs = siamese::eval::pair_accuracy(model, embeddings, sampler, s.test_batches, s.batch_size);
    r.pair_accuracy = pairs.accuracy;
    r.pairs = static_cast<long>(pairs.pairs);
    siamese::eval::EmbeddingScorer scorer(model, embeddings);
    const auto ways = std::min<siamese::index_t>(10, static_cast<siamese::index_t>(test.classes().size()));
    r.one_shot = siamese::eval::one_shot_accuracy(
        test, scorer, {.ways = ways, .episodes = s.episodes, .seed = one_shot_seed(s.seed)});
    r.seconds = clock.elapsed_seconds();
    return r;
}

inline void print_results(const Results& r) {
    std::printf("test pair accuracy: %.4f (%ld pairs, threshold 0.5)\n", r.pair_accuracy, r.pairs);
    std::printf("test %ld-way one-shot accuracy: %.4f +- %.4f (%ld episodes, 95%% interval)\n",
                static_cast<long>(r.one_shot.ways), r.one_shot.accuracy, r.one_shot.ci95,
                static_cast<long>(r.one_shot.episodes));
    std::printf("evaluation time: %s\n", format_seconds(r.seconds).c_str());
}

/// One test image as a [1, C, H, W] tensor, checked against the model's image shape.
inline siamese::Tensor<float> load_image_tensor(const fs::path& path, const siamese::Shape& image_shape) {
    const auto img = examples::load_gray_image(path);
    if (img.height != image_shape[1] || img.width != image_shape[2]) {
        throw siamese::io_error(path.string() + ": image is " + std::to_string(img.width) + "x" +
                                std::to_string(img.height) + ", the model expects " + std::to_string(image_shape[2]) +
                                "x" + std::to_string(image_shape[1]) + " (white digit on black, like MNIST)");
    }
    siamese::Tensor<float> t(siamese::Shape{1, 1, image_shape[1], image_shape[2]});
    std::copy(img.pixels.begin(), img.pixels.end(), t.begin());
    return t;
}

// ----------------------------------------------------------------------------------------- pictures

/// A 2 x 10 grid of test pairs, like the tutorial's figures: the top row pairs of different
/// digits, the bottom row pairs of the same digit. Each pair carries the model's probability of
/// "same" and its verdict; the frame is green when the verdict is right, red when wrong.
inline void draw_pairs(const fs::path& path, Model& model, const siamese::data::LabelledImages& test,
                       std::uint64_t seed) {
    constexpr int columns = 10, rows = 2, scale = 2, border = 3, pad = 8, caption = 2 * 7 + 8;
    siamese::data::PairSampler sampler(test, figure_seed(seed));
    siamese::data::PairBatch<float> batch;
    sampler.sample(columns * rows, batch);
    const auto& logits = model.logits_stacked(batch.images);

    const int h = static_cast<int>(test.image_shape()[1]), w = static_cast<int>(test.image_shape()[2]);
    const int pair_w = 2 * w * scale + 2, cell_w = pair_w + 2 * border + pad, cell_h = h * scale + 2 * border + caption + pad;
    examples::Canvas canvas(columns * cell_w + pad, rows * cell_h + pad, examples::dark);
    const siamese::index_t n = batch.size(), plane = test.image_size();
    for (siamese::index_t i = 0; i < n; ++i) {
        const int x = pad + static_cast<int>(i % columns) * cell_w, y = pad + static_cast<int>(i / columns) * cell_h;
        const float p = siamese::kernels::sigmoid(logits[i]);
        const bool says_same = p > 0.5f, is_same = batch.labels[i] > 0.5f;
        canvas.frame(x, y, pair_w + 2 * border, h * scale + 2 * border, border,
                     says_same == is_same ? examples::green : examples::red);
        const std::span<const float> left(batch.images.data() + i * plane, static_cast<std::size_t>(plane));
        const std::span<const float> right(batch.images.data() + (n + i) * plane, static_cast<std::size_t>(plane));
        canvas.image(x + border, y + border, left, w, h, scale);
        canvas.image(x + border + w * scale + 2, y + border, right, w, h, scale);
        char text[32];
        std::snprintf(text, sizeof text, "%.2f %s", static_cast<double>(p), says_same ? "SAME" : "DIFF");
        canvas.text(x + (pair_w + 2 * border - examples::Canvas::text_width(text, 2)) / 2,
                    y + h * scale + 2 * border + 5, text, 2, examples::white);
    }
    canvas.save_png(path);
}

inline void write_training_curve(const fs::path& path, const TrainingLog& log) {
    const std::vector<examples::Panel> panels{
        {"BCE loss", {{"loss (running)", log.batch, log.loss, "#c0392b"}}},
        {"pair accuracy", {{"accuracy (running)", log.batch, log.accuracy, "#2471a3"}}},
    };
    siamese::io::write_file_atomically(path, examples::line_chart_svg("Siamese network on MNIST: training", "batch", panels));
}

inline void write_metrics(const fs::path& path, const Settings& s, const Results& r, const TrainingLog& log,
                          double training_seconds, const siamese::data::LabelledImages& train,
                          const siamese::data::LabelledImages& test) {
    examples::JsonObject settings;
    settings.add("epochs", s.epochs)
        .add("batches_per_epoch", s.batches)
        .add("batch_size_pairs", s.batch_size)
        .add("lr", s.lr)
        .add("momentum", s.momentum)
        .add("seed", static_cast<long>(s.seed))
        .add("threads", siamese::num_threads())
        .add("data", s.data);
    examples::JsonObject metrics;
    metrics.add("settings", settings)
        .add("train_images", static_cast<long>(train.size()))
        .add("test_images", static_cast<long>(test.size()))
        .add("test_pair_accuracy", r.pair_accuracy)
        .add("test_pairs", r.pairs)
        .add("one_shot_ways", static_cast<long>(r.one_shot.ways))
        .add("one_shot_accuracy", r.one_shot.accuracy)
        .add("one_shot_ci95", r.one_shot.ci95)
        .add("one_shot_episodes", static_cast<long>(r.one_shot.episodes))
        .add("training_seconds", training_seconds)
        .add("epoch_seconds", log.epoch_seconds)
        .add("pairs_per_second", static_cast<double>(s.epochs * s.batches * s.batch_size) / training_seconds)
        .add("evaluation_seconds", r.seconds)
        .add("log_batch", log.batch)
        .add("log_loss", log.loss)
        .add("log_accuracy", log.accuracy);
    siamese::io::write_file_atomically(path, metrics.str() + "\n");
}

}  // namespace mnist
