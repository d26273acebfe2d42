// SPDX-License-Identifier: MIT
// Counts every heap allocation of the process (operator new and malloc, which Eigen and OpenMP
// use too) by interposing glibc's malloc family. Include it in exactly one translation unit of
// a test program; read the count with test_allocations::count().
#pragma once

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>  // glibc declares the malloc family (noexcept); the definitions below replace it
#if __has_include(<mm_malloc.h>)
// Declared first with glibc's noexcept: clang's own mm_malloc.h (through Eigen) declares
// posix_memalign without it, which clang refuses after a definition that has it.
#include <mm_malloc.h>
#endif

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace test_allocations {
inline std::atomic<long> counter{0};
inline void add() noexcept { counter.fetch_add(1, std::memory_order_relaxed); }
/// Allocations made by the process so far.
inline long count() noexcept { return counter.load(); }
}  // namespace test_allocations

extern "C" {
void* malloc(std::size_t n) noexcept {
    test_allocations::add();
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
    test_allocations::add();
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) noexcept {
    test_allocations::add();
    return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) noexcept {
    test_allocations::add();
    return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) noexcept {
    test_allocations::add();
    *out = __libc_memalign(alignment, n);
    return *out ? 0 : ENOMEM;
}
}
