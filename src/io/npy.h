/* npy.h - private to io/: what the .npy pieces share. The header parser (npy_header.c) serves
 * the whole-file readers (npy_read.c) and the reader of pieces (npy_file.c) through the
 * checked preamble; the writer (npy_write.c) shares the magic string and the byte order. */
#ifndef GC_IO_NPY_H
#define GC_IO_NPY_H

#include "base/internal.h"

#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6

static inline int npy_host_little(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static inline void npy_swap_inplace(unsigned char *p, size_t n, size_t itemsize)
{
    if (itemsize == 4) {
        for (size_t i = 0; i < n; i++, p += 4) {
            uint32_t v;
            memcpy(&v, p, 4);
            v = __builtin_bswap32(v);
            memcpy(p, &v, 4);
        }
    } else {
        for (size_t i = 0; i < n; i++, p += 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            v = __builtin_bswap64(v);
            memcpy(p, &v, 8);
        }
    }
}

typedef struct npy_info {
    gc_dtype dtype;
    size_t itemsize;
    int swap;                 /* the file's byte order differs from the host's */
    int fortran;
    int rank;
    int64_t dims[GC_MAX_RANK];
    int64_t numel;
    uint64_t data_offset;     /* bytes before the first element */
    uint64_t data_bytes;      /* numel * itemsize */
} npy_info;
/* The preamble's length from its first bytes (`avail` of them at p), checked against the
 * `total` size of the file (npy_header.c). */
gc_status gc_npy_preamble_len(gc_context *ctx, const unsigned char *p, size_t avail,
                              uint64_t total, size_t *pre_len);
/* Parse a whole preamble (prefix + header, `pre_len` bytes at p, already known to be complete)
 * of a file that is `total` bytes long, and check the data size against it (npy_header.c). */
gc_status gc_npy_parse_preamble(gc_context *ctx, const unsigned char *p, size_t pre_len,
                                uint64_t total, npy_info *info);

/* The checked preamble of a .npy file (npy_read.c). */
typedef struct gc_npy_probe {
    gc_dtype dtype;
    int swap;          /* the file's byte order differs from the host's */
    int fortran;       /* Fortran order (rank >= 2) */
    int rank;
    int64_t dims[GC_MAX_RANK];
    uint64_t data_offset;
} gc_npy_probe;

/* Parse and check the preamble of the open file fd (the data size against the file's size),
 * as gc_npy_read does, without reading the data. */
gc_status gc_npy_probe_fd(gc_context *ctx, int fd, const char *path, gc_npy_probe *probe);

/* ---- synthesis in parts (tile_synth.c; the MPI split in mpi_synth.c) ---------------------- */

#endif /* GC_IO_NPY_H */
