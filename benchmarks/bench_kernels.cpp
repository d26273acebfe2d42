// SPDX-License-Identifier: MIT
// Kernel benchmarks at the tutorial's shapes (batch 200 = 100 pairs), each beside its naive
// reference twin, plus the SGEMM ceiling that conv2's forward is measured against.
// Names: <what>/<kernel>[/reference]; arguments "threads" (1, 2) or "images" (references are
// serial and slow, so they run a smaller batch: GFLOP/s is per work done either way).
#include "bench_common.hpp"

#include <cstdint>
#include <vector>

namespace {

using namespace siamese;
using namespace siamese::bench;
namespace k = siamese::kernels;

constexpr index_t batch = 200;

// ---------------------------------------------------------------- SGEMM ceiling
// Our GEMM at a large square size (threaded inside gemm), and on conv2's per-image shape
// [64 x 288] x [288 x 121], 200 images split over the threads like a per-sample convolution.
void sgemm_square(benchmark::State& state) {
    const index_t n = state.range(0);
    use_threads(state, 1);
    const auto a = random(Shape{n, n}), b = random(Shape{n, n}, -1, 1, 2);
    Tensor<float> c(Shape{n, n}), work(Shape{k::gemm_workspace_size<float>(n, n, n, num_threads())});
    for (auto _ : state) {
        k::gemm(k::Op::none, k::Op::none, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n, work.data());
        benchmark::DoNotOptimize(c.data());
    }
    report(state, 2.0 * static_cast<double>(n * n * n), 1);
}

void sgemm_conv2_image(benchmark::State& state) {
    const int threads = use_threads(state, 0);
    const index_t M = 64, N = 121, K = 288;
    const auto a = random(Shape{M, K}), b = random(Shape{batch, K, N}, -1, 1, 2);
    Tensor<float> c(Shape{batch, M, N});
    const index_t per_thread = k::simd::round_up(k::gemm_workspace_size<float>(M, N, K, 1), 16);
    Tensor<float> work(Shape{threads * per_thread});
    for (auto _ : state) {
        parallel_ranges(batch, [&](int t, index_t n0, index_t n1) {
            for (index_t n = n0; n < n1; ++n) {
                k::gemm(k::Op::none, k::Op::none, M, N, K, 1.0f, a.data(), K, b.data() + n * K * N, N, 0.0f,
                        c.data() + n * M * N, N, work.data() + t * per_thread);
            }
        });
        benchmark::DoNotOptimize(c.data());
    }
    report(state, 2.0 * static_cast<double>(batch * M * N * K), static_cast<double>(batch));
}

// ---------------------------------------------------------------- plain convolution (im2col + GEMM)
enum class Pass { forward, backward_data, backward_weights };

void conv_plain(benchmark::State& state, int which, Pass pass) {
    use_threads(state, 0);
    const auto g = conv_geometry(which);
    const auto x = random(Shape{batch, g.channels, g.height, g.width}, 0, 1);
    const auto w = random(Shape{g.weight_size()}, -0.2, 0.2), b = random(Shape{g.out_channels});
    const auto dy = random(Shape{batch * g.out_sample()});
    Tensor<float> y(Shape{batch * g.out_sample()}), dx(x.shape()), dw(w.shape()), db(b.shape());
    Tensor<float> work(Shape{k::conv2d_workspace_size<float>(g, num_threads())});
    for (auto _ : state) {
        if (pass == Pass::forward) k::conv2d_forward(g, batch, x.data(), w.data(), b.data(), y.data(), work.data());
        if (pass == Pass::backward_data) k::conv2d_backward_data(g, batch, dy.data(), w.data(), dx.data(), work.data());
        if (pass == Pass::backward_weights) {
            k::conv2d_backward_weights(g, batch, x.data(), dy.data(), dw.data(), db.data(), work.data());
        }
        benchmark::ClobberMemory();
    }
    report(state, 2.0 * static_cast<double>(batch * g.macs()), static_cast<double>(batch));
}

void conv_plain_reference(benchmark::State& state, int which, Pass pass) {
    const index_t n = state.range(0);
    const auto g = conv_geometry(which);
    const auto x = random(Shape{n, g.channels, g.height, g.width}, 0, 1);
    const auto w = random(Shape{g.weight_size()}, -0.2, 0.2), b = random(Shape{g.out_channels});
    const auto dy = random(Shape{n * g.out_sample()});
    Tensor<float> y(Shape{n * g.out_sample()}), dx(x.shape()), dw(w.shape()), db(b.shape());
    for (auto _ : state) {
        if (pass == Pass::forward) k::reference::conv2d_forward(g, n, x.data(), w.data(), b.data(), y.data());
        if (pass == Pass::backward_data) k::reference::conv2d_backward_data(g, n, dy.data(), w.data(), dx.data());
        if (pass == Pass::backward_weights) {
            k::reference::conv2d_backward_weights(g, n, x.data(), dy.data(), dw.data(), db.data());
        }
        benchmark::ClobberMemory();
    }
    report(state, 2.0 * static_cast<double>(n * g.macs()), static_cast<double>(n));
}

// ---------------------------------------------------------------- fused conv -> ReLU -> 2x2 max-pool
// FLOPS counts the dense convolution's work (what the unfused layers do); the forward also
// reports FLOPS_computed, the multiply-adds it actually runs (only pixels inside a pool window).
// The backward passes skip outputs the pool or ReLU did not pass, so their FLOPS is an
// effective rate; the share of pooled outputs that passed is reported as "alive".
void conv_fused(benchmark::State& state, int which, Pass pass) {
    use_threads(state, 0);
    const auto g = conv_geometry(which);
    const index_t out = batch * g.out_channels * k::pooled_plane(g);
    const auto x = random(Shape{batch, g.channels, g.height, g.width}, 0, 1);
    const auto w = random(Shape{g.weight_size()}, -0.2, 0.2), b = random(Shape{g.out_channels}, -0.1, 0.1);
    const auto dy = random(Shape{out});
    Tensor<float> y(Shape{out}), dx(x.shape()), dw(w.shape()), db(b.shape());
    Tensor<float> cache(Shape{batch * k::conv_relu_pool_cache_size(g)});
    Tensor<float> work(Shape{k::conv_relu_pool_workspace_size<float>(g, num_threads())});
    std::vector<index_t> table(static_cast<std::size_t>(k::conv_relu_pool_table_size(g)));
    std::vector<std::uint8_t> code(static_cast<std::size_t>(out));
    auto forward = [&] {
        k::conv_relu_pool_forward(g, batch, x.data(), w.data(), b.data(), y.data(), code.data(), cache.data(),
                                  work.data(), table.data());
    };
    forward();
    for (auto _ : state) {
        if (pass == Pass::forward) forward();
        if (pass == Pass::backward_data) {
            k::conv_relu_pool_backward<float>(g, batch, dy.data(), code.data(), cache.data(), w.data(), nullptr,
                                              nullptr, dx.data(), work.data(), table.data());
        }
        if (pass == Pass::backward_weights) {
            k::conv_relu_pool_backward<float>(g, batch, dy.data(), code.data(), cache.data(), w.data(), dw.data(),
                                              db.data(), nullptr, work.data(), table.data());
        }
        benchmark::ClobberMemory();
    }
    const double nominal = 2.0 * static_cast<double>(batch * g.macs());
    report(state, nominal, static_cast<double>(batch));
    if (pass == Pass::forward) {
        const double computed =
            nominal * static_cast<double>(4 * k::pooled_plane(g)) / static_cast<double>(g.out_plane());
        state.counters["FLOPS_computed"] =
            benchmark::Counter(computed * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    }
    index_t alive = 0;
    for (auto c : code) alive += c != k::relu_cut;
    state.counters["alive"] = static_cast<double>(alive) / static_cast<double>(out);
}

void conv_fused_reference(benchmark::State& state, int which, Pass pass) {
    const index_t n = state.range(0);
    const auto g = conv_geometry(which);
    const index_t out = n * g.out_channels * k::pooled_plane(g);
    const auto x = random(Shape{n, g.channels, g.height, g.width}, 0, 1);
    const auto w = random(Shape{g.weight_size()}, -0.2, 0.2), b = random(Shape{g.out_channels}, -0.1, 0.1);
    const auto dy = random(Shape{out});
    Tensor<float> y(Shape{out}), dx(x.shape()), dw(w.shape()), db(b.shape());
    std::vector<std::uint8_t> code(static_cast<std::size_t>(out));
    k::reference::conv_relu_pool_forward(g, n, x.data(), w.data(), b.data(), y.data(), code.data());
    for (auto _ : state) {
        if (pass == Pass::forward)
            k::reference::conv_relu_pool_forward(g, n, x.data(), w.data(), b.data(), y.data(), code.data());
        // The reference backward does both halves; it stands beside each of them.
        if (pass != Pass::forward) {
            k::reference::conv_relu_pool_backward(g, n, dy.data(), code.data(), x.data(), w.data(), dw.data(),
                                                  db.data(), dx.data());
        }
        benchmark::ClobberMemory();
    }
    report(state, 2.0 * static_cast<double>(n * g.macs()) * (pass == Pass::forward ? 1.0 : 2.0),
           static_cast<double>(n));
}

// ---------------------------------------------------------------- Linear (fc1: 1600 -> 120)
void linear(benchmark::State& state, Pass pass) {
    use_threads(state, 0);
    const index_t IN = 1600, OUT = 120;
    const auto x = random(Shape{batch, IN}), w = random(Shape{OUT, IN}, -0.03, 0.03), b = random(Shape{OUT});
    const auto dy = random(Shape{batch, OUT});
    Tensor<float> y(Shape{batch, OUT}), dx(x.shape()), dw(w.shape()), db(b.shape());
    Tensor<float> work(Shape{k::linear_workspace_size<float>(batch, IN, OUT, num_threads())});
    for (auto _ : state) {
        if (pass == Pass::forward)
            k::linear_forward(batch, IN, OUT, x.data(), w.data(), b.data(), y.data(), work.data());
        if (pass == Pass::backward_data)
            k::linear_backward_data(batch, IN, OUT, dy.data(), w.data(), dx.data(), work.data());
        if (pass == Pass::backward_weights) {
            k::linear_backward_weights(batch, IN, OUT, x.data(), dy.data(), dw.data(), db.data(), work.data());
        }
        benchmark::ClobberMemory();
    }
    report(state, 2.0 * static_cast<double>(batch * IN * OUT), static_cast<double>(batch));
}

void linear_reference(benchmark::State& state) {
    const index_t n = state.range(0), IN = 1600, OUT = 120;
    const auto x = random(Shape{n, IN}), w = random(Shape{OUT, IN}, -0.03, 0.03), b = random(Shape{OUT});
    Tensor<float> y(Shape{n, OUT});
    for (auto _ : state) {
        k::reference::linear_forward(n, IN, OUT, x.data(), w.data(), b.data(), y.data());
        benchmark::ClobberMemory();
    }
    report(state, 2.0 * static_cast<double>(n * IN * OUT), static_cast<double>(n));
}

// ---------------------------------------------------------------- MaxPool2d(2) on conv1's output
void max_pool(benchmark::State& state, bool backward) {
    use_threads(state, 0);
    const k::Pool2dGeometry g{32, 26, 26, 2, 2};
    const auto x = random(Shape{batch, 32, 26, 26});
    Tensor<float> y(Shape{batch * g.out_sample()}), dx(x.shape());
    const auto dy = random(y.shape());
    std::vector<std::int32_t> arg(static_cast<std::size_t>(y.size()));
    k::max_pool2d_forward(g, batch, x.data(), y.data(), arg.data());
    for (auto _ : state) {
        if (backward) {
            k::max_pool2d_backward(g, batch, dy.data(), arg.data(), dx.data());
        } else {
            k::max_pool2d_forward(g, batch, x.data(), y.data(), arg.data());
        }
        benchmark::ClobberMemory();
    }
    // One comparison (or one add) per input element; "FLOPS" counts those.
    report(state, static_cast<double>(x.size()), static_cast<double>(batch));
}

void max_pool_reference(benchmark::State& state) {
    const index_t n = state.range(0);
    const k::Pool2dGeometry g{32, 26, 26, 2, 2};
    const auto x = random(Shape{n, 32, 26, 26});
    Tensor<float> y(Shape{n * g.out_sample()});
    std::vector<std::int32_t> arg(static_cast<std::size_t>(y.size()));
    for (auto _ : state) {
        k::reference::max_pool2d_forward(g, n, x.data(), y.data(), arg.data());
        benchmark::ClobberMemory();
    }
    report(state, static_cast<double>(x.size()), static_cast<double>(n));
}

// ---------------------------------------------------------------- registration
void with_threads(benchmark::internal::Benchmark* b) {
    b->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
}
void with_images(benchmark::internal::Benchmark* b, index_t images) {
    b->ArgName("images")->Arg(images)->UseRealTime()->Unit(benchmark::kMillisecond);
}

const bool registered = [] {
    benchmark::RegisterBenchmark("sgemm/square", sgemm_square)
        ->ArgNames({"n", "threads"})
        ->Args({1024, 1})
        ->Args({1024, 2})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    with_threads(benchmark::RegisterBenchmark("sgemm/conv2_image", sgemm_conv2_image));
    const std::pair<Pass, const char*> passes[] = {{Pass::forward, "forward"},
                                                   {Pass::backward_data, "backward_data"},
                                                   {Pass::backward_weights, "backward_weights"}};
    for (int which : {1, 2}) {
        const std::string conv = "conv" + std::to_string(which);
        for (const auto& [pass, name] : passes) {
            with_threads(benchmark::RegisterBenchmark((conv + "/" + name).c_str(), conv_plain, which, pass));
            with_images(benchmark::RegisterBenchmark((conv + "/" + name + "/reference").c_str(), conv_plain_reference,
                                                     which, pass),
                        which == 1 ? 50 : 10);
        }
        for (const auto& [pass, name] : passes) {
            with_threads(benchmark::RegisterBenchmark((conv + "_relu_pool/" + name).c_str(), conv_fused, which, pass));
            with_images(benchmark::RegisterBenchmark((conv + "_relu_pool/" + name + "/reference").c_str(),
                                                     conv_fused_reference, which, pass),
                        which == 1 ? 50 : 10);
        }
    }
    for (const auto& [pass, name] : passes) {
        with_threads(benchmark::RegisterBenchmark((std::string("fc1/") + name).c_str(), linear, pass));
    }
    with_images(benchmark::RegisterBenchmark("fc1/forward/reference", linear_reference), 50);
    with_threads(benchmark::RegisterBenchmark("max_pool/forward", max_pool, false));
    with_threads(benchmark::RegisterBenchmark("max_pool/backward", max_pool, true));
    with_images(benchmark::RegisterBenchmark("max_pool/forward/reference", max_pool_reference), batch);
    return true;
}();

}  // namespace
