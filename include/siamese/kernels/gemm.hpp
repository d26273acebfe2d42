// SPDX-License-Identifier: MIT
#pragma once

// General matrix product with our own packing and register-tiled micro-kernel.
//
// Why not Eigen: Eigen's GEMM mallocs its blocking buffers on every call once they exceed
// 128 KB, so a training step could never be allocation-free; and inside our own parallel regions
// it cannot be given a per-thread buffer. Speed is on par: measured on the machine of
// docs/performance.md (1 thread,
// -march=native, GFLOP/s, ours / Eigen 3.4): 1024^3 185 / 187, conv2's per-image 64x121x288
// 153 / 155, fc1 forward 200x120x1600 156 / 159, fc1 backward-data 179 / 173, backward-weights
// 165 / 168. The register tile alone runs at ~237 GFLOP/s from L1 (87 % of the 272 GFLOP/s FMA
// peak). The convolutions of the tutorial network do not come here: their implicit-GEMM tile
// (conv_relu_pool.hpp) skips im2col and packing.
//
// Layout: C is row-major and vectorised along its rows (N). A register tile is MR rows by
// NV vectors; each step of k broadcasts MR values of A and loads NV vectors of B.
//   AVX-512: 12 x 32 floats (24 of 32 registers hold accumulators; 12x2 measured 235-239
//            GFLOP/s against 6x4: 237, 8x3: 235, 14x2: 234 for k = 128..288)
//   AVX2:     6 x 16 floats (12 of 16 registers), portable: 4 x 4 scalars.
// Blocking: A is packed in MC x KC blocks (L2), B in KC x NR micro-panels (L1, reused by every
// MR-row tile of the block). KC = 256 measured best of 96..384 (1024^3: 157, 164, 174, 185,
// 180 GFLOP/s).
// Threads: C is split by rows (or by column panels when it has few rows), so each thread
// writes its own part of C; a B that must be packed is packed once, shared, before.

#include <siamese/kernels/simd.hpp>
#include <siamese/kernels/transpose.hpp>
#include <siamese/parallel.hpp>

#include <algorithm>

namespace siamese::kernels {

/// Whether a GEMM operand is read as stored or transposed.
enum class Op { none, transpose };

/// The register tile and cache blocking of gemm for T on this target.
template <class T>
struct GemmTile {
    using V = simd::Vec<T>;
    static constexpr int nv = V::width == 1 ? 4 : 2;
    static constexpr int mr = V::width == 1 ? 4 : (simd::register_count >= 32 ? 12 : 6);
    static constexpr index_t nr = nv * V::width;
    /// Rows of the tile when A is read in place: one address register per row, so fewer.
    static constexpr int mr_rows = V::width == 1 ? 4 : (simd::register_count >= 32 ? 8 : 4);
    static constexpr index_t kc = 256;      // a KC x NR micro-panel of B: 32 KB of float at NR = 32
    static constexpr index_t mc = 16 * mr;  // an MC x KC block of A: 192 KB of float on AVX-512
};

namespace detail {

/// gemm's workspace: B's packed panels (K x N rounded up to whole panels, shared by all threads),
/// then one block of packed A per thread, each starting on a cache line. gemm and
/// gemm_workspace_size both read it, so the size cannot fall short of what gemm writes.
template <class T>
struct GemmWorkspaceLayout {
    index_t packed_b;  ///< elements before the first A block
    index_t a_block;   ///< elements of each thread's A block

    constexpr GemmWorkspaceLayout(index_t M, index_t N, index_t K) noexcept
        : packed_b(simd::round_up(std::max<index_t>(K, 0) * simd::round_up(std::max<index_t>(N, 1), GemmTile<T>::nr),
                                  simd::line_elements<T>)),
          a_block(simd::round_up(std::min(GemmTile<T>::mc, simd::round_up(std::max<index_t>(M, 1), GemmTile<T>::mr)) *
                                     std::min(GemmTile<T>::kc, std::max<index_t>(K, 1)),
                                 simd::line_elements<T>)) {}

    [[nodiscard]] constexpr index_t size(int threads) const noexcept {
        return packed_b + static_cast<index_t>(std::max(threads, 1)) * a_block;
    }
};

}  // namespace detail

/// Elements of workspace gemm needs for these sizes with `threads` threads.
template <class T>
[[nodiscard]] constexpr index_t gemm_workspace_size(index_t M, index_t N, index_t K, int threads) noexcept {
    return detail::GemmWorkspaceLayout<T>(M, N, K).size(threads);
}

namespace detail {

/// How the register tile reads A: from MR-row panels packed k-major (`packed`), or straight
/// from the rows of a row-major A (`rows`, no packing: pays off when few column panels reuse A).
enum class AMode { packed, rows };

/// The register tile: c[0:rows, 0:cols] = alpha * (a * b) + beta * c over kc steps. b holds NV
/// vectors per step at row stride ldb. beta == 0 never reads c.
// a: packed [kc, MR] or rows [MR, lda]   b: [kc, ldb]  ->  c: [rows <= MR, cols <= NV*W] (stride ldc)
template <class T, int MR, int NV, AMode Mode>
inline void gemm_micro_kernel(index_t kc, const T* a, index_t lda, const T* b, index_t ldb, T alpha, T beta, T* c,
                              index_t ldc, index_t rows, index_t cols) noexcept {
    using V = simd::Vec<T>;
    constexpr int W = V::width;
    V acc[MR][NV];
    const T* a_row[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
        // Rows past the edge re-read row 0 (never out of bounds); their results are dropped.
        a_row[i] = a + (Mode == AMode::rows ? (i < rows ? i : 0) * lda : i);
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = V::zero();
    }
    for (index_t k = 0; k < kc; ++k) {
        V bv[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) bv[j] = V::load(b + k * ldb + j * W);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
            const V av = V::broadcast(Mode == AMode::rows ? a_row[i][k] : a[k * MR + i]);
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) acc[i][j] = fmadd(av, bv[j], acc[i][j]);
        }
    }
    const V valpha = V::broadcast(alpha), vbeta = V::broadcast(beta);
    const bool full = cols == NV * W;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
        if (i >= rows) break;
        T* row = c + i * ldc;
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) {
            const index_t n = cols - j * W;
            const V r = alpha == T(1) ? acc[i][j] : acc[i][j] * valpha;
            if (full) {
                (beta == T(0) ? r : fmadd(vbeta, V::load(row + j * W), r)).store(row + j * W);
            } else if (n > 0) {
                (beta == T(0) ? r : fmadd(vbeta, V::load_n(row + j * W, n), r)).store_n(row + j * W, n);
            }
        }
    }
}

/// Packs op(A)[m0:m0+mc, k0:k0+kc] into MR-row panels, k-major, rows past mc zeroed.
template <class T, int MR>
void gemm_pack_a(Op op, const T* A, index_t lda, index_t m0, index_t mc, index_t k0, index_t kc, T* out) noexcept {
    using V = simd::Vec<T>;
    for (index_t p = 0; p < mc; p += MR) {
        const index_t rows = std::min<index_t>(MR, mc - p);
        T* panel = out + p * kc;
        if (op == Op::none) {
            // A row is contiguous in k: read k-runs of every row, write MR-strided.
            for (index_t k = 0; k < kc; ++k) {
                const T* src = A + (m0 + p) * lda + k0 + k;
                for (index_t i = 0; i < rows; ++i) panel[k * MR + i] = src[i * lda];
                for (index_t i = rows; i < MR; ++i) panel[k * MR + i] = T(0);
            }
        } else {
            // A column is contiguous: one short vector copy per k (zeros past the edge).
            for (index_t k = 0; k < kc; ++k) {
                const T* src = A + (k0 + k) * lda + m0 + p;
                for (index_t i = 0; i < MR; i += V::width) {
                    V::load_n(src + i, rows - i).store_n(panel + k * MR + i, MR - i);
                }
            }
        }
    }
}

/// Packs op(B)[0:K, n0:n0+NR] into one micro-panel [K, NR], columns past N zeroed.
template <class T, index_t NR>
void gemm_pack_b_panel(Op op, const T* B, index_t ldb, index_t K, index_t N, index_t n0, T* out) noexcept {
    using V = simd::Vec<T>;
    const index_t cols = std::min(NR, N - n0);
    if (op == Op::none) {
        for (index_t k = 0; k < K; ++k) {
            for (index_t j = 0; j < NR; j += V::width)
                V::load_n(B + k * ldb + n0 + j, cols - j).store(out + k * NR + j);
        }
        return;
    }
    // op(B)[k, n] = B[n, k]: a transpose of the panel's cols rows of B.
    transpose(cols, K, B + n0 * ldb, ldb, out, NR);
    if (cols < NR) {
        for (index_t k = 0; k < K; ++k)
            for (index_t j = cols; j < NR; ++j) out[k * NR + j] = T(0);
    }
}

}  // namespace detail

/// C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C, all row-major with leading
/// dimensions lda, ldb, ldc. beta == 0 overwrites C without reading it (it may hold NaN).
/// workspace: gemm_workspace_size<T>(M, N, K, num_threads()) elements.
/// Multi-threaded outside a parallel region, single-threaded inside one (then the workspace
/// must be the calling thread's own, sized for 1 thread).
template <class T>
void gemm(Op op_a, Op op_b, index_t M, index_t N, index_t K, T alpha, const T* A, index_t lda, const T* B, index_t ldb,
          T beta, T* C, index_t ldc, T* workspace) {
    using G = GemmTile<T>;
    constexpr int MR = G::mr, NV = G::nv, MR_ROWS = G::mr_rows;
    constexpr index_t NR = G::nr, KC = G::kc, MC = G::mc;
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == T(0)) {
        for (index_t i = 0; i < M; ++i)
            for (index_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
        return;
    }
    const index_t panels = (N + NR - 1) / NR;
    const detail::GemmWorkspaceLayout<T> layout(M, N, K);
    T* packed_b = workspace;
    T* packed_a = workspace + layout.packed_b;
    const index_t a_block = layout.a_block;

    // B is always packed, once, shared by all threads: reading it in place with a large row
    // stride made the KC rows of a micro-panel collide in a few L1 sets (1024^3 ran at 128
    // instead of 185 GFLOP/s). A is packed only when enough column panels reuse the packing;
    // for few panels (Linear's outputs, a Conv2d of 64 channels) reading its rows costs less
    // (fc1 forward 200x120x1600: 408 us reading rows against 365 + 80 us packing).
    parallel_for(panels, [&](index_t p) {
        detail::gemm_pack_b_panel<T, NR>(op_b, B, ldb, K, N, p * NR, packed_b + p * K * NR);
    });
    const bool a_rows = op_a == Op::none && panels <= 4;
    const index_t tile_rows = a_rows ? MR_ROWS : MR;

    // Split C by rows when there are enough row tiles for every thread, else by column panels.
    const int threads = num_threads();
    const index_t row_tiles = (M + tile_rows - 1) / tile_rows;
    const bool by_rows = row_tiles >= 2 * threads || panels < 2 * threads;
    const index_t macs_floor = index_t{1} << 16;  // below ~64K multiply-adds a thread team costs more
    const index_t units = M * N * K < macs_floor ? 1 : (by_rows ? row_tiles : panels);

    parallel_ranges(units, [&](int t, index_t u0, index_t u1) {
        if (u0 >= u1) return;
        index_t m_begin = 0, m_end = M, p_begin = 0, p_end = panels;
        if (units > 1 && by_rows) {
            m_begin = u0 * tile_rows;
            m_end = std::min(M, u1 * tile_rows);
        } else if (units > 1) {
            p_begin = u0;
            p_end = u1;
        }
        T* a_pack = packed_a + t * a_block;
        for (index_t pc = 0; pc < K; pc += KC) {
            const index_t kc = std::min(KC, K - pc);
            const T beta_k = pc == 0 ? beta : T(1);
            for (index_t ic = m_begin; ic < m_end; ic += MC) {
                const index_t mc = std::min(MC, m_end - ic);
                if (!a_rows) detail::gemm_pack_a<T, MR>(op_a, A, lda, ic, mc, pc, kc, a_pack);
                for (index_t p = p_begin; p < p_end; ++p) {
                    const index_t n0 = p * NR;
                    const T* b = packed_b + p * K * NR + pc * NR;
                    const index_t cols = std::min(NR, N - n0);
                    T* c = C + ic * ldc + n0;
                    if (a_rows) {
                        for (index_t ir = 0; ir < mc; ir += MR_ROWS) {
                            detail::gemm_micro_kernel<T, MR_ROWS, NV, detail::AMode::rows>(
                                kc, A + (ic + ir) * lda + pc, lda, b, NR, alpha, beta_k, c + ir * ldc, ldc,
                                std::min<index_t>(MR_ROWS, mc - ir), cols);
                        }
                    } else {
                        for (index_t ir = 0; ir < mc; ir += MR) {
                            detail::gemm_micro_kernel<T, MR, NV, detail::AMode::packed>(
                                kc, a_pack + ir * kc, MR, b, NR, alpha, beta_k, c + ir * ldc, ldc,
                                std::min<index_t>(MR, mc - ir), cols);
                        }
                    }
                }
            }
        }
    });
}

}  // namespace siamese::kernels
