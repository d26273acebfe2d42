// SPDX-License-Identifier: MIT
#pragma once

// Fields of a run checkpoint that must come back exactly: numbers with all their digits, the state
// of a random generator, logged series and the collapse detector's window, so that a resumed run
// continues bit for bit; and what the run trains on, so that it resumes on the same images.

#include <siamese/data/labelled_images.hpp>
#include <siamese/errors.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/io/checksum.hpp>
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
#include <string_view>
#include <vector>

namespace examples {

/// What a run trains on, as its checkpoint records it ("train_data"): the number and shape of
/// the images and a hash of their pixels and labels, e.g. "600 images [1, 28, 28], hash
/// 1f0c...". A checkpoint does not restore --data (folders move between machines), so a resumed
/// run checks the images it loaded against this instead.
inline std::string data_fingerprint(const siamese::data::LabelledImages& images) {
    const auto pixels = images.pixels();
    const auto labels = images.labels();
    const std::uint64_t hash =
        siamese::io::fnv1a64(std::string_view(reinterpret_cast<const char*>(pixels.data()), pixels.size())) ^
        (siamese::io::fnv1a64(std::string_view(reinterpret_cast<const char*>(labels.data()), labels.size_bytes())) *
         0x9e3779b97f4a7c15ULL);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016" PRIx64, hash);
    return std::to_string(images.size()) + " images " + images.image_shape().str() + ", hash " + hex;
}

/// Refuses to resume the run of checkpoint `c` on other training images than its own: it would
/// go on, and its results would be reported, as if nothing had changed. `loaded` is
/// data_fingerprint of the images --data gave. Checkpoints of versions that did not record it
/// are not checked.
inline void require_same_training_data(const siamese::io::Checkpoint& c, const std::string& loaded,
                                       const std::string& data_option) {
    const auto recorded = c.get("train_data");
    if (recorded && *recorded != loaded) {
        throw std::invalid_argument(c.path() + ": the run trained on " + *recorded + ", but --data " + data_option +
                                    " gives " + loaded + "; resume it with the data it trained on");
    }
}

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
