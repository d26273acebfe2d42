// SPDX-License-Identifier: MIT
#pragma once

// The examples' --out folder, checked before any work so that a long run cannot end unable to
// save what it computed, and held for the run so that a second run cannot write into it too.

#include <siamese/errors.hpp>
#include <siamese/io/atomic_write.hpp>
#include <siamese/io/checkpoint.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace examples {

/// Where `train --resume CHECKPOINT` writes when --out is not given: the checkpoint's own
/// folder, which holds the run's model. The default --out may hold another run's.
inline std::string resumed_run_folder(const std::string& checkpoint) {
    const auto folder = std::filesystem::path(checkpoint).parent_path();
    return folder.empty() ? std::string(".") : folder.string();
}

/// `word` as one word of a POSIX shell command line: as it is when it holds only characters no
/// shell reads specially, otherwise in single quotes (a quote inside as '\''), so that a path
/// with a space or a quote can be pasted from a message into a shell.
inline std::string shell_word(const std::string& word) {
    const auto plain = [](unsigned char c) {
        return std::isalnum(c) != 0 ||
               std::string_view("_./:=,+@%-").find(static_cast<char>(c)) != std::string_view::npos;
    };
    // A leading '=' is zsh's command-path expansion (=ls is /usr/bin/ls).
    if (!word.empty() && word.front() != '=' && std::all_of(word.begin(), word.end(), plain)) return word;
    std::string quoted = "'";
    for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

/// How `train --resume` writes a trained run's outputs again, when writing them failed: from
/// OUT/checkpoint.ckpt when it is this run's (the run started in OUT, or resumed from that very
/// file), otherwise from the checkpoint it resumed from, into OUT (a finished run resumed from
/// elsewhere saves no checkpoint in OUT, and the one there may be another run's).
struct RewriteOutputs {
    std::string checkpoint;  ///< the checkpoint holding the trained run
    std::string command;     ///< train --resume CHECKPOINT --data DATA [--out OUT], quoted for a shell
};
inline RewriteOutputs rewrite_outputs(const std::filesystem::path& out, const std::string& resume,
                                      const std::string& data) {
    const std::filesystem::path own = out / "checkpoint.ckpt";
    std::error_code ec;
    const bool own_run = resume.empty() || std::filesystem::equivalent(own, resume, ec);
    const std::string checkpoint = own_run ? own.string() : resume;
    return {checkpoint, "train --resume " + shell_word(checkpoint) + " --data " + shell_word(data) +
                            (own_run ? "" : " --out " + shell_word(out.string()))};
}

/// An output folder one run has to itself until the object goes away: an advisory lock (flock)
/// on the folder, which the system drops when the process ends, however it ends. Without it, two
/// runs with the same --out would leave one run's model beside the other's metrics.
class OutputFolder {
public:
    /// Creates the folder, checks that files can be written there and locks it; throws io_error
    /// when another run holds it.
    explicit OutputFolder(const std::filesystem::path& out) : path_(out) {
        if (out.empty()) throw siamese::io_error("the output folder's name is empty (--out ''): give a folder");
        std::error_code ec;
        created_ = std::filesystem::create_directories(out, ec);
        if (ec || !std::filesystem::is_directory(out)) {
            throw siamese::io_error(out.string() + ": cannot create the output folder: " + ec.message());
        }
        struct stat folder {};
        if (created_ && ::stat(out.c_str(), &folder) == 0) created_identity_ = {folder.st_dev, folder.st_ino};
        try {
            lock_and_probe();
        } catch (...) {
            remove_if_created_and_empty();
            throw;
        }
    }
    OutputFolder(const OutputFolder&) = delete;
    OutputFolder& operator=(const OutputFolder&) = delete;
    /// A folder this object created and the run left empty (it failed before writing anything:
    /// a full disk, bad data) goes again, so that a failed run leaves no trace.
    ~OutputFolder() {
        ::close(fd_);
        remove_if_created_and_empty();
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    /// Only the very folder created: whatever else now sits at the path (the folder deleted
    /// during the run and an empty file of the user's put there) is not ours to remove.
    void remove_if_created_and_empty() noexcept {
        struct stat now {};
        if (!created_identity_ || ::lstat(path_.c_str(), &now) != 0 || !S_ISDIR(now.st_mode) ||
            std::make_pair(now.st_dev, now.st_ino) != *created_identity_) {
            return;
        }
        std::error_code ec;
        if (std::filesystem::is_empty(path_, ec)) std::filesystem::remove(path_, ec);
    }

    void lock_and_probe() {
        fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_ < 0) {
            throw siamese::io_error(path_.string() + ": cannot open the output folder: " + std::strerror(errno));
        }
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            ::close(fd_);
            throw siamese::io_error(path_.string() +
                                    (error == EWOULDBLOCK
                                         ? ": another run is writing to this folder now; wait for it "
                                           "to end or choose another --out"
                                         : ": cannot lock the output folder: " + std::string(std::strerror(error))));
        }
        // Named for this process: a file of the user's named .write_test was replaced, then deleted.
        const std::filesystem::path probe = path_ / (".write_test." + std::to_string(::getpid()));
        try {
            siamese::io::write_file_atomically(probe, "ok");
        } catch (const siamese::io_error& e) {
            ::close(fd_);
            throw siamese::io_error(path_.string() + ": cannot write files in the output folder (" + e.what() + ")");
        }
        std::error_code ec;
        std::filesystem::remove(probe, ec);
        remove_stale_probes();
    }

    /// Probes of runs killed while probing (.write_test.PID, and its save's temporary), whose
    /// process no longer exists.
    void remove_stale_probes() const noexcept {
        const std::string prefix = ".write_test.";
        std::error_code ec;
        for (std::filesystem::directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
            const std::string rest = name.substr(prefix.size());
            const std::string digits = rest.substr(0, rest.find('.'));
            if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos ||
                (rest.size() > digits.size() &&
                 rest.compare(digits.size(), std::string::npos, ".tmp." + digits) != 0)) {
                continue;
            }
            const auto pid = static_cast<pid_t>(std::stol(digits));
            if (std::to_string(pid) != digits) continue;  // 0123: no process writes that name
            if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
            std::error_code ignored;
            if (it->symlink_status(ignored).type() == std::filesystem::file_type::regular) {
                std::filesystem::remove(it->path(), ignored);
            }
        }
    }

    std::filesystem::path path_;
    bool created_ = false;                                     ///< by this object (parent folders it created stay)
    std::optional<std::pair<dev_t, ino_t>> created_identity_;  ///< of the folder created, to remove no other
    int fd_ = -1;
};

/// Refuses to start a run in `out` over a run that stopped part-way: its OUT/checkpoint.ckpt,
/// which the new run's first save would replace, could still be resumed. A finished run is
/// replaced (the README's command runs twice), and so is the checkpoint `resuming` continues.
/// `where_it_stopped(checkpoint)` says where a run of this program stopped ("after epoch 2 of 5"),
/// or nothing when it finished; it throws io_error for a file it cannot read as one.
template <class WhereItStopped>
void refuse_to_replace_unfinished_run(const OutputFolder& out, const std::string& resuming,
                                      WhereItStopped where_it_stopped) {
    const std::filesystem::path checkpoint = out.path() / "checkpoint.ckpt";
    std::error_code ec;
    if (!std::filesystem::exists(checkpoint, ec)) return;
    if (!resuming.empty() && std::filesystem::equivalent(checkpoint, resuming, ec)) return;
    const std::string start_afresh = "delete it or choose another --out to start a new run; nothing was written";
    if (!std::filesystem::is_regular_file(checkpoint, ec)) {  // a folder: no run to replace, and no room to save one
        throw siamese::io_error(checkpoint.string() +
                                ": not a file, where this run would save its checkpoint: " + start_afresh);
    }
    std::optional<std::string> stopped;
    try {
        stopped = where_it_stopped(siamese::io::Checkpoint::load(checkpoint));
    } catch (const siamese::io_error& e) {
        throw siamese::io_error(std::string(e.what()) + "; a new run in " + out.path().string() +
                                " would replace it: " + start_afresh);
    }
    if (stopped) {
        throw siamese::io_error(checkpoint.string() + ": a run that stopped " + *stopped +
                                ", which a new run here would replace; continue it with train --resume " +
                                shell_word(checkpoint.string()) + " (and the --data it trained on), or " +
                                start_afresh);
    }
}

/// Removes the files a finished run reported about its model (numbers, pictures), before a new
/// model replaces it: a run that then fails must not leave its model beside another's results.
/// Only files go. A link stays, as the user's: the report is written through it (a run that fails
/// first leaves the old report there). Anything else of that name is not a report, and writing
/// the report fails on it.
inline void remove_reports(const std::filesystem::path& out, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        std::error_code ec;
        if (std::filesystem::symlink_status(out / name, ec).type() != std::filesystem::file_type::regular) continue;
        std::filesystem::remove(out / name, ec);
        if (ec) {
            throw siamese::io_error(
                (out / name).string() +
                ": cannot remove the last run's report before replacing its model: " + ec.message());
        }
    }
}

}  // namespace examples
