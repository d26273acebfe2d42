// SPDX-License-Identifier: MIT
#pragma once

// evaluate's output files, checked before the minutes of evaluation: where they would be written,
// and that they overwrite none of the inputs.

#include <siamese/io/atomic_write.hpp>
#include <siamese/io/checkpoint.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace omniglot {

namespace fs = std::filesystem;

/// Whether two paths name one file: the same path written two ways, or links to one file (an
/// output file not yet written can only be the former).
inline bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    return fs::absolute(a).lexically_normal() == fs::absolute(b).lexically_normal() || fs::equivalent(a, b, ec);
}

/// Whether `file` lies in `folder` (both as they resolve, links followed where they exist).
inline bool is_inside(const fs::path& file, const fs::path& folder) {
    const auto resolved = [](const fs::path& p) {
        std::error_code ec;
        fs::path r = fs::weakly_canonical(fs::absolute(p), ec);
        return r.has_filename() ? r : r.parent_path();  // "data/" ends in an empty element, which no file has
    };
    const fs::path f = resolved(file), d = resolved(folder);
    const auto [end, _] = std::mismatch(d.begin(), d.end(), f.begin(), f.end());
    return !d.empty() && end == d.end() && f != d;
}

/// evaluate's --json and --picture, checked before the work: the folder must exist (found only
/// after the whole evaluation), and the file must be none of the inputs: a model (a typo that
/// replaced the trained model with the results), nor a file in the --data or --runs folder.
inline void check_output_file(const char* option, const std::string& file, const std::vector<std::string>& models,
                              const std::vector<std::pair<const char*, std::string>>& input_folders) {
    if (file.empty()) return;
    std::error_code ec;
    // Where the save writes: the file, or where the links at its name lead (a link to a file not
    // there yet is followed too, so it must not lead into the inputs either).
    fs::path target;
    try {
        target = fs::absolute(siamese::io::write_target(file));
    } catch (const siamese::io_error& e) {
        throw siamese::io_error(std::string(option) + " " + e.what());
    }
    // Named with links resolved; a folder we may not enter cannot be resolved: access() says so.
    if (const fs::path resolved = fs::weakly_canonical(target, ec); !ec) target = resolved;
    const auto writes_to = [&](const fs::path& other) { return same_file(file, other) || same_file(target, other); };
    for (const auto& [name, folder] : input_folders) {
        if (!folder.empty() && (is_inside(file, folder) || is_inside(target, folder))) {
            throw std::invalid_argument(std::string(option) + " " + file + " is inside " + name + " " + folder +
                                        ": it would overwrite or add to the data evaluated; write the results "
                                        "elsewhere");
        }
    }
    for (const auto& model : models) {
        if (writes_to(model)) {
            throw std::invalid_argument(std::string(option) + " " + file + " is the --model " + model +
                                        ": it would be overwritten; write the results elsewhere");
        }
        // The files train wrote beside the model: checkpoint.ckpt may be the only way to resume.
        const fs::path beside = fs::absolute(model).parent_path();
        for (const char* trained :
             {"checkpoint.ckpt", "metrics.json", "training_curve.svg", "validation_episodes.png"}) {
            if (writes_to(beside / trained)) {
                throw std::invalid_argument(std::string(option) + " " + file + " is the " + trained +
                                            " train wrote beside --model " + model +
                                            ": it would be overwritten; write the results elsewhere");
            }
        }
    }
    if (fs::is_regular_file(file, ec)) {  // not a FIFO: opening one would wait for a writer
        std::ifstream existing(file, std::ios::binary);
        constexpr auto checkpoint_magic = siamese::io::Checkpoint::magic;
        std::string start(checkpoint_magic.size(), '\0');
        existing.read(start.data(), static_cast<std::streamsize>(start.size()));
        if (start == checkpoint_magic) {
            throw std::invalid_argument(std::string(option) + " " + file +
                                        " is a checkpoint: it would be overwritten; write the results elsewhere");
        }
    }
    // Checked now, not when the file is written after minutes of evaluation.
    if (fs::is_directory(file, ec)) {
        throw siamese::io_error(std::string(option) + " " + file + ": a folder, expected a file to write");
    }
    if (fs::exists(file, ec) && !fs::is_regular_file(file, ec)) {  // the save would not replace it
        throw siamese::io_error(std::string(option) + " " + file +
                                ": not a regular file (a device, FIFO or socket), expected a file to write");
    }
    const fs::path folder = fs::absolute(file).parent_path();
    if (!fs::is_directory(folder, ec)) {
        throw siamese::io_error(std::string(option) + " " + file + ": cannot write there: " +
                                (fs::exists(folder, ec) ? folder.string() + " is not a folder"
                                                        : "folder " + folder.string() + " does not exist"));
    }
    // The file is saved beside itself, or where the links at its name lead: that folder must
    // take a new file. access() also sees a read-only mount and an immutable folder; not a sticky
    // folder where another user owns the file.
    const fs::path target_folder = target.parent_path();
    if (::access(target_folder.c_str(), W_OK | X_OK) != 0) {
        throw siamese::io_error(std::string(option) + " " + file + ": cannot write there: folder " +
                                target_folder.string() + ": " + std::strerror(errno));
    }
}

}  // namespace omniglot
