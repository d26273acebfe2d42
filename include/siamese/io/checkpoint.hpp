// SPDX-License-Identifier: MIT
#pragma once

// Checkpoints: named tensors plus string metadata in one versioned, checksummed binary file.
//
// Layout, all integers little-endian (version 1):
//   "SIAMCKPT"                      8-byte magic
//   u32 version
//   u32 metadata count, then per entry: str key, str value          (str = u32 length + bytes)
//   u32 tensor count, then per tensor: str name, u8 scalar (1 = float32, 2 = float64),
//                                      u8 rank, u64 dims[rank]       -- the architecture's shapes
//   the tensors' values, in table order, little-endian IEEE 754
//   u64 FNV-1a of every byte before it
// The table comes first so that a file of another architecture is rejected by names and shapes,
// and a truncated file is recognised before any value is read.

#include <siamese/errors.hpp>
#include <siamese/io/atomic_write.hpp>
#include <siamese/io/checksum.hpp>
#include <siamese/io/file_checks.hpp>
#include <siamese/param.hpp>
#include <siamese/tensor.hpp>

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace siamese::io {

/// A set of named tensors and string metadata that can be saved to and loaded from a file.
/// Values are kept as double in memory (exact for float and double) and stored with the scalar
/// type they were added with.
class Checkpoint {
public:
    static constexpr std::uint32_t format_version = 1;
    static constexpr std::string_view magic = "SIAMCKPT";

    enum class Scalar : std::uint8_t { float32 = 1, float64 = 2 };

    struct Entry {
        std::string name;
        Scalar scalar = Scalar::float32;
        Shape shape;
        std::vector<double> values;
    };

    // ---------------------------------------------------------------- building and reading

    // The rule for names already present: a tensor is part of a model's or an optimizer's state,
    // and two writers on one name (two models' optimizers under the default keys) would save one
    // over the other and resume with the wrong state; so add refuses a name already there. A
    // metadata value is a setting a program may revise (an edited copy of a file), so set replaces.

    /// Adds tensor `name`, stored with T's precision. A tensor of that name already there is an
    /// std::invalid_argument, and the checkpoint is left as it was.
    template <class T>
    void add(const std::string& name, const Tensor<T>& t) {
        refuse_present(name, "Checkpoint::add");
        entries_.push_back(Entry{name, scalar_of<T>(), t.shape(), std::vector<double>(t.begin(), t.end())});
    }

    /// Adds every parameter value as prefix + its name (e.g. "model." + "backbone.0.weight").
    /// Two parameters of one name (require_unique_names), or a name already in the checkpoint,
    /// are an std::invalid_argument before anything is added. A tensor listed twice (a shared
    /// parameter) is saved once.
    template <class T>
    void add_params(const ParamList<T>& params, const std::string& prefix = "model.") {
        require_unique_names(params, "Checkpoint::add_params");
        std::vector<const Param<T>*> unique;
        for (const auto& p : params) {
            bool listed = false;
            for (const auto* u : unique) listed = listed || u->name == p.name;
            if (!listed) unique.push_back(&p);
        }
        for (const auto* p : unique) refuse_present(prefix + p->name, "Checkpoint::add_params");
        for (const auto* p : unique) add(prefix + p->name, *p->value);
    }

    /// Copies tensor `name` into t, which must already have the stored shape. The stored scalar
    /// type need not be T's, on purpose (a float model checked in double): float values read
    /// into double exactly, double values into float rounded to the nearest float.
    template <class T>
    void read(const std::string& name, Tensor<T>& t) const {
        const Entry* e = find(name);
        if (!e) throw io_error(origin() + "has no tensor '" + name + "'");
        if (!(e->shape == t.shape())) {
            throw io_error(origin() + "architecture mismatch: '" + name + "' is " + e->shape.str() +
                           " in the checkpoint but " + t.shape().str() + " in the model");
        }
        for (index_t i = 0; i < t.size(); ++i) t[i] = static_cast<T>(e->values[static_cast<std::size_t>(i)]);
    }

    /// Loads every parameter from prefix + name. Checks the whole architecture first (every name
    /// present with the same shape, no extra tensors under prefix), so a mismatch changes nothing.
    /// With an empty prefix every tensor of the file must be a parameter (no optimizer state).
    /// Values convert between float and double as in read().
    template <class T>
    void restore_params(const ParamList<T>& params, const std::string& prefix = "model.") const {
        require_unique_names(params, "Checkpoint::restore_params");
        std::string problems;
        for (const auto& p : params) {
            const Entry* e = find(prefix + p.name);
            if (!e) {
                problems += "\n  missing " + prefix + p.name + " " + p.value->shape().str();
            } else if (!(e->shape == p.value->shape())) {
                problems += "\n  " + prefix + p.name + " is " + e->shape.str() + " in the checkpoint, " +
                            p.value->shape().str() + " in the model";
            }
        }
        for (const auto& e : entries_) {
            if (e.name.rfind(prefix, 0) != 0) continue;
            bool known = false;
            for (const auto& p : params) known = known || prefix + p.name == e.name;
            if (!known) problems += "\n  unexpected " + e.name + " " + e.shape.str();
        }
        if (!problems.empty()) {
            // Under the empty prefix, the tensors of the optimizer state count as the model's.
            const std::string hint = prefix.empty() ? "\n(the empty prefix takes every tensor of the file as the "
                                                      "model's: save the model under a prefix such as \"model.\")"
                                                    : "";
            throw io_error(origin() + "architecture mismatch:" + problems + hint);
        }
        for (const auto& p : params) read(prefix + p.name, *p.value);
    }

    /// Sets a metadata entry: a string under `key` (settings, counters, the data's fingerprint),
    /// kept apart from the tensors (add, read, contains); an existing key is replaced (unlike add).
    void set(const std::string& key, std::string value) { metadata_[key] = std::move(value); }

    /// The metadata entry under `key`, or nothing; at_integer, at_real and at_choice read one
    /// with checks.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) const {
        const auto it = metadata_.find(key);
        if (it == metadata_.end()) return std::nullopt;
        return it->second;
    }

    /// The metadata value for key, or an io_error naming the file and the key.
    [[nodiscard]] const std::string& at(const std::string& key) const {
        const auto it = metadata_.find(key);
        if (it == metadata_.end()) throw io_error(origin() + "has no metadata '" + key + "'");
        return it->second;
    }

    /// The metadata value for key as a whole integer, or an io_error naming the file, the key and the value.
    [[nodiscard]] long long at_integer(const std::string& key) const {
        const std::string& v = at(key);
        char* end = nullptr;
        errno = 0;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        // strtoll also skips leading spaces, which no saved integer has.
        if (v.empty() || *end != '\0' || errno == ERANGE || v.find_first_not_of("+-0123456789") != std::string::npos)
            throw not_a_number(key, v, "an integer");
        return x;
    }

    /// at_integer, and the value must lie in [lo, hi]: a program reading back its own settings
    /// checks them as its command line did (a size of 100000 would build a network of terabytes).
    [[nodiscard]] long long at_integer(const std::string& key, long long lo, long long hi) const {
        const long long x = at_integer(key);
        if (x < lo || x > hi) {
            throw io_error(origin() + "metadata '" + key + "' is " + std::to_string(x) + ", expected " +
                           std::to_string(lo) + " to " + std::to_string(hi));
        }
        return x;
    }

    /// The metadata value for key, which must be one of `choices` (a program reading back a
    /// setting its command line restricts: an edited file would otherwise reach code that
    /// assumes one of them). Otherwise io_error: "PATH: metadata 'loss' is 'x', expected one of
    /// bce, contrastive, triplet".
    [[nodiscard]] const std::string& at_choice(const std::string& key,
                                               std::initializer_list<std::string_view> choices) const {
        return at_choice(key, std::span<const std::string_view>(choices.begin(), choices.size()));
    }

    /// The same, for a list a program keeps once for its command line and its checkpoints.
    [[nodiscard]] const std::string& at_choice(const std::string& key,
                                               std::span<const std::string_view> choices) const {
        const std::string& v = at(key);
        std::string listed;
        for (const auto choice : choices) {
            if (v == choice) return v;
            listed += (listed.empty() ? "" : ", ") + std::string(choice);
        }
        throw io_error(origin() + "metadata '" + key + "' is '" + v + "', expected one of " + listed);
    }

    /// The metadata value for key as a finite real number in decimal (the nearest double), or an
    /// io_error as for at_integer. strtod alone also reads "nan", "inf", hexadecimal and leading
    /// spaces, and turns 1e999 into infinity: none of them is a number a program saved. Subnormal
    /// values (down to 4.9e-324) are read; a nonzero value nearer 0 than that (1e-400), which would
    /// read as 0, is refused like one too large.
    [[nodiscard]] double at_real(const std::string& key) const {
        const std::string& v = at(key);
        char* end = nullptr;
        errno = 0;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || v.find_first_not_of("+-.0123456789eE") != std::string::npos)
            throw not_a_number(key, v, "a number");
        // glibc sets ERANGE for subnormal results too, which are the nearest double all the same:
        // only an overflow (infinity) or an underflow to 0 is out of range.
        const bool underflowed_to_zero = errno == ERANGE && x == 0.0;
        if (underflowed_to_zero || !std::isfinite(x)) throw not_a_number(key, v, "a number in a double's range");
        return x;
    }

    /// Whether a tensor of this name is stored (metadata keys are found with get).
    [[nodiscard]] bool contains(const std::string& name) const { return find(name) != nullptr; }
    [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }
    [[nodiscard]] const std::map<std::string, std::string>& metadata() const noexcept { return metadata_; }
    /// The file it was loaded from (or the name given to parse), for messages; empty when the
    /// checkpoint was built in memory.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// How messages name it: path(), or "checkpoint" for one built in memory.
    [[nodiscard]] std::string source_name() const { return path_.empty() ? "checkpoint" : path_; }

    // ---------------------------------------------------------------- files

    /// The file's bytes.
    [[nodiscard]] std::string serialize() const {
        std::string out(magic);
        put_u32(out, format_version);
        put_u32(out, static_cast<std::uint32_t>(metadata_.size()));
        for (const auto& [k, v] : metadata_) {
            put_str(out, k);
            put_str(out, v);
        }
        put_u32(out, static_cast<std::uint32_t>(entries_.size()));
        for (const auto& e : entries_) {
            put_str(out, e.name);
            out.push_back(static_cast<char>(e.scalar));
            out.push_back(static_cast<char>(e.shape.rank()));
            for (int d = 0; d < e.shape.rank(); ++d) put_u64(out, static_cast<std::uint64_t>(e.shape[d]));
        }
        for (const auto& e : entries_) {
            for (double v : e.values) {
                if (e.scalar == Scalar::float32) {
                    put_u32(out, std::bit_cast<std::uint32_t>(static_cast<float>(v)));
                } else {
                    put_u64(out, std::bit_cast<std::uint64_t>(v));
                }
            }
        }
        put_u64(out, fnv1a64(out));
        return out;
    }

    /// Writes the checkpoint atomically: `path` holds either its previous content or this one.
    /// `before_rename` is passed to write_file_atomically (a hook for crash tests).
    void save(const std::filesystem::path& path, const std::function<void()>& before_rename = {}) const {
        write_file_atomically(path, serialize(), before_rename);
    }

    /// Reads and validates a checkpoint file. Throws io_error naming the file and the problem:
    /// missing, not a regular file (a FIFO or a device, which could block or never end), not a
    /// checkpoint, another format version, truncated, trailing bytes, corrupted.
    [[nodiscard]] static Checkpoint load(const std::filesystem::path& path) {
        require_regular_file(path, "a checkpoint file");
        std::ifstream in(path, std::ios::binary);
        if (!in) throw io_error(path.string() + ": cannot open for reading");
        // The magic first: a large file of something else is refused without reading it whole.
        std::string bytes(magic.size(), '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        check_magic(bytes, path.string());
        bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (in.bad()) throw io_error(path.string() + ": read error");
        Checkpoint c = parse(bytes, path.string());
        c.path_ = path.string();
        return c;
    }

    /// Parses bytes produced by serialize(); `shown` names the source in error messages.
    [[nodiscard]] static Checkpoint parse(std::string_view bytes, const std::string& shown) {
        check_magic(bytes, shown);
        // The checksum first: when it does not match, a structural error below (a "truncated"
        // file of full length, "trailing bytes") may come from a damaged header, and says so.
        const bool checksum_matches =
            bytes.size() >= magic.size() + 8 &&
            load_u64(bytes.data() + bytes.size() - 8) == fnv1a64(bytes.substr(0, bytes.size() - 8));
        std::optional<Checkpoint> c;
        try {
            c = parse_structure(bytes, shown);
        } catch (const io_error& e) {
            if (checksum_matches) throw;
            throw io_error(std::string(e.what()) +
                           " (and the checksum does not match: the file is truncated or corrupted)");
        }
        if (!checksum_matches) throw io_error(shown + ": checksum mismatch: the file is corrupted");
        c->path_ = shown;
        return std::move(*c);
    }

private:
    /// Throws unless `bytes` starts with the magic; a file shorter than it that could be its
    /// start is "truncated".
    static void check_magic(std::string_view bytes, const std::string& shown) {
        if (bytes.size() < magic.size() && magic.substr(0, bytes.size()) == bytes) {
            throw io_error(shown + ": truncated: " + std::to_string(bytes.size()) +
                           " bytes, shorter than a checkpoint's header");
        }
        if (bytes.size() < magic.size() || bytes.substr(0, magic.size()) != magic) {
            throw io_error(shown + ": not a siamese checkpoint (expected the magic \"SIAMCKPT\" at the start)");
        }
    }

    /// parse() without the checksum: the version, the metadata and the tensors, each checked
    /// against the file's size.
    static Checkpoint parse_structure(std::string_view bytes, const std::string& shown) {
        Reader r{bytes, magic.size(), shown};
        const std::uint32_t version = r.u32("format version");
        if (version != format_version) {
            throw io_error(shown + ": checkpoint format version " + std::to_string(version) +
                           ", this library reads version " + std::to_string(format_version));
        }
        Checkpoint c;
        const std::uint32_t meta_count = r.u32("metadata count");
        for (std::uint32_t i = 0; i < meta_count; ++i) {
            std::string key = r.str("metadata key");
            c.metadata_[key] = r.str("metadata value");
        }
        const std::uint32_t tensor_count = r.u32("tensor count");
        std::uint64_t data_bytes = 0;
        for (std::uint32_t i = 0; i < tensor_count; ++i) {
            Entry e;
            e.name = r.str("tensor name");
            const std::uint8_t scalar = r.u8("scalar type of " + e.name);
            if (scalar != 1 && scalar != 2) {
                throw io_error(shown + ": tensor '" + e.name + "' has unknown scalar type " + std::to_string(scalar));
            }
            e.scalar = static_cast<Scalar>(scalar);
            const std::uint8_t rank = r.u8("rank of " + e.name);
            if (rank > 4) throw io_error(shown + ": tensor '" + e.name + "' has rank " + std::to_string(rank) + " > 4");
            std::uint64_t dims[4] = {0, 0, 0, 0};
            std::uint64_t count = rank == 0 ? 0 : 1;
            for (int d = 0; d < rank; ++d) {
                dims[d] = r.u64("dimensions of " + e.name);
                // Every element takes at least 4 bytes, so no honest dimension exceeds the file size.
                if (dims[d] > bytes.size() || (dims[d] != 0 && count > bytes.size() / dims[d])) {
                    throw io_error(shown + ": tensor '" + e.name + "' declares more elements than the file can hold");
                }
                count *= dims[d];
            }
            try {
                e.shape = make_shape(rank, dims);
            } catch (const shape_error& bad) {
                // A zero dimension lets the others pass the size check above and overflow here.
                throw io_error(shown + ": tensor '" + e.name + "' has an impossible shape: " + bad.what());
            }
            data_bytes += count * (e.scalar == Scalar::float32 ? 4 : 8);
            if (data_bytes > bytes.size()) {
                throw io_error(shown + ": truncated: the tensor table declares more data than the file's " +
                               std::to_string(bytes.size()) + " bytes");
            }
            c.entries_.push_back(std::move(e));
        }
        const std::uint64_t expected = r.pos + data_bytes + 8;
        if (bytes.size() < expected) {
            throw io_error(shown + ": truncated: expected " + std::to_string(expected) + " bytes, the file has " +
                           std::to_string(bytes.size()));
        }
        if (bytes.size() > expected) {
            const std::uint64_t extra = bytes.size() - expected;
            throw io_error(shown + ": " + std::to_string(extra) +
                           (extra == 1 ? " unexpected byte" : " unexpected bytes") + " after the checkpoint's end");
        }
        for (auto& e : c.entries_) {
            e.values.resize(static_cast<std::size_t>(e.shape.numel()));
            for (auto& v : e.values) {
                v = e.scalar == Scalar::float32 ? static_cast<double>(std::bit_cast<float>(r.u32(e.name)))
                                                : std::bit_cast<double>(r.u64(e.name));
            }
        }
        return c;
    }

    struct Reader {
        std::string_view bytes;
        std::size_t pos;
        const std::string& shown;

        void need(std::size_t n, const std::string& what) const {
            if (bytes.size() - pos < n) {
                throw io_error(shown + ": truncated: file ends at byte " + std::to_string(bytes.size()) +
                               " while reading " + what);
            }
        }
        std::uint8_t u8(const std::string& what) {
            need(1, what);
            return static_cast<std::uint8_t>(bytes[pos++]);
        }
        std::uint32_t u32(const std::string& what) {
            need(4, what);
            std::uint32_t v = 0;
            for (int i = 3; i >= 0; --i)
                v = v << 8 | static_cast<unsigned char>(bytes[pos + static_cast<std::size_t>(i)]);
            pos += 4;
            return v;
        }
        std::uint64_t u64(const std::string& what) {
            need(8, what);
            const std::uint64_t v = load_u64(bytes.data() + pos);
            pos += 8;
            return v;
        }
        std::string str(const std::string& what) {
            const std::uint32_t n = u32(what);
            need(n, what);
            std::string s(bytes.substr(pos, n));
            pos += n;
            return s;
        }
    };

    template <class T>
    static constexpr Scalar scalar_of() {
        static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
        return std::is_same_v<T, float> ? Scalar::float32 : Scalar::float64;
    }

    static Shape make_shape(int rank, const std::uint64_t* d) {
        const auto i = [&](int k) { return static_cast<index_t>(d[k]); };
        switch (rank) {
            case 1:
                return Shape{i(0)};
            case 2:
                return Shape{i(0), i(1)};
            case 3:
                return Shape{i(0), i(1), i(2)};
            case 4:
                return Shape{i(0), i(1), i(2), i(3)};
            default:
                return Shape{};
        }
    }

    static std::uint64_t load_u64(const char* p) {
        std::uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(p[i]);
        return v;
    }
    static void put_u32(std::string& out, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
    }
    static void put_u64(std::string& out, std::uint64_t v) {
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
    }
    static void put_str(std::string& out, std::string_view s) {
        put_u32(out, static_cast<std::uint32_t>(s.size()));
        out.append(s);
    }

    [[nodiscard]] const Entry* find(const std::string& name) const {
        for (const auto& e : entries_)
            if (e.name == name) return &e;
        return nullptr;
    }
    void refuse_present(const std::string& name, const std::string& who) const {
        if (contains(name)) {
            throw std::invalid_argument(who + ": the checkpoint already holds a tensor '" + name +
                                        "': one would be saved over the other; give each its own name");
        }
    }
    [[nodiscard]] std::string origin() const { return source_name() + ": "; }
    [[nodiscard]] io_error not_a_number(const std::string& key, const std::string& value, const char* wanted) const {
        return io_error(origin() + "metadata '" + key + "' is not " + wanted + ": '" + value + "'");
    }

    std::vector<Entry> entries_;
    std::map<std::string, std::string> metadata_;
    std::string path_;
};

}  // namespace siamese::io
