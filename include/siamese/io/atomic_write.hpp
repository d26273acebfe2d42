// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/errors.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace siamese::io {

namespace detail {

[[nodiscard]] inline std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

inline void write_all(int fd, const char* data, std::size_t n, const std::filesystem::path& shown) {
    while (n > 0) {
        const ssize_t written = ::write(fd, data, n);
        if (written < 0) {
            if (errno == EINTR) continue;
            throw io_error(shown.string() + ": cannot write: " + errno_text(errno));
        }
        data += written;
        n -= static_cast<std::size_t>(written);
    }
}

/// The start of the temporary's name for `path`: `name`.tmp. for the file's name, shortened when
/// `name`.tmp.<pid> would pass the folder's limit on a name's length (255 bytes on most file
/// systems), so a file with a long name can still be saved.
[[nodiscard]] inline std::string temporary_prefix(const std::filesystem::path& path) {
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const long limit = ::pathconf(dir.c_str(), _PC_NAME_MAX);
    const std::size_t max_name = limit > 0 ? static_cast<std::size_t>(limit) : 255;
    constexpr std::size_t suffix = 5 + 10;  // ".tmp." and up to 10 digits of a pid
    std::string name = path.filename().string();
    if (name.size() + suffix > max_name && max_name > suffix) name.resize(max_name - suffix);
    return name + ".tmp.";
}

/// Removes `path`.tmp.<pid> files whose process no longer exists: what a kill during an earlier
/// save left behind. A temporary of a live process (perhaps another save in progress) is kept.
/// Best effort: a folder that cannot be listed is left as it is.
inline void remove_stale_temporaries(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    const std::string prefix = temporary_prefix(path);
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string digits = name.substr(prefix.size());
        if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto pid = static_cast<pid_t>(std::stol(digits));
        if (pid <= 0 || pid == ::getpid()) continue;
        if (::kill(pid, 0) != 0 && errno == ESRCH) {
            std::error_code ignored;
            fs::remove(it->path(), ignored);
        }
    }
}

/// Held through each save: threads of one process share its temporary's name (`path`.tmp.<pid>),
/// and one thread's save removed or renamed the temporary another was writing.
[[nodiscard]] inline std::mutex& save_mutex() {
    static std::mutex mutex;
    return mutex;
}

}  // namespace detail

/// The file a save to `shown` writes: `shown` itself, or where its symbolic links lead, followed
/// one at a time (weakly_canonical alone leaves a link to a file not yet there unresolved, and
/// the save would replace the link itself). A link into what has no path (/dev/stdout into a
/// pipe, "pipe:[N]") gives a path that does not exist. Throws io_error naming `shown` for a
/// link that cannot be followed (a loop, an unreadable link).
[[nodiscard]] inline std::filesystem::path write_target(const std::filesystem::path& shown) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path path = shown;
    for (int hops = 0; fs::is_symlink(path, ec); ++hops) {
        const fs::path target = hops < 40 ? fs::read_symlink(path, ec) : fs::path();
        if (hops == 40 || ec) {
            throw io_error(shown.string() + ": a symbolic link that cannot be followed: " +
                           (ec ? ec.message() : std::string("too many levels of symbolic links")));
        }
        path = target.is_absolute() ? target : path.parent_path() / target;
    }
    if (path == shown) return path;
    path = fs::weakly_canonical(path, ec);
    if (ec) throw io_error(shown.string() + ": a symbolic link that cannot be followed: " + ec.message());
    return path;
}

/// Replaces `path` with `bytes` atomically: writes a temporary file next to it (`path`.tmp.<pid>,
/// the name shortened if that would be too long),
/// flushes it to disk, then renames it over `path`. A crash or a kill at any moment leaves either
/// the old file or the new one, never a mixture; on an error the old file is untouched and the
/// temporary is removed (a kill can leave the temporary behind, never a damaged `path`; the next
/// successful save removes temporaries of processes that no longer exist).
/// A symbolic link at `path` is followed: the file it points to is replaced and the link stays
/// (replacing the link would leave the file the user meant with the old content); a link that
/// cannot be followed (a loop) throws io_error, and so does a `path` that is or leads to a
/// device, FIFO or socket (/dev/stdout into a pipe), rather than be replaced by a file. A file
/// replaced keeps its permissions (a private 0600 checkpoint stays private); a new one gets 0644
/// less the umask.
/// Saves from several threads of one process take turns (the last one's bytes stay).
/// `before_rename`, if given, runs when the new bytes are durable but not yet in place: tests use
/// it to interrupt a save at its most delicate moment.
inline void write_file_atomically(const std::filesystem::path& shown, std::string_view bytes,
                                  const std::function<void()>& before_rename = {}) {
    namespace fs = std::filesystem;
    const std::lock_guard<std::mutex> one_save_at_a_time(detail::save_mutex());
    std::error_code ec;
    const fs::path path = write_target(shown);
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    if (fs::is_directory(path, ec)) throw io_error(shown.string() + ": is a directory, expected a file to write");
    // A device, FIFO or socket would be replaced by a regular file (as root, /dev/null too). As
    // the system resolves `shown` too: /dev/stdout into a pipe names no path to resolve to.
    const auto not_regular = [&](const fs::path& p) { return fs::exists(p, ec) && !fs::is_regular_file(p, ec); };
    if (not_regular(shown) || not_regular(path)) {
        throw io_error(shown.string() + ": not a regular file (a device, FIFO or socket), expected a file to write");
    }
    if (!fs::is_directory(dir, ec)) {
        throw io_error(
            shown.string() + ": cannot write: " +
            (fs::exists(dir, ec) ? dir.string() + " is not a folder" : "folder " + dir.string() + " does not exist"));
    }
    const fs::path tmp = dir / (detail::temporary_prefix(path) + std::to_string(::getpid()));
    // A new file of our own: a temporary a killed save of a process with this pid left is
    // removed, and O_EXCL | O_NOFOLLOW never writes through a link planted under its name.
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) throw io_error(shown.string() + ": cannot write: " + detail::errno_text(errno));
    struct stat existing {};
    if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
        ::fchmod(fd, existing.st_mode & 07777);  // best effort: the content matters more
    }
    try {
        detail::write_all(fd, bytes.data(), bytes.size(), shown);
        if (::fsync(fd) != 0) throw io_error(shown.string() + ": cannot flush to disk: " + detail::errno_text(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw io_error(shown.string() + ": cannot write: " + detail::errno_text(e));
    }
    if (before_rename) {
        try {
            before_rename();
        } catch (...) {
            ::unlink(tmp.c_str());
            throw;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        throw io_error(shown.string() + ": cannot replace: " + detail::errno_text(e));
    }
    // Make the rename itself durable.
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    detail::remove_stale_temporaries(path);
}

}  // namespace siamese::io
