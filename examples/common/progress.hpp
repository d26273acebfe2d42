// SPDX-License-Identifier: MIT
#pragma once

// Console output for the examples: log lines always, plus a live progress bar with throughput
// and ETA when standard output is a terminal (a log file gets only the lines).

#include <siamese/tensor.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace examples {

/// The accuracy a log line shows for a batch of pairs scored by the BCE head: the share whose
/// logit is on the side of their label (logit > 0, probability > 0.5, for the same class).
template <class T>
double batch_accuracy(const siamese::Tensor<T>& logits, const siamese::Tensor<T>& same) {
    long right = 0;
    for (siamese::index_t i = 0; i < same.size(); ++i) right += (logits[i] > T(0)) == (same[i] > T(0.5));
    return static_cast<double>(right) / static_cast<double>(same.size());
}

/// "42.0 s", or "2.5 min" from two minutes on.
inline std::string format_seconds(double s) {
    char buf[32];
    if (s >= 120) {
        std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f s", s);
    }
    return buf;
}

/// "1 thread", "2 threads": a count and its noun, singular for one.
inline std::string count_of(long n, const std::string& noun, const std::string& nouns = "") {
    return std::to_string(n) + " " + (n == 1 ? noun : nouns.empty() ? noun + "s" : nouns);
}

class Progress {
public:
    using Clock = std::chrono::steady_clock;

    /// total: steps to do; items_per_step: what one step processes (pairs per batch), for the rate;
    /// already_done: steps finished before this process started (a resumed run).
    Progress(long total, long items_per_step, std::string unit, long already_done = 0)
        : total_(total),
          items_per_step_(items_per_step),
          unit_(std::move(unit)),
          live_(::isatty(STDOUT_FILENO) == 1),
          done_(already_done),
          first_(already_done),
          start_(Clock::now()),
          last_draw_(start_) {}

    /// A log line; the bar, if any, is redrawn below it.
    void line(const std::string& text) {
        clear();
        std::printf("%s\n", text.c_str());
        std::fflush(stdout);
        draw();
    }

    /// Marks `done` steps as finished; redraws at most ten times a second.
    void update(long done) {
        done_ = done;
        if (!live_) return;
        const auto now = Clock::now();
        if (now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
        last_draw_ = now;
        draw();
    }

    /// Removes the bar (before final output).
    void finish() {
        clear();
        std::fflush(stdout);
    }

    [[nodiscard]] double elapsed_seconds() const {
        return std::chrono::duration<double>(Clock::now() - start_).count();
    }

private:
    void clear() {
        if (live_ && drawn_) std::printf("\r\033[2K");
        drawn_ = false;
    }

    void draw() {
        if (!live_ || total_ <= 0) return;
        constexpr int width = 30;
        const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
        const int filled = static_cast<int>(fraction * width);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        const double seconds = elapsed_seconds();
        const long here = done_ - first_;  // steps done by this process
        const double rate = seconds > 0 ? static_cast<double>(here * items_per_step_) / seconds : 0.0;
        const double eta = here > 0 ? seconds * static_cast<double>(total_ - done_) / static_cast<double>(here) : 0.0;
        std::printf("\r\033[2K[%s] %ld/%ld  %.0f %s/s  ETA %d:%02d", bar.c_str(), done_, total_, rate, unit_.c_str(),
                    static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
        std::fflush(stdout);
        drawn_ = true;
    }

    long total_, items_per_step_;
    std::string unit_;
    bool live_;
    bool drawn_ = false;
    long done_ = 0, first_ = 0;
    Clock::time_point start_, last_draw_;
};

}  // namespace examples
