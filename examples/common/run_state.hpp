// SPDX-License-Identifier: MIT
#pragma once

// Fields of a run checkpoint that must come back exactly: numbers with all their digits, the state
// of a random generator, logged series and the collapse detector's window, so that a resumed run
// continues bit for bit.

#include <siamese/errors.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/random.hpp>
#include <siamese/tensor.hpp>
#include <siamese/training/collapse_detector.hpp>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace examples {

/// A double with enough digits to read back the same value.
inline std::string exact_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

/// A generator's four state words as hexadecimal, space-separated.
inline std::string hex_state(const siamese::Rng::State& state) {
    std::string s;
    for (auto v : state) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
        s += s.empty() ? buf : std::string(" ") + buf;
    }
    return s;
}

/// The inverse of hex_state; a malformed field is an io_error naming it.
inline siamese::Rng::State parse_state(const std::string& text) {
    siamese::Rng::State state{};
    const char* p = text.c_str();
    for (auto& v : state) {
        char* end = nullptr;
        v = std::strtoull(p, &end, 16);
        if (end == p) throw siamese::io_error("checkpoint: malformed random-generator state '" + text + "'");
        p = end;
    }
    return state;
}

/// A logged series as a checkpoint tensor.
inline siamese::Tensor<double> to_tensor(const std::vector<double>& v) {
    siamese::Tensor<double> t(siamese::Shape{static_cast<siamese::index_t>(v.size())});
    std::copy(v.begin(), v.end(), t.begin());
    return t;
}

/// The series saved under `name`, or an empty one when the checkpoint has none (nothing logged yet).
inline std::vector<double> to_vector(const siamese::io::Checkpoint& c, const std::string& name) {
    for (const auto& e : c.entries()) {
        if (e.name == name) return e.values;
    }
    return {};
}

/// The collapse detector's window, so that a resumed run warns when the uninterrupted one would.
inline void save_collapse_detector(siamese::io::Checkpoint& c, const siamese::training::CollapseDetector& d) {
    if (!d.window_accuracies().empty()) {
        c.add("collapse.accuracy", to_tensor(d.window_accuracies()));
        c.add("collapse.spread", to_tensor(d.window_spreads()));
    }
    c.set("collapse_warned", d.warned() ? "1" : "0");
}

/// The inverse of save_collapse_detector; a checkpoint without the fields leaves the detector fresh.
inline void restore_collapse_detector(const siamese::io::Checkpoint& c, siamese::training::CollapseDetector& d) {
    try {
        d.restore(to_vector(c, "collapse.accuracy"), to_vector(c, "collapse.spread"), c.get("collapse_warned") == "1");
    } catch (const std::invalid_argument& e) {
        throw siamese::io_error(std::string("checkpoint: ") + e.what());
    }
}

}  // namespace examples
