/* npy_gen.c - writes seeded random .npy arrays for the shell tests, so that they need no NumPy:
 *
 *   npy_gen OUT.npy DTYPE SEED DIM [DIM...] [--fortran] [--uniform]
 *
 * DTYPE is f4, f8 (little-endian) or >f4, >f8 (big-endian). Values are standard normal
 * (Box-Muller on a splitmix64 stream) or, with --uniform, uniform in [0, 1). --fortran only sets
 * the header's fortran_order flag (the values are random either way). Format version 1.0, the
 * header padded to a multiple of 64 bytes as NumPy writes it. Exit 0 on success, 1 on a write
 * error, 2 on bad arguments. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t gen_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double gen_uniform(uint64_t *s) /* [0, 1) with 53 random bits */
{
    return (double)(gen_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double gen_normal(uint64_t *s)
{
    const double u = 1.0 - gen_uniform(s), v = gen_uniform(s); /* u in (0, 1] */
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static void put_bytes(unsigned char *dst, const void *src, size_t n, int swap)
{
    const unsigned char *p = src;
    for (size_t i = 0; i < n; i++)
        dst[i] = swap ? p[n - 1 - i] : p[i];
}

int main(int argc, char **argv)
{
    const char *out = NULL, *dtype = NULL, *seed_arg = NULL;
    int fortran = 0, uniform = 0, ndim = 0;
    long long dims[8];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fortran"))
            fortran = 1;
        else if (!strcmp(argv[i], "--uniform"))
            uniform = 1;
        else if (!out)
            out = argv[i];
        else if (!dtype)
            dtype = argv[i];
        else if (!seed_arg)
            seed_arg = argv[i];
        else {
            char *end = NULL;
            const long long d = strtoll(argv[i], &end, 10);
            if (ndim == 8 || *end || end == argv[i] || d < 0 || d > (1ll << 31)) {
                fprintf(stderr, "npy_gen: bad dimension '%s'\n", argv[i]);
                return 2;
            }
            dims[ndim++] = d;
        }
    }
    const int big = dtype && dtype[0] == '>';
    const char *code = dtype ? dtype + big : "";
    const size_t esz = !strcmp(code, "f4") ? 4 : !strcmp(code, "f8") ? 8 : 0;
    if (!out || !seed_arg || !esz || ndim == 0) {
        fprintf(stderr, "usage: npy_gen OUT.npy f4|f8|>f4|>f8 SEED DIM [DIM...] [--fortran] "
                        "[--uniform]\n");
        return 2;
    }
    uint64_t state = strtoull(seed_arg, NULL, 10);
    long long count = 1;
    for (int i = 0; i < ndim; i++) {
        count *= dims[i];
        if (count > (1ll << 31)) {
            fprintf(stderr, "npy_gen: array too large\n");
            return 2;
        }
    }

    char dict[512], shape[256] = "";
    size_t sl = 0;
    for (int i = 0; i < ndim; i++)
        sl += (size_t)snprintf(shape + sl, sizeof shape - sl, "%lld%s", dims[i],
                               ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
    int dl = snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': %s, 'shape': (%s), }",
                      big ? '>' : '<', code, fortran ? "True" : "False", shape);
    size_t total = 10 + (size_t)dl + 1; /* magic, version, length, dict, '\n' */
    const size_t pad = (64 - total % 64) % 64;
    memset(dict + dl, ' ', pad);
    dl += (int)pad;
    dict[dl++] = '\n';

    FILE *f = fopen(out, "wb");
    if (!f) {
        fprintf(stderr, "npy_gen: cannot write %s\n", out);
        return 1;
    }
    const unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                    (unsigned char)(dl & 0xff), (unsigned char)(dl >> 8)};
    int ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)dl, f) == (size_t)dl;
    /* host byte order is little-endian on every machine this project targets; check anyway */
    const uint16_t probe = 1;
    const int host_little = *(const unsigned char *)&probe == 1;
    const int swap = big == host_little;
    unsigned char buf[8];
    for (long long i = 0; ok && i < count; i++) {
        const double v = uniform ? gen_uniform(&state) : gen_normal(&state);
        if (esz == 4) {
            const float x = (float)v;
            put_bytes(buf, &x, 4, swap);
        } else {
            put_bytes(buf, &v, 8, swap);
        }
        ok = fwrite(buf, 1, esz, f) == esz;
    }
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "npy_gen: write error on %s\n", out);
        remove(out);
        return 1;
    }
    return 0;
}
