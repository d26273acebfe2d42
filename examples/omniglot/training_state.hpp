// SPDX-License-Identifier: MIT
#pragma once

// What a checkpoint records of a run between epochs besides the weights, the optimizer and the
// random streams: where it stands, its logs, and which model.ckpt is its own.

#include "run_checkpoint.hpp"

#include "../common/output_folder.hpp"
#include "../common/run_state.hpp"

#include <siamese/errors.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/io/checksum.hpp>
#include <siamese/training/collapse_detector.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace omniglot {

namespace fs = std::filesystem;

/// Where a run stands between epochs: what a checkpoint records besides weights and optimizer.
struct TrainingState {
    int epoch = 1;     ///< the next epoch to train
    double best = -1;  ///< the best validation accuracy so far
    int best_epoch = 0;
    int stale = 0;  ///< epochs since the best
    /// fnv1a64 of the model.ckpt bytes last written, in decimal ("" before the first).
    std::string best_model_checksum;
    std::vector<double> log_step, log_loss, log_accuracy, val_epoch, val_accuracy, epoch_seconds;
    /// In checkpoints, so that a resumed run warns when the uninterrupted one would.
    siamese::training::CollapseDetector collapse;
};

inline void save_state(siamese::io::Checkpoint& c, const TrainingState& st) {
    c.set("next_epoch", std::to_string(st.epoch));
    c.set("best_accuracy", number(st.best));
    c.set("best_epoch", std::to_string(st.best_epoch));
    c.set("stale_epochs", std::to_string(st.stale));
    c.set("best_model_fnv1a64", st.best_model_checksum);
    const std::pair<const char*, const std::vector<double>*> logs[] = {{"log.step", &st.log_step},
                                                                       {"log.loss", &st.log_loss},
                                                                       {"log.accuracy", &st.log_accuracy},
                                                                       {"log.val_epoch", &st.val_epoch},
                                                                       {"log.val_accuracy", &st.val_accuracy}};
    for (const auto& [name, values] : logs) {
        if (!values->empty()) c.add(name, examples::to_tensor(*values));
    }
    examples::save_collapse_detector(c, st.collapse);
}

/// Where a run of `epochs` epochs stands, from its checkpoint. The epochs must lie within the
/// run: a damaged next epoch of -1000000 would train for a million epochs.
inline void restore_state(const siamese::io::Checkpoint& c, int epochs, TrainingState& st) {
    st.epoch = static_cast<int>(c.at_integer("next_epoch", 1, static_cast<long long>(epochs) + 1));
    st.best = c.at_real("best_accuracy");
    if (!(st.best == -1 || (st.best >= 0 && st.best <= 1))) {
        throw siamese::io_error(c.path() + ": metadata 'best_accuracy' is " + c.at("best_accuracy") +
                                ", expected an accuracy from 0 to 1 (or -1 before the first validation)");
    }
    st.best_epoch = static_cast<int>(c.at_integer("best_epoch", 0, epochs));
    st.stale = static_cast<int>(c.at_integer("stale_epochs", 0, epochs));
    st.best_model_checksum = c.get("best_model_fnv1a64").value_or("");
    st.log_step = examples::to_vector(c, "log.step");
    st.log_loss = examples::to_vector(c, "log.loss");
    st.log_accuracy = examples::to_vector(c, "log.accuracy");
    st.val_epoch = examples::to_vector(c, "log.val_epoch");
    st.val_accuracy = examples::to_vector(c, "log.val_accuracy");
    examples::restore_collapse_detector(c, st.collapse);
}

/// Whether the run stopped early: no better validation score for --patience epochs, before its
/// last epoch. `st` names the next epoch, as after an epoch and in a checkpoint.
inline bool stopped_early(const TrainingState& st, const Settings& s, bool validated) {
    return validated && s.patience > 0 && st.stale >= s.patience && st.epoch <= s.epochs;
}

/// Where the run of checkpoint `c` stopped ("after epoch 2 of 30"), or nothing when it ended: all
/// its epochs trained, or stopped early.
inline std::optional<std::string> where_run_stopped(const siamese::io::Checkpoint& c) {
    const Settings defaults;  // the checkpoint records every setting read here
    const Settings s = settings_from_checkpoint(c, defaults);
    TrainingState st;
    restore_state(c, s.epochs, st);
    if (st.epoch > s.epochs || stopped_early(st, s, !s.validation.empty())) return std::nullopt;
    return "after epoch " + std::to_string(st.epoch - 1) + " of " + std::to_string(s.epochs);
}

/// Refuses a resume that could not end well: a file without training state, or an OUT/model.ckpt
/// that is not the one the run saved. A resumed run ends by reporting OUT/model.ckpt and rewrites
/// it only when validation improves, so it would otherwise report whatever model is there.
inline void check_resume(const siamese::io::Checkpoint& c, const std::string& path, const fs::path& out) {
    fs::path folder = fs::path(path).parent_path();
    if (folder.empty()) folder = ".";
    if (!c.get("next_epoch")) {
        throw std::invalid_argument(path +
                                    ": a model without training state (train's model.ckpt?): to continue a run, pass "
                                    "its checkpoint.ckpt, e.g. --resume " +
                                    examples::shell_word((folder / "checkpoint.ckpt").string()));
    }
    const fs::path model = out / "model.ckpt";
    std::error_code ec;
    const bool own_folder = fs::equivalent(folder, out, ec);  // false when --out does not exist
    std::string problem;
    if (const auto recorded = c.get("best_model_fnv1a64")) {
        if (recorded->empty()) return;  // no model.ckpt written yet: the run writes one in its first epoch
        if (!fs::is_regular_file(model, ec)) {
            problem = "no such file";
        } else {
            std::ifstream in(model, std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (std::to_string(siamese::io::fnv1a64(bytes)) == *recorded) return;
            // Killed between writing a better model.ckpt and checkpoint.ckpt: that model names the
            // one it replaced, the one recorded; the resumed run redoes the epoch and writes it again.
            try {
                if (siamese::io::Checkpoint::load(model).get("replaces_fnv1a64") == *recorded) return;
            } catch (const siamese::io_error&) {
                // unreadable or damaged: not the run's model either
            }
            problem = "it holds another model";
        }
    } else if (own_folder) {
        return;  // written before checkpoints recorded their model: only the run's own folder is trusted
    } else {
        problem = "the checkpoint predates the record of its model, so only its own folder is trusted";
    }
    const std::string hint =
        own_folder ? "it was replaced since the run saved it: train the run again"
                   : "resume into the folder that holds the run's model.ckpt (--out " + folder.string() + ")";
    throw std::invalid_argument("cannot resume " + path + " into --out " + out.string() + ": " + model.string() +
                                " is not the run's model (" + problem + "): " + hint + "; nothing was written");
}

}  // namespace omniglot
