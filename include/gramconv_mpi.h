/*
 * gramconv_mpi.h - libgramconv_mpi: the image split by rows (or a .npy file by slices) across
 * the ranks of an MPI communicator. A separate small library (CMake option GC_WITH_MPI, on
 * when MPI is found); libgramconv itself never depends on MPI. Conventions as gramconv.h:
 * every call returns a gc_status, with a message in the context; collective calls must be
 * made by every rank of `comm` with the same geometry, and a failure on one rank is reported
 * on every rank (the statuses are combined, so no rank is left waiting).
 */
#ifndef GRAMCONV_MPI_H
#define GRAMCONV_MPI_H

#include <mpi.h>

#include "gramconv.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The Gram of a .npy file (as gc_gram_forward reads its input) over the ranks of comm. Rank
 * r of P reads, by file offsets, columns [K*r/P, K*(r+1)/P) of every item (for C x H x W:
 * whole rows of the flattened pixels, cut at row boundaries when H >= P), in bands that keep
 * its buffers within max_memory bytes (0: no limit), into a gc_gram_accum; the partial float64
 * sums are added with MPI_Reduce (MPI_SUM) on `root` (centring: the row sums first, with
 * MPI_Allreduce) and root finishes G. On root *output gets a new owned tensor (M x M or
 * N x M x M); elsewhere it is left empty. Equal to gc_gram_forward within float rounding.
 */
gc_status gc_mpi_gram_npy(gc_context *ctx, MPI_Comm comm, const gc_gram_desc *desc,
                          const char *path, uint64_t max_memory, int root, gc_tensor *output);

/*
 * Halo exchange for a tensor split by rows: each rank owns rows [own0, own0 + rows of `own`)
 * of a (N x) C x H x W tensor (`own` holds exactly those rows, any strides) and asks for
 * rows [need0, need1); `out` (caller memory, (N x) C x (need1-need0) x W, contiguous) gets
 * them, from whichever ranks own them (point-to-point messages, one per pair of ranks that
 * share rows). Owned ranges may be empty but must not overlap.
 */
gc_status gc_mpi_rows_gather(gc_context *ctx, MPI_Comm comm, const gc_tensor *own, int64_t own0,
                             int64_t need0, int64_t need1, gc_tensor *out);

/*
 * Distributed conv2d forward: the input split by rows (input_own = rows [in0, ...) of an
 * input h rows high), the output split by rows (output_own = output rows [oy0, ...)); the
 * halo rows each rank's output needs are fetched with gc_mpi_rows_gather and the band is
 * computed by gc_conv2d_forward_band. Equal to the single-process gc_conv2d_forward within
 * float rounding (bitwise with GC_CONV_ALGO_REFERENCE).
 */
gc_status gc_mpi_conv2d_forward(gc_context *ctx, MPI_Comm comm, const gc_conv2d_desc *desc,
                                int64_t h, const gc_tensor *input_own, int64_t in0,
                                const gc_tensor *weight, const gc_tensor *bias, int64_t oy0,
                                gc_tensor *output_own);
/* Distributed backward_input: grad_output split by rows (rows [go0, ...)), grad_input split by
 * rows (rows [in0, ...)); zero padding. */
gc_status gc_mpi_conv2d_backward_input(gc_context *ctx, MPI_Comm comm, const gc_conv2d_desc *desc,
                                       int64_t h, const gc_tensor *grad_output_own, int64_t go0,
                                       const gc_tensor *weight, int64_t in0,
                                       gc_tensor *grad_input_own);

/*
 * Texture synthesis (random net, style + TV; as gc_synth_tiled_*) with the image split by rows
 * over the ranks: rank r of P owns rows [H*r/P, H*(r+1)/P) (H >= P, else GC_ERR_ARG) and
 * keeps the optimiser (gc_optimizer, as gc_synth_run's) for those rows only, its dot products
 * and norms combined over the ranks (gc_optimizer_set_reduce; the partials gathered and added
 * in rank order, so every rank takes the same branches). Per evaluation the rows are gathered
 * (MPI_Allgatherv), each rank computes the features of its rows in bands under max_memory
 * (0: one band), the Gram partial sums are added (MPI_Allreduce) and the image gradient is
 * summed and split back to the rows' owners (MPI_Reduce_scatter). Memory per rank: 3 C H W
 * elements of image-sized buffers, the optimiser state of its rows (1/P), its bands. image:
 * rank 0's start is broadcast; every rank gets the result. desc->progress is called on rank
 * 0 only (its return value stops every rank). Equal to the one-process gc_synth_tiled_run
 * within float rounding; bitwise on a one-rank communicator.
 */
gc_status gc_mpi_synth_run(gc_context *ctx, MPI_Comm comm, const gc_synth_net *net,
                           const gc_synth_desc *desc, const gc_tensor *target_grams,
                           uint64_t max_memory, gc_tensor *image, gc_synth_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* GRAMCONV_MPI_H */
