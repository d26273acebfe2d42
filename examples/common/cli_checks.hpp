// SPDX-License-Identifier: MIT
#pragma once

// Readable range checks for the examples' command lines ("must be a positive whole number (decimal
// digits), got '0x2'"), and the same checks on the settings a checkpoint brings back.

#include <siamese/errors.hpp>
#include <siamese/io/checkpoint.hpp>
#include <siamese/parallel.hpp>

#include "standard_output.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace examples {

/// A validator accepting decimal numbers (1e-3, 0.5) for which accept(x) holds, else "must be
/// WHAT, got 'TEXT'". Read with from_chars, not strtod: strtod also reads hexadecimal (0x10 as
/// 16) and leading spaces, which no one types as a rate on purpose.
template <class Accept>
CLI::Validator number_check(Accept accept, const std::string& what, const std::string& description,
                            const std::string& name) {
    return CLI::Validator(
        [accept, what](std::string& v) -> std::string {
            double x = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x, std::chars_format::general);
            return ec == std::errc{} && end == v.data() + v.size() && accept(x)
                       ? std::string()
                       : "must be " + what + ", got '" + v + "'";
        },
        description, name);
}

/// A whole number from lo to hi, checked as text in decimal digits: CLI11 itself reads 010 as
/// octal 8 and 0x10 as 16, saturates numbers past the type's range (2^63 read as 2^63 - 1),
/// and answers a word with "Value x not in range". `what` says it in the message (default:
/// "a whole number from LO to HI").
inline CLI::Validator whole_number(long long lo, long long hi, std::string what = {}) {
    if (what.empty()) what = "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
    return CLI::Validator(
        [lo, hi, what](std::string& v) -> std::string {
            long long x = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
            const std::size_t digits = !v.empty() && v[0] == '-' ? 1 : 0;
            const bool decimal = v.size() > digits && (v[digits] != '0' || v.size() == digits + 1);
            return decimal && ec == std::errc{} && end == v.data() + v.size() && x >= lo && x <= hi
                       ? std::string()
                       : "must be " + what + ", got '" + v + "'";
        },
        std::to_string(lo) + " to " + std::to_string(hi), "whole number");
}

/// One of `words`, which a program keeps in one list for its command line and for reading its
/// settings back from a checkpoint (Checkpoint::at_choice takes the same list).
inline CLI::IsMember one_of(std::span<const std::string_view> words) {
    return CLI::IsMember(std::vector<std::string>(words.begin(), words.end()));
}

// Counts (epochs, steps, intervals): whole numbers up to 2^31 - 1, every option's type holds them.
inline const CLI::Validator positive =
    whole_number(1, std::numeric_limits<int>::max(), "a positive whole number (decimal digits)");
inline const CLI::Validator non_negative =
    whole_number(0, std::numeric_limits<int>::max(), "zero or a positive whole number (decimal digits)");

// Real-valued settings: from_chars reads "nan" and "inf", and NaN passes CLI::Range (every comparison
// with it is false), so these ask for a finite number.
inline const CLI::Validator finite_positive = number_check([](double x) { return std::isfinite(x) && x > 0; },
                                                           "a finite positive number", "> 0", "finite positive");
inline const CLI::Validator finite_non_negative =
    number_check([](double x) { return std::isfinite(x) && x >= 0; }, "zero or a finite positive number", ">= 0",
                 "finite non-negative");
// A learning rate: the networks train in float, where a rate below its smallest normal number
// (1.2e-38; 1e-320 is 0) leaves every weight where it is, and a test accuracy of chance unexplained.
inline const CLI::Validator learning_rate = number_check(
    [](double x) {
        return x >= static_cast<double>(std::numeric_limits<float>::min()) &&
               x <= static_cast<double>(std::numeric_limits<float>::max());
    },
    "a number from 1.2e-38 to 3.4e38 (a float's normal range)", "1.2e-38 to 3.4e38", "learning rate");
inline const CLI::Validator zero_to_one =
    number_check([](double x) { return x >= 0 && x <= 1; }, "a number from 0 to 1", "0 to 1", "zero to one");

/// A seed: a whole number from 0 to 2^63 - 1, the range checkpoints read back (as a signed
/// 64-bit integer). Checked as text: CLI11 would wrap -1 around to 2^64 - 1, saturate larger
/// numbers and read 010 as octal.
inline const CLI::Validator seed_check(
    [](std::string& v) -> std::string {
        std::int64_t x = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
        const bool plain = !v.empty() && v[0] != '-' && (v == "0" || v[0] != '0');
        return plain && ec == std::errc{} && end == v.data() + v.size()
                   ? std::string()
                   : "must be a whole number from 0 to " + std::to_string(std::numeric_limits<std::int64_t>::max()) +
                         ", got '" + v + "'";
    },
    "0 to 2^63 - 1", "seed");

/// Parses the command line. Returns the exit status when the program stops here: after --help
/// (its text on standard output, checked like every command's output: `--help > /dev/full`
/// fails) or after a parse error (its message on standard error). Returns nothing otherwise.
[[nodiscard]] inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    // A misspelt command ("trian") got CLI11's "A subcommand is required", naming neither.
    const auto commands = app.get_subcommands([](const CLI::App*) { return true; });
    if (argc > 1 && argv[1][0] != '-' && !commands.empty() &&
        std::none_of(commands.begin(), commands.end(), [&](const CLI::App* c) { return c->check_name(argv[1]); })) {
        std::string names;
        for (const CLI::App* c : commands) names += (names.empty() ? "" : ", ") + c->get_name();
        std::fprintf(stderr, "error: unknown command '%s'; the commands are %s (--help describes them)\n", argv[1],
                     names.c_str());
        return static_cast<int>(CLI::ExitCodes::ExtrasError);
    }
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::ParseError& e) {
        return finish_standard_output(app.exit(e));
    }
}

/// Most threads --threads takes: more is a typo, each thread holding its own workspace.
inline constexpr int max_threads = 1024;
inline const CLI::Validator thread_range = whole_number(0, max_threads);

/// Applies --threads (0: OMP_NUM_THREADS, or one per core) and refuses a team above max_threads,
/// which OMP_NUM_THREADS can still ask for: the per-thread workspaces of a huge team run out of
/// memory with a message that blames the batch size.
inline void use_threads(int n) {
    siamese::set_num_threads(n);
    if (siamese::num_threads() > max_threads) {
        throw std::invalid_argument("OMP_NUM_THREADS asks for " + std::to_string(siamese::num_threads()) +
                                    " threads, more than the " + std::to_string(max_threads) +
                                    " allowed; give --threads or a smaller OMP_NUM_THREADS");
    }
    // More threads than cores take turns on them, and each turn costs: 1024 threads on 2 cores
    // trained some 30 times slower than 2.
    const unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0 && siamese::num_threads() > static_cast<int>(cores)) {
        std::fprintf(stderr, "note: %d threads on %u cores run much slower than one per core (--threads 0)\n",
                     siamese::num_threads(), cores);
    }
}

/// Refuses the options of `options` given on `cmd` when this run does not read them (`read` is
/// false): a value meant for another mode (--margin under --loss bce) would be dropped without a
/// word, and the run would not be the one asked for. `reader` names the setting under which they
/// are read, `this_run` the run's own: "--margin is read only with --loss contrastive or triplet;
/// this run has --loss bce: leave it out or choose that setting".
inline void refuse_unread(const CLI::App& cmd, std::initializer_list<const char*> options, bool read,
                          const std::string& reader, const std::string& this_run) {
    if (read) return;
    for (const char* option : options) {
        if (cmd.count(option) > 0) {
            throw std::invalid_argument(std::string(option) + " is read only with " + reader + "; this run has " +
                                        this_run + ": leave it out or choose that setting");
        }
    }
}

/// Makes `resume` exclude every option of `cmd` but the `kept` ones (where the data is, where to
/// write, threads, help): a resumed run goes on with the settings its checkpoint holds, so any
/// other value given would be ignored without a word. Call it after the last option is added;
/// naming the options kept, not the ones fixed, leaves no new option out.
inline void resume_excludes_all_but(CLI::App& cmd, CLI::Option* resume, std::initializer_list<std::string> kept) {
    for (CLI::Option* option : cmd.get_options()) {
        // check_name, not get_name: a hidden option's get_name() is empty (--stop-after,
        // --debug-pause).
        const bool keep =
            std::any_of(kept.begin(), kept.end(), [&](const std::string& k) { return option->check_name(k); });
        if (option != resume && !keep) resume->excludes(option);
    }
}

/// Refuses a weight decay that makes the weights grow instead of shrink. SGD (the decay an L2
/// term of the gradient) and AdamW (decoupled) scale every weight by 1 - lr x weight_decay each
/// step; past 2 (past 2 (1 + momentum) with SGD's heavy-ball momentum) the decay alone makes the
/// weights swing ever wider until they overflow. Adam's L2 term goes through its
/// normalisation, so it cannot do this.
/// `largest_lr` is the largest rate any weight gets; `lr_text` says where it comes from.
inline void check_weight_decay(const std::string& optimizer, double largest_lr, const std::string& lr_text,
                               double momentum, double weight_decay) {
    if (optimizer != "sgd" && optimizer != "adamw") return;
    const double limit = optimizer == "sgd" ? 2 * (1 + momentum) : 2;
    if (largest_lr * weight_decay <= limit) return;
    auto number = [](double x) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", x);
        return std::string(text);
    };
    throw std::invalid_argument("--weight-decay " + number(weight_decay) + ": " + lr_text + " x --weight-decay is " +
                                number(largest_lr * weight_decay) + ", above the " + number(limit) + " at which " +
                                optimizer +
                                "'s decay alone makes the weights grow each step until they overflow; "
                                "give a smaller --weight-decay");
}

/// The real-valued setting `key` of checkpoint `c`, accepted only where the command line's
/// `check` accepts it: an edited file would otherwise bring back a NaN rate or a probability of 5
/// that no command line could give. Otherwise io_error "PATH: metadata 'KEY' " and what `check`
/// says, e.g. for a NaN lr "PATH: metadata 'lr' must be a number from 1.2e-38 to 3.4e38 (a
/// float's normal range), got 'nan'".
inline double checked_real(const siamese::io::Checkpoint& c, const std::string& key, const CLI::Validator& check) {
    std::string text = c.at(key);
    if (const std::string problem = check(text); !problem.empty()) {
        throw siamese::io_error(c.path() + ": metadata '" + key + "' " + problem);
    }
    return c.at_real(key);
}

}  // namespace examples
