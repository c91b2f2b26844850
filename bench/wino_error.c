/* wino_error.c - float32 error of the conv2d forward paths against the float64 reference on
 * random normal inputs and weights (Winograd error measure):
 *   err = max |y - ref| / max |ref|, ref = GC_CONV_ALGO_REFERENCE on float64 copies.
 * Not built by CMake. Build and run:
 *   cc -O2 -std=gnu11 -Iinclude bench/wino_error.c build/libgramconv.a -lfftw3 -lfftw3f -lm \
 *      -lpthread -o /tmp/we
 *   /tmp/we C O HW [PAD [SEED [K]]]  e.g. /tmp/we 512 512 14 1; /tmp/we 64 64 56 2 1 5 (5x5)
 * Prints one line: the layer, then err for WINOGRAD, AUTO's choice and DIRECT. */
#include "gramconv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned long long rng_s = 1;
static double uniform01(void)
{
    rng_s = rng_s * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(rng_s >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double normal(void)
{
    return sqrt(-2.0 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

static int run(const gc_conv2d_desc *d, const gc_tensor *x, const gc_tensor *w, gc_tensor *y)
{
    size_t b = 0;
    void *ws = NULL;
    if (gc_conv2d_workspace_size(NULL, d, x, w, GC_CONV_PASS_FORWARD, &b) != GC_OK ||
        (b && posix_memalign(&ws, 64, b)))
        return 1;
    const gc_status st = gc_conv2d_forward(NULL, d, x, w, NULL, y, ws, b);
    free(ws);
    return st != GC_OK;
}

static double err(const gc_tensor *y, const gc_tensor *ref, int64_t n)
{
    double md = 0, mr = 0;
    for (int64_t i = 0; i < n; i++) {
        const double r = ((const double *)ref->data)[i], v = ((const float *)y->data)[i];
        md = fmax(md, fabs(v - r));
        mr = fmax(mr, fabs(r));
    }
    return md / mr;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fputs("usage: wino_error C O HW [PAD [SEED [K]]]\n", stderr);
        return 2;
    }
    const int64_t C = atoll(argv[1]), O = atoll(argv[2]), S = atoll(argv[3]), P = argc > 4 ? atoll(argv[4]) : 1;
    const int64_t K = argc > 6 ? atoll(argv[6]) : 3;
    rng_s = argc > 5 ? strtoull(argv[5], NULL, 10) : 1;
    const int64_t OS = S + 2 * P - K + 1;
    gc_tensor x, w, y, xd, wd, yd;
    if (gc_tensor_create(NULL, &x, GC_DTYPE_F32, 4, (int64_t[]){1, C, S, S}) ||
        gc_tensor_create(NULL, &w, GC_DTYPE_F32, 4, (int64_t[]){O, C, K, K}) ||
        gc_tensor_create(NULL, &y, GC_DTYPE_F32, 4, (int64_t[]){1, O, OS, OS}) ||
        gc_tensor_create(NULL, &xd, GC_DTYPE_F64, 4, (int64_t[]){1, C, S, S}) ||
        gc_tensor_create(NULL, &wd, GC_DTYPE_F64, 4, (int64_t[]){O, C, K, K}) ||
        gc_tensor_create(NULL, &yd, GC_DTYPE_F64, 4, (int64_t[]){1, O, OS, OS}))
        return 1;
    for (int64_t i = 0; i < C * S * S; i++)
        ((float *)x.data)[i] = (float)normal();
    for (int64_t i = 0; i < O * C * 9; i++)
        ((float *)w.data)[i] = (float)normal();
    if (gc_tensor_copy(&x, &xd) || gc_tensor_copy(&w, &wd))
        return 1;
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = d.pad[1] = P;
    d.algo = GC_CONV_ALGO_REFERENCE;
    if (run(&d, &xd, &wd, &yd))
        return 1;
    const gc_conv_algo algos[3] = {GC_CONV_ALGO_WINOGRAD, GC_CONV_ALGO_AUTO, GC_CONV_ALGO_DIRECT};
    double e[3];
    for (int a = 0; a < 3; a++) {
        d.algo = algos[a];
        if (run(&d, &x, &w, &y))
            return 1;
        e[a] = err(&y, &yd, O * OS * OS);
    }
    printf("%lld->%lld %lldx%lld @%lld pad %lld: winograd %.2e  auto %.2e  direct %.2e\n", (long long)C,
           (long long)O, (long long)K, (long long)K, (long long)S, (long long)P, e[0], e[1], e[2]);
    return 0;
}
