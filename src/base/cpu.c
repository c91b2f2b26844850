/* cpu.c - run-time ISA detection (cpuid + XCR0), once, and the GC_ISA override; the L1 data
 * cache size for blocking (cpuid), once. */
#include "base/internal.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>

static uint64_t gc_xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static gc_isa gc_isa_probe(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return GC_ISA_SCALAR;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx)
        return GC_ISA_SCALAR;
    const uint64_t xcr0 = gc_xgetbv0();
    if ((xcr0 & 0x6) != 0x6)
        return GC_ISA_SCALAR;
    if (__get_cpuid_max(0, NULL) < 7)
        return GC_ISA_SCALAR;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1;
    const int avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1,
              avx512vl = (b >> 31) & 1;
    gc_isa best = GC_ISA_SCALAR;
#if defined(GC_HAVE_AVX2)
    if (avx2 && fma)
        best = GC_ISA_AVX2;
#endif
#if defined(GC_HAVE_AVX512)
    if (best == GC_ISA_AVX2 && avx512f && avx512dq && avx512bw && avx512vl && (xcr0 & 0xe6) == 0xe6)
        best = GC_ISA_AVX512;
#endif
    (void)avx2; (void)fma; (void)avx512f; (void)avx512dq; (void)avx512bw; (void)avx512vl;
    return best;
}

static int64_t gc_l1d_probe(void)
{
    unsigned a, b, c, d;
    const unsigned max = (unsigned)__get_cpuid_max(0, NULL);
    for (unsigned i = 0; max >= 4 && i < 16; i++) { /* deterministic cache parameters */
        __cpuid_count(4, i, a, b, c, d);
        const unsigned type = a & 31, level = (a >> 5) & 7;
        if (type == 0)
            break;
        if (type == 1 && level == 1)
            return (int64_t)((b >> 22) + 1) * (((b >> 12) & 0x3ff) + 1) * ((b & 0xfff) + 1) *
                   ((int64_t)c + 1);
    }
    if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= 0x80000005u) { /* AMD: L1D in KiB */
        __cpuid(0x80000005u, a, b, c, d);
        if (c >> 24)
            return (int64_t)(c >> 24) << 10;
    }
    return 32 << 10;
}
#else
static gc_isa gc_isa_probe(void) { return GC_ISA_SCALAR; }
static int64_t gc_l1d_probe(void) { return 32 << 10; }
#endif

/* Cached; the races below are benign (every thread computes the same value). */
static volatile int gc_isa_cpu_cache = -1;
static volatile int gc_isa_env_cache = -1;

gc_isa gc_isa_cpu(void)
{
    int v = __atomic_load_n(&gc_isa_cpu_cache, __ATOMIC_RELAXED);
    if (v < 0) {
        v = (int)gc_isa_probe();
        __atomic_store_n(&gc_isa_cpu_cache, v, __ATOMIC_RELAXED);
    }
    return (gc_isa)v;
}

gc_isa gc_isa_detect(void)
{
    int v = __atomic_load_n(&gc_isa_env_cache, __ATOMIC_RELAXED);
    if (v < 0) {
        gc_isa best = gc_isa_cpu();
        const char *env = getenv("GC_ISA");
        gc_isa want = best;
        if (env && *env) {
            if (!strcmp(env, "scalar"))
                want = GC_ISA_SCALAR;
            else if (!strcmp(env, "avx2"))
                want = GC_ISA_AVX2;
            else if (!strcmp(env, "avx512"))
                want = GC_ISA_AVX512;
        }
        v = (int)(want < best ? want : best);
        __atomic_store_n(&gc_isa_env_cache, v, __ATOMIC_RELAXED);
    }
    return (gc_isa)v;
}

static volatile int64_t gc_l1d_cache = -1;
static volatile int64_t gc_l1d_forced = 0;

int64_t gc_cpu_l1d_bytes(void)
{
    const int64_t forced = __atomic_load_n(&gc_l1d_forced, __ATOMIC_RELAXED);
    if (forced > 0)
        return forced;
    int64_t v = __atomic_load_n(&gc_l1d_cache, __ATOMIC_RELAXED);
    if (v < 0) {
        v = gc_l1d_probe();
        __atomic_store_n(&gc_l1d_cache, v, __ATOMIC_RELAXED);
    }
    return v;
}

void gc_cpu_l1d_override(int64_t bytes)
{
    __atomic_store_n(&gc_l1d_forced, bytes > 0 ? bytes : 0, __ATOMIC_RELAXED);
}

int gc_cpu_fma_outruns_l2(void)
{
    return gc_cpu_l1d_bytes() >= (48 << 10);
}

const char *gc_isa_name(gc_isa isa)
{
    switch (isa) {
    case GC_ISA_AUTO: return "auto";
    case GC_ISA_SCALAR: return "scalar";
    case GC_ISA_AVX2: return "avx2";
    case GC_ISA_AVX512: return "avx512";
    }
    return "unknown";
}
