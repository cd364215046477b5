// Register kernels for x86-64 CPUs, compiled for their instructions by a function attribute
// rather than a build flag, so that the package builds for any x86-64 (or ARM) CPU: the
// trainer's matrix products (AVX2 and FMA) and the Gaussian process's triangular solve (AVX),
// each called only where the CPU has what it needs.

#ifndef CTUNERKERNELS_H
#define CTUNERKERNELS_H

#include <stdbool.h>
#include <stddef.h>

#pragma clang assume_nonnull begin

/// Whether this CPU and its operating system run AVX2 and FMA instructions (CPUID and the
/// saved vector state); always false on other architectures.
bool swifttuner_cpu_has_avx2_fma(void);

/// C (6 × 16, row stride ldc) = A·B, or C += A·B when accumulate: row r of A is a0…a5,
/// element p of each at p·step; row p of the strip of B at b + p·b_step.
void swifttuner_kernel6x16(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                           const float *a3, const float *a4, const float *a5, ptrdiff_t step,
                           const float *b, ptrdiff_t b_step, float *c, ptrdiff_t ldc, bool accumulate);

/// The 4 × 16 tile: as swifttuner_kernel6x16 with four rows.
void swifttuner_kernel4x16(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                           const float *a3, ptrdiff_t step, const float *b, ptrdiff_t b_step,
                           float *c, ptrdiff_t ldc, bool accumulate);

/// The 6 × 8 tile of a last strip: the first 8 columns of a packed 16-column strip of B (row p
/// at b + 16·p); C is written, never accumulated.
void swifttuner_kernel6x8(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                          const float *a3, const float *a4, const float *a5, ptrdiff_t step,
                          const float *b, float *c, ptrdiff_t ldc);

/// The peak of one core in the AVX2 + FMA kernels, GFLOP/s: twelve independent chains of
/// fused multiply-adds over `steps` steps, timed by the caller; returns a value that depends
/// on every chain, so that none is optimized away.
float swifttuner_fma_chains(ptrdiff_t steps, float seed);

/// Whether this CPU and its operating system run AVX instructions; always false on other
/// architectures.
bool swifttuner_cpu_has_avx(void);

/// Forward substitution with many right-hand sides, in place: solves L·X = V, where L is the
/// n × n lower triangle packed row by row (row i at l + i(i+1)/2) and V has n rows (row i at
/// v + i·stride) of which the first `columns` (a multiple of 8) are solved. Each entry's sum
/// runs over j in order, a product and a difference at a time (no fused multiply-add), so the
/// result is the same bits as the textbook loop. Call only where swifttuner_cpu_has_avx().
void swifttuner_lower_solve(ptrdiff_t n, const double *l, double *v, ptrdiff_t columns, ptrdiff_t stride);

/// The Matérn 5/2 kernel of n points against `width` others (a multiple of 4), with the means
/// that weigh it: k[i·width + c] is the kernel of point i of `xs` (rows of d) and point c, whose
/// coordinate j is points_t[j·width + c]; mu[c] += k[i·width + c]·weights[i] for i in order,
/// unless weights and mu are NULL (the kernel alone). The same bits as the engine's scalar
/// kernel. Call only where swifttuner_cpu_has_avx().
void swifttuner_matern52_panel(ptrdiff_t n, ptrdiff_t d, const double *xs, const double *points_t,
                               ptrdiff_t width, double length, const double *_Nullable weights, double *k,
                               double *_Nullable mu);

/// The Gram update of `width` columns (a multiple of 8): g[c·width + e] −= v[k·width + c]·v[k·width + e]
/// for k in 0 ..< count in order, a product and a difference at a time, for every e that reaches
/// the diagonal's 8-column strip or comes before it (at least every e ≤ c). Call only where
/// swifttuner_cpu_has_avx().
void swifttuner_gram_update(ptrdiff_t count, const double *v, ptrdiff_t width, double *g);

/// The CPUs this process may run on (its affinity mask, as `taskset` or a cluster scheduler's
/// binding sets it), or 0 where that is not known.
int swifttuner_allowed_cpus(void);

#pragma clang assume_nonnull end

#endif
