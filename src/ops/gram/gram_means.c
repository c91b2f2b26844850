/* gram_means.c - the row means of F in float64, for centring (Fc = F - mu): shared by the
 * forward and backward drivers (gram.c, gram_backward.c). */
#include "ops/gram/gram.h"
#include "ops/gram/gram_internal.h"

typedef struct gc_means_plan {
    const gc_gram_problem *p;
    double *mu;      /* n * m */
    int64_t kstride;
} gc_means_plan;

/* Row mean in float64: eight interleaved partial sums, added in a fixed order. */
static void gc_means_task(int64_t task, int thread, void *arg)
{
    (void)thread;
    const gc_means_plan *pl = arg;
    const gc_gram_problem *p = pl->p;
    const int64_t b = task / p->m, i = task % p->m;
    double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (pl->kstride == 1) {
        const int64_t base = gc_ioff(p->in_s, p->kw, b, i, 0);
        int64_t k = 0;
        if (p->dtype == GC_DTYPE_F32) {
            const float *x = (const float *)p->in + base;
            for (; k + 8 <= p->k; k += 8)
                for (int l = 0; l < 8; l++)
                    part[l] += (double)x[k + l];
            for (; k < p->k; k++)
                part[k & 7] += (double)x[k];
        } else {
            const double *x = (const double *)p->in + base;
            for (; k + 8 <= p->k; k += 8)
                for (int l = 0; l < 8; l++)
                    part[l] += x[k + l];
            for (; k < p->k; k++)
                part[k & 7] += x[k];
        }
    } else {
        for (int64_t k = 0; k < p->k; k++)
            part[k & 7] += gc_load(p->in, p->dtype, gc_ioff(p->in_s, p->kw, b, i, k));
    }
    const double s = ((part[0] + part[1]) + (part[2] + part[3])) +
                     ((part[4] + part[5]) + (part[6] + part[7]));
    pl->mu[task] = s / (double)p->k;
}

gc_status gc_gram_means(gc_context *ctx, const gc_gram_problem *p, int nthreads, double *mu)
{
    gc_means_plan pl = {p, mu, gc_kstride(p->kh, p->kw, p->in_s)};
    return gc_parallel_for(ctx, nthreads, p->n * p->m, gc_means_task, &pl);
}
