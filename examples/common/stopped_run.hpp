// SPDX-License-Identifier: MIT
#pragma once

// A training run that stops part-way, by Ctrl-C or by a loss gone NaN, says what its checkpoint
// holds and how to go on. Killed at once by Ctrl-C, a run left its checkpoint but no word of it:
// the user learnt how to go on only by starting the command again. Under an InterruptScope the
// first SIGINT only asks the run to stop; it stops between two steps (its files are then whole),
// and main ends the process as killed by SIGINT (status 130 in a shell; a calling script stops
// as it would). A second Ctrl-C ends the process at once.

#include "output_folder.hpp"

#include <siamese/parallel.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <signal.h>
#include <unistd.h>

namespace examples {

namespace detail {
// Set by a handler that may run on any thread (an OpenMP worker) and read by the training loop:
// an atomic, lock-free and so safe to store from a signal handler.
inline std::atomic<int> interrupt_requested{0};
static_assert(std::atomic<int>::is_always_lock_free);

/// InterruptNote's text; written by the handler, so set only while SIGINT cannot reach it.
inline std::string interrupt_note;

extern "C" inline void print_note_and_end(int) {
    // Async-signal-safe only: write, then the default action (the handler was reset on entry).
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, interrupt_note.data(), interrupt_note.size());
    ::raise(SIGINT);
}

extern "C" inline void request_interrupt(int) {
    interrupt_requested = 1;
    // Ctrl-C also ends a `| tee log` after the run: the lines the run prints while it stops would
    // end it by SIGPIPE before it says how to resume. They fail with EPIPE instead.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, nullptr);
    static constexpr char note[] = "\n(stopping after this step; Ctrl-C again ends at once)\n";
    // Only async-signal-safe calls here; a failed write changes nothing.
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, note, sizeof note - 1);
}
}  // namespace detail

/// Thrown between two training steps once Ctrl-C was pressed; the message says where the run
/// stopped and what of it is saved.
class Interrupted : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
/// `handler` for the first SIGINT while the object lives, unless SIGINT was ignored when the
/// process started (`nohup`, `cmd &` in a script): it stays ignored. The handler is reset on
/// entry, so the second Ctrl-C meets the default action and ends the process.
class SigintHandler {
public:
    explicit SigintHandler(void (*handler)(int)) {
        if (::sigaction(SIGINT, nullptr, &previous_) != 0 || previous_.sa_handler == SIG_IGN) return;
        struct sigaction action {};
        action.sa_handler = handler;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        installed_ = ::sigaction(SIGINT, &action, nullptr) == 0;
    }
    ~SigintHandler() {
        if (installed_) ::sigaction(SIGINT, &previous_, nullptr);
    }
    SigintHandler(const SigintHandler&) = delete;
    SigintHandler& operator=(const SigintHandler&) = delete;

private:
    struct sigaction previous_ {};
    bool installed_ = false;
};

// Each handler's state is made ready before the handler is installed.
inline auto stop_request_handler() {
    interrupt_requested = 0;
    return request_interrupt;
}
inline auto note_handler(const std::string& note) {
    interrupt_note = "\n" + note + "\n";
    return print_note_and_end;
}
}  // namespace detail

/// While it lives, SIGINT asks the run to stop (see interrupted()) instead of ending the process.
/// It spans the training and what follows it, up to the InterruptNote that takes over.
class InterruptScope {
public:
    InterruptScope() : handler_(detail::stop_request_handler()) {}

private:
    detail::SigintHandler handler_;
};

/// Whether Ctrl-C was pressed under the current InterruptScope.
[[nodiscard]] inline bool interrupted() noexcept { return detail::interrupt_requested != 0; }

/// While it lives, Ctrl-C ends the process at once, as killed by SIGINT, after printing `note`:
/// for work that cannot stop between steps (an evaluation inside library calls) but leaves
/// something to say, such as how to get the outputs without training again. Made under the
/// run's InterruptScope, it takes over from it without a gap: a Ctrl-C pressed after the run's
/// last look at interrupted() (its last step, its last save) throws Interrupted(note) here.
class InterruptNote {
public:
    explicit InterruptNote(const std::string& note) : handler_(detail::note_handler(note)) {
        if (interrupted()) throw Interrupted(note);
    }

private:
    detail::SigintHandler handler_;
};

/// Stops the process where a crash test wants to kill it or press Ctrl-C: announces it on
/// stderr, then waits a minute, or until Ctrl-C under an InterruptScope.
inline void debug_pause(const std::string& where) {
    std::fprintf(stderr, "debug: pausing %s\n", where.c_str());
    std::fflush(stderr);
    for (int tenth = 0; tenth < 600 && !interrupted(); ++tenth)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

/// What a run that stopped part-way has on disk, for the message that says how to go on.
struct SavedRun {
    std::string checkpoint;  ///< the file holding the run so far; empty: nothing saved yet
    std::string position;    ///< where it holds the run: "after epoch 2 of 5"
};

/// For a run stopped by Ctrl-C, with its outputs in `out`: "CHECKPOINT holds the run after
/// epoch 2 of 5; continue it with train --resume CHECKPOINT --data DATA [--out OUT] --threads N"
/// and `options` (the run's command-line options a checkpoint does not restore). N is this
/// process's thread count, with which the run continues bit for bit.
inline std::string resume_advice(const SavedRun& saved, const std::filesystem::path& out, const std::string& data,
                                 const std::string& options = "") {
    if (saved.checkpoint.empty()) return "nothing of the run was saved";
    return saved.checkpoint + " holds the run " + saved.position + "; continue it with " +
           rewrite_outputs(out, saved.checkpoint, data).command + " --threads " +
           std::to_string(siamese::num_threads()) + options;
}

/// For a run stopped by a non-finite loss or update, with its outputs in `out`: resuming would
/// repeat the same steps, so other settings need a new run, which a stopped run's checkpoint in
/// `out` refuses.
inline std::string restart_advice(const SavedRun& saved, const std::filesystem::path& out) {
    if (saved.checkpoint.empty()) return "nothing of the run was saved";
    std::error_code ec;
    const bool in_out = std::filesystem::equivalent(saved.checkpoint, out / "checkpoint.ckpt", ec);
    return saved.checkpoint + " holds the run " + saved.position +
           ", but resuming it repeats these steps: to train with other settings, start a new run" +
           (in_out ? " with another --out, or delete " + shell_word(saved.checkpoint) + " first" : std::string());
}

/// Ends the process as killed by SIGINT, after `message` on standard error: main calls it once
/// Interrupted has unwound the run (its folder lock and files closed).
[[noreturn]] inline void exit_as_interrupted(const char* message) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s%s\n", ::isatty(STDOUT_FILENO) == 1 ? "\n" : "", message);
    std::fflush(stderr);
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    std::_Exit(130);  // SIGINT blocked or ignored by the parent: the shell's status for it anyway
}

}  // namespace examples
