// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/errors.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
#include <zlib.h>
#endif

namespace siamese::data {

/// A binary input file, plain or gzip-compressed, read sequentially. Compression is detected
/// from the content (the gzip magic bytes 1f 8b), not from the name. Every failure throws
/// io_error with a message that starts with the file name.
class InputFile {
public:
    /// Opens `path`; throws io_error when it is missing, a directory, or unreadable, and when it
    /// is gzipped but the library was built without zlib.
    explicit InputFile(std::filesystem::path path) : path_(std::move(path)) {
        std::error_code ec;
        const auto status = std::filesystem::status(path_, ec);
        if (!std::filesystem::exists(status)) fail("no such file");
        if (std::filesystem::is_directory(status)) fail("is a directory, expected a file");
        if (!std::filesystem::is_regular_file(status)) fail("is not a regular file");
        file_size_ = std::filesystem::file_size(path_, ec);
        if (ec) fail("cannot read its size: " + ec.message());

        plain_.reset(std::fopen(path_.c_str(), "rb"));
        if (!plain_) fail(std::string("cannot open: ") + std::strerror(errno));
        unsigned char magic[2] = {0, 0};
        const std::size_t got = std::fread(magic, 1, 2, plain_.get());
        gzipped_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        if (!gzipped_) {
            std::rewind(plain_.get());
            return;
        }
        plain_.reset();
#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
        gz_.reset(gzopen(path_.c_str(), "rb"));
        if (!gz_) fail(std::string("cannot open as gzip: ") + std::strerror(errno));
        gzbuffer(gz_.get(), 1u << 17);  // fewer, larger reads than zlib's 8 KiB default
#else
        fail(
            "is gzip-compressed, but siamese was built without zlib (SIAMESE_USE_ZLIB=OFF); "
            "decompress it first (gunzip)");
#endif
    }

    /// The path as given.
    [[nodiscard]] const std::filesystem::path& path() const noexcept {
        return path_;
    }
    /// The file name as it appears in error messages.
    [[nodiscard]] std::string name() const {
        return path_.string();
    }
    /// True when the content is gzip-compressed; read() then returns decompressed bytes.
    [[nodiscard]] bool gzipped() const noexcept {
        return gzipped_;
    }
    /// Size on disk in bytes (compressed size for a gzipped file).
    [[nodiscard]] std::uintmax_t file_size() const noexcept {
        return file_size_;
    }
    /// "file" or "decompressed stream": what byte counts in messages refer to.
    [[nodiscard]] const char* stream_name() const noexcept {
        return gzipped_ ? "decompressed stream" : "file";
    }

    /// Reads up to n bytes into dst; returns fewer only at the end of the (decompressed) data.
    /// Throws io_error on a read error or a corrupt or truncated gzip stream.
    std::size_t read(void* dst, std::size_t n) {
        auto* out = static_cast<unsigned char*>(dst);
        std::size_t total = 0;
        if (!gzipped_) {
            total = std::fread(out, 1, n, plain_.get());
            if (total < n && std::ferror(plain_.get())) fail(std::string("read error: ") + std::strerror(errno));
            return total;
        }
#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
        while (total < n) {
            // gzread takes an unsigned count: read in chunks well below its limit.
            const auto chunk = static_cast<unsigned>(std::min<std::size_t>(n - total, std::size_t{1} << 30));
            const int got = gzread(gz_.get(), out + total, chunk);
            check_gzip();
            if (got < 0) fail("gzip read error");
            if (got == 0) break;
            total += static_cast<std::size_t>(got);
        }
#endif
        return total;
    }

    /// True when no byte is left; consumes one byte otherwise (used to detect trailing data).
    bool at_end() {
        unsigned char byte = 0;
        return read(&byte, 1) == 0;
    }

    /// Throws io_error("<file>: <what>").
    [[noreturn]] void fail(const std::string& what) const {
        throw io_error(name() + ": " + what);
    }

private:
#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
    void check_gzip() const {
        int code = Z_OK;
        const char* message = gzerror(gz_.get(), &code);
        if (code == Z_OK) return;
        if (code == Z_BUF_ERROR) fail("truncated gzip stream (the compressed data ends early)");
        // zlib prefixes its message with the path; keep only its own words.
        std::string detail = message ? message : "";
        if (const auto colon = detail.rfind(": "); colon != std::string::npos) detail.erase(0, colon + 2);
        fail("corrupt gzip stream (" + detail + ")");
    }

    struct GzClose {
        void operator()(gzFile f) const noexcept { gzclose(f); }
    };
    std::unique_ptr<gzFile_s, GzClose> gz_;
#endif
    struct FileClose {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };

    std::filesystem::path path_;
    std::unique_ptr<std::FILE, FileClose> plain_;
    std::uintmax_t file_size_ = 0;
    bool gzipped_ = false;
};

}  // namespace siamese::data
