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

/* ---- synthesis in parts (tile_synth.c; the MPI split in mpi_synth.c) ---------------------- */
#include "synth.h"

/* How the parts of a split evaluation combine. sum: add the float64 vector v (n elements)
 * over the parts, in place, after agreeing on `st` (return the combined status); sum_grad:
 * the same for the image gradient (C x H x W of the net's dtype). row0/row1: this part's rows. */
typedef struct gc_ts_reduce {
    gc_status (*sum)(gc_context *ctx, void *user, gc_status st, double *v, int64_t n);
    gc_status (*sum_grad)(gc_context *ctx, void *user, gc_status st, gc_tensor *g);
    void *user;
    int64_t row0, row1;
} gc_ts_reduce;

/* The loss at x (contiguous C x H x W) and, if want_grad, dL/dx into the state's gradient;
 * red NULL: the whole image in this process. */
gc_status gc_synth_tiled_eval_part(gc_context *ctx, gc_synth_tiled *t, const gc_tensor *x,
                                   const gc_ts_reduce *red, double *loss, int want_grad);
/* The state's optimiser, iterate (C x H x W) and gradient, and desc.iters. */
gc_synth_optim *gc_synth_tiled_optim(gc_synth_tiled *t);
gc_tensor *gc_synth_tiled_x(gc_synth_tiled *t);
gc_tensor *gc_synth_tiled_grad(gc_synth_tiled *t);
int64_t gc_synth_tiled_iters(const gc_synth_tiled *t);

#endif /* GC_TILE_H */
