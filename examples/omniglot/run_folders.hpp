// SPDX-License-Identifier: MIT
#pragma once

// make-runs's folders: the runs are written beside --out and replace its runs in one step, and a
// folder that holds anything but runs is refused rather than emptied.

#include <siamese/errors.hpp>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace omniglot {

namespace fs = std::filesystem;

/// What in `run` (a folder named runNN) is not what make-runs writes there: training/ and test/
/// of PNG images and class_labels.txt. Empty when nothing.
inline std::string foreign_entry_in_run(const fs::path& run) {
    for (const auto& entry : fs::directory_iterator(run)) {
        const std::string name = entry.path().filename().string();
        if (name == "class_labels.txt" && entry.is_regular_file()) continue;
        if ((name != "training" && name != "test") || !entry.is_directory()) return name;
        for (const auto& image : fs::directory_iterator(entry.path())) {
            if (!image.is_regular_file() || image.path().extension() != ".png") {
                return name + "/" + image.path().filename().string();
            }
        }
    }
    return {};
}

/// make-runs replaces the runs in `out` as a whole: one left from an earlier, longer call would
/// be read with the new ones. So `out` may hold runs only (runNN folders of what make-runs
/// writes); anything else may be the user's, and is refused rather than deleted.
inline void check_runs_folder(const fs::path& out, const std::string& shown) {
    std::error_code ec;
    if (!fs::exists(out, ec)) return;
    if (!fs::is_directory(out, ec)) throw siamese::io_error(shown + ": not a folder (--out of make-runs)");
    const auto is_run_name = [](const std::string& name) {
        return name.size() > 3 && name.rfind("run", 0) == 0 &&
               std::all_of(name.begin() + 3, name.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    };
    for (const auto& entry : fs::directory_iterator(out)) {
        const std::string name = entry.path().filename().string();
        std::string foreign = name;
        if (is_run_name(name) && entry.is_directory() && !entry.is_symlink()) {
            const std::string inside = foreign_entry_in_run(entry.path());
            if (inside.empty()) continue;
            foreign = name + "/" + inside;
        }
        throw std::invalid_argument("--out " + shown + " holds " + foreign +
                                    ", which is not part of a one-shot run: make-runs replaces a folder's runs as a "
                                    "whole, so give it a new or empty folder, or one of runs only");
    }
}

/// A new, empty folder beside `out` named OUT<suffix>-PID (-2, -3, ... when taken): its own to
/// every call, so two calls never write into or delete each other's, nor a folder of the user's.
inline fs::path new_sibling_folder(const fs::path& out, const std::string& suffix) {
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    const std::string base = out.string() + suffix + "-" + std::to_string(::getpid());
    for (int n = 1; n < 1000; ++n) {
        const fs::path candidate = n == 1 ? base : base + "-" + std::to_string(n);
        if (fs::create_directory(candidate, ec)) return candidate;
        if (ec) throw siamese::io_error(candidate.string() + ": cannot create a folder for the runs: " + ec.message());
    }
    throw siamese::io_error(base + ": cannot find a free folder name beside --out");
}

/// Moves the finished runs in `staging` to `out`. When `out` exists, the two folders are swapped
/// in one step (renameat2's exchange), so there is no moment without runs at `out`, even for a
/// call killed half-way; the old runs are then removed with the staging folder. A file system
/// without the exchange gets two renames, the old runs set aside in a folder of this call's own.
inline void put_in_place(const fs::path& staging, const fs::path& out) {
    // errno of a failed rename, with what the user can do when `out` is a mount point: the
    // runs are written beside it, and a mount point cannot be renamed onto or swapped.
    auto failure = [&](const char* what) {
        const int error = errno;
        std::string message = out.string() + ": " + what + ": " + std::strerror(error);
        if (error == EBUSY || error == EXDEV) {
            message +=
                " (a mount point cannot be replaced: make-runs writes the runs beside --out and then moves "
                "them in; give --out a folder inside it)";
        }
        return siamese::io_error(message);
    };
    if (::rename(staging.c_str(), out.c_str()) == 0) return;
    if (errno != EEXIST && errno != ENOTEMPTY) throw failure("cannot move the new runs there");
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) == 0) return;
    if (errno != EINVAL && errno != ENOSYS) throw failure("cannot swap in the new runs");
    const fs::path previous = new_sibling_folder(out, ".previous");
    fs::remove(previous);
    fs::rename(out, previous);
    try {
        fs::rename(staging, out);
    } catch (const fs::filesystem_error&) {
        fs::rename(previous, out);
        throw;
    }
    fs::remove_all(previous);
}

/// Removes the working folders a killed call left beside `out` (OUT.partial-PID and
/// OUT.previous-PID, perhaps with -N) whose process no longer exists and which hold runs only:
/// a live call's are its own, and a folder holding anything else may be the user's.
inline void remove_stale_working_folders(const fs::path& out) {
    std::error_code ec;
    for (fs::directory_iterator it(out.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        for (const std::string suffix : {".partial-", ".previous-"}) {
            const std::string prefix = out.filename().string() + suffix;
            if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
            const std::string rest = name.substr(prefix.size());
            const std::string digits = rest.substr(0, rest.find('-'));
            const std::string number = rest.size() > digits.size() ? rest.substr(digits.size() + 1) : "1";
            const auto all_digits = [](const std::string& t) {
                return !t.empty() && t.size() <= 9 && t.find_first_not_of("0123456789") == std::string::npos;
            };
            if (!all_digits(digits) || !all_digits(number)) continue;
            const auto pid = static_cast<pid_t>(std::stol(digits));
            if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
            try {
                if (!it->is_directory() || it->is_symlink()) continue;
                check_runs_folder(it->path(), name);
            } catch (const std::exception&) {
                continue;  // not runs only: left alone
            }
            std::error_code ignored;
            fs::remove_all(it->path(), ignored);
        }
    }
}

}  // namespace omniglot
