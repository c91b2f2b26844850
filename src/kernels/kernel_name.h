/* kernels/kernel_name.h - how kernels are named and how a kernel body is compiled per dtype.
 * Private.
 *
 * Every kernel symbol reads gc_<op>_<dtype>_<isa>: <op> the operation, with its variant where
 * a contract has several (syrk, syrk_q4_pf, gemm, pack, corr_block, cg_tile, wino_out2, ...),
 * <dtype> one of f32, f64, bf16, <isa> one of scalar, avx2, avx512 (the folder the file is
 * in). GC_KERNEL(op, dtype, isa) builds that name. A kernel written once for several dtypes
 * is a body, src/kernels/<name>_body.h (no include guard), which names every function it
 * defines, exported or static, GC_KN(op) = GC_KERNEL(op, GC_DT, GC_ISA), and computes with
 * the vocabulary of its ISA folder's simd.h only: element type T, vector type VT, mask type
 * MT, W lanes, the V_* helpers (V_LOADU, V_LOADM, V_STOREU, V_STOREM, V_BCAST, V_FMA, ...),
 * GC_AI (always-inline) and GC_DT_TARGET (the target attribute the dtype needs, if any) -
 * one set of names for every dtype, used by every kernel file of the folder. A kernel file
 * compiles a body once per dtype:
 *
 *     #define GC_DT f32
 *     #include "kernels/avx512/simd.h"         (sets GC_ISA and the vocabulary of GC_DT)
 *     #include "kernels/conv2d_gemm_body.h"    (defines gc_cg_tile_f32_avx512)
 *     #undef GC_DT
 *
 * and again with f64 (each inclusion of simd.h redefines the vocabulary for the GC_DT of the
 * moment). The file's own tile sizes (MR, NV, GC_JBMAX, ...) are defined above its first
 * body. Code that exists for one dtype only, or that really differs between dtypes, is
 * written by hand under the same names spelled out; the plain-loop references in scalar/ are
 * hand-written too. The contract headers (syrk.h, corr_block.h, conv2d_gemm_tile.h,
 * winograd.h, ts_project.h) declare every kernel under its gc_<op>_<dtype>_<isa> name. */
#ifndef GC_KERNELS_KERNEL_NAME_H
#define GC_KERNELS_KERNEL_NAME_H

#define GC_KCAT_(a, b) a##b
#define GC_KCAT(a, b) GC_KCAT_(a, b)

#define GC_KERNEL_(op, dtype, isa) gc_##op##_##dtype##_##isa
/* gc_<op>_<dtype>_<isa>; the arguments are macro-expanded first (GC_DT, GC_ISA) */
#define GC_KERNEL(op, dtype, isa) GC_KERNEL_(op, dtype, isa)
/* In a body: function `op` of the dtype and ISA being compiled. */
#define GC_KN(op) GC_KERNEL(op, GC_DT, GC_ISA)

/* The dtype tokens as numbers, so that simd.h can test GC_DT: #if GC_DT_IS(f32) */
#define GC_DTID_f32 1
#define GC_DTID_f64 2
#define GC_DTID_bf16 3
#define GC_DT_IS(dtype) (GC_KCAT(GC_DTID_, GC_DT) == GC_DTID_##dtype)

#endif /* GC_KERNELS_KERNEL_NAME_H */
