/* safetensors.h - private: the parsed form of a safetensors file, shared by
 * safetensors_parse.c (the header parser) and safetensors.c (bounds checks, conversion of
 * the data, lookup). */
#ifndef GC_SAFETENSORS_H
#define GC_SAFETENSORS_H

#include "base/internal.h"

/* safetensors dtypes; the value order is irrelevant. */
typedef enum st_dtype {
    ST_BOOL, ST_U8, ST_I8, ST_F8_E5M2, ST_F8_E4M3, ST_I16, ST_U16, ST_F16, ST_BF16,
    ST_I32, ST_U32, ST_F32, ST_F64, ST_I64, ST_U64, ST_NDTYPES
} st_dtype;

typedef struct st_tensor {
    const char *name;          /* in the string arena */
    st_dtype dtype;
    int rank;
    int64_t dims[GC_MAX_RANK];
    int64_t numel;
    uint64_t begin, end;       /* data_offsets, relative to the data start */
    void *data;                /* converted data (float32 / float64) or NULL if unsupported */
    int have_dtype, have_shape, have_offsets;
} st_tensor;

struct gc_safetensors {
    gc_allocator alloc;        /* a copy of the allocator that made everything below */
    st_tensor *tensors;
    int64_t count, cap;
    const char **meta;         /* 2 * nmeta strings: key, value, key, value, ... */
    int64_t nmeta, meta_cap;
    char *strings;             /* the arena of decoded, NUL-terminated names */
    size_t strings_used, strings_cap;
    void *data;                /* all converted tensor data */
};

/* Bytes of one element of a safetensors dtype; its name; the gramconv dtype it converts to
 * (0 if none). */
size_t st_dtype_size(st_dtype d);
const char *st_dtype_str(st_dtype d);
gc_dtype st_dtype_target(st_dtype d);

/* Parse the n-byte JSON header at s into st (tensors with names, dtypes, shapes and
 * offsets; metadata), all through ctx's allocator; GC_ERR_FORMAT etc. with a message. */
gc_status st_parse_header(gc_context *ctx, const unsigned char *s, size_t n,
                          gc_safetensors *st);

#endif /* GC_SAFETENSORS_H */
