/* syrk_q4_cost.c - GFLOP/s of the Gram forward's float32 AVX-512 SYRK kernel alone
 * (gc_syrk_q4_f32_avx512, the quad set: 24 x 4 tiles of v = 6 panels), its operands in cache:
 * one row block of 6 panels x KC columns, and NB column tiles (4 x KC each) taken in turn, so
 * that NB = 1 reads the column side from L1 and NB = 64 from L2, as the forward's driver does
 * with bands one tile high. The ceiling the driver's figures are compared with
 * (docs/PERFORMANCE.md). Not built by CMake:
 *   cc -O2 bench/syrk_q4_cost.c build/libgramconv.a -lm -lpthread -o /tmp/sq
 *   /tmp/sq KC [NB]     e.g. /tmp/sq 256 64 and /tmp/sq 1024 64 (needs an AVX-512 CPU) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* internal (src/kernels/syrk.h), exported by the static library */
void gc_syrk_q4_f32_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                           double *acc, int64_t ld);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: sq KC [NB]\n", stderr);
        return 2;
    }
    const int64_t kc = atoll(argv[1]), nb = argc > 2 ? atoll(argv[2]) : 1;
    if (kc < 4 || kc % 4 || nb < 1) {
        fputs("sq: KC a multiple of 4, NB >= 1\n", stderr);
        return 2;
    }
    const int64_t ps = kc * 4; /* one panel: 4 rows x kc, k in quads */
    float *a = aligned_alloc(64, sizeof(float) * (size_t)(6 * ps));
    float *b = aligned_alloc(64, sizeof(float) * (size_t)(nb * ps));
    double *acc = aligned_alloc(64, sizeof(double) * (size_t)(nb * 24 * 4));
    if (!a || !b || !acc)
        return 1;
    for (int64_t i = 0; i < 6 * ps; i++)
        a[i] = 1e-3f * (float)(i % 7);
    for (int64_t i = 0; i < nb * ps; i++)
        b[i] = 1e-3f * (float)(i % 5);
    for (int64_t i = 0; i < nb * 96; i++)
        acc[i] = 0.0;
    const int64_t reps = 200000 / (kc / 64 > 0 ? kc / 64 : 1) / nb + 1;
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        const double t0 = now();
        for (int64_t r = 0; r < reps; r++)
            for (int64_t j = 0; j < nb; j++)
                gc_syrk_q4_f32_avx512(kc, 6, a, ps, b + j * ps, acc + j * 96, 24);
        const double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    printf("kc %lld nb %lld: %.1f GFLOP/s (checksum %g)\n", (long long)kc, (long long)nb,
           2.0 * 24 * 4 * (double)kc * (double)reps * (double)nb / best * 1e-9, acc[0]);
    free(acc);
    free(b);
    free(a);
    return 0;
}
