/* optim_step.c - time per L-BFGS iteration of gramconv's optimiser on an image-sized problem,
 * beside bench/peers_optim.py (torch.optim.LBFGS on the same problem).
 *   optim_step HISTORY LINE_SEARCH(0|1) [ITERS]
 * f(x) = 0.5 sum_i w_i x_i^2, w_i = 1 + (i mod 7), x: 3 x 512 x 512 float32 (the objective
 * is timed alone and subtracted, so the figure is the optimiser's own cost per iteration).
 * Build: cc -O2 -Iinclude bench/optim_step.c build/libgramconv.a -lpthread -lm */
#include "gramconv.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static gc_status objective(void *user, const gc_tensor *x, gc_tensor *grad, double *loss)
{
    (void)user;
    const int64_t n = x->dims[0] * x->dims[1] * x->dims[2];
    const float *xs = x->data;
    float *gs = grad->data;
    double f = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const float w = 1.0f + (float)(i % 7);
        gs[i] = w * xs[i];
        f += 0.5 * w * xs[i] * xs[i];
    }
    *loss = f;
    return GC_OK;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: optim_step HISTORY LINE_SEARCH(0|1) [ITERS]\n");
        return 2;
    }
    const int64_t dims[3] = {3, 512, 512}, n = 3 * 512 * 512;
    gc_lbfgs_desc d = gc_lbfgs_desc_default(GC_OPTIM_FLAVOR_PYTORCH);
    d.history = atoi(argv[1]);
    d.line_search = atoi(argv[2]) ? GC_LINE_SEARCH_STRONG_WOLFE : GC_LINE_SEARCH_NONE;
    d.max_iter = argc > 3 ? atoi(argv[3]) : 50;
    d.max_eval = 10 * d.max_iter;
    d.tol_fun = d.tol_x = -1.0;
    d.learning_rate = d.line_search ? 1.0 : 0.5;
    gc_optimizer *opt = NULL;
    gc_tensor x, g;
    if (gc_optimizer_create_lbfgs(NULL, &d, GC_DTYPE_F32, n, &opt) != GC_OK ||
        gc_tensor_create(NULL, &x, GC_DTYPE_F32, 3, dims) != GC_OK ||
        gc_tensor_create(NULL, &g, GC_DTYPE_F32, 3, dims) != GC_OK) {
        fprintf(stderr, "optim_step: out of memory\n");
        return 1;
    }
    float *xs = x.data;
    for (int64_t i = 0; i < n; i++)
        xs[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    double f, t0 = now();
    for (int k = 0; k < 20; k++)
        objective(NULL, &x, &g, &f);
    const double t_obj = (now() - t0) / 20;
    gc_optim_result r;
    t0 = now();
    gc_status st = gc_optimizer_run(NULL, opt, &x, objective, NULL, &r);
    const double t = now() - t0;
    if (st != GC_OK) {
        fprintf(stderr, "optim_step: %s\n", gc_status_str(st));
        return 1;
    }
    printf("{\"impl\":\"gramconv\",\"numel\":%lld,\"history\":%lld,\"line_search\":%d,"
           "\"iterations\":%lld,\"evaluations\":%lld,\"ms_per_iter\":%.3f,"
           "\"ms_per_iter_optimiser\":%.3f,\"ms_objective\":%.3f,\"mib\":%.0f}\n",
           (long long)n, (long long)d.history, d.line_search ? 1 : 0, (long long)r.iterations,
           (long long)r.evaluations, 1e3 * t / (double)r.iterations,
           1e3 * (t - t_obj * (double)r.evaluations) / (double)r.iterations, 1e3 * t_obj,
           (double)gc_optimizer_memory_bytes(opt) / 1048576.0);
    gc_optimizer_free(opt);
    gc_tensor_free(&x);
    gc_tensor_free(&g);
    return 0;
}
