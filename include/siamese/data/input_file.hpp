// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/errors.hpp>
#include <siamese/io/file_checks.hpp>

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
        io::require_regular_file(path_, "a file");
        std::error_code ec;
        file_size_ = std::filesystem::file_size(path_, ec);
        if (ec) fail("cannot read its size: " + ec.message());

        plain_.reset(std::fopen(path_.c_str(), "rb"));
        if (!plain_) fail(std::string("cannot open: ") + std::strerror(errno));
        unsigned char magic[2] = {0, 0};
        const std::size_t got = std::fread(magic, 1, 2, plain_.get());
        gzipped_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        std::rewind(plain_.get());
        if (!gzipped_) return;
#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
        // inflate over our own reads rather than zlib's gzread: gzread silently drops bytes after
        // the last gzip member, and a file with bytes appended is damaged.
        gz_ = std::make_unique<GzipStream>();
        if (inflateInit2(&gz_->z, 16 + MAX_WBITS) != Z_OK) fail("cannot start gzip decompression (out of memory)");
        gz_->ready = true;
#else
        fail(
            "is gzip-compressed, but siamese was built without zlib (SIAMESE_HAS_ZLIB not defined to 1; in CMake "
            "SIAMESE_USE_ZLIB=OFF); decompress it first (gunzip)");
#endif
    }

    /// The path as given.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// The file name as it appears in error messages.
    [[nodiscard]] std::string name() const { return path_.string(); }
    /// True when the content is gzip-compressed; read() then returns decompressed bytes.
    [[nodiscard]] bool gzipped() const noexcept { return gzipped_; }
    /// Size on disk in bytes (compressed size for a gzipped file).
    [[nodiscard]] std::uintmax_t file_size() const noexcept { return file_size_; }
    /// "file" or "decompressed stream": what byte counts in messages refer to.
    [[nodiscard]] const char* stream_name() const noexcept { return gzipped_ ? "decompressed stream" : "file"; }

    /// Reads up to n bytes into dst; returns fewer only at the end of the (decompressed) data.
    /// Throws io_error on a read error, a corrupt or truncated gzip stream, or bytes after its end.
    std::size_t read(void* dst, std::size_t n) {
        auto* out = static_cast<unsigned char*>(dst);
        std::size_t total = 0;
        if (!gzipped_) {
            total = std::fread(out, 1, n, plain_.get());
            if (total < n && std::ferror(plain_.get())) fail(std::string("read error: ") + std::strerror(errno));
            return total;
        }
#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
        z_stream& z = gz_->z;
        while (total < n && !gz_->finished) {
            if (z.avail_in == 0 && refill() == 0) fail("truncated gzip stream (the compressed data ends early)");
            // inflate takes an unsigned count: produce in chunks well below its limit.
            const auto chunk = static_cast<uInt>(std::min<std::size_t>(n - total, std::size_t{1} << 30));
            z.next_out = out + total;
            z.avail_out = chunk;
            const int code = inflate(&z, Z_NO_FLUSH);
            total += chunk - z.avail_out;
            if (code == Z_STREAM_END) {
                end_of_member();
            } else if (code == Z_DATA_ERROR || code == Z_NEED_DICT) {
                fail(std::string("corrupt gzip stream (") + (z.msg ? z.msg : "invalid compressed data") + ")");
            } else if (code == Z_MEM_ERROR) {
                fail("out of memory while decompressing");
            }
            // Z_OK, or Z_BUF_ERROR when the input ran out mid-way: refilled on the next turn.
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
    [[noreturn]] void fail(const std::string& what) const { throw io_error(name() + ": " + what); }

private:
#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
    /// zlib's decompressor with the compressed bytes read so far.
    struct GzipStream {
        z_stream z{};
        bool ready = false;     ///< inflateInit2 succeeded: inflateEnd is due
        bool finished = false;  ///< the last member ended exactly at the end of the file
        std::unique_ptr<unsigned char[]> input = std::make_unique<unsigned char[]>(buffer_size);
        static constexpr std::size_t buffer_size = std::size_t{1} << 17;
        GzipStream() = default;
        GzipStream(const GzipStream&) = delete;
        GzipStream& operator=(const GzipStream&) = delete;
        ~GzipStream() {
            if (ready) inflateEnd(&z);
        }
    };

    /// Appends compressed bytes after the z.avail_in still unread; returns how many came.
    std::size_t refill() {
        z_stream& z = gz_->z;
        unsigned char* buffer = gz_->input.get();
        if (z.avail_in > 0 && z.next_in != buffer) std::memmove(buffer, z.next_in, z.avail_in);
        const std::size_t got = std::fread(buffer + z.avail_in, 1, GzipStream::buffer_size - z.avail_in, plain_.get());
        if (got == 0 && std::ferror(plain_.get())) fail(std::string("read error: ") + std::strerror(errno));
        z.next_in = buffer;
        z.avail_in += static_cast<uInt>(got);
        return got;
    }

    /// After a gzip member: the end of the file, another member (gzip allows concatenated
    /// members, e.g. from `cat a.gz b.gz`), or bytes that do not belong there.
    void end_of_member() {
        z_stream& z = gz_->z;
        if (z.avail_in < 2) refill();
        if (z.avail_in == 0) {
            gz_->finished = true;
            return;
        }
        if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
            if (inflateReset(&z) != Z_OK) fail("cannot restart gzip decompression");
            return;
        }
        const long read_so_far = std::ftell(plain_.get());
        const std::uintmax_t at = read_so_far < 0 ? 0 : static_cast<std::uintmax_t>(read_so_far) - z.avail_in;
        fail(std::to_string(file_size_ - at) + " bytes after the end of the gzip stream (from byte " +
             std::to_string(at) + " of " + std::to_string(file_size_) +
             "): the file is damaged or has something appended");
    }

    std::unique_ptr<GzipStream> gz_;
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
