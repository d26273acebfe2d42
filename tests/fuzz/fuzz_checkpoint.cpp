// SPDX-License-Identifier: MIT
// libFuzzer target: checkpoint files. Any input must parse or throw siamese::io_error.
#include <siamese/io/checkpoint.hpp>

#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto c =
            siamese::io::Checkpoint::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.ckpt");
        // What parses must serialize to bytes that parse back to the same checkpoint.
        const std::string bytes = c.serialize();
        if (siamese::io::Checkpoint::parse(bytes, "again.ckpt").serialize() != bytes) __builtin_trap();
    } catch (const siamese::io_error&) {
    }
    return 0;
}
