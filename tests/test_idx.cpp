// SPDX-License-Identifier: MIT
#include "largest_allocation.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

#include <siamese/data/idx.hpp>
#include <siamese/data/mnist.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
#include <zlib.h>
#endif

using namespace siamese;
using namespace siamese::data;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

using test::TempDir;

void put32(Bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
}

/// An IDX image file of n images of rows x cols whose pixel k of image i is (i + 5 k) mod 256.
Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic = 2051) {
    Bytes b;
    put32(b, magic);
    put32(b, n);
    put32(b, rows);
    put32(b, cols);
    for (std::uint32_t i = 0; i < n; ++i) {
        for (std::uint32_t k = 0; k < rows * cols; ++k) b.push_back(static_cast<std::uint8_t>((i + 5 * k) % 256));
    }
    return b;
}

/// An IDX label file of n labels, label i = i mod 10.
Bytes idx_labels(std::uint32_t n, std::uint32_t magic = 2049) {
    Bytes b;
    put32(b, magic);
    put32(b, n);
    for (std::uint32_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(i % 10));
    return b;
}

Bytes prefix(const Bytes& b, std::size_t n) { return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)); }

void write_file(const fs::path& path, const Bytes& b) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

[[maybe_unused]] Bytes read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
void write_gz(const fs::path& path, const Bytes& b) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    if (!b.empty()) REQUIRE(gzwrite(f, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
    REQUIRE(gzclose(f) == Z_OK);
}

/// One gzip member holding `raw` uncompressed (level 0): its size follows raw's byte for byte
/// within a stored block.
Bytes gzip_stored(const Bytes& raw) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 0, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    Bytes out(deflateBound(&z, static_cast<uLong>(raw.size())));
    z.next_in = const_cast<Bytef*>(raw.data());
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int code = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    REQUIRE(code == Z_STREAM_END);
    return out;
}
#endif

using test::require_io_error;

void check_content(const LabelledImages& set, std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
    REQUIRE(set.size() == static_cast<index_t>(n));
    CHECK(set.image_shape() == Shape{1, rows, cols});
    for (std::uint32_t i = 0; i < n; ++i) {
        CHECK(set.label(i) == static_cast<label_t>(i % 10));
        const auto img = set.image(i);
        for (std::uint32_t k = 0; k < rows * cols; ++k) REQUIRE(img[k] == static_cast<std::uint8_t>((i + 5 * k) % 256));
    }
}

}  // namespace

TEST_CASE("IDX: plain image and label files load with their pixels and labels") {
    TempDir dir;
    write_file(dir / "img", idx_images(13, 4, 3));
    write_file(dir / "lbl", idx_labels(13));
    check_content(load_idx(dir / "img", dir / "lbl"), 13, 4, 3);

    const IdxImages raw = read_idx_images(dir / "img");
    CHECK(raw.count == 13);
    CHECK(raw.rows == 4);
    CHECK(raw.cols == 3);
    CHECK(raw.pixels.size() == 13 * 12);
    CHECK(read_idx_labels(dir / "lbl").size() == 13);
}

#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB

TEST_CASE("IDX: gzipped files load, detected by content rather than by name") {
    TempDir dir;
    write_gz(dir / "img.gz", idx_images(21, 5, 7));
    write_gz(dir / "labels-without-suffix", idx_labels(21));
    check_content(load_idx(dir / "img.gz", dir / "labels-without-suffix"), 21, 5, 7);
    // A plain file with a .gz name is still read as plain.
    write_file(dir / "plain.gz", idx_labels(21));
    CHECK(read_idx_labels(dir / "plain.gz").size() == 21);
}

TEST_CASE("IDX: a gzipped stream larger than the first read chunk") {
    TempDir dir;
    // 3000 images of 28x28 = 2.35 MB decompressed: several growth steps.
    write_gz(dir / "img.gz", idx_images(3000, 28, 28));
    write_gz(dir / "lbl.gz", idx_labels(3000));
    check_content(load_idx(dir / "img.gz", dir / "lbl.gz"), 3000, 28, 28);
}

TEST_CASE("IDX: a truncated gzipped file is an error at any cut") {
    TempDir dir;
    const fs::path whole = dir / "whole.gz";
    write_gz(whole, idx_images(200, 28, 28));
    const Bytes compressed = read_file(whole);
    for (const std::size_t cut : {std::size_t{5}, std::size_t{20}, compressed.size() / 2, compressed.size() - 4}) {
        CAPTURE(cut);
        const fs::path part = dir / ("cut" + std::to_string(cut) + ".gz");
        write_file(part, prefix(compressed, cut));
        require_io_error([&] { (void)read_idx_images(part); }, {part.string()});
    }
}

TEST_CASE("IDX: gzipped content that is itself truncated or too long") {
    TempDir dir;
    const Bytes images = idx_images(10, 28, 28);
    write_gz(dir / "short.gz", prefix(images, images.size() - 100));
    require_io_error([&] { (void)read_idx_images(dir / "short.gz"); },
                     {(dir / "short.gz").string(), "truncated", "10 images of 28x28 (7856 bytes)",
                      "decompressed stream has 7756 bytes"});
    // One byte short is short too (not a last byte read as whatever the buffer held).
    write_gz(dir / "one_short.gz", prefix(images, images.size() - 1));
    require_io_error([&] { (void)read_idx_images(dir / "one_short.gz"); },
                     {"truncated", "(7856 bytes)", "decompressed stream has 7855 bytes"});
    write_gz(dir / "header.gz", prefix(images, 9));
    require_io_error([&] { (void)read_idx_images(dir / "header.gz"); }, {"16-byte header", "has 9 bytes"});
    Bytes longer = images;
    longer.push_back(0);
    write_gz(dir / "long.gz", longer);
    require_io_error([&] { (void)read_idx_images(dir / "long.gz"); },
                     {(dir / "long.gz").string(), "trailing data", "decompressed stream is longer"});
}

TEST_CASE("IDX: bytes after the end of a gzip stream are an error; concatenated members are one stream") {
    TempDir dir;
    write_gz(dir / "ok.gz", idx_labels(21));
    const Bytes gz = read_file(dir / "ok.gz");
    for (const std::uint8_t extra : {std::uint8_t{0x41}, std::uint8_t{0}}) {  // garbage, or zero padding
        Bytes appended = gz;
        appended.insert(appended.end(), 15, extra);
        write_file(dir / "appended.gz", appended);
        require_io_error([&] { (void)read_idx_labels(dir / "appended.gz"); },
                         {(dir / "appended.gz").string(), "15 bytes after the end of the gzip stream",
                          "from byte " + std::to_string(gz.size())});
    }
    // One byte too few for another member's magic is still an error, not a truncation.
    Bytes one = gz;
    one.push_back(0x1f);
    write_file(dir / "one.gz", one);
    require_io_error([&] { (void)read_idx_labels(dir / "one.gz"); }, {"1 bytes after the end of the gzip stream"});
    // A member starts with both magic bytes 1f 8b: 1f then anything else is appended garbage.
    Bytes half_magic = gz;
    half_magic.insert(half_magic.end(), {0x1f, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41});
    write_file(dir / "half_magic.gz", half_magic);
    require_io_error([&] { (void)read_idx_labels(dir / "half_magic.gz"); },
                     {"10 bytes after the end of the gzip stream", "from byte " + std::to_string(gz.size())});
    // `cat a.gz b.gz` is a valid gzip file of the two contents: an IDX file split in two members.
    const Bytes whole = idx_labels(21);
    write_gz(dir / "a.gz", prefix(whole, 10));
    write_gz(dir / "b.gz", Bytes(whole.begin() + 10, whole.end()));
    Bytes joined = read_file(dir / "a.gz");
    const Bytes second = read_file(dir / "b.gz");
    joined.insert(joined.end(), second.begin(), second.end());
    write_file(dir / "joined.gz", joined);
    const auto labels = read_idx_labels(dir / "joined.gz");
    REQUIRE(labels.size() == 21);
    for (std::size_t i = 0; i < labels.size(); ++i) CHECK(labels[i] == i % 10);
}

TEST_CASE("IDX: a gzip member ending one byte before a 128 KiB read still joins the next member") {
    // InputFile reads compressed bytes 128 KiB at a time: a first member of 2^17 - 1 bytes puts
    // the next member's magic 1f 8b across two reads.
    const Bytes whole = idx_labels(200000);
    const std::ptrdiff_t target = (std::ptrdiff_t{1} << 17) - 1;
    std::ptrdiff_t cut = target - 100;
    Bytes first = gzip_stored(prefix(whole, static_cast<std::size_t>(cut)));
    for (int step = 0; step < 20 && static_cast<std::ptrdiff_t>(first.size()) != target; ++step) {
        cut += target - static_cast<std::ptrdiff_t>(first.size());
        first = gzip_stored(prefix(whole, static_cast<std::size_t>(cut)));
    }
    REQUIRE(static_cast<std::ptrdiff_t>(first.size()) == target);
    const Bytes second = gzip_stored(Bytes(whole.begin() + cut, whole.end()));
    first.insert(first.end(), second.begin(), second.end());
    TempDir dir;
    write_file(dir / "straddle.gz", first);
    const auto labels = read_idx_labels(dir / "straddle.gz");
    REQUIRE(labels.size() == 200000);
    CHECK(labels[131000] == 0);
    CHECK(labels.back() == 9);
}

TEST_CASE("IDX: a file gzipped twice says so") {
    TempDir dir;
    write_gz(dir / "once.gz", idx_labels(21));
    write_gz(dir / "twice.gz", read_file(dir / "once.gz"));
    require_io_error([&] { (void)read_idx_labels(dir / "twice.gz"); },
                     {(dir / "twice.gz").string(), "not IDX: gzip data inside gzip, the file was compressed twice"});
}

TEST_CASE("IDX: a corrupt gzipped file is an error naming the file") {
    TempDir dir;
    write_gz(dir / "ok.gz", idx_images(50, 28, 28));
    Bytes bytes = read_file(dir / "ok.gz");
    for (std::size_t i = bytes.size() / 3; i < bytes.size() / 3 + 40; ++i) bytes[i] ^= 0x5a;
    write_file(dir / "bad.gz", bytes);
    require_io_error([&] { (void)read_idx_images(dir / "bad.gz"); }, {(dir / "bad.gz").string()});
}

TEST_CASE("IDX: a huge count declared in a tiny gzipped file fails fast without allocating it") {
    TempDir dir;
    Bytes b = idx_images(2, 28, 28);
    b[4] = b[5] = b[6] = b[7] = 0xff;  // 4294967295 images: 3.4 TB
    write_gz(dir / "huge.gz", b);
    test_allocations::largest = 0;
    require_io_error([&] { (void)read_idx_images(dir / "huge.gz"); }, {"truncated", "4294967295 images of 28x28"});
    CHECK(test_allocations::largest.load() <= (std::size_t{1} << 20));  // the first growth step of the data
}

#else

TEST_CASE("IDX: without zlib a gzipped file is a clear error") {
    TempDir dir;
    write_file(dir / "img.gz", Bytes{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3});
    require_io_error([&] { (void)read_idx_images(dir / "img.gz"); },
                     {"img.gz", "without zlib (SIAMESE_HAS_ZLIB not defined to 1; in CMake SIAMESE_USE_ZLIB=OFF)"});
}

#endif

TEST_CASE("IDX: a truncated plain file is an error at any cut") {
    TempDir dir;
    const Bytes images = idx_images(4, 28, 28);
    const fs::path path = dir / "train-images-idx3-ubyte";
    write_file(path, prefix(images, 10));
    require_io_error([&] { (void)read_idx_images(path); },
                     {path.string(), "truncated", "16-byte header", "file has 10 bytes"});
    write_file(path, prefix(images, 16));
    require_io_error(
        [&] { (void)read_idx_images(path); },
        {path.string(), "truncated: header declares 4 images of 28x28 (3152 bytes) but the file has 16 bytes"});
    write_file(path, prefix(images, 1000));
    require_io_error([&] { (void)read_idx_images(path); },
                     {"truncated: header declares 4 images of 28x28 (3152 bytes) but the file has 1000 bytes"});
    const Bytes labels = idx_labels(30);
    write_file(dir / "lbl", prefix(labels, 5));
    require_io_error([&] { (void)read_idx_labels(dir / "lbl"); }, {"lbl", "8-byte header", "has 5 bytes"});
    write_file(dir / "lbl", prefix(labels, 20));
    require_io_error([&] { (void)read_idx_labels(dir / "lbl"); }, {"30 labels (38 bytes)", "file has 20 bytes"});
}

TEST_CASE("IDX: trailing bytes after the declared data are an error") {
    TempDir dir;
    Bytes images = idx_images(3, 2, 2);
    images.push_back(7);
    write_file(dir / "img", images);
    require_io_error([&] { (void)read_idx_images(dir / "img"); },
                     {(dir / "img").string(), "trailing data", "(28 bytes)", "file has 29 bytes"});
    Bytes labels = idx_labels(3);
    labels.insert(labels.end(), {1, 2});
    write_file(dir / "lbl", labels);
    require_io_error([&] { (void)read_idx_labels(dir / "lbl"); }, {"trailing data", "file has 13 bytes"});
}

TEST_CASE("IDX: a wrong magic number is an error saying what was found") {
    TempDir dir;
    write_file(dir / "labels", idx_labels(3));
    write_file(dir / "images", idx_images(3, 2, 2));
    // Swapped arguments are a common slip: the message says which kind the file is.
    require_io_error([&] { (void)read_idx_images(dir / "labels"); },
                     {(dir / "labels").string(), "expected magic 2051", "found 2049", "IDX label file"});
    require_io_error([&] { (void)read_idx_labels(dir / "images"); },
                     {"expected magic 2049", "found 2051", "IDX image file"});
    write_file(dir / "png", idx_images(3, 2, 2, 0x89504e47));
    require_io_error([&] { (void)read_idx_images(dir / "png"); }, {"0x89504e47", "not IDX: a PNG image"});
    // What downloads wrap MNIST in was only a number in hex.
    write_file(dir / "zip", idx_images(3, 2, 2, 0x504b0304));
    require_io_error([&] { (void)read_idx_images(dir / "zip"); },
                     {"(0x504b0304, not IDX: a zip archive; unzip it, the IDX files are inside)"});
    write_file(dir / "html", idx_labels(3, 0x3c21444f));  // "<!DO"
    require_io_error([&] { (void)read_idx_labels(dir / "html"); },
                     {"not IDX: text starting with '<', likely an HTML page saved by a failed download"});
    // Same magic bytes but signed type (0x09) or four dimensions: not what we read.
    write_file(dir / "int8", idx_images(3, 2, 2, 0x00000903));
    require_io_error([&] { (void)read_idx_images(dir / "int8"); },
                     {"found 2307 (0x00000903, an IDX file of signed bytes in 3 dimensions; this reader takes unsigned "
                      "bytes, images in 3, labels in 1)"});
    // Valid IDX of other types or ranks were called "not IDX".
    write_file(dir / "float", idx_images(3, 2, 2, 0x00000d03));
    require_io_error([&] { (void)read_idx_images(dir / "float"); }, {"an IDX file of 32-bit floats in 3 dimensions"});
    write_file(dir / "four", idx_images(3, 2, 2, 0x00000804));
    require_io_error([&] { (void)read_idx_images(dir / "four"); }, {"an IDX file of unsigned bytes in 4 dimensions"});
    write_file(dir / "odd_type", idx_images(3, 2, 2, 0x00000a03));
    require_io_error([&] { (void)read_idx_images(dir / "odd_type"); }, {"0x00000a03, not IDX"});
    // Rank 0 is no IDX file; one dimension is singular.
    write_file(dir / "rank0", idx_images(3, 2, 2, 0x00000800));
    require_io_error([&] { (void)read_idx_images(dir / "rank0"); }, {"(0x00000800, not IDX)"});
    write_file(dir / "signed_labels", idx_labels(3, 0x00000901));
    require_io_error([&] { (void)read_idx_labels(dir / "signed_labels"); },
                     {"an IDX file of signed bytes in 1 dimension; this reader"});
    // A file of just the four magic bytes is described by its magic, not as a short header.
    write_file(dir / "magic_only", prefix(idx_labels(3), 4));
    require_io_error([&] { (void)read_idx_images(dir / "magic_only"); },
                     {"expected magic 2051", "found 2049", "IDX label file"});
}

TEST_CASE("IDX: zero or implausible dimensions are errors") {
    TempDir dir;
    write_file(dir / "zero", idx_images(0, 28, 28));
    require_io_error([&] { (void)read_idx_images(dir / "zero"); }, {"0 images of 28x28"});
    write_file(dir / "flat", idx_images(2, 0, 28));
    require_io_error([&] { (void)read_idx_images(dir / "flat"); }, {"2 images of 0x28"});
    write_file(dir / "thin", idx_images(2, 28, 0));
    require_io_error([&] { (void)read_idx_images(dir / "thin"); }, {"2 images of 28x0, an empty set"});
    write_file(dir / "nolabels", idx_labels(0));
    require_io_error([&] { (void)read_idx_labels(dir / "nolabels"); }, {"0 labels"});
    // One image of 1 x 1 whose rows (header offset 8) or columns (12) are set to 65536 + 1.
    auto oversized = [&](const char* name, std::size_t offset) {
        Bytes b = idx_images(1, 1, 1);
        b[offset] = 0x00;
        b[offset + 1] = 0x01;
        b[offset + 2] = 0x00;
        b[offset + 3] = 0x01;
        write_file(dir / name, b);
        return dir / name;
    };
    const auto wide = oversized("wide", 12), tall = oversized("tall", 8);
    require_io_error([&] { (void)read_idx_images(wide); }, {"1 images of 1x65537", "implausible"});
    require_io_error([&] { (void)read_idx_images(tall); }, {"1 images of 65537x1", "implausible"});
    // 65535 a side is the largest plausible size, and loads.
    write_file(dir / "longest", idx_images(1, 1, 65535));
    const IdxImages longest = read_idx_images(dir / "longest");
    CHECK((longest.rows == 1 && longest.cols == 65535 && longest.pixels.size() == 65535));
    write_file(dir / "tallest", idx_images(1, 65535, 1));
    CHECK(read_idx_images(dir / "tallest").rows == 65535);
}

TEST_CASE("IDX: a huge count declared in a tiny plain file fails fast without allocating it") {
    TempDir dir;
    Bytes b = idx_images(2, 28, 28);
    b[4] = b[5] = b[6] = b[7] = 0xff;
    write_file(dir / "huge", b);
    test_allocations::largest = 0;
    require_io_error([&] { (void)read_idx_images(dir / "huge"); },
                     {"truncated: header declares 4294967295 images of 28x28 (3367254359296 bytes) but the file has "
                      "1584 bytes"});
    CHECK(test_allocations::largest.load() < (std::size_t{1} << 20));
    Bytes l = idx_labels(4);
    l[4] = 0x7f;
    write_file(dir / "hugel", l);
    require_io_error([&] { (void)read_idx_labels(dir / "hugel"); }, {"truncated", "2130706436 labels"});
}

TEST_CASE("IDX: label and image counts must agree") {
    TempDir dir;
    write_file(dir / "img", idx_images(10, 2, 2));
    write_file(dir / "lbl", idx_labels(9));
    require_io_error([&] { (void)load_idx(dir / "img", dir / "lbl"); },
                     {(dir / "lbl").string(), "9 labels", (dir / "img").string(), "10 images"});
    // More labels than images is as much a mismatch.
    write_file(dir / "lbl", idx_labels(11));
    require_io_error([&] { (void)load_idx(dir / "img", dir / "lbl"); }, {"11 labels", "10 images"});
}

TEST_CASE("IDX: empty file, missing file and a directory are clear errors") {
    TempDir dir;
    write_file(dir / "empty", {});
    require_io_error([&] { (void)read_idx_images(dir / "empty"); }, {(dir / "empty").string(), "empty file"});
    require_io_error([&] { (void)read_idx_labels(dir / "missing"); }, {(dir / "missing").string(), "no such file"});
    fs::create_directory(dir / "folder");
    require_io_error([&] { (void)read_idx_images(dir / "folder"); }, {(dir / "folder").string(), "is a directory"});
}

TEST_CASE("load_mnist: finds the usual file names of each split") {
    TempDir dir;
    write_file(dir / "train-images-idx3-ubyte", idx_images(12, 28, 28));
    write_file(dir / "train-labels-idx1-ubyte", idx_labels(12));
    write_file(dir / "t10k-images-idx3-ubyte", idx_images(5, 28, 28));
#if defined(SIAMESE_HAS_ZLIB) && SIAMESE_HAS_ZLIB
    write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(5));
#else
    write_file(dir / "t10k-labels-idx1-ubyte", idx_labels(5));
#endif
    check_content(load_mnist(dir.path, Split::train), 12, 28, 28);
    check_content(load_mnist(dir.path, Split::test), 5, 28, 28);
    CHECK(parse_split("train") == Split::train);
    CHECK(parse_split("test") == Split::test);
    CHECK(to_string(Split::test) == "test");
    CHECK_THROWS_WITH_AS((void)parse_split("validation"),
                         "parse_split: unknown split 'validation', expected 'train' or 'test'", std::invalid_argument);
}

TEST_CASE("mnist_images_file: the images file load_mnist reads, under any of its names, or none") {
    TempDir dir;
    CHECK(mnist_images_file(dir.path, Split::train).empty());
    write_file(dir / "train-images.idx3-ubyte", idx_images(2, 28, 28));  // as some mirrors name it
    write_file(dir / "t10k-images-idx3-ubyte.gz", {});
    CHECK(mnist_images_file(dir.path, Split::train) == dir / "train-images.idx3-ubyte");
    CHECK(mnist_images_file(dir.path, Split::test) == dir / "t10k-images-idx3-ubyte.gz");
    write_file(dir / "t10k-images-idx3-ubyte", idx_images(2, 28, 28));  // the plain file comes first
    CHECK(mnist_images_file(dir.path, Split::test) == dir / "t10k-images-idx3-ubyte");
    CHECK(mnist_images_file(dir / "nowhere", Split::test).empty());
}

TEST_CASE("load_mnist: a missing file or folder lists what was looked for") {
    TempDir dir;
    write_file(dir / "train-images-idx3-ubyte", idx_images(2, 28, 28));
    require_io_error([&] { (void)load_mnist(dir.path, Split::train); },
                     {dir.path.string(), "train labels", "train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz"});
    require_io_error([&] { (void)load_mnist(dir.path, Split::test); },
                     {"test images", "t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"});
    require_io_error([&] { (void)load_mnist(dir / "nowhere", Split::train); }, {"nowhere", "not found"});
    require_io_error([&] { (void)load_mnist(dir / "train-images-idx3-ubyte", Split::train); }, {"not a folder"});
}
