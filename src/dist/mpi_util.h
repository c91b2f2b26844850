/* src/dist/ - layer 6, the MPI library (libgramconv_mpi, gramconv_mpi.h): the Gram, the
 * halo exchange and synthesis over ranks, on top of the banded ops of tile/. Built only when
 * an MPI for C is found; the core library never includes it. */
/* mpi_util.h - helpers shared by the MPI library's files (mpi_*.c). Not installed. */
#ifndef GC_MPI_UTIL_H
#define GC_MPI_UTIL_H

#include "gramconv_mpi.h"
#include "base/internal.h"

/* Combine a local status over comm (the worst, i.e. largest code, wins) so that every rank
 * takes the same branch; a rank that was fine gets a message naming the other's failure. */
gc_status gc_mpi_agree(gc_context *ctx, MPI_Comm comm, gc_status st);
/* The MPI datatype of a gc_dtype. */
MPI_Datatype gc_mpi_type(gc_dtype dt);

#endif
