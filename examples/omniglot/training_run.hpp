// SPDX-License-Identifier: MIT
#pragma once

// A training run from its first epoch, or from a checkpoint, to its report.

#include "episode_pictures.hpp"
#include "evaluation.hpp"
#include "network.hpp"
#include "optimizer.hpp"
#include "pair_objective.hpp"
#include "run_checkpoint.hpp"
#include "settings.hpp"
#include "training_data.hpp"
#include "training_state.hpp"

#include "../common/figures.hpp"
#include "../common/json.hpp"
#include "../common/output_folder.hpp"
#include "../common/progress.hpp"
#include "../common/running_mean.hpp"
#include "../common/stopped_run.hpp"

#include <siamese/io/atomic_write.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/io/checksum.hpp>
#include <siamese/io/optimizer_state.hpp>
#include <siamese/parallel.hpp>
#include <siamese/param.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace omniglot {

/// Trains `model` on `data` with the optimizer, schedule and batches `s` names, validating after
/// every epoch. OUT/model.ckpt holds the best model so far (every epoch's without validation),
/// OUT/checkpoint.ckpt where the run stands after each epoch, which --resume continues from.
class TrainingRun {
public:
    /// `data` and `model` must outlive the run.
    TrainingRun(const Settings& s, const TrainingData& data, Model& model, const fs::path& out)
        : s_(s),
          data_(data),
          model_(model),
          params_(model.params()),
          optimizer_(make_optimizer(model, s)),
          schedule_(make_schedule(s)),
          objective_(s, data.train_set),
          out_(out) {
        if (const std::string note = schedule_.warmup_note(); !note.empty()) std::printf("%s\n", note.c_str());
    }

    /// Continues from a checkpoint.ckpt of this run (check_resume has vetted it).
    void resume_from(const siamese::io::Checkpoint& c, const std::string& path) {
        c.restore_params(params_);
        siamese::io::restore_optimizer_state(c, optimizer_);
        objective_.restore(c);
        restore_state(c, s_.epochs, st_);
        saved_ = {path, position_text()};
        if (st_.epoch > s_.epochs) {
            std::printf("resuming %s: the run had trained all its epochs\n", path.c_str());
        } else {
            std::printf("resuming %s at epoch %d\n", path.c_str(), st_.epoch);
        }
        if (c.at("threads") != std::to_string(siamese::num_threads())) {
            std::printf(
                "note: the run was saved with %s threads and resumes with %d: results agree to rounding, "
                "not bit for bit\n",
                c.at("threads").c_str(), siamese::num_threads());
        }
    }

    /// Trains the epochs left, until the last or an early stop. Returns false when it stopped
    /// after epoch `stop_after` as asked (crash tests: the process ends as if killed there).
    /// Ctrl-C stops it between two steps under the caller's examples::InterruptScope.
    bool train(int stop_after) {
        // Timings are this process's: a checkpoint holding them would differ between identical runs.
        resumed_after_epochs_ = st_.epoch - 1;
        examples::Progress progress(static_cast<long>(s_.epochs) * s_.steps, objective_.pairs_per_step(), "pairs",
                                    (st_.epoch - 1) * s_.steps);
        // A resumed run that had ended trains no further.
        stopped_early_ = stopped_early(st_, s_, data_.val_set.has_value());
        if (stopped_early_) std::printf("the run stopped early after epoch %d: nothing left to train\n", st_.epoch - 1);
        try {
            while (st_.epoch <= s_.epochs && !stopped_early_) {
                const EpochMeasures measured = train_epoch(progress);
                const bool improved = end_epoch(measured, progress);
                if (improved) save_best_model();
                ++st_.epoch;  // from here on, st_ names the next epoch: what the checkpoint records
                checkpoint(true).save(out_ / "checkpoint.ckpt");
                saved_ = {(out_ / "checkpoint.ckpt").string(), position_text()};
                stopped_early_ = stopped_early(st_, s_, data_.val_set.has_value());
                if (stopped_early_) {
                    progress.line("early stop: no better validation score for " + std::to_string(s_.patience) +
                                  " epochs");
                    break;
                }
                if (stop_after > 0 && st_.epoch > stop_after) {
                    progress.finish();
                    std::printf("stopping after epoch %d as asked (--stop-after); resume with --resume %s\n",
                                stop_after, (out_ / "checkpoint.ckpt").string().c_str());
                    return false;
                }
            }
        } catch (const siamese::numeric_error& e) {
            progress.finish();
            throw siamese::numeric_error(std::string(e.what()) + "\n" + examples::restart_advice(saved_, out_));
        }
        progress.finish();
        if (examples::interrupted()) {  // pressed while the last checkpoint was being saved
            throw examples::Interrupted("interrupted after the last epoch: " +
                                        examples::resume_advice(saved_, out_, s_.data));
        }
        training_seconds_ = progress.elapsed_seconds();
        std::printf("training time: %s for %s%s%s\n", examples::format_seconds(training_seconds_).c_str(),
                    examples::count_of(st_.epoch - 1 - resumed_after_epochs_, "epoch").c_str(),
                    stopped_early_ ? " (stopped early)" : "",
                    resumed_after_epochs_ > 0
                        ? ("; this process only, resumed after epoch " + std::to_string(resumed_after_epochs_)).c_str()
                        : "");
        return true;
    }

    /// The chosen model (OUT/model.ckpt) on the validation alphabets beside the baselines, a
    /// picture of a few of its episodes, the training curve, and metrics.json.
    void report() {
        siamese::io::Checkpoint::load(out_ / "model.ckpt").restore_params(params_);
        examples::JsonObject metrics;
        std::optional<EpisodeResult> validation;
        if (data_.val_set) {
            const auto& v = validation.emplace(model_accuracy(model_, data_.val_set->images, data_.val_episodes));
            const auto b = baseline_accuracy(data_.val_drawn->images, data_.val_episodes);
            std::printf(
                "best epoch %d; validation %ld-way within-alphabet one-shot accuracy (%ld episodes, 95 %% "
                "interval):\n",
                st_.best_epoch, s_.ways, v.episodes);
            std::printf("  Siamese network      %s\n  pixel nearest nbr.   %s\n  modified Hausdorff   %s\n",
                        format_accuracy(v).c_str(), format_accuracy(b.pixels).c_str(),
                        format_accuracy(b.hausdorff).c_str());
            metrics.add("validation_accuracy", v.accuracy)
                .add("validation_ci95", v.ci95)
                .add("validation_pixels_accuracy", b.pixels.accuracy)
                .add("validation_hausdorff_accuracy", b.hausdorff.accuracy);
        }
        const std::vector<examples::Panel> panels{
            {"BCE loss", {{"loss (running)", st_.log_step, st_.log_loss, "#c0392b"}}},
            {"accuracy", {{"pair accuracy", st_.log_step, st_.log_accuracy, "#2471a3"}}},
            {"validation one-shot",
             {{std::to_string(s_.ways) + "-way accuracy", st_.val_epoch, st_.val_accuracy, "#1e8449"}}},
        };
        siamese::io::write_file_atomically(
            out_ / "training_curve.svg",
            examples::line_chart_svg("Siamese network on Omniglot: training", "step / epoch", panels));
        metrics.add("train_alphabets", join(data_.train_names))
            .add("validation_alphabets", join(data_.val_names))
            .add("epochs_run", st_.epoch - 1)
            .add("best_epoch", data_.val_set ? st_.best_epoch : st_.epoch - 1)  // model.ckpt's epoch
            .add("training_seconds", training_seconds_)  // this process's (see resumed_after_epochs)
            .add("resumed_after_epochs", resumed_after_epochs_)
            .add("threads", siamese::num_threads())
            .add("seed", static_cast<long>(s_.seed))
            .add("validation_epochs", st_.val_epoch)
            .add("validation_curve", st_.val_accuracy)
            .add("epoch_seconds", st_.epoch_seconds);
        siamese::io::write_file_atomically(out_ / "metrics.json", metrics.str() + "\n");
        // Last: a picture that cannot be written must not cost the numbers.
        if (validation) {
            draw_episodes(out_ / "validation_episodes.png", data_.val_set->images, data_.val_episodes, *validation, 6);
        }
        std::printf("wrote %s: model.ckpt checkpoint.ckpt%s training_curve.svg metrics.json\n", out_.string().c_str(),
                    data_.val_set ? " validation_episodes.png" : "");
    }

    /// The checkpoint holding the run as it stands (the one resumed, then each one saved).
    [[nodiscard]] const examples::SavedRun& saved() const noexcept { return saved_; }

private:
    struct EpochMeasures {
        double loss = 0, accuracy = 0;  ///< means over the epoch's steps
        double seconds = 0;             ///< the training steps only, not the validation after them
    };

    EpochMeasures train_epoch(examples::Progress& progress) {
        const double start = progress.elapsed_seconds();
        examples::RunningMean epoch_loss, epoch_accuracy;
        // Log windows never straddle epochs, so a resumed run logs the same lines.
        examples::RunningMean window_loss, window_accuracy;
        for (long k = 0; k < s_.steps; ++k) {
            if (examples::interrupted()) {
                progress.finish();
                throw examples::Interrupted("interrupted before " + step_name(k + 1) + ": " +
                                            examples::resume_advice(saved_, out_, s_.data));
            }
            const index_t step = static_cast<index_t>(st_.epoch - 1) * s_.steps + k;
            schedule_.apply(optimizer_, step);
            optimizer_.zero_grad();
            const StepMeasures m = objective_.add_gradients(model_, params_, step_name(k + 1));
            optimizer_.step();

            window_loss.add(m.loss);
            window_accuracy.add(m.accuracy);
            epoch_loss.add(m.loss);
            epoch_accuracy.add(m.accuracy);
            if ((k + 1) % s_.log_every == 0 || k + 1 == s_.steps) {
                char line[128];
                std::snprintf(line, sizeof line, "[%d, %5ld] loss: %.4f pair accuracy: %.3f lr: %.2e", st_.epoch, k + 1,
                              window_loss.mean(), window_accuracy.mean(), schedule_.lr(step));
                progress.line(line);
                st_.log_step.push_back(static_cast<double>(step + 1));
                st_.log_loss.push_back(window_loss.mean());
                st_.log_accuracy.push_back(window_accuracy.mean());
                window_loss.clear();
                window_accuracy.clear();
            }
            if (auto warning = st_.collapse.add(m.accuracy, m.spread)) progress.line(*warning);
            progress.update(step + 1);
        }
        const double seconds = progress.elapsed_seconds() - start;
        st_.epoch_seconds.push_back(seconds);
        objective_.check_last_update(model_, params_, step_name(s_.steps));
        return {epoch_loss.mean(), epoch_accuracy.mean(), seconds};
    }

    /// Validates the epoch's model and prints the epoch's lines. Returns whether the model is
    /// the best so far (every epoch's is, without validation alphabets).
    bool end_epoch(const EpochMeasures& measured, examples::Progress& progress) {
        char line[256];
        std::snprintf(line, sizeof line, "epoch %d: loss %.4f, pair accuracy %.3f", st_.epoch, measured.loss,
                      measured.accuracy);
        std::string text = line;
        bool improved = !data_.val_set;
        if (data_.val_set) {
            const auto v = model_accuracy(model_, data_.val_set->images, data_.val_episodes);
            st_.val_epoch.push_back(st_.epoch);
            st_.val_accuracy.push_back(v.accuracy);
            improved = v.accuracy > st_.best;
            std::snprintf(line, sizeof line, "; validation %ld-way %s", s_.ways, format_accuracy(v).c_str());
            text += line;
            if (improved) {
                st_.best = v.accuracy;
                st_.best_epoch = st_.epoch;
                st_.stale = 0;
                text += " (best)";
            } else {
                ++st_.stale;
            }
        }
        progress.line(text);
        char timing[96];
        std::snprintf(timing, sizeof timing, "  epoch time: %s (%.0f pairs/s)",
                      examples::format_seconds(measured.seconds).c_str(),
                      static_cast<double>(s_.steps * objective_.pairs_per_step()) / measured.seconds);
        progress.line(timing);
        return improved;
    }

    void save_best_model() {
        if (!replaced_model_) {  // a new run here replaces a finished one: its reports go first
            examples::remove_reports(out_, {"metrics.json", "training_curve.svg", "validation_episodes.png"});
            replaced_model_ = true;
        }
        auto best = checkpoint(false);
        if (!st_.best_model_checksum.empty())
            best.set("replaces_fnv1a64", st_.best_model_checksum);  // see check_resume
        const std::string bytes = best.serialize();
        siamese::io::write_file_atomically(out_ / "model.ckpt", bytes);
        st_.best_model_checksum = std::to_string(siamese::io::fnv1a64(bytes));
    }

    /// The model and the settings; with_state adds what --resume needs to continue exactly.
    siamese::io::Checkpoint checkpoint(bool with_state) {
        siamese::io::Checkpoint c;
        c.add_params(params_);
        save_settings(c, s_, data_.train_names, data_.val_names);
        c.set("best_accuracy", number(st_.best));
        c.set("best_epoch", std::to_string(st_.best_epoch));
        if (with_state) {
            siamese::io::add_optimizer_state(c, optimizer_);
            objective_.save(c);
            c.set("threads", std::to_string(siamese::num_threads()));
            c.set("train_data", data_.train_fingerprint);
            save_state(c, st_);
        }
        return c;
    }

    /// Where the run stands, as its next checkpoint records it: "after epoch 2 of 90".
    [[nodiscard]] std::string position_text() const {
        return "after epoch " + std::to_string(st_.epoch - 1) + " of " + std::to_string(s_.epochs);
    }

    [[nodiscard]] std::string step_name(long step_in_epoch) const {
        return "epoch " + std::to_string(st_.epoch) + ", step " + std::to_string(step_in_epoch);
    }

    const Settings& s_;
    const TrainingData& data_;
    Model& model_;
    siamese::ParamList<T> params_;
    Optimizer optimizer_;
    examples::RunSchedule schedule_;
    PairObjective objective_;
    fs::path out_;
    TrainingState st_;
    int resumed_after_epochs_ = 0;
    bool stopped_early_ = false;
    bool replaced_model_ = false;  ///< this process has written model.ckpt
    double training_seconds_ = 0;
    examples::SavedRun saved_;  ///< what Ctrl-C or a NaN leaves to go on from
};

}  // namespace omniglot
