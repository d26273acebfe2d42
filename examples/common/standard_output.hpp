// SPDX-License-Identifier: MIT
#pragma once

// The examples print their results (compare's verdict, evaluate's numbers, the training log) on
// standard output, often only there: a write that failed there must fail the command.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <unistd.h>

namespace examples {

/// Standard output flushed line by line, into a file or a pipe too (which otherwise get it in
/// blocks of some kilobytes): a log shows each line as it is printed, and a run stopped at any
/// point leaves every line it printed. Call before the first output. (Not for short commands: a
/// write that fails mid-run loses its reason, which the final flush of finish_standard_output gives.)
inline void line_buffer_standard_output() { std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ); }

/// Prints "error: MESSAGE" on standard error once standard output is flushed; when standard
/// output is a terminal, on a line of its own (a progress bar may have been drawn mid-line).
inline void print_error(const std::string& message) {
    std::fflush(stdout);
    std::fprintf(stderr, "%serror: %s\n", ::isatty(STDOUT_FILENO) == 1 ? "\n" : "", message.c_str());
}

/// The exit status of a command that returned `status`: standard output is flushed, and if any
/// write to it failed (a full disk, /dev/full), the message goes to standard error and the
/// status becomes 1. Without this, `compare a b > full_disk/verdict.txt` exited 0 with an empty file.
[[nodiscard]] inline int finish_standard_output(int status) {
    errno = 0;
    const bool flushed = std::fflush(stdout) == 0;
    const int flush_errno = errno;
    if (flushed && !std::ferror(stdout)) return status;
    std::fprintf(stderr, "error: cannot write the standard output%s%s\n", flush_errno != 0 ? ": " : "",
                 flush_errno != 0 ? std::strerror(flush_errno) : " (a write failed)");
    return 1;
}

}  // namespace examples
