// sched_getaffinity and CPU_COUNT (Linux).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "CTunerKernels.h"

#include <math.h>

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

#define AVX2_FMA __attribute__((target("avx2,fma")))

// Stores row r of a 16-column tile (two accumulators), first adding C's values when accumulate.
#define STORE_ROW(r, low, high)                                                    \
    do {                                                                           \
        float *row = c + (r) * ldc;                                                \
        __m256 lo = (low), hi = (high);                                            \
        if (accumulate) {                                                          \
            lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));                          \
            hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8));                      \
        }                                                                          \
        _mm256_storeu_ps(row, lo);                                                 \
        _mm256_storeu_ps(row + 8, hi);                                             \
    } while (0)

bool swifttuner_cpu_has_avx2_fma(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const unsigned int fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
    if ((ecx & (fma | osxsave | avx)) != (fma | osxsave | avx)) return false;
    // The operating system saves the XMM and YMM registers (XCR0 bits 1 and 2).
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 6u) != 6u) return false;
    if (__get_cpuid_max(0, NULL) < 7) return false;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & (1u << 5)) != 0;
}

bool swifttuner_cpu_has_avx(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const unsigned int osxsave = 1u << 27, avx = 1u << 28;
    if ((ecx & (osxsave | avx)) != (osxsave | avx)) return false;
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    return (xcr0_low & 6u) == 6u;
}

// The Matérn 5/2 kernel of point i against four points (one lane each), as the engine's scalar
// function computes it: the squared distance summed in dimension order, then the root, the
// scaling and the polynomial, each a separate rounding; exp is the C library's, lane by lane.
__attribute__((target("avx"))) static inline __m256d matern52_lanes(const double *x, const double *pt,
                                                                    ptrdiff_t d, ptrdiff_t width,
                                                                    __m256d length) {
#pragma clang fp contract(off)
    __m256d d2 = _mm256_setzero_pd();
    for (ptrdiff_t k = 0; k < d; k++) {
        const __m256d diff = _mm256_sub_pd(_mm256_broadcast_sd(x + k), _mm256_loadu_pd(pt + k * width));
        d2 = _mm256_add_pd(d2, _mm256_mul_pd(diff, diff));
    }
    const __m256d r = _mm256_div_pd(_mm256_sqrt_pd(d2), length);
    const __m256d s = _mm256_mul_pd(_mm256_set1_pd(2.23606797749979), r);
    const __m256d quadratic = _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(5.0 / 3.0), r), r);
    const __m256d poly = _mm256_add_pd(_mm256_add_pd(_mm256_set1_pd(1.0), s), quadratic);
    double lanes[4];
    _mm256_storeu_pd(lanes, s);
    for (int lane = 0; lane < 4; lane++) lanes[lane] = exp(-lanes[lane]);
    return _mm256_mul_pd(poly, _mm256_loadu_pd(lanes));
}

__attribute__((target("avx"))) void swifttuner_matern52_panel(ptrdiff_t n, ptrdiff_t d, const double *xs,
                                                              const double *points_t, ptrdiff_t width,
                                                              double length, const double *_Nullable weights,
                                                              double *k, double *_Nullable mu) {
#pragma clang fp contract(off)
    const __m256d scale = _mm256_set1_pd(length);
    for (ptrdiff_t c = 0; c + 4 <= width; c += 4) {
        __m256d m = mu ? _mm256_loadu_pd(mu + c) : _mm256_setzero_pd();
        for (ptrdiff_t i = 0; i < n; i++) {
            const __m256d value = matern52_lanes(xs + i * d, points_t + c, d, width, scale);
            _mm256_storeu_pd(k + i * width + c, value);
            if (weights) m = _mm256_add_pd(m, _mm256_mul_pd(value, _mm256_broadcast_sd(weights + i)));
        }
        if (mu) _mm256_storeu_pd(mu + c, m);
    }
}

// One 8-column strip of rows i0 ..< i0 + rows (at most 6): the columns before i0 in six rows
// at once, then the triangle row by row. Products and differences are separate instructions
// (no fused multiply-add), so each entry is rounded as the portable loop rounds it.
#define TRI_ROWS 6
__attribute__((target("avx"))) static void lower_solve_tile(const double *l, double *v, ptrdiff_t stride,
                                                            ptrdiff_t i0, ptrdiff_t rows) {
#pragma clang fp contract(off)
    const double *r[TRI_ROWS];
    __m256d lo[TRI_ROWS], hi[TRI_ROWS];
    for (ptrdiff_t t = 0; t < TRI_ROWS; t++) {
        const ptrdiff_t i = i0 + (t < rows ? t : rows - 1);
        r[t] = l + i * (i + 1) / 2;
        lo[t] = _mm256_loadu_pd(v + i * stride);
        hi[t] = _mm256_loadu_pd(v + i * stride + 4);
    }
    const double *b = v;
    for (ptrdiff_t j = 0; j < i0; j++, b += stride) {
        const __m256d b0 = _mm256_loadu_pd(b), b1 = _mm256_loadu_pd(b + 4);
        for (int t = 0; t < TRI_ROWS; t++) {
            const __m256d s = _mm256_broadcast_sd(r[t] + j);
            lo[t] = _mm256_sub_pd(lo[t], _mm256_mul_pd(s, b0));
            hi[t] = _mm256_sub_pd(hi[t], _mm256_mul_pd(s, b1));
        }
    }
    for (ptrdiff_t t = 0; t < rows; t++) {
        __m256d a0 = lo[t], a1 = hi[t];
        for (ptrdiff_t j = i0; j < i0 + t; j++) {
            const __m256d s = _mm256_broadcast_sd(r[t] + j);
            a0 = _mm256_sub_pd(a0, _mm256_mul_pd(s, _mm256_loadu_pd(v + j * stride)));
            a1 = _mm256_sub_pd(a1, _mm256_mul_pd(s, _mm256_loadu_pd(v + j * stride + 4)));
        }
        const __m256d d = _mm256_broadcast_sd(r[t] + i0 + t);
        double *out = v + (i0 + t) * stride;
        _mm256_storeu_pd(out, _mm256_div_pd(a0, d));
        _mm256_storeu_pd(out + 4, _mm256_div_pd(a1, d));
    }
}

// Rows c0 ..< c0 + rows (at most 6) of the Gram update, against the 8 columns from e0.
__attribute__((target("avx"))) static void gram_tile(ptrdiff_t count, const double *v, ptrdiff_t width,
                                                     double *g, ptrdiff_t c0, ptrdiff_t rows, ptrdiff_t e0) {
#pragma clang fp contract(off)
    __m256d lo[TRI_ROWS], hi[TRI_ROWS];
    ptrdiff_t c[TRI_ROWS];
    for (ptrdiff_t t = 0; t < TRI_ROWS; t++) {
        c[t] = c0 + (t < rows ? t : rows - 1);
        lo[t] = _mm256_loadu_pd(g + c[t] * width + e0);
        hi[t] = _mm256_loadu_pd(g + c[t] * width + e0 + 4);
    }
    const double *row = v;
    for (ptrdiff_t k = 0; k < count; k++, row += width) {
        const __m256d b0 = _mm256_loadu_pd(row + e0), b1 = _mm256_loadu_pd(row + e0 + 4);
        for (int t = 0; t < TRI_ROWS; t++) {
            const __m256d s = _mm256_broadcast_sd(row + c[t]);
            lo[t] = _mm256_sub_pd(lo[t], _mm256_mul_pd(s, b0));
            hi[t] = _mm256_sub_pd(hi[t], _mm256_mul_pd(s, b1));
        }
    }
    for (ptrdiff_t t = 0; t < rows; t++) {
        _mm256_storeu_pd(g + c[t] * width + e0, lo[t]);
        _mm256_storeu_pd(g + c[t] * width + e0 + 4, hi[t]);
    }
}

__attribute__((target("avx"))) void swifttuner_gram_update(ptrdiff_t count, const double *v, ptrdiff_t width,
                                                           double *g) {
    for (ptrdiff_t c0 = 0; c0 < width; c0 += TRI_ROWS) {
        const ptrdiff_t rows = width - c0 < TRI_ROWS ? width - c0 : TRI_ROWS;
        // Only the strips that reach the diagonal or below it.
        for (ptrdiff_t e0 = 0; e0 < c0 + rows; e0 += 8) gram_tile(count, v, width, g, c0, rows, e0);
    }
}

__attribute__((target("avx"))) void swifttuner_lower_solve(ptrdiff_t n, const double *l, double *v,
                                                           ptrdiff_t columns, ptrdiff_t stride) {
    for (ptrdiff_t c = 0; c + 8 <= columns; c += 8) {
        for (ptrdiff_t i0 = 0; i0 < n; i0 += TRI_ROWS) {
            lower_solve_tile(l, v + c, stride, i0, n - i0 < TRI_ROWS ? n - i0 : TRI_ROWS);
        }
    }
}

AVX2_FMA void swifttuner_kernel6x16(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                                    const float *a3, const float *a4, const float *a5, ptrdiff_t step,
                                    const float *b, ptrdiff_t b_step, float *c, ptrdiff_t ldc,
                                    bool accumulate) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    ptrdiff_t o = 0;
    for (ptrdiff_t p = 0; p < k; p++) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 s = _mm256_broadcast_ss(a0 + o);
        c00 = _mm256_fmadd_ps(s, b0, c00); c01 = _mm256_fmadd_ps(s, b1, c01);
        s = _mm256_broadcast_ss(a1 + o);
        c10 = _mm256_fmadd_ps(s, b0, c10); c11 = _mm256_fmadd_ps(s, b1, c11);
        s = _mm256_broadcast_ss(a2 + o);
        c20 = _mm256_fmadd_ps(s, b0, c20); c21 = _mm256_fmadd_ps(s, b1, c21);
        s = _mm256_broadcast_ss(a3 + o);
        c30 = _mm256_fmadd_ps(s, b0, c30); c31 = _mm256_fmadd_ps(s, b1, c31);
        s = _mm256_broadcast_ss(a4 + o);
        c40 = _mm256_fmadd_ps(s, b0, c40); c41 = _mm256_fmadd_ps(s, b1, c41);
        s = _mm256_broadcast_ss(a5 + o);
        c50 = _mm256_fmadd_ps(s, b0, c50); c51 = _mm256_fmadd_ps(s, b1, c51);
        b += b_step;
        o += step;
    }
    STORE_ROW(0, c00, c01);
    STORE_ROW(1, c10, c11);
    STORE_ROW(2, c20, c21);
    STORE_ROW(3, c30, c31);
    STORE_ROW(4, c40, c41);
    STORE_ROW(5, c50, c51);
}

AVX2_FMA void swifttuner_kernel4x16(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                                    const float *a3, ptrdiff_t step, const float *b, ptrdiff_t b_step,
                                    float *c, ptrdiff_t ldc, bool accumulate) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
    __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    ptrdiff_t o = 0;
    for (ptrdiff_t p = 0; p < k; p++) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 s = _mm256_broadcast_ss(a0 + o);
        c00 = _mm256_fmadd_ps(s, b0, c00); c01 = _mm256_fmadd_ps(s, b1, c01);
        s = _mm256_broadcast_ss(a1 + o);
        c10 = _mm256_fmadd_ps(s, b0, c10); c11 = _mm256_fmadd_ps(s, b1, c11);
        s = _mm256_broadcast_ss(a2 + o);
        c20 = _mm256_fmadd_ps(s, b0, c20); c21 = _mm256_fmadd_ps(s, b1, c21);
        s = _mm256_broadcast_ss(a3 + o);
        c30 = _mm256_fmadd_ps(s, b0, c30); c31 = _mm256_fmadd_ps(s, b1, c31);
        b += b_step;
        o += step;
    }
    STORE_ROW(0, c00, c01);
    STORE_ROW(1, c10, c11);
    STORE_ROW(2, c20, c21);
    STORE_ROW(3, c30, c31);
}

AVX2_FMA void swifttuner_kernel6x8(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                                   const float *a3, const float *a4, const float *a5, ptrdiff_t step,
                                   const float *b, float *c, ptrdiff_t ldc) {
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    ptrdiff_t o = 0;
    for (ptrdiff_t p = 0; p < k; p++) {
        const __m256 b0 = _mm256_loadu_ps(b);
        c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + o), b0, c0);
        c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + o), b0, c1);
        c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + o), b0, c2);
        c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + o), b0, c3);
        c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(a4 + o), b0, c4);
        c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(a5 + o), b0, c5);
        b += 16;
        o += step;
    }
    _mm256_storeu_ps(c, c0);
    _mm256_storeu_ps(c + ldc, c1);
    _mm256_storeu_ps(c + 2 * ldc, c2);
    _mm256_storeu_ps(c + 3 * ldc, c3);
    _mm256_storeu_ps(c + 4 * ldc, c4);
    _mm256_storeu_ps(c + 5 * ldc, c5);
}

AVX2_FMA float swifttuner_fma_chains(ptrdiff_t steps, float seed) {
    __m256 chains[12];
    for (int i = 0; i < 12; i++) chains[i] = _mm256_set1_ps(seed + (float)i);
    __m256 c0 = chains[0], c1 = chains[1], c2 = chains[2], c3 = chains[3], c4 = chains[4], c5 = chains[5];
    __m256 c6 = chains[6], c7 = chains[7], c8 = chains[8], c9 = chains[9], c10 = chains[10], c11 = chains[11];
    const __m256 scale = _mm256_set1_ps(0.999999f);
    for (ptrdiff_t i = 0; i < steps; i++) {
        c0 = _mm256_fmadd_ps(c0, scale, c0); c1 = _mm256_fmadd_ps(c1, scale, c1);
        c2 = _mm256_fmadd_ps(c2, scale, c2); c3 = _mm256_fmadd_ps(c3, scale, c3);
        c4 = _mm256_fmadd_ps(c4, scale, c4); c5 = _mm256_fmadd_ps(c5, scale, c5);
        c6 = _mm256_fmadd_ps(c6, scale, c6); c7 = _mm256_fmadd_ps(c7, scale, c7);
        c8 = _mm256_fmadd_ps(c8, scale, c8); c9 = _mm256_fmadd_ps(c9, scale, c9);
        c10 = _mm256_fmadd_ps(c10, scale, c10); c11 = _mm256_fmadd_ps(c11, scale, c11);
    }
    __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                               _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    return _mm256_cvtss_f32(sum);
}

#else

// Other architectures never call the kernels below (swifttuner_cpu_has_avx2_fma is false);
// they are plain loops so that the library links and stays correct everywhere.

bool swifttuner_cpu_has_avx2_fma(void) { return false; }

bool swifttuner_cpu_has_avx(void) { return false; }

void swifttuner_gram_update(ptrdiff_t count, const double *v, ptrdiff_t width, double *g) {
#pragma clang fp contract(off)
    for (ptrdiff_t c = 0; c < width; c++) {
        for (ptrdiff_t e = 0; e < width; e++) {
            double acc = g[c * width + e];
            for (ptrdiff_t k = 0; k < count; k++) acc = acc - v[k * width + c] * v[k * width + e];
            g[c * width + e] = acc;
        }
    }
}

void swifttuner_matern52_panel(ptrdiff_t n, ptrdiff_t d, const double *xs, const double *points_t,
                               ptrdiff_t width, double length, const double *_Nullable weights, double *k,
                               double *_Nullable mu) {
#pragma clang fp contract(off)
    for (ptrdiff_t c = 0; c + 4 <= width; c += 4) {
        for (ptrdiff_t e = c; e < c + 4; e++) {
            for (ptrdiff_t i = 0; i < n; i++) {
                double d2 = 0;
                for (ptrdiff_t j = 0; j < d; j++) {
                    const double diff = xs[i * d + j] - points_t[j * width + e];
                    d2 = d2 + diff * diff;
                }
                const double r = sqrt(d2) / length, s = 2.23606797749979 * r;
                const double value = (1.0 + s + 5.0 / 3.0 * r * r) * exp(-s);
                k[i * width + e] = value;
                if (weights && mu) mu[e] = mu[e] + value * weights[i];
            }
        }
    }
}

void swifttuner_lower_solve(ptrdiff_t n, const double *l, double *v, ptrdiff_t columns, ptrdiff_t stride) {
    for (ptrdiff_t c = 0; c + 8 <= columns; c += 8) {
        for (ptrdiff_t i = 0; i < n; i++) {
            const double *row = l + i * (i + 1) / 2;
            for (ptrdiff_t e = c; e < c + 8; e++) {
#pragma clang fp contract(off)
                double acc = v[i * stride + e];
                for (ptrdiff_t j = 0; j < i; j++) acc = acc - row[j] * v[j * stride + e];
                v[i * stride + e] = acc / row[i];
            }
        }
    }
}

static void tile(ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t k, const float *const *a, ptrdiff_t step,
                 const float *b, ptrdiff_t b_step, float *c, ptrdiff_t ldc, bool accumulate) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        for (ptrdiff_t j = 0; j < columns; j++) {
            float s = 0;
            for (ptrdiff_t p = 0; p < k; p++) s += a[r][p * step] * b[p * b_step + j];
            c[r * ldc + j] = accumulate ? c[r * ldc + j] + s : s;
        }
    }
}

void swifttuner_kernel6x16(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                           const float *a3, const float *a4, const float *a5, ptrdiff_t step,
                           const float *b, ptrdiff_t b_step, float *c, ptrdiff_t ldc, bool accumulate) {
    const float *a[6] = {a0, a1, a2, a3, a4, a5};
    tile(6, 16, k, a, step, b, b_step, c, ldc, accumulate);
}

void swifttuner_kernel4x16(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                           const float *a3, ptrdiff_t step, const float *b, ptrdiff_t b_step,
                           float *c, ptrdiff_t ldc, bool accumulate) {
    const float *a[4] = {a0, a1, a2, a3};
    tile(4, 16, k, a, step, b, b_step, c, ldc, accumulate);
}

void swifttuner_kernel6x8(ptrdiff_t k, const float *a0, const float *a1, const float *a2,
                          const float *a3, const float *a4, const float *a5, ptrdiff_t step,
                          const float *b, float *c, ptrdiff_t ldc) {
    const float *a[6] = {a0, a1, a2, a3, a4, a5};
    tile(6, 8, k, a, step, b, 16, c, ldc, false);
}

float swifttuner_fma_chains(ptrdiff_t steps, float seed) {
    (void)steps;
    return seed;
}

#endif

#if defined(__linux__)
#include <sched.h>

int swifttuner_allowed_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}
#else
int swifttuner_allowed_cpus(void) { return 0; }
#endif
