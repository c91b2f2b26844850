/* bench_peak.c - `gramconv bench peak`: this machine's float32/float64 FMA throughput, measured
 * with 16 independent vector accumulators per thread (the ceiling every "% of peak" figure in
 * docs/PERFORMANCE.md is divided by), and with --dtype bf16 that of AVX512-BF16's vdpbf16ps
 * (2 products summed into each float32 lane: 64 flops per instruction). Machines differ (the
 * project's have been Intel Emerald Rapids and AMD Zen 4): measure, don't assume. */
#include "cli.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define PEAK_X86 1
#endif

#define PEAK_ITERS 4000000L
#define PEAK_CHAINS 16

/* Each returns the flops it performed; the result feeds `sink` so nothing is optimised away. */
#ifdef PEAK_X86
__attribute__((target("avx512f"))) static double peak_avx512(int f64, volatile float *sink)
{
    __m512 a[PEAK_CHAINS];
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < PEAK_CHAINS; i++)
        a[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < PEAK_ITERS; it++)
        for (int i = 0; i < PEAK_CHAINS; i++)
            a[i] = f64 ? _mm512_castpd_ps(_mm512_fmadd_pd(_mm512_castps_pd(a[i]), _mm512_castps_pd(m),
                                                          _mm512_castps_pd(c)))
                       : _mm512_fmadd_ps(a[i], m, c);
    __m512 s = a[0];
    for (int i = 1; i < PEAK_CHAINS; i++)
        s = _mm512_add_ps(s, a[i]);
    *sink = _mm512_reduce_add_ps(s);
    return 2.0 * PEAK_ITERS * PEAK_CHAINS * (f64 ? 8 : 16);
}

__attribute__((target("avx512f,avx512bf16"))) static double peak_bf16(volatile float *sink)
{
    __m512 a[PEAK_CHAINS];
    const __m512bh x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
    const __m512bh y = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(-1e-3f));
    for (int i = 0; i < PEAK_CHAINS; i++)
        a[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < PEAK_ITERS; it++)
        for (int i = 0; i < PEAK_CHAINS; i++)
            a[i] = _mm512_dpbf16_ps(a[i], x, y);
    __m512 s = a[0];
    for (int i = 1; i < PEAK_CHAINS; i++)
        s = _mm512_add_ps(s, a[i]);
    *sink = _mm512_reduce_add_ps(s);
    return 2.0 * PEAK_ITERS * PEAK_CHAINS * 32;
}

/* AVX512-BF16: CPUID leaf 7 sub-leaf 1, EAX bit 5 (and AVX-512 itself, checked by the ISA) */
static int peak_has_bf16(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 1, a, b, c, d);
    (void)b, (void)c, (void)d;
    return (a >> 5) & 1;
}

/* AVX2 has 16 ymm registers: 16 chains plus the two constants spilled three chains to the
 * stack (a store-reload in their loop: 57 instead of 101 GFLOP/s on a 3.2 GHz Zen 3). 12 chains
 * cover 2 pipes x 4 cycles of FMA latency with room to spare, and fit. */
#define PEAK_CHAINS_AVX2 12
__attribute__((target("avx2,fma"))) static double peak_avx2(int f64, volatile float *sink)
{
    __m256 a[PEAK_CHAINS_AVX2];
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < PEAK_CHAINS_AVX2; i++)
        a[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < PEAK_ITERS; it++)
        for (int i = 0; i < PEAK_CHAINS_AVX2; i++)
            a[i] = f64 ? _mm256_castpd_ps(_mm256_fmadd_pd(_mm256_castps_pd(a[i]), _mm256_castps_pd(m),
                                                          _mm256_castps_pd(c)))
                       : _mm256_fmadd_ps(a[i], m, c);
    float out[8];
    __m256 s = a[0];
    for (int i = 1; i < PEAK_CHAINS_AVX2; i++)
        s = _mm256_add_ps(s, a[i]);
    _mm256_storeu_ps(out, s);
    *sink = out[0];
    return 2.0 * PEAK_ITERS * PEAK_CHAINS_AVX2 * (f64 ? 4 : 8);
}
#endif

static double peak_scalar(int f64, volatile float *sink)
{
    double a[PEAK_CHAINS];
    for (int i = 0; i < PEAK_CHAINS; i++)
        a[i] = i;
    const long iters = PEAK_ITERS / 8;
    for (long it = 0; it < iters; it++)
        for (int i = 0; i < PEAK_CHAINS; i++)
            a[i] = a[i] * 0.999999 + 1e-7;
    double s = 0;
    for (int i = 0; i < PEAK_CHAINS; i++)
        s += a[i];
    *sink = (float)s;
    (void)f64;
    return 2.0 * iters * PEAK_CHAINS;
}

typedef struct {
    gc_isa isa;
    int f64, bf16;
    double flops;
    float sink;
} peak_job;

static void *peak_thread(void *p)
{
    peak_job *j = p;
    volatile float sink = 0;
#ifdef PEAK_X86
    if (j->bf16)
        j->flops = peak_bf16(&sink);
    else if (j->isa == GC_ISA_AVX512)
        j->flops = peak_avx512(j->f64, &sink);
    else if (j->isa == GC_ISA_AVX2)
        j->flops = peak_avx2(j->f64, &sink);
    else
#endif
        j->flops = peak_scalar(j->f64, &sink);
    j->sink = sink;
    return NULL;
}

typedef struct {
    int nthreads;
    peak_job jobs[64];
    double flops;
} peak_run;

static gc_status peak_body(void *p)
{
    peak_run *r = p;
    pthread_t tid[64];
    int started = 0;
    for (int t = 1; t < r->nthreads; t++, started++)
        if (pthread_create(&tid[t], NULL, peak_thread, &r->jobs[t]) != 0)
            break;
    peak_thread(&r->jobs[0]);
    r->flops = r->jobs[0].flops;
    for (int t = 1; t <= started; t++) {
        pthread_join(tid[t], NULL);
        r->flops += r->jobs[t].flops;
    }
    return started == r->nthreads - 1 ? GC_OK : GC_ERR_THREAD;
}

int cli_bench_peak(gc_context *ctx, const cli_bench_opts *o)
{
    peak_run r;
    memset(&r, 0, sizeof r);
    r.nthreads = gc_context_threads(ctx);
    if (r.nthreads > 64)
        return cli_error(CLI_USAGE, "bench peak: at most 64 threads");
    if (o->bf16) {
#ifdef PEAK_X86
        const int have = gc_context_isa(ctx) == GC_ISA_AVX512 && peak_has_bf16();
#else
        const int have = 0;
#endif
        if (!have)
            return cli_error(CLI_FAIL, "bench peak: --dtype bf16 needs AVX512-BF16 (this CPU or "
                                       "the --isa setting has none)");
    }
    for (int t = 0; t < r.nthreads; t++) {
        r.jobs[t].isa = gc_context_isa(ctx);
        r.jobs[t].f64 = o->dtype == GC_DTYPE_F64;
        r.jobs[t].bf16 = o->bf16;
    }
    double ms = 0;
    int reps = 0;
    gc_status st = cli_bench_time(peak_body, &r, o->repeat ? o->repeat : 5, &ms, &reps);
    if (st != GC_OK)
        return cli_lib_error(ctx, st, "bench peak");
    char shape[64];
#ifdef PEAK_X86
    const int chains = gc_context_isa(ctx) == GC_ISA_AVX2 && !o->bf16 ? PEAK_CHAINS_AVX2
                                                                      : PEAK_CHAINS;
#else
    const int chains = PEAK_CHAINS;
#endif
    snprintf(shape, sizeof shape, "fma_chains=%d", chains);
    cli_bench_report_ex(ctx, "peak", shape, "-", NULL, o->bf16 ? "bf16" : cli_dtype_short(o->dtype),
                        ms, r.flops, reps);
    return CLI_OK;
}
