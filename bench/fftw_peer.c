/* fftw_peer.c - the "plain FFTW" peer for bench/peers_fft.py: a valid-mode 2-D float32
 * cross-correlation done the textbook way with FFTW3 r2c/c2r, single-threaded:
 *   pad input and (reversed) kernel to L x L, L = the smallest 2^a 3^b 5^c 7^d >= n + k - 1
 *   (the full linear size), one fftwf_plan_dft_r2c_2d each (FFTW_MEASURE, planned once,
 *   outside the timing), multiply, one c2r, crop the valid part and scale by 1/L^2.
 * usage: fftw_peer N K REPEATS   -> prints "ms MEDIAN" (one warm-up run first)
 * Build: cc -O2 bench/fftw_peer.c -lfftw3f -lm -o fftw_peer */
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int good(int n)
{
    for (int m = n;; m++) {
        int r = m;
        while (r % 2 == 0) r /= 2;
        while (r % 3 == 0) r /= 3;
        while (r % 5 == 0) r /= 5;
        while (r % 7 == 0) r /= 7;
        if (r == 1) return m;
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fftw_peer N K REPEATS\n");
        return 2;
    }
    const int n = atoi(argv[1]), k = atoi(argv[2]), reps = atoi(argv[3]);
    const int L = good(n + k - 1), lc = L / 2 + 1, o = n - k + 1;
    float *x = malloc(sizeof(float) * (size_t)n * n), *kk = malloc(sizeof(float) * (size_t)k * k);
    float *out = malloc(sizeof(float) * (size_t)o * o);
    float *rx = fftwf_alloc_real((size_t)L * L), *rk = fftwf_alloc_real((size_t)L * L);
    fftwf_complex *cx = fftwf_alloc_complex((size_t)L * lc), *ck = fftwf_alloc_complex((size_t)L * lc);
    fftwf_plan px = fftwf_plan_dft_r2c_2d(L, L, rx, cx, FFTW_MEASURE);
    fftwf_plan pk = fftwf_plan_dft_r2c_2d(L, L, rk, ck, FFTW_MEASURE);
    fftwf_plan pi = fftwf_plan_dft_c2r_2d(L, L, cx, rx, FFTW_MEASURE);
    srand(1);
    for (long i = 0; i < (long)n * n; i++) x[i] = (float)rand() / RAND_MAX * 2 - 1;
    for (long i = 0; i < (long)k * k; i++) kk[i] = (float)rand() / RAND_MAX * 2 - 1;
    double *t = malloc(sizeof(double) * (size_t)(reps + 1));
    for (int r = 0; r <= reps; r++) {
        const double t0 = now_ms();
        memset(rx, 0, sizeof(float) * (size_t)L * L);
        memset(rk, 0, sizeof(float) * (size_t)L * L);
        for (int y = 0; y < n; y++) memcpy(rx + (size_t)y * L, x + (size_t)y * n, sizeof(float) * n);
        for (int y = 0; y < k; y++) /* reversed kernel: correlation as a convolution */
            for (int c = 0; c < k; c++) rk[(size_t)y * L + c] = kk[(size_t)(k - 1 - y) * k + (k - 1 - c)];
        fftwf_execute(px);
        fftwf_execute(pk);
        for (long i = 0; i < (long)L * lc; i++) {
            const float a = cx[i][0], b = cx[i][1], c = ck[i][0], d = ck[i][1];
            cx[i][0] = a * c - b * d;
            cx[i][1] = a * d + b * c;
        }
        fftwf_execute(pi);
        const float s = 1.0f / ((float)L * (float)L);
        for (int y = 0; y < o; y++)
            for (int c = 0; c < o; c++) out[(size_t)y * o + c] = rx[(size_t)(y + k - 1) * L + c + k - 1] * s;
        if (r > 0) t[r - 1] = now_ms() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp);
    printf("ms %.4f L %d check %.6f\n", t[reps / 2], L, out[0]);
    return 0;
}
