// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/io/optimizer_state.hpp>

#include <algorithm>
#include <string>
#include <utility>

using namespace siamese;

namespace {

/// Two parameters, w [3, 2] and b [2], with gradients; a copy owns its own tensors.
struct TwoParams {
    Tensor<double> w, b, dw, db;
    explicit TwoParams(Rng& rng)
        : w(test::random_tensor(Shape{3, 2}, rng)),
          b(test::random_tensor(Shape{2}, rng)),
          dw(Shape{3, 2}),
          db(Shape{2}) {}
    ParamList<double> params() { return {{"w", &w, &dw}, {"b", &b, &db}}; }
    void random_grads(Rng& rng) {
        for (index_t i = 0; i < dw.size(); ++i) dw[i] = rng.uniform(-1, 1);
        for (index_t i = 0; i < db.size(); ++i) db[i] = rng.uniform(-1, 1);
    }
    bool same_values(const TwoParams& o) const {
        return std::equal(w.begin(), w.end(), o.w.begin()) && std::equal(b.begin(), b.end(), o.b.begin());
    }
};

/// Trains `first` for 3 steps, saves its state through a checkpoint's bytes, restores it into
/// `resumed` (over a copy of the parameters) and steps both twice more on the same gradients.
/// Returns whether the parameters end bit-identical; `restore` false skips the restore.
template <class Optimizer, class Options>
bool resumes_exactly(Options options, bool restore) {
    Rng rng(5);
    TwoParams a(rng);
    Optimizer first(a.params(), options);
    for (int k = 0; k < 3; ++k) {
        a.random_grads(rng);
        first.step();
    }
    io::Checkpoint saved;
    io::add_optimizer_state(saved, std::as_const(first));  // saving reads the optimizer only
    const auto loaded = io::Checkpoint::parse(saved.serialize(), "run.ckpt");

    TwoParams b(a);
    Optimizer resumed(b.params(), options);
    if (restore) io::restore_optimizer_state(loaded, resumed);
    for (int k = 0; k < 2; ++k) {
        a.random_grads(rng);
        b.dw = a.dw;
        b.db = a.db;
        first.step();
        resumed.step();
    }
    return a.same_values(b);
}

}  // namespace

TEST_CASE("optimizer state: a restored Sgd, Adam or AdamW steps exactly as the one that was saved") {
    CHECK(resumes_exactly<Sgd<double>>(SgdOptions{.lr = 0.05, .momentum = 0.9}, true));
    CHECK(resumes_exactly<Adam<double>>(AdamOptions{.lr = 0.05}, true));
    CHECK(resumes_exactly<AdamW<double>>(AdamWOptions{.lr = 0.05}, true));
    // Without the state the runs part: the check above can fail.
    CHECK_FALSE(resumes_exactly<Sgd<double>>(SgdOptions{.lr = 0.05, .momentum = 0.9}, false));
    CHECK_FALSE(resumes_exactly<Adam<double>>(AdamOptions{.lr = 0.05}, false));
}

TEST_CASE("optimizer state: keys are named after the parameters") {
    Rng rng(6);
    TwoParams p(rng);
    Sgd<double> sgd(p.params(), {.lr = 0.1, .momentum = 0.5});
    Adam<double> adam(p.params(), {});
    io::Checkpoint c;
    io::add_optimizer_state(c, sgd);
    io::add_optimizer_state(c, adam);
    for (const char* key : {"optimizer.velocity.w", "optimizer.velocity.b", "optimizer.m.w", "optimizer.v.w",
                            "optimizer.m.b", "optimizer.v.b"}) {
        CAPTURE(key);
        CHECK(c.contains(key));
    }
    CHECK(c.at_integer("optimizer_steps") == 0);
}

TEST_CASE("optimizer state: two parameters of one name are refused (one state was saved over the other)") {
    // Two layers' own params() both name theirs "w": the file held one buffer, restored into both.
    Rng rng(8);
    TwoParams first(rng), second(rng);
    ParamList<double> both = {{"w", &first.w, &first.dw}, {"w", &second.w, &second.dw}};
    Sgd<double> sgd(both, {.lr = 0.1, .momentum = 0.5});
    Adam<double> adam(both, {});
    io::Checkpoint c;
    CHECK_THROWS_WITH_AS(io::add_optimizer_state(c, sgd),
                         doctest::Contains("add_optimizer_state: two parameters are named 'w' (numbers 0 and 1)"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(io::add_optimizer_state(c, adam), doctest::Contains("named 'w'"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(io::restore_optimizer_state(c, sgd), doctest::Contains("restore_optimizer_state"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(io::restore_optimizer_state(c, adam), doctest::Contains("restore_optimizer_state"),
                         std::invalid_argument);
    CHECK(c.entries().empty());
}

TEST_CASE("optimizer state: a missing or misshapen tensor, or a bad step count, is an io_error; nothing changes") {
    Rng rng(7);
    TwoParams p(rng);
    Adam<double> adam(p.params(), {.lr = 0.05});
    p.random_grads(rng);
    adam.step();
    io::Checkpoint good;
    io::add_optimizer_state(good, adam);
    const auto m_before = adam.first_moments()[1];

    // Restored into an optimizer whose state differs, so that a partial restore would show.
    TwoParams q(rng);
    Adam<double> other(q.params(), {.lr = 0.05});
    for (int k = 0; k < 2; ++k) {
        q.random_grads(rng);
        other.step();
    }
    const auto other_m = other.first_moments(), other_v = other.second_moments();
    auto unchanged = [&] {
        CHECK(other.step_count() == 2);
        for (std::size_t k = 0; k < 2; ++k) {
            CHECK(std::equal(other_m[k].begin(), other_m[k].end(), other.first_moments()[k].begin()));
            CHECK(std::equal(other_v[k].begin(), other_v[k].end(), other.second_moments()[k].begin()));
        }
    };

    // `good` without tensor `name` (add refuses to replace one); its metadata are kept.
    const auto good_without = [&](const std::string& name) {
        io::Checkpoint rebuilt;
        for (const auto& e : good.entries()) {
            if (e.name == name) continue;
            Tensor<double> t(e.shape);
            good.read(e.name, t);
            rebuilt.add(e.name, t);
        }
        for (const auto& [key, value] : good.metadata()) rebuilt.set(key, value);
        return rebuilt;
    };

    // The last tensor read is missing: every earlier one was read, none may be kept.
    const auto missing = io::Checkpoint::parse(good_without("optimizer.v.b").serialize(), "missing.ckpt");
    test::require_io_error([&] { io::restore_optimizer_state(missing, other); },
                           {"missing.ckpt", "has no tensor 'optimizer.v.b'"});
    unchanged();

    io::Checkpoint misshapen = good_without("optimizer.m.w");
    misshapen.add("optimizer.m.w", Tensor<double>(Shape{2, 3}));
    test::require_io_error([&] { io::restore_optimizer_state(misshapen, other); },
                           {"'optimizer.m.w' is [2, 3] in the checkpoint but [3, 2]"});
    unchanged();

    for (const std::string steps : {"-1", "two", ""}) {
        io::Checkpoint bad = io::Checkpoint::parse(good.serialize(), "steps.ckpt");
        bad.set("optimizer_steps", steps);
        CAPTURE(steps);
        test::require_io_error([&] { io::restore_optimizer_state(bad, other); }, {"steps.ckpt", "optimizer_steps"});
        unchanged();
    }

    // An SGD run's checkpoint restored into Adam says so, rather than naming the missing step
    // count; with a step count but no moments, the first missing moment is named.
    Sgd<double> sgd(p.params(), {.lr = 0.1});
    io::Checkpoint sgd_state = io::Checkpoint::parse(
        [&] {
            io::Checkpoint c;
            io::add_optimizer_state(c, sgd);
            return c.serialize();
        }(),
        "sgd.ckpt");
    test::require_io_error([&] { io::restore_optimizer_state(sgd_state, other); },
                           {"sgd.ckpt: holds Sgd momentum buffers (optimizer.velocity.w), not Adam or AdamW moments"});
    unchanged();
    sgd_state.set("optimizer_steps", "1");
    test::require_io_error([&] { io::restore_optimizer_state(sgd_state, other); }, {"has no tensor 'optimizer.m.w'"});
    unchanged();
    // And an Adam run's checkpoint restored into Sgd says so; the Sgd's buffers stay as they were.
    test::require_io_error([&] { io::restore_optimizer_state(good, sgd); },
                           {"holds Adam or AdamW moments (optimizer.m.w), not Sgd momentum buffers"});
    REQUIRE(sgd.velocity().size() == 2);
    CHECK(sgd.velocity()[0].shape() == Shape{3, 2});
    CHECK(std::all_of(sgd.velocity()[0].begin(), sgd.velocity()[0].end(), [](double x) { return x == 0.0; }));
    // A checkpoint of neither kind (saved without optimizer state) names the missing key; it holds
    // no other optimizer's state to blame.
    const auto no_state = io::Checkpoint::parse(io::Checkpoint{}.serialize(), "weights_only.ckpt");
    test::require_io_error([&] { io::restore_optimizer_state(no_state, sgd); },
                           {"weights_only.ckpt", "has no tensor 'optimizer.velocity.w'"});
    CHECK(test::io_error_of([&] { io::restore_optimizer_state(no_state, sgd); }).find("holds") == std::string::npos);

    // The good checkpoint restores.
    io::restore_optimizer_state(good, other);
    CHECK(other.step_count() == 1);
    CHECK(std::equal(m_before.begin(), m_before.end(), other.first_moments()[1].begin()));
}
