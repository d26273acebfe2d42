// SPDX-License-Identifier: MIT
#pragma once

// The mean behind each training log line: the values added since the line before.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace examples {

/// Mean of the values added since the last clear().
class RunningMean {
public:
    void add(double v) {
        sum_ += v;
        ++count_;
    }
    /// 0 before anything is added.
    [[nodiscard]] double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
    void clear() {
        sum_ = 0;
        count_ = 0;
    }

    /// Exact text form ("<hex sum> <count>") for checkpoints: a resumed run continues bit for bit.
    [[nodiscard]] std::string state() const {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%a %ld", sum_, count_);
        return buf;
    }
    /// The mean whose state() was `text`, or nothing when `text` is not of that form.
    [[nodiscard]] static std::optional<RunningMean> from_state(const std::string& text) {
        const char* begin = text.c_str();
        char* end = nullptr;
        RunningMean m;
        m.sum_ = std::strtod(begin, &end);
        if (end == begin || *end != ' ') return std::nullopt;
        begin = end + 1;
        m.count_ = std::strtol(begin, &end, 10);
        if (end == begin || *end != '\0' || m.count_ < 0) return std::nullopt;
        return m;
    }

private:
    double sum_ = 0;
    long count_ = 0;
};

}  // namespace examples
