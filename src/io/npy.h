/* npy.h - the .npy preamble check shared by the whole-file reader (npy.c) and the reader of
 * pieces (npy_file.c). Private. */
#ifndef GC_IO_NPY_H
#define GC_IO_NPY_H

#include "base/internal.h"

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

/* ---- synthesis in parts (tile_synth.c; the MPI split in mpi_synth.c) ---------------------- */

#endif /* GC_IO_NPY_H */
