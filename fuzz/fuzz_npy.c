/* fuzz_npy.c - libFuzzer harness for the .npy reader (gc_npy_read_mem).
 *
 * Feeds the input bytes to gc_npy_read_mem under a context whose single-allocation limit is
 * 64 MiB (so a header that claims a huge array is refused with GC_ERR_LIMIT instead of
 * exhausting the fuzzer's memory). On success it checks what the reader claims: a known dtype,
 * rank in 0..GC_MAX_RANK, non-negative dims whose product times the item size does not
 * overflow, is within the limit and fits in the input; C-contiguous strides; every element
 * readable (ASan checks the bytes really exist). The tensor is always freed, so LeakSanitizer
 * catches an error path that forgets memory.
 *
 * Build: cmake -DGC_BUILD_FUZZ=ON with CC=clang (see fuzz/run.sh).
 */
#include "gramconv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_ALLOC (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gc_context *g_ctx;

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ctx) {
        if (gc_context_create(&g_ctx) != GC_OK)
            abort();
        check(gc_context_set_max_alloc(g_ctx, FUZZ_MAX_ALLOC) == GC_OK);
        check(gc_context_set_threads(g_ctx, 1) == GC_OK);
    }
    /* A private copy of exactly `size` bytes so that ASan sees any read past the end. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);

    gc_tensor t;
    memset(&t, 0xA5, sizeof t); /* the reader must not rely on *out being initialised */
    gc_status st = gc_npy_read_mem(g_ctx, buf, size, &t);
    if (st == GC_OK) {
        size_t item = gc_dtype_size(t.dtype);
        check(item == 4 || item == 8);
        check(t.rank >= 0 && t.rank <= GC_MAX_RANK);
        uint64_t n = 1;
        for (int i = 0; i < t.rank; i++) {
            check(t.dims[i] >= 0);
            if (t.dims[i] != 0 && n > UINT64_MAX / (uint64_t)t.dims[i])
                abort(); /* the product overflowed: the reader should have refused it */
            n *= (uint64_t)t.dims[i];
        }
        int64_t numel = -1;
        check(gc_tensor_numel(&t, &numel) == GC_OK && (uint64_t)numel == n);
        check(n <= UINT64_MAX / item);
        uint64_t bytes = n * item;
        check(bytes <= FUZZ_MAX_ALLOC);
        check(bytes <= size); /* the data came from the input, so it cannot be larger */
        check(n == 0 || t.data != NULL);
        check(gc_tensor_is_contiguous(&t));
        /* Touch every byte: an allocation smaller than the claimed size shows up in ASan. */
        volatile unsigned char acc = 0;
        const unsigned char *p = (const unsigned char *)t.data;
        for (uint64_t i = 0; i < bytes; i++)
            acc ^= p[i];
        (void)acc;
        gc_tensor_free(&t);
        gc_tensor_free(&t); /* idempotent */
    } else {
        /* A failure leaves nothing owned; freeing must be safe. */
        check(gc_context_last_error(g_ctx) != NULL);
        check(gc_status_str(st) != NULL);
        gc_tensor_free(&t);
    }
    free(buf);
    return 0;
}
