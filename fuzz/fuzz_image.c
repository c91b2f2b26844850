/* fuzz_image.c - libFuzzer harness for the image loading path (gc_image_read_mem: PNG through
 * libpng, JPEG through libjpeg-turbo), behind the pixel and memory limits.
 *
 * The first input byte chooses the options (requested channels 0..4), the rest is the file,
 * given to the reader as an exact-size heap copy under a context limited to 2^20 pixels and
 * 64 MiB per allocation. For PNG inputs the harness first rewrites every chunk's CRC (a copy
 * of the bytes, so the input stays as the fuzzer made it) so that mutations reach the
 * decoder instead of stopping at the checksum. On success: float32, C x H x W, C as asked
 * (or 1..4), H * W within the pixel limit, every value in [0, 1] (and read, so ASan sees a
 * short buffer); the tensor is freed (LeakSanitizer). On failure a message must be set. A
 * build without libpng / libjpeg still runs (every input is then refused).
 *
 * Build: cmake -DGC_BUILD_FUZZ=ON with CC=clang (see fuzz/run.sh).
 */
#include "gramconv.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_ALLOC (64u << 20)
#define FUZZ_MAX_PIXELS (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gc_context *g_ctx;

static void check(int cond)
{
    if (!cond)
        abort();
}

static uint32_t crc_table[256];

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    if (!crc_table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
            crc_table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* Walk the PNG chunks of b and store the right CRC after each one that fits. */
static void fix_png_crcs(uint8_t *b, size_t n)
{
    if (n < 8 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) != 0)
        return;
    size_t pos = 8;
    while (pos + 12 <= n) {
        uint32_t len = (uint32_t)b[pos] << 24 | (uint32_t)b[pos + 1] << 16 |
                       (uint32_t)b[pos + 2] << 8 | b[pos + 3];
        if (len > n - pos - 12)
            return;
        uint32_t c = crc32_of(b + pos + 4, 4 + (size_t)len);
        uint8_t *q = b + pos + 8 + len;
        q[0] = (uint8_t)(c >> 24);
        q[1] = (uint8_t)(c >> 16);
        q[2] = (uint8_t)(c >> 8);
        q[3] = (uint8_t)c;
        pos += 12 + (size_t)len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ctx) {
        if (gc_context_create(&g_ctx) != GC_OK)
            abort();
        check(gc_context_set_max_alloc(g_ctx, FUZZ_MAX_ALLOC) == GC_OK);
        check(gc_context_set_max_pixels(g_ctx, FUZZ_MAX_PIXELS) == GC_OK);
    }
    if (size < 1)
        return 0;
    gc_image_read_opts opts = gc_image_read_opts_default();
    opts.channels = data[0] % 5;
    data++;
    size--;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    fix_png_crcs(buf, size);

    gc_tensor t;
    memset(&t, 0xA5, sizeof t);
    gc_status s = gc_image_read_mem(g_ctx, buf, size, &opts, &t);
    free(buf);
    if (s != GC_OK) {
        check(gc_context_last_error(g_ctx)[0] != '\0');
        gc_tensor_free(&t);
        return 0;
    }
    check(t.dtype == GC_DTYPE_F32 && t.rank == 3 && gc_tensor_is_contiguous(&t));
    check(t.dims[0] >= 1 && t.dims[0] <= 4);
    check(opts.channels == 0 || t.dims[0] == opts.channels);
    check(t.dims[1] >= 1 && t.dims[2] >= 1 && t.dims[1] * t.dims[2] <= FUZZ_MAX_PIXELS);
    const int64_t n = t.dims[0] * t.dims[1] * t.dims[2];
    const float *p = t.data;
    for (int64_t i = 0; i < n; i++)
        check(p[i] >= 0.0f && p[i] <= 1.0f);
    gc_tensor_free(&t);
    return 0;
}
