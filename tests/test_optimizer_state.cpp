// SPDX-License-Identifier: MIT
#include "test_util.hpp"

#include <siamese/io/optimizer_state.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

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

TEST_CASE("optimizer state: two models' optimizers in one checkpoint, each under its own key prefix") {
    // Two models with parameters of the same names, saved under "m1." and "m2.": under the
    // default keys the second optimizer's state replaced the first's, and optimizer 1 resumed
    // with optimizer 2's step count and moments without an error.
    Rng rng(9);
    TwoParams one(rng), two(rng);
    Adam<double> first(one.params(), {.lr = 0.05});
    AnyOptimizer<double> second(Sgd<double>(two.params(), {.lr = 0.1, .momentum = 0.9}));
    Adam<double> third(two.params(), {.lr = 0.01});
    for (int k = 0; k < 5; ++k) {
        one.random_grads(rng);
        first.step();
    }
    two.random_grads(rng);
    second.step();
    third.step();

    io::Checkpoint c;
    c.add_params(one.params(), "m1.");
    c.add_params(two.params(), "m2.");
    io::add_optimizer_state(c, first, "optimizer1");
    io::add_optimizer_state(c, second, "optimizer2");
    io::add_optimizer_state(c, third, "optimizer3");
    for (const char* key : {"optimizer1.m.w", "optimizer1.v.b", "optimizer2.velocity.w", "optimizer3.m.w"}) {
        CAPTURE(key);
        CHECK(c.contains(key));
    }
    CHECK_FALSE(c.get("optimizer_steps"));
    const auto loaded = io::Checkpoint::parse(c.serialize(), "two.ckpt");
    loaded.restore_params(one.params(), "m1.");  // the optimizers' keys are not among the models'
    loaded.restore_params(two.params(), "m2.");

    Adam<double> first_back(one.params(), {.lr = 0.05});
    AnyOptimizer<double> second_back(Sgd<double>(two.params(), {.lr = 0.1, .momentum = 0.9}));
    Adam<double> third_back(two.params(), {.lr = 0.01});
    io::restore_optimizer_state(loaded, first_back, "optimizer1");
    io::restore_optimizer_state(loaded, second_back, "optimizer2");
    io::restore_optimizer_state(loaded, third_back, "optimizer3");
    CHECK(first_back.step_count() == 5);
    CHECK(third_back.step_count() == 1);
    for (std::size_t k = 0; k < 2; ++k) {
        CHECK(std::equal(first.first_moments()[k].begin(), first.first_moments()[k].end(),
                         first_back.first_moments()[k].begin()));
        CHECK(std::equal(third.second_moments()[k].begin(), third.second_moments()[k].end(),
                         third_back.second_moments()[k].begin()));
    }
    const auto velocity_of = [](const AnyOptimizer<double>& o) {
        std::vector<Tensor<double>> velocity;
        o.visit([&](const auto& held) {
            if constexpr (requires { held.velocity(); }) velocity = held.velocity();
        });
        return velocity;
    };
    const auto velocity = velocity_of(second), velocity_back = velocity_of(second_back);
    REQUIRE(velocity.size() == 2);
    REQUIRE(velocity_back.size() == 2);
    CHECK(std::equal(velocity[0].begin(), velocity[0].end(), velocity_back[0].begin()));
    // Under another prefix, the state is not there.
    test::require_io_error([&] { io::restore_optimizer_state(loaded, first_back); },
                           {"has no metadata 'optimizer_steps'"});
    CHECK(first_back.step_count() == 5);
}

TEST_CASE("optimizer state: a second optimizer under the same keys is refused, nothing added") {
    Rng rng(10);
    TwoParams one(rng), two(rng);
    Adam<double> first(one.params(), {});
    Adam<double> second(two.params(), {});
    Sgd<double> sgd_first(one.params(), {.lr = 0.1, .momentum = 0.5});
    Sgd<double> sgd_second(two.params(), {.lr = 0.1, .momentum = 0.5});
    io::Checkpoint c;
    io::add_optimizer_state(c, first);
    io::add_optimizer_state(c, sgd_first);
    const std::string before = c.serialize();
    CHECK_THROWS_WITH_AS(io::add_optimizer_state(c, second),
                         "add_optimizer_state: the checkpoint already holds 'optimizer.m.w', another optimizer's "
                         "state: give each optimizer its own key prefix",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(io::add_optimizer_state(c, AnyOptimizer<double>(std::move(sgd_second))),
                         doctest::Contains("already holds 'optimizer.velocity.w'"), std::invalid_argument);
    // Parameters of other names: only the step count would have been saved over the other.
    ParamList<double> renamed = two.params();
    for (auto& p : renamed) p.name += "2";
    Adam<double> other_names(renamed, {});
    CHECK_THROWS_WITH_AS(io::add_optimizer_state(c, other_names),
                         "add_optimizer_state: the checkpoint already holds 'optimizer_steps', another optimizer's "
                         "state: give each optimizer its own key prefix",
                         std::invalid_argument);
    CHECK(c.serialize() == before);
    // The default prefix writes the keys every checkpoint had: the same bytes as before prefixes.
    io::Checkpoint named;
    io::add_optimizer_state(named, first, "optimizer");
    io::add_optimizer_state(named, sgd_first, "optimizer");
    CHECK(named.serialize() == before);
}

TEST_CASE("optimizer state: Adam's state is refused by AdamW and the reverse; a file without the kind restores") {
    // Their states look alike: AdamW went on from Adam's moments and step count without a word.
    Rng rng(11);
    TwoParams p(rng);
    Adam<double> adam(p.params(), {.lr = 0.05});
    AdamW<double> adamw(p.params(), {.lr = 0.05});
    for (int k = 0; k < 3; ++k) {
        p.random_grads(rng);
        adam.step();
    }
    p.random_grads(rng);
    adamw.step();
    io::Checkpoint adam_state, adamw_state;
    io::add_optimizer_state(adam_state, adam);
    io::add_optimizer_state(adamw_state, AnyOptimizer<double>(AdamW<double>(adamw)), "optimizer2");
    CHECK(adam_state.at("optimizer_kind") == "adam");
    CHECK(adamw_state.at("optimizer2_kind") == "adamw");
    const auto adam_file = io::Checkpoint::parse(adam_state.serialize(), "adam.ckpt");
    const auto adamw_file = io::Checkpoint::parse(adamw_state.serialize(), "adamw.ckpt");

    AdamW<double> into_adamw(p.params(), {.lr = 0.05});
    test::require_io_error([&] { io::restore_optimizer_state(adam_file, into_adamw); },
                           {"adam.ckpt: holds Adam moments (optimizer_kind 'adam'), not AdamW moments; resume with "
                            "the optimizer that wrote it"});
    CHECK(into_adamw.step_count() == 0);
    AnyOptimizer<double> into_adam(Adam<double>(p.params(), {.lr = 0.05}));
    test::require_io_error([&] { io::restore_optimizer_state(adamw_file, into_adam, "optimizer2"); },
                           {"adamw.ckpt: holds AdamW moments (optimizer2_kind 'adamw'), not Adam moments"});
    Adam<double> same_kind(p.params(), {.lr = 0.05});
    io::restore_optimizer_state(adam_file, same_kind);
    CHECK(same_kind.step_count() == 3);

    // A kind neither writes (an edited file) names the key and the kinds.
    io::Checkpoint edited = adam_file;
    edited.set("optimizer_kind", "rmsprop");
    test::require_io_error([&] { io::restore_optimizer_state(edited, same_kind); },
                           {"adam.ckpt: metadata 'optimizer_kind' is 'rmsprop', expected one of adam, adamw"});

    // Written before the kind was recorded: restores into either, as it did.
    io::Checkpoint without_kind;
    for (const auto& e : adam_file.entries()) {
        Tensor<double> t(e.shape);
        adam_file.read(e.name, t);
        without_kind.add(e.name, t);
    }
    without_kind.set("optimizer_steps", adam_file.at("optimizer_steps"));
    const auto old_file = io::Checkpoint::parse(without_kind.serialize(), "old.ckpt");
    AdamW<double> old_into_adamw(p.params(), {.lr = 0.05});
    io::restore_optimizer_state(old_file, old_into_adamw);
    CHECK(old_into_adamw.step_count() == 3);
    Adam<double> old_into_adam(p.params(), {.lr = 0.05});
    io::restore_optimizer_state(old_file, old_into_adam);
    CHECK(old_into_adam.step_count() == 3);
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
