// SPDX-License-Identifier: MIT
//
// One-shot learning on Omniglot with a convolutional Siamese network (Koch, Zemel &
// Salakhutdinov 2015), sized for two CPU cores.
//
//   omniglot train    [--data DIR] [--train train25] [--validation none] [--out DIR] ...
//   omniglot evaluate --model out/omniglot/model.ckpt [--model ...] [--views 8] [--alphabets test5 | --runs DIR]
//                     [--hausdorff-weight W,...]
//   omniglot make-runs [--alphabets test5] [--out DIR]     (Lake et al.'s run folders from background alphabets)
//
// The story:
//   1. load the training alphabets (one class per character) and the validation alphabets,
//      105x105 drawings averaged down to the network's resolution, ink high;
//   2. build a four-block convolutional backbone and wrap it in a Siamese network: both images
//      of a pair go through the same backbone, and the head scores sigmoid(Linear(|e1 - e2|));
//   3. train with binary cross-entropy on batches of P characters x K drawings, every pair of
//      them scored, the different-character pairs weighted toward the most alike (--batch all;
//      --batch pairs: balanced pairs), each image distorted by Koch's random affine transforms,
//      Adam with a rate per layer, warm-up then cosine decay;
//   4. after every epoch, 20-way within-alphabet one-shot accuracy on the validation alphabets;
//      keep the best model, stop when it has not improved for --patience epochs;
//   5. evaluate on held-out alphabets (or on folders of Lake et al.'s one-shot runs), beside the
//      raw-pixel nearest-neighbour and modified-Hausdorff baselines, and draw a few episodes;
//      each image is embedded as the mean over a few distorted views of it, and several
//      networks can score as one ensemble (the mean of their logits); --hausdorff-weight also
//      scores with the network's logit fused with the modified Hausdorff distance.

#include "alphabets.hpp"
#include "ensemble.hpp"
#include "episode_pictures.hpp"
#include "evaluation.hpp"
#include "network.hpp"
#include "optimizer.hpp"
#include "output_checks.hpp"
#include "run_checkpoint.hpp"
#include "run_folders.hpp"
#include "settings.hpp"
#include "training_data.hpp"
#include "training_run.hpp"
#include "training_state.hpp"

#include "../common/cli_checks.hpp"
#include "../common/figures.hpp"
#include "../common/json.hpp"
#include "../common/output_folder.hpp"
#include "../common/standard_output.hpp"
#include "../common/stopped_run.hpp"

#include <siamese/data/omniglot.hpp>
#include <siamese/data/omniglot_episodes.hpp>
#include <siamese/data/one_shot_runs.hpp>
#include <siamese/siamese.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace omniglot;
namespace fs = std::filesystem;

// ------------------------------------------------------------------------------------------- train

/// Hidden options with which the tests end or interrupt a run at a chosen point.
struct CrashTestHooks {
    int stop_after = 0;                 ///< end after this epoch, as if killed (0: never)
    bool pause_after_training = false;  ///< wait for Ctrl-C between training and the reports
};

int train(Settings s, const CrashTestHooks& hooks) {
    examples::line_buffer_standard_output();  // a long run's log shows (and keeps) each line at once
    examples::use_threads(s.threads);
    std::optional<siamese::io::Checkpoint> resume;
    if (!s.resume.empty()) {
        resume = siamese::io::Checkpoint::load(s.resume);
        s = settings_from_checkpoint(*resume, s);  // the run goes on with its own settings
        check_resume(*resume, s.resume, s.out);
    }
    check_shape(s.net);  // before loading data and allocating weights
    check_weight_decay(s);
    if (is_inside(s.out, s.data)) {
        // A folder there reads as an alphabet or a character, and the pictures as drawings.
        throw std::invalid_argument("--out " + s.out + " is inside --data " + s.data +
                                    ": the run's files would become part of the data set; write them elsewhere");
    }
    // After the checks, so that a refused run leaves --out as it was; this run's alone until it ends.
    const examples::OutputFolder out_folder(s.out);
    examples::refuse_to_replace_unfinished_run(out_folder, s.resume, where_run_stopped);

    // 1. The data: alphabets to learn from, and alphabets never trained on to choose the model by.
    const TrainingData data = load_training_data(s);
    if (resume) examples::require_same_training_data(*resume, data.train_fingerprint, s.data);

    // 2. The network: the convolutional backbone shared by both images of a pair, and the head.
    siamese::Rng init(s.seed);
    Model model = make_model(s.net, init);
    std::printf("model: %s, %ld parameters\n", model.name().c_str(),
                static_cast<long>(siamese::count_parameters(model.params())));

    // 3. Training on pairs, 4. validated after every epoch.
    TrainingRun run(s, data, model, out_folder.path());
    if (resume) run.resume_from(*resume, s.resume);
    // Ctrl-C stops the run between two steps; after training, on_interrupt below takes over.
    const examples::InterruptScope interrupt_scope;
    if (!run.train(hooks.stop_after)) return 0;

    // 5. The chosen model on the validation alphabets, beside the baselines, and pictures. A
    // report that cannot be written (a full disk) loses no training: resuming writes it again.
    const std::string model_file = (out_folder.path() / "model.ckpt").string();
    const std::string rewrite = examples::rewrite_outputs(out_folder.path(), run.saved().checkpoint, s.data).command;
    if (hooks.pause_after_training) examples::debug_pause("after training");
    const examples::InterruptNote on_interrupt("interrupted after training: the trained network is safe in " +
                                               model_file + "; " + rewrite + " writes the reports without training");
    try {
        run.report();
    } catch (const siamese::io_error& e) {
        throw siamese::io_error(std::string(e.what()) + "\nthe trained network is safe in " + model_file +
                                ": once the reports can be written, " + rewrite +
                                " writes them again without training");
    }
    return 0;
}

// ---------------------------------------------------------------------------------------- evaluate

struct EvaluateOptions {
    std::vector<std::string> models;
    std::string alphabets = "test5";
    std::string runs;
    std::string picture;
    std::string json;
    long episodes = 1000;
    int views = 8;  // chosen on validation5: +1.0 to +1.8 points over 1 view, 16 views no better
    std::vector<double> hausdorff_weights;  // each adds the model fused with the Hausdorff distance
};

/// "Siamese - 0.5 MHD": the name of a fused row.
std::string fused_name(double weight) { return "Siamese - " + number(weight) + " MHD"; }

void print_row(const char* name, const EpisodeResult& r) {
    std::printf("  %-20s %s\n", name, format_accuracy(r).c_str());
}

/// Lake et al.'s run folders: each run one episode, error rates as they report them.
void evaluate_runs(Ensemble& ensemble, const std::string& folder, int views, const std::vector<double>& weights,
                   std::optional<examples::Canvas>& canvas, examples::JsonObject& json) {
    siamese::data::PngOptions png;
    png.invert = true;
    png.height = png.width = ensemble.s.net.side;
    const auto runs = siamese::data::load_one_shot_runs(folder, png);
    const auto full = siamese::data::load_one_shot_runs(folder, {.invert = true});
    // The Hausdorff baseline compares ink points: said now, naming the file, not as "image 7"
    // once the model has scored the runs before it.
    for (const auto& run : full) {
        if (const auto blank = first_blank_image(run.images)) {
            throw siamese::io_error("--runs " + folder + ": " + run.files[static_cast<std::size_t>(*blank)] +
                                    " has no ink (a blank drawing): the modified Hausdorff baseline has nothing to "
                                    "compare; redraw it or leave the run out");
        }
    }
    std::printf("%zu one-shot runs from %s; error rates (%%):\n  run      Siamese   pixels  Hausdorff", runs.size(),
                folder.c_str());
    for (const double w : weights) std::printf("  %s", fused_name(w).c_str());
    std::printf("\n");
    std::vector<double> model_errors, pixel_errors, hausdorff_errors;
    std::vector<std::vector<double>> fused_errors(weights.size());
    for (std::size_t r = 0; r < runs.size(); ++r) {
        const std::vector<siamese::data::OneShotEpisode> one{runs[r].episode};
        const auto model_scores =
            ensemble_scores(ensemble.models, runs[r].images, one, views, augment_options(ensemble.s));
        const auto m = siamese::eval::episode_accuracy(one, model_scores);
        const auto distances = hausdorff_scores(full[r].images, one);
        const auto b = baseline_accuracy(full[r].images, one, distances);
        model_errors.push_back(1 - m.accuracy);
        pixel_errors.push_back(1 - b.pixels.accuracy);
        hausdorff_errors.push_back(1 - b.hausdorff.accuracy);
        std::printf("  %-8s %6.1f   %6.1f   %6.1f", runs[r].name.c_str(), 100 * model_errors.back(),
                    100 * pixel_errors.back(), 100 * hausdorff_errors.back());
        for (std::size_t i = 0; i < weights.size(); ++i) {
            fused_errors[i].push_back(1 - fused_accuracy(one, model_scores, distances, weights[i]).accuracy);
            std::printf("  %*.1f", static_cast<int>(fused_name(weights[i]).size()), 100 * fused_errors[i].back());
        }
        std::printf("\n");
        if (r == 0) canvas = episodes_canvas(runs[r].images, one, m, 1);
    }
    const auto model = siamese::eval::mean_with_ci95(model_errors);
    const double pixels = siamese::eval::mean_with_ci95(pixel_errors).mean;
    const double hausdorff = siamese::eval::mean_with_ci95(hausdorff_errors).mean;
    std::vector<double> fused;
    for (const auto& errors : fused_errors) fused.push_back(siamese::eval::mean_with_ci95(errors).mean);
    std::printf("  overall  %6.1f   %6.1f   %6.1f", 100 * model.mean, 100 * pixels, 100 * hausdorff);
    for (std::size_t i = 0; i < weights.size(); ++i)
        std::printf("  %*.1f", static_cast<int>(fused_name(weights[i]).size()), 100 * fused[i]);
    std::printf("   (mean error over runs; Siamese +- %.1f)\n", 100 * model.ci95);
    json.add("runs", static_cast<long>(runs.size()))
        .add("model_error", model.mean)
        .add("model_error_ci95", model.ci95)
        .add("model_error_per_run", model_errors)  // in the order of the runs printed
        .add("pixels_error", pixels)
        .add("hausdorff_error", hausdorff);
    if (!weights.empty()) json.add("hausdorff_weights", weights).add("fused_error", fused);
}

/// Within-alphabet episodes on background alphabets, overall and per alphabet.
void evaluate_alphabets(Ensemble& ensemble, const Settings& cmd, const EvaluateOptions& e, int views,
                        std::optional<examples::Canvas>& canvas, examples::JsonObject& json) {
    const Settings& s = ensemble.s;
    const auto available = available_alphabets(cmd.data);
    const auto names = expand_alphabets(e.alphabets, available);
    if (names.empty()) throw std::invalid_argument("--alphabets: no alphabets to evaluate on");
    // Alphabets the models saw: in training (fit, not one-shot learning), or in validation (they
    // chose the epoch, an optimistic number).
    const auto in_any = [&](const std::vector<std::string>& lists, const std::string& alphabet) {
        return std::any_of(lists.begin(), lists.end(), [&](const std::string& list) {
            const auto listed = expand_alphabets(list, available);
            return std::find(listed.begin(), listed.end(), alphabet) != listed.end();
        });
    };
    std::vector<std::string> trained, validated;
    for (const auto& a : names) {
        if (in_any(ensemble.trained_on, a)) {
            trained.push_back(a);
        } else if (in_any(ensemble.validated_on, a)) {
            validated.push_back(a);
        }
    }
    if (!trained.empty()) {
        std::printf("note: training alphabets, where this measures fit, not one-shot learning: %s\n",
                    join(trained, ", ").c_str());
    }
    if (!validated.empty()) {
        std::printf("note: validation alphabets, which chose the model's epoch, so the result is optimistic: %s\n",
                    join(validated, ", ").c_str());
    }
    const auto set = load_alphabets(cmd.data, names, s.net.side);
    const auto full = load_alphabets(cmd.data, names, 105);
    refuse_blank_drawings(full, cmd.data);  // before the minutes the model's evaluation takes
    const auto episodes =
        siamese::data::within_alphabet_episodes(set, {.ways = s.ways, .episodes = e.episodes, .seed = test_seed()});
    const auto hosting = alphabets_hosting(set, s.ways);
    const auto model_scores = ensemble_scores(ensemble.models, set.images, episodes, views, augment_options(s));
    const auto m = siamese::eval::episode_accuracy(episodes, model_scores);
    const auto distances = hausdorff_scores(full.images, episodes);
    const auto b = baseline_accuracy(full.images, episodes, distances);
    std::vector<EpisodeResult> fused;
    for (const double w : e.hausdorff_weights) fused.push_back(fused_accuracy(episodes, model_scores, distances, w));
    std::printf("%ld-way within-alphabet one-shot accuracy on %s (%ld episodes of %ld queries; 95 %% interval):\n",
                s.ways, join(hosting, ", ").c_str(), m.episodes, s.ways);
    print_row("Siamese network", m);
    print_row("pixel nearest nbr.", b.pixels);
    print_row("modified Hausdorff", b.hausdorff);
    for (std::size_t i = 0; i < fused.size(); ++i) print_row(fused_name(e.hausdorff_weights[i]).c_str(), fused[i]);
    // Per alphabet: the same episodes, grouped.
    std::string columns = "Siamese / pixels / Hausdorff";
    for (const double w : e.hausdorff_weights) columns += " / " + fused_name(w);
    std::printf("per alphabet (%s, %%):\n", columns.c_str());
    for (std::size_t g = 0; g < set.alphabets.size(); ++g) {
        const auto group = static_cast<std::int64_t>(g);
        if (const auto model = group_accuracy(episodes, m, group)) {
            std::printf("  %-22s %5.1f  %5.1f  %5.1f", set.alphabets[g].c_str(), 100 * *model,
                        100 * *group_accuracy(episodes, b.pixels, group),
                        100 * *group_accuracy(episodes, b.hausdorff, group));
            for (const auto& f : fused) std::printf("  %5.1f", 100 * *group_accuracy(episodes, f, group));
            std::printf("\n");
        }
    }
    canvas = episodes_canvas(set.images, episodes, m, 6);
    json.add("alphabets", join(hosting))
        .add("episodes", m.episodes)
        .add("ways", s.ways)
        .add("accuracy", m.accuracy)
        .add("ci95", m.ci95)
        .add("pixels_accuracy", b.pixels.accuracy)
        .add("pixels_ci95", b.pixels.ci95)
        .add("hausdorff_accuracy", b.hausdorff.accuracy)
        .add("hausdorff_ci95", b.hausdorff.ci95);
    if (!fused.empty()) {
        std::vector<double> accuracy, ci95;
        for (const auto& f : fused) {
            accuracy.push_back(f.accuracy);
            ci95.push_back(f.ci95);
        }
        json.add("hausdorff_weights", e.hausdorff_weights).add("fused_accuracy", accuracy).add("fused_ci95", ci95);
    }
}

int evaluate(const Settings& cmd, const EvaluateOptions& e) {
    const std::vector<std::pair<const char*, std::string>> inputs = {{"--data", e.runs.empty() ? cmd.data : ""},
                                                                     {"--runs", e.runs}};
    check_output_file("--json", e.json, e.models, inputs);
    check_output_file("--picture", e.picture, e.models, inputs);
    const fs::path picture =
        !e.picture.empty() ? fs::path(e.picture) : fs::path(e.models.front()).parent_path() / "evaluation_episodes.png";
    if (!e.json.empty() && same_file(e.json, picture)) {
        throw std::invalid_argument("--json " + e.json + " is also the picture's file" +
                                    (e.picture.empty() ? " (by default next to the model)" : " (--picture)") +
                                    ": the picture would replace the numbers; give each its own");
    }
    // A PNG under another name (pic.jpg) would open as garbage, or not at all, in a viewer.
    std::string extension = picture.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (extension != ".png") {
        throw std::invalid_argument("--picture " + e.picture +
                                    ": the picture is a PNG; give a file name ending in .png");
    }
    examples::use_threads(cmd.threads);
    Ensemble ensemble = load_ensemble(cmd, e.models);
    int views = e.views;
    for (std::size_t k = 1; k < ensemble.augment.size() && views > 1; ++k) {
        // The views distort every image one way for all models: the first model's.
        if (ensemble.augment[k] != ensemble.augment[0]) {
            throw std::invalid_argument("--model " + e.models[k] + " was trained with --augment " +
                                        number(ensemble.augment[k]) + ", --model " + e.models[0] + " with " +
                                        number(ensemble.augment[0]) + ": --views " + std::to_string(views) +
                                        " distorts the images as the first was trained; give models trained with "
                                        "one --augment, or --views 1");
        }
    }
    if (views > 1 && ensemble.s.augment <= 0) {
        // Without training distortion every view would be the image as drawn: same score, views times the work.
        std::printf("note: %s was trained without distortion (augment 0): each image is embedded once, as drawn\n",
                    e.models.front().c_str());
        views = 1;
    }
    if (views > 1) {
        std::printf("each image embedded as the mean over %d views: as drawn and %d times distorted as in training\n",
                    views, views - 1);
    }
    std::optional<examples::Canvas>
        canvas;  // saved after the numbers: a picture that cannot be written must not cost them
    examples::JsonObject json;
    json.add("models", static_cast<long>(ensemble.models.size())).add("views", static_cast<long>(views));
    if (!e.runs.empty()) {
        evaluate_runs(ensemble, e.runs, views, e.hausdorff_weights, canvas, json);
    } else {
        evaluate_alphabets(ensemble, cmd, e, views, canvas, json);
    }
    // Each file is tried whatever became of the other: a --json that cannot be written (a full
    // disk) must not also cost the picture. Its error is thrown once the picture was tried.
    std::optional<siamese::io_error> json_error;
    if (!e.json.empty()) {
        try {
            siamese::io::write_file_atomically(e.json, json.str() + "\n");
        } catch (const siamese::io_error& ex) {
            json_error = ex;
        }
    }
    if (canvas) {
        try {
            canvas->save_png(picture);
            std::printf("wrote %s\n", picture.string().c_str());
        } catch (const siamese::io_error& ex) {
            if (!e.picture.empty()) {  // asked for: an error
                if (json_error) throw siamese::io_error(std::string(json_error->what()) + "; and " + ex.what());
                throw;
            }
            // The default place, next to the model, may be read-only: the numbers are what was asked for.
            std::fflush(stdout);
            std::fprintf(stderr, "warning: no picture of the episodes: %s (choose a place with --picture)\n",
                         ex.what());
        }
    }
    if (json_error) throw *json_error;
    return 0;
}

// --------------------------------------------------------------------------------------- make-runs

struct RunOptions {
    std::string alphabets = "test5";
    std::string out = "out/omniglot/runs";
    long runs = 20;
    long ways = 20;
    std::uint64_t seed = 2015;
};

/// Writes within-alphabet episodes of background alphabets as one-shot runs in Lake et al.'s
/// format (run01 ... with training/classNN.png, test/itemNN.png in a shuffled order and
/// class_labels.txt), copying the original files: `evaluate --runs` then reads them like the
/// published runs. The runs are written next to `out` first and replace its runs only once all
/// are there: a failed call leaves `out` as it was.
int make_runs(const Settings& s, const RunOptions& o) {
    fs::path out = fs::absolute(o.out).lexically_normal();
    if (out.filename().empty()) out = out.parent_path();  // "runs/" or ".": the folder itself
    if (std::error_code ec; fs::is_symlink(out, ec)) {
        // The runs go where the link points, and the link stays (moving them in replaced nothing:
        // a folder cannot be renamed over a link, "Not a directory").
        const fs::path target = fs::canonical(out, ec);
        if (ec) throw siamese::io_error(o.out + ": a symbolic link that cannot be followed: " + ec.message());
        out = target;
    }
    check_runs_folder(out, o.out);
    if (is_inside(out, s.data) || same_file(out, s.data)) {
        // A folder there reads as an alphabet, and every later run on that data fails.
        throw std::invalid_argument("--out " + o.out + " is inside --data " + s.data +
                                    ": the runs would become part of the data set; write them elsewhere");
    }
    const auto available = available_alphabets(s.data);
    const auto names = expand_alphabets(o.alphabets, available);
    if (names.empty()) throw std::invalid_argument("--alphabets: no alphabets to draw runs from");
    siamese::data::OmniglotOptions lo;
    lo.alphabets = names;
    const auto set = siamese::data::load_omniglot(s.data, lo);
    const auto episodes =
        siamese::data::within_alphabet_episodes(set, {.ways = o.ways, .episodes = o.runs, .seed = o.seed});
    const auto hosting = alphabets_hosting(set, o.ways);
    const fs::path staging = new_sibling_folder(out, ".partial");
    struct RemoveOnExit {  // the staging folder, whether the runs were moved out of it or not
        fs::path path;
        ~RemoveOnExit() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    } cleanup{staging};
    siamese::Rng rng(o.seed + 1);
    auto two = [](std::size_t v) {
        std::string t = std::to_string(v);
        while (t.size() < 2) t.insert(t.begin(), '0');
        return t;
    };
    for (std::size_t r = 0; r < episodes.size(); ++r) {
        const auto& e = episodes[r];
        const std::string run = "run" + two(r + 1);
        fs::create_directories(staging / run / "training");
        fs::create_directories(staging / run / "test");
        for (std::size_t k = 0; k < e.supports.size(); ++k) {
            fs::copy_file(fs::path(s.data) / set.files[static_cast<std::size_t>(e.supports[k])],
                          staging / run / "training" / ("class" + two(k + 1) + ".png"));
        }
        std::vector<std::size_t> order(e.queries.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        for (std::size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[static_cast<std::size_t>(rng.uniform_int(static_cast<index_t>(i)))]);
        std::string labels;
        for (std::size_t i = 0; i < order.size(); ++i) {
            const std::size_t q = order[i];
            fs::copy_file(fs::path(s.data) / set.files[static_cast<std::size_t>(e.queries[q])],
                          staging / run / "test" / ("item" + two(i + 1) + ".png"));
            labels += run + "/test/item" + two(i + 1) + ".png " + run + "/training/class" +
                      two(static_cast<std::size_t>(e.answers[q]) + 1) + ".png\n";
        }
        siamese::io::write_file_atomically(staging / run / "class_labels.txt", labels);
    }
    put_in_place(staging, out);  // out held runs only (checked above); the old ones leave with the staging folder
    remove_stale_working_folders(out);
    std::printf("wrote %zu runs of %ld-way one-shot classification from %s under %s\n", episodes.size(), o.ways,
                join(hosting, ", ").c_str(), o.out.c_str());
    return 0;
}

}  // namespace

using examples::non_negative;
using examples::positive;

using examples::finite_non_negative;
using examples::finite_positive;
using examples::learning_rate;
using examples::seed_check;
using examples::zero_to_one;
// Episodes are built up front, a few hundred bytes each: more than this is a typo, not a measurement.
const CLI::Validator episode_range = examples::whole_number(1, 100000);
using examples::thread_range;

int main(int argc, char** argv) {
    CLI::App app{"siamese Omniglot: one-shot character recognition with a convolutional Siamese network"};
    app.require_subcommand(1);
    app.option_defaults()->multi_option_policy(
        CLI::MultiOptionPolicy::TakeLast);  // a later --x overrides an earlier one
    Settings s;
    EvaluateOptions e;

    auto* train_cmd =
        app.add_subcommand("train", "train on some alphabets, choosing the model by one-shot accuracy on others");
    train_cmd->add_option("--data", s.data, "Omniglot folder of alphabets (ALPHABET/characterNN/*.png)")
        ->capture_default_str();
    train_cmd->add_option("--train", s.train, std::string("alphabets to train on: ") + alphabet_list_help)
        ->capture_default_str();
    train_cmd
        ->add_option("--validation", s.validation,
                     "alphabets for early stopping (none: train all epochs, keep the last)")
        ->capture_default_str();
    train_cmd->add_option("--out", s.out, "output folder: model.ckpt (best), checkpoint.ckpt, pictures, metrics.json")
        ->capture_default_str();
    train_cmd->add_option("--side", s.net.side, "image side the drawings are averaged down to")
        ->check(examples::whole_number(16, 105))
        ->capture_default_str();
    std::string widths = s.net.widths_text();
    train_cmd->add_option("--widths", widths, "channels of the four conv blocks")->capture_default_str();
    train_cmd->add_option("--kernel", s.net.kernel, "kernel size of every conv (odd)")
        ->check(positive)
        ->capture_default_str();
    train_cmd->add_option("--embedding", s.net.embedding, "embedding size D")
        ->check(examples::whole_number(1, 4096))
        ->capture_default_str();
    train_cmd->add_option("--epochs", s.epochs, "maximum epochs")->check(positive)->capture_default_str();
    // Bounded so that epochs x steps, the schedule's length, cannot overflow.
    train_cmd->add_option("--steps", s.steps, "optimizer steps per epoch")
        ->check(examples::whole_number(1, 1'000'000'000))
        ->capture_default_str();
    train_cmd->add_option("--batch", s.batch, "all: every pair of P characters x K drawings; pairs: B sampled pairs")
        ->check(CLI::IsMember({"all", "pairs"}))
        ->capture_default_str();
    train_cmd->add_option("--characters", s.characters, "P, characters per step (--batch all)")
        ->check(examples::whole_number(2, 100000))
        ->capture_default_str();
    train_cmd->add_option("--drawings", s.drawings, "K, drawings per character per step (--batch all)")
        ->check(examples::whole_number(2, 20))
        ->capture_default_str();
    train_cmd->add_option("--batch-alphabets", s.batch_alphabets, "alphabets the P characters come from (--batch all)")
        ->check(positive)
        ->capture_default_str();
    train_cmd
        ->add_option("--focus", s.focus,
                     "weigh each image's different-character pairs by softmax(logit / focus) "
                     "(--batch all; 0: equally)")
        ->check(finite_non_negative)
        ->capture_default_str();
    train_cmd
        ->add_option("--turns", s.turns,
                     "1: characters as drawn; 2 or 4: also turned by 180 or 90 degrees, as new characters")
        ->check(examples::whole_number(1, 4))  // first: IsMember reads "" as 0 and says only "--turns: abc"
        ->check(CLI::IsMember({1, 2, 4}))
        ->capture_default_str();
    // Two flags, not "--mirror,!--no-mirror": CLI11 shows that as "--mirror,--no-mirror{false}".
    auto* mirror = train_cmd->add_flag_callback(
        "--mirror", [&s] { s.mirror = true; },
        "also every (turned) character mirrored left to right, as new characters (the default)");
    train_cmd
        ->add_flag_callback(
            "--no-mirror", [&s] { s.mirror = false; }, "train on the characters as drawn (and turned), not mirrored")
        ->excludes(mirror);
    std::string init = "he";
    train_cmd->add_option("--init", init, "he (He-uniform backbone weights) or pytorch (PyTorch's default)")
        ->check(CLI::IsMember({"he", "pytorch"}))
        ->capture_default_str();
    train_cmd->add_option("--batch-size", s.batch_size, "pairs per step, half different, half same (--batch pairs)")
        ->check(examples::whole_number(2, 100000))
        ->capture_default_str();
    train_cmd->add_option("--optimizer", s.optimizer, "adam, adamw or sgd")
        ->check(CLI::IsMember({"adam", "adamw", "sgd"}))
        ->capture_default_str();
    train_cmd->add_option("--lr", s.lr, "base learning rate")->check(learning_rate)->capture_default_str();
    train_cmd->add_option("--momentum", s.momentum, "SGD momentum")->check(zero_to_one)->capture_default_str();
    train_cmd->add_option("--weight-decay", s.weight_decay, "L2 penalty (adam, sgd) or decoupled decay (adamw)")
        ->check(finite_non_negative)
        ->capture_default_str();
    train_cmd->add_option("--layer-lr", s.layer_lr, "learning-rate scales of conv1..conv4, embedding, head")
        ->capture_default_str();
    train_cmd
        ->add_option("--schedule", s.schedule,
                     "after the warm-up: cosine (decay to 0), step (a tenth at each third of the run) or constant")
        ->check(CLI::IsMember({"cosine", "step", "constant"}))
        ->capture_default_str();
    train_cmd->add_option("--warmup", s.warmup, "steps of linear warm-up")->check(non_negative)->capture_default_str();
    train_cmd
        ->add_option("--within", s.within, "share of different-character pairs drawn from one alphabet (--batch pairs)")
        ->check(zero_to_one)
        ->capture_default_str();
    train_cmd->add_option("--augment", s.augment, "probability of each of Koch's affine distortions (0: none)")
        ->check(zero_to_one)
        ->capture_default_str();
    train_cmd->add_option("--patience", s.patience, "epochs without improvement before stopping (0: never)")
        ->check(non_negative)
        ->capture_default_str();
    train_cmd->add_option("--ways", s.ways, "classes per one-shot episode")
        ->check(examples::whole_number(2, 1000))
        ->capture_default_str();
    train_cmd->add_option("--val-episodes", s.val_episodes, "validation episodes after each epoch")
        ->check(episode_range)
        ->capture_default_str();
    train_cmd->add_option("--seed", s.seed, "seed of the weights, pairs and distortions")
        ->check(seed_check)
        ->capture_default_str();
    train_cmd->add_option("--log-every", s.log_every, "steps between log lines")
        ->check(positive)
        ->capture_default_str();
    train_cmd->add_option("--threads", s.threads, "threads (0: OMP_NUM_THREADS or one per core)")->check(thread_range);
    auto* resume_opt = train_cmd->add_option(
        "--resume", s.resume,
        "continue the run saved in this checkpoint.ckpt, with its own settings, in its folder (or "
        "in --out, which must hold the run's model.ckpt)");

    CrashTestHooks hooks;
    train_cmd->add_option("--stop-after", hooks.stop_after, "end after this epoch, as if killed (tests)")->group("");
    train_cmd->add_flag("--debug-pause-after-training", hooks.pause_after_training, "wait there for Ctrl-C (tests)")
        ->group("");
    examples::resume_excludes_all_but(
        *train_cmd, resume_opt,
        {"--help", "--data", "--threads", "--out", "--stop-after", "--debug-pause-after-training"});

    auto* eval_cmd = app.add_subcommand(
        "evaluate", "N-way one-shot accuracy of a trained model (N: its training --ways), beside two baselines");
    eval_cmd->add_option("--model", e.models, "model.ckpt written by train; repeat for an ensemble (mean logit)")
        ->required();
    eval_cmd->add_option("--data", s.data, "Omniglot folder of alphabets")->capture_default_str();
    eval_cmd
        ->add_option("--alphabets", e.alphabets,
                     std::string("alphabets to draw within-alphabet episodes from: ") + alphabet_list_help)
        ->capture_default_str();
    eval_cmd->add_option("--episodes", e.episodes, "episodes")->check(episode_range)->capture_default_str();
    eval_cmd
        ->add_option("--views", e.views,
                     "embed each image as the mean over this many views (1: as drawn; more: "
                     "also distorted as in training)")
        ->check(examples::whole_number(1, 64))
        ->capture_default_str();
    eval_cmd
        ->add_option("--hausdorff-weight", e.hausdorff_weights,
                     "also score with the model fused with the modified Hausdorff distance: logit - W * MHD "
                     "(MHD in pixels of the 105 x 105 drawings); W,W,... for several")
        ->delimiter(',')
        ->check(CLI::NonNegativeNumber);
    auto* runs_opt = eval_cmd->add_option("--runs", e.runs,
                                          "evaluate on a folder of one-shot runs (run01/class_labels.txt ...) instead");
    // The runs hold their own images and episodes: these would be dropped without a word.
    for (const char* unread : {"--alphabets", "--episodes", "--data"}) runs_opt->excludes(eval_cmd->get_option(unread));
    eval_cmd->add_option("--picture", e.picture, "PNG of a few episodes (default: next to the (first) model)");
    eval_cmd->add_option("--json", e.json, "also write the numbers to this JSON file");
    eval_cmd->add_option("--threads", s.threads, "threads")->check(thread_range);

    RunOptions r;
    auto* runs_cmd =
        app.add_subcommand("make-runs", "write one-shot runs in Lake et al.'s folder format from background alphabets");
    runs_cmd->add_option("--data", s.data, "Omniglot folder of alphabets")->capture_default_str();
    runs_cmd
        ->add_option("--alphabets", r.alphabets, std::string("alphabets to draw the runs from: ") + alphabet_list_help)
        ->capture_default_str();
    runs_cmd->add_option("--out", r.out, "folder of runs to write (run01, run02, ...; replaces the runs there)")
        ->capture_default_str();
    runs_cmd->add_option("--runs", r.runs, "number of runs")
        ->check(examples::whole_number(1, 99))
        ->capture_default_str();
    runs_cmd->add_option("--ways", r.ways, "classes per run")
        ->check(examples::whole_number(2, 99))
        ->capture_default_str();
    runs_cmd->add_option("--seed", r.seed, "seed of the draw")->check(seed_check)->capture_default_str();

    if (const auto stop = examples::parse_command_line(app, argc, argv)) return *stop;
    // A resumed run writes to its own folder: the default --out may hold another run's model.
    if (*train_cmd && !s.resume.empty() && train_cmd->count("--out") == 0)
        s.out = examples::resumed_run_folder(s.resume);
    try {
        if (*train_cmd) {
            const std::string batch = "--batch " + s.batch;
            examples::refuse_unread(*train_cmd, {"--characters", "--drawings", "--batch-alphabets", "--focus"},
                                    s.batch == "all", "--batch all", batch);
            examples::refuse_unread(*train_cmd, {"--batch-size", "--within"}, s.batch == "pairs", "--batch pairs",
                                    batch);
            examples::refuse_unread(*train_cmd, {"--momentum"}, s.optimizer == "sgd", "--optimizer sgd",
                                    "--optimizer " + s.optimizer);
            examples::refuse_unread(*train_cmd, {"--patience", "--val-episodes"}, s.validation != "none",
                                    "--validation ALPHABETS", "--validation none");
            s.net.widths = parse_widths(widths, "--widths");
            s.net.he_init = init == "he";
            return examples::finish_standard_output(train(s, hooks));
        }
        if (*runs_cmd) return examples::finish_standard_output(make_runs(s, r));
        return examples::finish_standard_output(evaluate(s, e));
    } catch (const examples::Interrupted& ex) {
        examples::exit_as_interrupted(ex.what());
    } catch (const std::bad_alloc& ex) {
        examples::print_error(
            std::string("out of memory: ") + ex.what() + "; " +
            (*train_cmd  ? "try smaller --widths, --embedding, --side, --characters, --drawings or --batch-size"
             : *eval_cmd ? "try fewer --episodes or --views, or models with smaller --widths and --embedding"
                         : "try fewer --alphabets"));
        return 1;
    } catch (const std::exception& ex) {
        examples::print_error(ex.what());
        return 1;
    }
}
