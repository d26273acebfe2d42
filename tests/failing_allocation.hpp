// SPDX-License-Identifier: MIT
// Replaces the aligned operator new, which tensors allocate through, with one that throws
// std::bad_alloc at the n-th allocation from now: a test can then see what a failed allocation
// leaves behind without exhausting the machine's memory.
// Include it in exactly one translation unit of a test program.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace test_allocations {

/// Aligned allocations to let through before one throws; negative: none throws.
inline std::atomic<long> allocations_before_failure{-1};

/// While alive, the aligned allocation after the next `n` throws std::bad_alloc (once).
class FailAfter {
public:
    explicit FailAfter(long n) noexcept { allocations_before_failure.store(n); }
    FailAfter(const FailAfter&) = delete;
    FailAfter& operator=(const FailAfter&) = delete;
    ~FailAfter() { allocations_before_failure.store(-1); }
};

}  // namespace test_allocations

// Not inlined, like largest_allocation.hpp's: g++ 12 would see aligned_alloc() and free() meet
// at call sites and warn of a new/delete mismatch that is not one.
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t alignment) {
    if (test_allocations::allocations_before_failure.load() >= 0 &&
        test_allocations::allocations_before_failure.fetch_sub(1) == 0) {
        throw std::bad_alloc();
    }
    const auto a = static_cast<std::size_t>(alignment);
    if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a + (n == 0 ? a : 0))) return p;  // a multiple of a, >= 1
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
