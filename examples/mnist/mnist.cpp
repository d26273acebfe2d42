// SPDX-License-Identifier: MIT
//
// One-shot learning on MNIST with a Siamese network: the PyTorch tutorial, step by step, in C++.
//
//   mnist train    [--data DIR] [--out DIR] [--epochs 5] [--batches 1000] [--batch-size 100] ...
//   mnist evaluate --model out/mnist/model.ckpt [--data DIR]
//   mnist compare  --model out/mnist/model.ckpt a.png b.pgm
//
// The story, as in the tutorial:
//   1. load MNIST (raw 0..255 pixels, no normalisation);
//   2. build the CNN backbone and wrap it in a Siamese network: both images of a pair go through
//      the same backbone, and the head scores sigmoid(Linear(|e_left - e_right|));
//   3. train with binary cross-entropy on balanced batches of 100 pairs (first half different
//      digits, second half the same digit), SGD with lr 0.001 and momentum 0.1, 5 epochs of 1000;
//   4. evaluate on the test set: pair accuracy, and 10-way one-shot classification;
//   5. draw the pairs and the training curve.
// Beyond the tutorial, --loss contrastive|triplet trains the embeddings with a metric loss,
// --optimizer adam|adamw and --schedule cosine change the optimisation, and --train-classes /
// --test-classes hold digits out (train on 0-5, test one-shot on the unseen 6-9).

#include "report.hpp"
#include "run_checkpoint.hpp"

#include "../common/cli_checks.hpp"
#include "../common/standard_output.hpp"
#include "../common/stopped_run.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <optional>

namespace {

using namespace mnist;

// ------------------------------------------------------------------------------------------- train

int train(Settings s) {
    examples::line_buffer_standard_output();  // a long run's log shows (and keeps) each line at once
    examples::use_threads(s.threads);
    std::optional<siamese::io::Checkpoint> resume;
    if (!s.resume.empty()) {
        resume = siamese::io::Checkpoint::load(s.resume);
        s = settings_from_checkpoint(*resume, s);  // the run goes on with its own settings
    }

    // 1. The data.
    const auto train_set = load_classes(s.data, siamese::data::Split::train, s.image_side, s.train_classes,
                                        "--train-classes", s.image_side_from);
    const auto test_set = load_classes(s.data, siamese::data::Split::test, s.image_side, s.test_classes,
                                       "--test-classes", s.image_side_from);
    std::printf("MNIST: %ld training images (%zu classes) and %ld test images (%zu classes) of %s; %s\n",
                static_cast<long>(train_set.size()), train_set.classes().size(), static_cast<long>(test_set.size()),
                test_set.classes().size(), train_set.image_shape().str().c_str(),
                examples::count_of(siamese::num_threads(), "thread").c_str());
    std::printf("%s", data_format_note(s.data).c_str());
    // Before --out is touched: a run that cannot finish leaves the model.ckpt there in place.
    s.train_data = examples::data_fingerprint(train_set);
    if (resume) examples::require_same_training_data(*resume, s.train_data, s.data);
    check_test_pairs(s);
    check_training_set(train_set, s);
    check_evaluation_sets(train_set, test_set, s);
    if (siamese::seed_cnn_feature_side(s.image_side) < 1) {
        throw std::invalid_argument("--image-size " + std::to_string(s.image_side) +
                                    ": the tutorial's network needs images of at least 10 x 10 (two conv(3) + "
                                    "pool(2) blocks)");
    }
    const examples::OutputFolder out_folder(s.out);  // this run's alone until it ends
    examples::refuse_to_replace_unfinished_run(out_folder, s.resume, [&](const siamese::io::Checkpoint& c) {
        return where_run_stopped(c, out_folder.path());
    });
    const fs::path& out = out_folder.path();

    // 2. The network: the tutorial's CNN as the shared backbone of a Siamese network.
    siamese::Rng init(s.seed);
    Model model(siamese::make_seed_cnn<float>(init, s.image_side), train_set.image_shape(), init);
    const auto params = model.params();
    Optimizer optimizer = make_optimizer(s, params);  // the tutorial's: SGD, lr 0.001, momentum 0.1
    const auto schedule = make_schedule(s);           // the tutorial's: a constant rate
    if (const std::string note = schedule.warmup_note(); !note.empty()) std::printf("%s\n", note.c_str());
    Objective objective(s, train_set);  // the tutorial's: BCE on balanced pairs

    // 3. Training.
    TrainingState state;
    if (resume) {
        restore_run(*resume, s, model, optimizer, objective, state);
        if (state.epoch > s.epochs) {
            std::printf("resuming %s: the run had trained all its batches; evaluating it and writing its outputs\n",
                        s.resume.c_str());
        } else {
            std::printf("resuming %s at epoch %d, batch %ld\n", s.resume.c_str(), state.epoch, state.batch + 1);
        }
    }
    // Timings are this process's: a checkpoint holding them would differ between identical runs.
    const long resumed_after_batches = state.done(s);
    const fs::path checkpoint = out / "checkpoint.ckpt";
    examples::Progress progress(static_cast<long>(s.epochs) * s.batches, s.batch_size, "pairs", state.done(s));

    // What Ctrl-C or a NaN leaves to go on from: the checkpoint resumed, then each one saved.
    examples::SavedRun saved;
    if (resume) saved = {s.resume, run_position_text(state.done(s), s)};
    bool saved_here = false;  // this process wrote OUT/checkpoint.ckpt
    const auto save_run = [&] {
        save_checkpoint(checkpoint, model, optimizer, objective, s, state);
        saved = {checkpoint.string(), run_position_text(state.done(s), s)};
        saved_here = true;
    };
    // What the resume command must repeat: the checkpoint does not restore it.
    const std::string resume_options =
        s.checkpoint_every > 0 ? " --checkpoint-every " + std::to_string(s.checkpoint_every) : "";
    double epoch_start = 0;
    long epoch_first_batch = state.batch;  // a run resumed mid-epoch times only the rest of it
    // Ctrl-C stops the loop between two batches; after training, on_interrupt below takes over.
    const examples::InterruptScope interrupt_scope;
    try {
        while (state.epoch <= s.epochs) {
            if (examples::interrupted()) {
                throw examples::Interrupted("interrupted before " + step_name(state) + ": " +
                                            examples::resume_advice(saved, out, s.data, resume_options));
            }
            optimizer.zero_grad();
            const StepResult batch = objective.forward_backward(model, params, step_name(state));  // NaN? stops here
            if (state.done(s) + 1 == debug_pause_at(s, "step"))
                examples::debug_pause("inside batch " + std::to_string(state.done(s) + 1));
            schedule.apply(optimizer, state.done(s));
            optimizer.step();

            state.loss.add(batch.loss);
            state.accuracy.add(batch.accuracy);
            // The tutorial's log line, every 100 batches: "[1,   101] loss: 0.614116 accuracy: 0.67".
            if (state.batch % s.log_every == 0) {
                progress.line(format_log_line(state.epoch, state.batch + 1, state.loss.mean(), state.accuracy.mean()));
                state.log.record(state.done(s) + 1, state.loss.mean(), state.accuracy.mean());
                state.loss.clear();
                state.accuracy.clear();
            }
            if (auto warning = state.collapse.add(batch.accuracy, batch.spread)) progress.line(*warning);

            const std::string finished_step = step_name(state);
            ++state.batch;  // from here on, state names the next batch to run: what a checkpoint records
            progress.update(state.done(s));
            if (state.batch == s.batches) {
                const double seconds = progress.elapsed_seconds() - epoch_start;
                epoch_start += seconds;
                state.log.epoch_seconds.push_back(seconds);
                const long timed_batches = s.batches - epoch_first_batch;
                epoch_first_batch = 0;
                progress.line(
                    "epoch " + std::to_string(state.epoch) + ": " + format_seconds(seconds) +
                    (timed_batches < s.batches ? " for its last " + std::to_string(timed_batches) + " batches" : "") +
                    " (" + std::to_string(std::lround(static_cast<double>(timed_batches * s.batch_size) / seconds)) +
                    " pairs/s)");
                ++state.epoch;
                state.batch = 0;
                objective.check_update(model, params, finished_step);  // the run's last update included
                save_run();
            } else if (s.checkpoint_every > 0 && state.done(s) % s.checkpoint_every == 0) {
                objective.check_update(model, params, finished_step);
                save_run();
            }
        }
    } catch (const siamese::numeric_error& e) {
        throw siamese::numeric_error(std::string(e.what()) + "\n" + examples::restart_advice(saved, out));
    }
    if (examples::interrupted()) {  // pressed while the last checkpoint was being saved
        throw examples::Interrupted("interrupted after the last batch: " +
                                    examples::resume_advice(saved, out, s.data, resume_options));
    }
    progress.finish();
    const double training_seconds = progress.elapsed_seconds();
    // A file that cannot be written from here on (a full disk) loses no training: the checkpoint
    // of the last epoch holds the trained network, and resuming it writes what is missing.
    const auto rewrite = examples::rewrite_outputs(out, saved.checkpoint, s.data);
    if (debug_pause_at(s, "trained") == 1) examples::debug_pause("after training");
    const examples::InterruptNote on_interrupt("interrupted after training: the trained network is safe in " +
                                               rewrite.checkpoint + "; " + rewrite.command +
                                               " evaluates it and writes the outputs without training");
    try {
        examples::remove_reports(out, {"metrics.json", "training_curve.svg", "pairs.png"});
        save_checkpoint(out / "model.ckpt", model, optimizer, objective, s, state);

        // 4. Evaluation on the test set.
        if (debug_pause_at(s, "evaluate") == 1) examples::debug_pause("before the evaluation");
        const auto results = evaluate_model(model, train_set, test_set, s);
        print_results(results, s);
        std::printf(
            "training time: %s (%s per epoch)%s\n", format_seconds(training_seconds).c_str(),
            format_seconds(training_seconds /
                           static_cast<double>(std::max<std::size_t>(1, state.log.epoch_seconds.size())))
                .c_str(),
            resumed_after_batches > 0
                ? ("; this process only, resumed after " + std::to_string(resumed_after_batches) + " batches").c_str()
                : "");

        // 5. Numbers and pictures; the picture last, so that one that cannot be written costs nothing else.
        write_metrics(out / "metrics.json", s, results, state.log, training_seconds, resumed_after_batches, train_set,
                      test_set);
        write_training_curve(out / "training_curve.svg", state.log, s.loss);
        draw_pairs(out / "pairs.png", model, test_set, s.seed, verdict_for(model, s, results));
        std::printf("wrote %s: model.ckpt %spairs.png training_curve.svg metrics.json\n", out.string().c_str(),
                    saved_here ? "checkpoint.ckpt " : "");
    } catch (const siamese::io_error& e) {
        throw siamese::io_error(std::string(e.what()) + "\nthe trained network is safe in " + rewrite.checkpoint +
                                ": once the outputs can be written, " + rewrite.command +
                                " writes them again without training");
    }
    return 0;
}

// ---------------------------------------------------------------------------------------- evaluate

int evaluate(const Settings& given, const std::string& model_path) {
    examples::use_threads(given.threads);
    const auto checkpoint = siamese::io::Checkpoint::load(model_path);
    const Settings s = settings_from_checkpoint(checkpoint, given);
    const auto train_set = load_classes(s.data, siamese::data::Split::train, s.image_side, s.train_classes,
                                        "--train-classes", s.image_side_from);
    const auto test_set = load_classes(s.data, siamese::data::Split::test, s.image_side, s.test_classes,
                                       "--test-classes", s.image_side_from);
    std::printf("%s", data_format_note(s.data).c_str());
    check_evaluation_sets(train_set, test_set, s);

    siamese::Rng init(0);  // the weights come from the checkpoint
    Model model(siamese::make_seed_cnn<float>(init, s.image_side), test_set.image_shape(), init);
    checkpoint.restore_params(model.params());
    // A checkpoint.ckpt of a run that stopped part-way loads too: said, not passed off as the whole run.
    const long planned = static_cast<long>(s.epochs) * s.batches;
    std::string trained =
        examples::count_of(s.epochs, "epoch") + " x " + examples::count_of(s.batches, "batch", "batches");
    if (checkpoint.get("next_epoch")) {
        const RunPosition position = run_position(checkpoint, s);
        const long done = static_cast<long>(position.epoch - 1) * s.batches + position.batch;
        if (done < planned) {
            trained = std::to_string(done) + " of its " + std::to_string(planned) + " batches (" + trained +
                      "; a run that stopped part-way)";
        }
    }
    std::printf("%s: %s loss, trained %s with seed %llu\n", model_path.c_str(), loss_name(s.loss).c_str(),
                trained.c_str(), static_cast<unsigned long long>(s.seed));

    print_results(evaluate_model(model, train_set, test_set, s), s);
    return 0;
}

// ----------------------------------------------------------------------------------------- compare

int compare(const Settings& given, const std::string& model_path, const std::string& a, const std::string& b) {
    examples::use_threads(given.threads);
    const auto checkpoint = siamese::io::Checkpoint::load(model_path);
    const Settings s = settings_from_checkpoint(checkpoint, given);
    const siamese::Shape image_shape{1, s.image_side, s.image_side};

    siamese::Rng init(0);
    Model model(siamese::make_seed_cnn<float>(init, s.image_side), image_shape, init);
    checkpoint.restore_params(model.params());

    const auto left = load_image_tensor(a, image_shape);
    const auto right = load_image_tensor(b, image_shape);
    if (s.loss == Loss::bce) {
        const float p = model.predict(left, right)[0];
        if (!std::isfinite(p))
            throw siamese::numeric_error(model_path + ": the network's probability is not finite (" +
                                         std::to_string(p) + "): its weights overflow");
        std::printf("%s vs %s: probability of the same digit %.4f -> %s\n", a.c_str(), b.c_str(),
                    static_cast<double>(p), p > 0.5f ? "same" : "different");
    } else {
        // A copy: embed returns the model's own buffer, which the second call overwrites.
        const siamese::Tensor<float> e_left = model.embed(left);
        const siamese::Tensor<float>& e_right = model.embed(right);
        const double dist =
            siamese::eval::vector_distance(e_left.data(), e_right.data(), e_left.size(), siamese::eval::Distance::l2);
        if (!std::isfinite(dist))
            throw siamese::numeric_error(model_path + ": the embedding distance is not finite (" +
                                         std::to_string(dist) + "): the network's weights overflow");
        // The run chose a distance threshold on training pairs after saving the model: its metrics.json has it.
        std::printf(
            "%s vs %s: embedding distance %.4f (smaller = more alike; the threshold the training run chose "
            "is in its metrics.json, as calibrated_threshold: minus a distance)\n",
            a.c_str(), b.c_str(), dist);
    }
    return 0;
}

using examples::finite_non_negative;
using examples::finite_positive;
using examples::learning_rate;
using examples::non_negative;
using examples::one_of;
using examples::positive;

using examples::seed_check;
using examples::thread_range;
using examples::zero_to_one;

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"siamese MNIST: the one-shot Siamese network tutorial, in C++"};
    app.require_subcommand(1);
    Settings s;

    auto add_common = [&](CLI::App* cmd) {
        cmd->add_option("--data", s.data,
                        "MNIST folder (IDX files, plain or .gz; or mnist_train.csv and mnist_test.csv)")
            ->capture_default_str();
        cmd->add_option("--threads", s.threads, "threads (0: OMP_NUM_THREADS or one per core)")->check(thread_range);
    };

    auto* train_cmd = app.add_subcommand("train", "train the tutorial's Siamese network, then evaluate it");
    add_common(train_cmd);
    train_cmd
        ->add_option("--out", s.out,
                     "output folder: model.ckpt, pairs.png, training_curve.svg, metrics.json, and "
                     "checkpoint.ckpt (for --resume)")
        ->capture_default_str();
    // At most 512: fc1's input grows with the square of the side (64 x 126 x 126 at 512). Below
    // 10 the data still loads (and its errors show) but the network refuses it, before --out.
    train_cmd
        ->add_option("--image-size", s.image_side,
                     "side of the square images (CSV files; IDX files must match); evaluate and compare take the "
                     "model's")
        ->check(examples::whole_number(1, 512))
        ->capture_default_str();
    train_cmd->add_option("--epochs", s.epochs, "epochs")->check(positive)->capture_default_str();
    // Bounded so that epochs x batches, the run's length, cannot overflow.
    train_cmd->add_option("--batches", s.batches, "batches per epoch")
        ->check(examples::whole_number(1, 1'000'000'000))
        ->capture_default_str();
    train_cmd
        ->add_option("--batch-size", s.batch_size,
                     "pairs per batch: the first half (rounded down) of different digits, the rest of the same")
        ->check(examples::whole_number(2, 10000))  // 10000 pairs take some 2 GB
        ->capture_default_str();
    train_cmd->add_option("--lr", s.lr, "learning rate")->check(learning_rate)->capture_default_str();
    train_cmd->add_option("--momentum", s.momentum, "SGD momentum")->check(zero_to_one)->capture_default_str();
    train_cmd->add_option("--seed", s.seed, "seed of the initial weights and of the samplers")
        ->check(seed_check)
        ->capture_default_str();
    train_cmd->add_option("--log-every", s.log_every, "batches between log lines")
        ->check(positive)
        ->capture_default_str();
    // Bounded so that a typo fails here, not after training (the evaluation holds them in memory).
    train_cmd->add_option("--test-batches", s.test_batches, "test batches of --batch-size pairs for pair accuracy")
        ->check(examples::whole_number(1, 1'000'000))
        ->capture_default_str();
    train_cmd->add_option("--episodes", s.episodes, "one-shot episodes")
        ->check(examples::whole_number(1, 1'000'000))
        ->capture_default_str();
    train_cmd
        ->add_option_function<std::string>(
            "--loss", [&s](const std::string& name) { s.loss = parse_loss(name); },
            "bce (the tutorial's head), contrastive (pairs) or triplet (P x K batches; the log's accuracy is "
            "then the share of mined triplets beyond the margin)")
        ->check(one_of(loss_names))
        ->default_str(loss_name(s.loss));
    train_cmd->add_option("--margin", s.margin, "contrastive and triplet margin")
        ->check(finite_positive)
        ->capture_default_str();
    train_cmd->add_option("--mining", s.mining, "triplet mining: hard, semi-hard or all")
        ->check(one_of(mining_names))
        ->capture_default_str();
    train_cmd->add_option("--classes-per-batch", s.classes_per_batch, "triplet batches: P classes")
        ->check(examples::whole_number(2, 100000))
        ->capture_default_str();
    train_cmd->add_option("--images-per-class", s.images_per_class, "triplet batches: K images of each class")
        ->check(examples::whole_number(2, 100000))
        ->capture_default_str();
    train_cmd->add_option("--optimizer", s.optimizer, "sgd, adam or adamw")
        ->check(one_of(optimizer_names))
        ->capture_default_str();
    train_cmd->add_option("--weight-decay", s.weight_decay, "weight decay")
        ->check(finite_non_negative)
        ->capture_default_str();
    train_cmd->add_option("--schedule", s.schedule, "constant, or cosine decay to 0 over the run")
        ->check(one_of(schedule_names))
        ->capture_default_str();
    train_cmd->add_option("--warmup", s.warmup, "batches of linear learning-rate warm-up")
        ->check(non_negative)
        ->capture_default_str();
    train_cmd->add_option("--train-classes", s.train_classes, "train on these digits only, e.g. 0-5 (default: all)");
    train_cmd->add_option("--test-classes", s.test_classes, "evaluate on these digits only, e.g. 6-9 (default: all)");
    train_cmd
        ->add_option("--checkpoint-every", s.checkpoint_every,
                     "also save OUT/checkpoint.ckpt every N batches (it is always saved after each epoch)")
        ->check(non_negative);
    auto* resume_opt =
        train_cmd->add_option("--resume", s.resume,
                              "continue the run saved in this checkpoint, with its own settings, writing to the "
                              "checkpoint's folder unless --out is given");
    train_cmd->add_option("--debug-pause", s.debug_pause, "save:N, step:N, trained:1 or evaluate:1 (crash tests)")
        ->group("");
    examples::resume_excludes_all_but(
        *train_cmd, resume_opt, {"--help", "--data", "--threads", "--out", "--checkpoint-every", "--debug-pause"});

    std::string model_path, image_a, image_b;
    auto* eval_cmd = app.add_subcommand("evaluate", "reload a checkpoint and reproduce its test numbers");
    add_common(eval_cmd);
    eval_cmd->add_option("--model", model_path, "checkpoint written by train")->required();

    auto* compare_cmd =
        app.add_subcommand("compare",
                           "print how likely two images (PGM or PNG) show the same digit (a model trained with "
                           "--loss contrastive or triplet: their embedding distance)");
    compare_cmd->add_option("--model", model_path, "checkpoint written by train")->required();
    compare_cmd->add_option("--threads", s.threads, "threads")->check(thread_range);
    compare_cmd->add_option("first", image_a, "first image")->required();
    compare_cmd->add_option("second", image_b, "second image")->required();

    if (const auto stop = examples::parse_command_line(app, argc, argv)) return *stop;
    // A resumed run writes to its own folder: the default --out may hold another run's model.
    if (*train_cmd && !s.resume.empty() && train_cmd->count("--out") == 0)
        s.out = examples::resumed_run_folder(s.resume);
    try {
        if (*train_cmd) {
            const std::string loss = "--loss " + loss_name(s.loss);
            examples::refuse_unread(*train_cmd, {"--margin"}, s.loss != Loss::bce, "--loss contrastive or triplet",
                                    loss);
            examples::refuse_unread(*train_cmd, {"--mining", "--classes-per-batch", "--images-per-class"},
                                    s.loss == Loss::triplet, "--loss triplet", loss);
            examples::refuse_unread(*train_cmd, {"--momentum"}, s.optimizer == "sgd", "--optimizer sgd",
                                    "--optimizer " + s.optimizer);
            examples::check_weight_decay(s.optimizer, s.lr, "--lr", s.momentum, s.weight_decay);
            return examples::finish_standard_output(train(s));
        }
        if (*eval_cmd) return examples::finish_standard_output(evaluate(s, model_path));
        return examples::finish_standard_output(compare(s, model_path, image_a, image_b));
    } catch (const examples::Interrupted& e) {
        examples::exit_as_interrupted(e.what());
    } catch (const std::bad_alloc& e) {
        examples::print_error(std::string("out of memory: ") + e.what() + "; " +
                              (*train_cmd
                                   ? "try a smaller --batch-size, --images-per-class, --test-batches or --episodes"
                                   : "the checkpoint's batch size or episodes need more memory than there is"));
        return 1;
    } catch (const std::exception& e) {
        examples::print_error(e.what());
        return 1;
    }
}
