// SPDX-License-Identifier: MIT
#pragma once

#include <siamese/config.hpp>
#include <siamese/detail/eigen.hpp>


namespace siamese::kernels {

/// Whether a GEMM operand is read as stored or transposed.
enum class Op { none, transpose };

/// C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C, all row-major with leading
/// dimensions lda, ldb, ldc. beta == 0 overwrites C without reading it.
/// Through Eigen: it runs multi-threaded when called outside a parallel region and
/// single-threaded inside one (Eigen checks omp_in_parallel()).
template <class T>
void gemm(Op op_a, Op op_b, index_t M, index_t N, index_t K, T alpha, const T* A, index_t lda, const T* B,
          index_t ldb, T beta, T* C, index_t ldc) {
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Stride = Eigen::OuterStride<>;
    using ConstMap = Eigen::Map<const Mat, Eigen::Unaligned, Stride>;
    Eigen::Map<Mat, Eigen::Unaligned, Stride> c(C, M, N, Stride(ldc));
    if (M == 0 || N == 0) return;
    if (beta == T(0)) {
        c.setZero();
    } else if (beta != T(1)) {
        c *= beta;
    }
    if (K == 0) return;
    // op(X) of shape [r, s] is stored as [r, s] (none) or [s, r] (transpose).
    const bool ta = op_a == Op::transpose;
    const bool tb = op_b == Op::transpose;
    ConstMap a(A, ta ? K : M, ta ? M : K, Stride(lda));
    ConstMap b(B, tb ? N : K, tb ? K : N, Stride(ldb));
    if (!ta && !tb) {
        c.noalias() += alpha * a * b;
    } else if (ta && !tb) {
        c.noalias() += alpha * a.transpose() * b;
    } else if (!ta && tb) {
        c.noalias() += alpha * a * b.transpose();
    } else {
        c.noalias() += alpha * a.transpose() * b.transpose();
    }
}

}  // namespace siamese::kernels
