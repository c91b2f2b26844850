/* fft_plan.c - the FFTW3 plan cache: one-dimensional plans (a real row, or a batch of complex
 * columns) keyed by dtype, kind, length, batch, stride and the arrays' SIMD alignment. FFTW's
 * planner is not thread-safe, so planning and the cache sit behind one mutex; executing a plan
 * on new arrays (fftw_execute_dft*) is thread-safe. Plans use FFTW_ESTIMATE: the same plan,
 * hence the same rounding, in every run. Without FFTW (GC_HAVE_FFTW undefined) every plan is
 * NULL and gc_fft_available() says 0. */
#include "ops/corr/corr_fft.h"

#include <pthread.h>
#include <stdlib.h>

#if defined(GC_HAVE_FFTW)
#include <fftw3.h>

typedef struct gc_fft_entry {
    gc_dtype dt;
    gc_fft_kind kind;
    int64_t n, howmany, stride; /* ND kinds: n = rank, howmany/stride unused, dims[] */
    int64_t dims[3];
    int ialign, oalign, inplace;
    void *plan;
} gc_fft_entry;

static pthread_mutex_t gc_fft_mutex = PTHREAD_MUTEX_INITIALIZER;
static gc_fft_entry *gc_fft_cache; /* process-wide, malloc'd: it outlives every context */
static int gc_fft_count, gc_fft_cap;

static void *gc_fft_make(gc_dtype dt, gc_fft_kind kind, int n, int howmany, int stride,
                         const int *dims, void *in, void *out)
{
    const unsigned flags = FFTW_ESTIMATE;
    if (kind == GC_FFT_R2C_ND || kind == GC_FFT_C2R_ND) {
        if (dt == GC_DTYPE_F32)
            return kind == GC_FFT_R2C_ND ? (void *)fftwf_plan_dft_r2c(n, dims, in, out, flags)
                                         : (void *)fftwf_plan_dft_c2r(n, dims, in, out, flags);
        return kind == GC_FFT_R2C_ND ? (void *)fftw_plan_dft_r2c(n, dims, in, out, flags)
                                     : (void *)fftw_plan_dft_c2r(n, dims, in, out, flags);
    }
    if (dt == GC_DTYPE_F32) {
        switch (kind) {
        case GC_FFT_R2C:
            return fftwf_plan_dft_r2c_1d(n, in, out, flags);
        case GC_FFT_C2R:
            return fftwf_plan_dft_c2r_1d(n, in, out, flags);
        default:
            return fftwf_plan_many_dft(1, &n, howmany, in, NULL, stride, 1, out, NULL, stride, 1,
                                       kind == GC_FFT_C2C_FWD ? FFTW_FORWARD : FFTW_BACKWARD,
                                       flags);
        }
    }
    switch (kind) {
    case GC_FFT_R2C:
        return fftw_plan_dft_r2c_1d(n, in, out, flags);
    case GC_FFT_C2R:
        return fftw_plan_dft_c2r_1d(n, in, out, flags);
    default:
        return fftw_plan_many_dft(1, &n, howmany, in, NULL, stride, 1, out, NULL, stride, 1,
                                  kind == GC_FFT_C2C_FWD ? FFTW_FORWARD : FFTW_BACKWARD, flags);
    }
}

static void *gc_fft_plan_key(gc_dtype dt, gc_fft_kind kind, int64_t n, int64_t howmany,
                             int64_t stride, const int64_t *dims, void *in, void *out);

void *gc_fft_plan_nd(gc_dtype dt, gc_fft_kind kind, int rank, const int64_t *dims, void *in,
                     void *out)
{
    int64_t d3[3] = {0, 0, 0};
    for (int i = 0; i < rank && i < 3; i++)
        d3[i] = dims[i];
    return gc_fft_plan_key(dt, kind, rank, 1, 1, d3, in, out);
}

void *gc_fft_plan(gc_dtype dt, gc_fft_kind kind, int64_t n, int64_t howmany, int64_t stride,
                  void *in, void *out)
{
    const int64_t d3[3] = {0, 0, 0};
    return gc_fft_plan_key(dt, kind, n, howmany, stride, d3, in, out);
}

static void *gc_fft_plan_key(gc_dtype dt, gc_fft_kind kind, int64_t n, int64_t howmany,
                             int64_t stride, const int64_t *dims, void *in, void *out)
{
    if (n < 1 || n > INT32_MAX || howmany < 1 || howmany > INT32_MAX || stride > INT32_MAX)
        return NULL;
    int idims[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (dims[i] < 0 || dims[i] > INT32_MAX)
            return NULL;
        idims[i] = (int)dims[i];
    }
    if ((kind == GC_FFT_R2C_ND || kind == GC_FFT_C2R_ND) && (n > 3 || n < 1))
        return NULL;
    const int ia = dt == GC_DTYPE_F32 ? fftwf_alignment_of(in) : fftw_alignment_of(in);
    const int oa = dt == GC_DTYPE_F32 ? fftwf_alignment_of(out) : fftw_alignment_of(out);
    const int inplace = in == out;
    void *plan = NULL;
    pthread_mutex_lock(&gc_fft_mutex);
    for (int i = 0; i < gc_fft_count; i++) {
        const gc_fft_entry *e = &gc_fft_cache[i];
        if (e->dt == dt && e->kind == kind && e->n == n && e->howmany == howmany &&
            e->stride == stride && e->ialign == ia && e->oalign == oa && e->inplace == inplace &&
            e->dims[0] == dims[0] && e->dims[1] == dims[1] && e->dims[2] == dims[2]) {
            plan = e->plan;
            break;
        }
    }
    if (!plan && (gc_fft_count < gc_fft_cap || gc_fft_cap < 1 << 20)) {
        if (gc_fft_count == gc_fft_cap) {
            const int cap = gc_fft_cap ? 2 * gc_fft_cap : 64;
            gc_fft_entry *bigger = realloc(gc_fft_cache, (size_t)cap * sizeof *bigger);
            if (bigger) {
                gc_fft_cache = bigger;
                gc_fft_cap = cap;
            }
        }
        if (gc_fft_count < gc_fft_cap) {
            plan = gc_fft_make(dt, kind, (int)n, (int)howmany, (int)stride, idims, in, out);
            if (plan)
                gc_fft_cache[gc_fft_count++] = (gc_fft_entry){
                    dt, kind, n, howmany, stride, {dims[0], dims[1], dims[2]}, ia, oa, inplace,
                    plan};
        }
    }
    pthread_mutex_unlock(&gc_fft_mutex);
    return plan;
}

void gc_fft_exec(gc_dtype dt, gc_fft_kind kind, void *plan, void *in, void *out)
{
    if (dt == GC_DTYPE_F32) {
        switch (kind) {
        case GC_FFT_R2C_ND:
        case GC_FFT_R2C:
            fftwf_execute_dft_r2c(plan, in, out);
            break;
        case GC_FFT_C2R_ND:
        case GC_FFT_C2R:
            fftwf_execute_dft_c2r(plan, in, out);
            break;
        default:
            fftwf_execute_dft(plan, in, out);
        }
        return;
    }
    switch (kind) {
    case GC_FFT_R2C_ND:
    case GC_FFT_R2C:
        fftw_execute_dft_r2c(plan, in, out);
        break;
    case GC_FFT_C2R_ND:
    case GC_FFT_C2R:
        fftw_execute_dft_c2r(plan, in, out);
        break;
    default:
        fftw_execute_dft(plan, in, out);
    }
}

int gc_fft_available(void) { return 1; }

void gc_fft_cache_clear(void)
{
    pthread_mutex_lock(&gc_fft_mutex);
    for (int i = 0; i < gc_fft_count; i++) {
        if (gc_fft_cache[i].dt == GC_DTYPE_F32)
            fftwf_destroy_plan(gc_fft_cache[i].plan);
        else
            fftw_destroy_plan(gc_fft_cache[i].plan);
    }
    free(gc_fft_cache);
    gc_fft_cache = NULL;
    gc_fft_count = gc_fft_cap = 0;
    fftwf_cleanup();
    fftw_cleanup();
    pthread_mutex_unlock(&gc_fft_mutex);
}

int gc_fft_cache_size(void)
{
    pthread_mutex_lock(&gc_fft_mutex);
    const int n = gc_fft_count;
    pthread_mutex_unlock(&gc_fft_mutex);
    return n;
}

#else /* no FFTW */

void *gc_fft_plan(gc_dtype dt, gc_fft_kind kind, int64_t n, int64_t howmany, int64_t stride,
                  void *in, void *out)
{
    (void)dt, (void)kind, (void)n, (void)howmany, (void)stride, (void)in, (void)out;
    return NULL;
}

void gc_fft_exec(gc_dtype dt, gc_fft_kind kind, void *plan, void *in, void *out)
{
    (void)dt, (void)kind, (void)plan, (void)in, (void)out;
}

void *gc_fft_plan_nd(gc_dtype dt, gc_fft_kind kind, int rank, const int64_t *dims, void *in,
                     void *out)
{
    (void)dt, (void)kind, (void)rank, (void)dims, (void)in, (void)out;
    return NULL;
}

int gc_fft_available(void) { return 0; }
void gc_fft_cache_clear(void) {}
int gc_fft_cache_size(void) { return 0; }

#endif
