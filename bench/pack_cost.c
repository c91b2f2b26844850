/* pack_cost.c - cycles per element of the Gram forward's two float32 AVX-512 packs, from
 * cache: the k-major 16 x 16 transpose (gc_pack_f32_avx512, the convolution drivers' set) and
 * the quad pack (gc_pack_q4_f32_avx512, the forward's set), over ROWS rows of KC columns at a
 * row stride LDS (a power of two aliases in L1, as every VGG shape does). Cycles assume the
 * clock given (default 3.6 GHz, this Zen 4's). Not built by CMake:
 *   cc -O2 bench/pack_cost.c build/libgramconv.a -lm -lpthread -o /tmp/pc
 *   /tmp/pc LDS KC ROWS [GHZ]     e.g. /tmp/pc 1024 1024 16 and /tmp/pc 1040 1024 16 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* internal (src/gram.h), exported by the static library */
void gc_pack_f32_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                        void *dst);
void gc_pack_q4_f32_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds,
                           const double *mu, void *dst);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fputs("usage: pc LDS KC ROWS [GHZ]\n", stderr);
        return 2;
    }
    const int64_t lds = atoll(argv[1]), kc = atoll(argv[2]), rows = atoll(argv[3]);
    const double ghz = argc > 4 ? atof(argv[4]) : 3.6;
    if (lds < kc || kc < 16 || rows < 16 || rows % 16) {
        fputs("pc: need LDS >= KC >= 16 and ROWS a multiple of 16\n", stderr);
        return 2;
    }
    float *src = aligned_alloc(64, (size_t)(rows * lds * 4 + 64));
    float *dst = aligned_alloc(64, (size_t)(rows * kc * 4 + 64));
    if (!src || !dst)
        return 1;
    for (int64_t i = 0; i < rows * lds; i++)
        src[i] = (float)(i % 97);
    for (int which = 0; which < 2; which++) {
        const int64_t L = which ? 4 : 16;
        double best = 1e30;
        for (int it = 0; it < 200; it++) {
            const double t = now();
            for (int64_t p = 0; p < rows / L; p++) {
                if (which)
                    gc_pack_q4_f32_avx512(kc, L, src + p * L * lds, lds, NULL, dst + p * L * kc);
                else
                    gc_pack_f32_avx512(kc, L, src + p * L * lds, lds, NULL, dst + p * L * kc);
            }
            const double e = now() - t;
            best = e < best ? e : best;
        }
        printf("%s lds %lld kc %lld rows %lld: %.3f ns = %.2f cycles per element\n",
               which ? "quad pack     " : "16x16 transpose", (long long)lds, (long long)kc,
               (long long)rows, best * 1e9 / (double)(rows * kc),
               best * 1e9 * ghz / (double)(rows * kc));
    }
    free(src);
    free(dst);
    return 0;
}
