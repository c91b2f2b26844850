/* tile.h - private declarations of the tiled / streamed ops (tile_*.c) and the one hook they
 * take from npy.c. Not installed. */
#ifndef GC_TILE_H
#define GC_TILE_H

#include "internal.h"

/* The checked preamble of a .npy file (npy.c). */
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

#endif /* GC_TILE_H */
