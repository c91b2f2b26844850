/* fuzz_safetensors.c - libFuzzer harness for the safetensors reader
 * (gc_safetensors_read_mem).
 *
 * Feeds the input bytes (an exact-size heap copy) to the reader under a context limited to
 * 64 MiB per allocation. On success it checks every claim the reader makes: names non-NULL
 * and distinct, each convertible tensor a valid descriptor whose every element is readable
 * (ASan sees a short buffer), the element count times the item size within the limit and no
 * more than twice the input (F16/BF16 widen to 4 bytes), metadata pairs non-NULL and found
 * again by key; then it frees everything, so LeakSanitizer catches a forgotten buffer on any
 * path. On failure a message must be set.
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
    }
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);

    gc_safetensors *st = (gc_safetensors *)(uintptr_t)0x1;
    gc_status s = gc_safetensors_read_mem(g_ctx, buf, size, &st);
    free(buf); /* the result must not refer to the input */
    if (s != GC_OK) {
        check(st == NULL);
        check(gc_context_last_error(g_ctx)[0] != '\0');
        check(gc_status_str(s) != NULL);
        return 0;
    }
    check(st != NULL);
    const int64_t n = gc_safetensors_count(st);
    check(n >= 0 && (uint64_t)n <= size);
    uint64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        const char *name = gc_safetensors_name(st, i);
        check(name != NULL);
        for (int64_t j = 0; j < i; j++)
            check(strcmp(name, gc_safetensors_name(st, j)) != 0);
        gc_tensor t;
        s = gc_safetensors_get(g_ctx, st, name, -1, NULL, &t);
        if (s != GC_OK) {
            check(s == GC_ERR_DTYPE); /* the only reason a listed tensor is refused */
            continue;
        }
        check(t.owned_ == NULL && t.rank >= 0 && t.rank <= GC_MAX_RANK);
        check(gc_tensor_is_contiguous(&t));
        int64_t numel = -1;
        check(gc_tensor_numel(&t, &numel) == GC_OK && numel >= 0);
        const uint64_t bytes = (uint64_t)numel * gc_dtype_size(t.dtype);
        check(bytes <= FUZZ_MAX_ALLOC);
        total += bytes;
        /* the same lookup with its own shape as the expectation */
        gc_tensor u;
        check(gc_safetensors_get(g_ctx, st, name, t.rank, t.dims, &u) == GC_OK);
        check(u.data == t.data);
        volatile unsigned char acc = 0;
        const unsigned char *p = t.data;
        for (uint64_t k = 0; k < bytes; k++)
            acc ^= p[k];
        (void)acc;
    }
    check(total <= 2 * (uint64_t)size);
    const int64_t nm = gc_safetensors_metadata_count(st);
    for (int64_t i = 0; i < nm; i++) {
        const char *k = NULL, *v = NULL;
        check(gc_safetensors_metadata_at(st, i, &k, &v) == GC_OK && k && v);
        check(gc_safetensors_metadata_get(st, k) == v);
    }
    gc_safetensors_free(st);
    return 0;
}
