// SPDX-License-Identifier: MIT
// Thread control: set_num_threads and OMP_NUM_THREADS decide the team, and one or two threads
// train the tutorial network to the same numbers (up to the order of a few partial sums).
#include "test_util.hpp"

#include <cstdlib>
#include <vector>

using namespace siamese;

namespace {

/// Parameters after `steps` training steps of the tutorial network from a fixed seed.
std::vector<std::vector<float>> train(int threads, int steps) {
    set_num_threads(threads);
    Rng rng(2024);
    Siamese model(make_seed_cnn<float>(rng), Shape{1, 28, 28}, rng);
    Sgd<float> sgd(model.params(), {.lr = 0.01, .momentum = 0.5});
    BceWithLogits<float> loss;
    std::vector<float> same(24, 0.0f);
    for (std::size_t i = 12; i < same.size(); ++i) same[i] = 1.0f;
    for (int s = 0; s < steps; ++s) {
        const auto left = test::random_tensor<float>(Shape{24, 1, 28, 28}, rng, 0, 1);
        const auto right = test::random_tensor<float>(Shape{24, 1, 28, 28}, rng, 0, 1);
        sgd.zero_grad();
        loss.forward(model.logits(left, right), same);
        model.backward(loss.backward());
        sgd.step();
    }
    std::vector<std::vector<float>> out;
    for (const auto& p : model.params()) out.emplace_back(p.value->begin(), p.value->end());
    set_num_threads(0);
    return out;
}

#ifdef _OPENMP
// The team OpenMP starts with (OMP_NUM_THREADS, or one per core), read before any test changes it.
const int initial_team = omp_get_max_threads();
// A program may change the team before its first set_num_threads call (here before main, as if
// in main's first line); set_num_threads(0) still restores OpenMP's default, not that team.
[[maybe_unused]] const bool team_changed_before_first_call = (omp_set_num_threads(initial_team + 1), true);
#endif

}  // namespace

TEST_CASE("set_num_threads sets the team size; 0 restores the default") {
#ifdef _OPENMP
    set_num_threads(1);
    CHECK(num_threads() == 1);
    set_num_threads(2);
    CHECK(num_threads() == 2);
    int seen = 0;
    int index_of[2] = {-1, -1};  // thread_index() as each thread of the team sees it
    parallel_ranges(10, [&](int t, index_t, index_t) {
        if (t == 1) seen = 1;
        index_of[t] = thread_index();
    });
    CHECK(seen == 1);
    CHECK(index_of[0] == 0);
    CHECK(index_of[1] == 1);
    CHECK(thread_index() == 0);  // outside a parallel region
    set_num_threads(0);
    CHECK(num_threads() == initial_team);
    const char* env = std::getenv("OMP_NUM_THREADS");
    CHECK(num_threads() == (env != nullptr ? std::atoi(env) : omp_get_num_procs()));
#else
    set_num_threads(2);
    CHECK(num_threads() == 1);
#endif
}

TEST_CASE("parallel_ranges covers [0, n) once, in contiguous ranges") {
    for (int threads : {1, 2, 3}) {
        set_num_threads(threads);
        for (index_t n : {0, 1, 2, 7, 100}) {
            std::vector<int> hits(static_cast<std::size_t>(n), 0);
            parallel_ranges(n, [&](int, index_t b, index_t e) {
                for (index_t i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
            });
            for (int h : hits) CHECK(h == 1);
        }
    }
    set_num_threads(0);
}

TEST_CASE("one and two threads train the tutorial network to the same weights (1e-5 relative)") {
    const auto one = train(1, 4);
    const auto two = train(2, 4);
    REQUIRE(one.size() == two.size());
    for (std::size_t k = 0; k < one.size(); ++k) {
        CAPTURE(k);
        const double d =
            test::max_relative_difference(one[k].data(), two[k].data(), static_cast<index_t>(one[k].size()), 1e-3);
        CHECK(d <= 1e-5);
    }
}
