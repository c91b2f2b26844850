/*
 * gramconv.h - the one public header of libgramconv.
 *
 * Convolution / cross-correlation with Torch7's exact semantics, Gram matrices, and the
 * pieces around them (tensors, .npy files), for float32 and float64.
 *
 * Conventions (read these once):
 *  - Every function that can fail returns a gc_status; GC_OK is 0. gc_status_str() names it.
 *    A gc_context, when one is passed, also keeps a one-line message saying what was wrong
 *    (gc_context_last_error). The library never aborts, exits or prints.
 *  - A NULL gc_context* means "defaults": all cores (or GC_NUM_THREADS), best ISA (or GC_ISA),
 *    malloc/free, no message kept.
 *  - Memory: the caller owns every buffer it passes in. gc_tensor is a plain descriptor held by
 *    value; a tensor made by gc_tensor_create/gc_tensor_contiguous/gc_npy_read owns its data and
 *    must be released with gc_tensor_free (NULL-safe, idempotent). A view (gc_tensor_wrap,
 *    gc_tensor_transpose, gc_tensor_narrow, gc_tensor_view) never owns memory: it must not
 *    outlive the memory it looks at, and gc_tensor_free on it does nothing.
 *  - Sizes are int64_t, strides are in elements (not bytes) and may be any non-negative value;
 *    every size product is overflow-checked.
 *  - Ops write into an output tensor the caller made with the shape the matching *_shape query
 *    returns. Outputs must not overlap inputs (GC_ERR_ALIAS). Outputs need not be contiguous.
 *  - Results are bitwise reproducible for a given thread count and ISA.
 *  - Names: functions gc_<object>_<verb> (gc_gram_forward, gc_conv2d_backward_weight), types
 *    gc_<name>, enum values GC_<ENUM>_<VALUE> with the enum's name in full (gc_corr_kind:
 *    GC_CORR_KIND_XCORR; gc_boundary: GC_BOUNDARY_WRAP). The one exception is gc_status,
 *    whose values are GC_OK and GC_ERR_<WHAT>.
 *
 * Sections, lower layers first: version; status codes; CPU instruction sets; context;
 * tensors; correlation and convolution, and their FFT path; Gram matrices; conv2d; .npy
 * files; images; safetensors files; networks (nn); optimisers; texture and style synthesis;
 * the streaming Gram, tiled conv2d and synthesis in bands; texture scores.
 */
#ifndef GRAMCONV_H
#define GRAMCONV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Version and symbol export                                                                */

#define GC_VERSION_MAJOR 0
#define GC_VERSION_MINOR 2
#define GC_VERSION_PATCH 0
#define GC_VERSION_STRING "0.2.0"
/* One integer for comparisons: major*10000 + minor*100 + patch. */
#define GC_VERSION_NUMBER (GC_VERSION_MAJOR * 10000 + GC_VERSION_MINOR * 100 + GC_VERSION_PATCH)

#if defined(_WIN32) && defined(GC_SHARED_BUILD)
#define GC_API __declspec(dllexport)
#elif defined(__GNUC__)
#define GC_API __attribute__((visibility("default")))
#else
#define GC_API
#endif

/* The library's version, "MAJOR.MINOR.PATCH"; compare with GC_VERSION_STRING to check that
 * the header matches the library. */
GC_API const char *gc_version(void);
GC_API int gc_version_number(void);

/* ---------------------------------------------------------------------------------------- */
/* Status codes                                                                             */

/* The one enum whose values do not spell out its name (GC_OK and GC_ERR_<WHAT>, not
 * GC_STATUS_*): every call returns one, and the short names read best there. */
typedef enum gc_status {
    GC_OK = 0,
    GC_ERR_NULL = 1,          /* a required pointer argument was NULL */
    GC_ERR_ARG = 2,           /* an argument is out of its range (enum, count, option) */
    GC_ERR_RANK = 3,          /* a tensor has a rank the operation does not take */
    GC_ERR_SHAPE = 4,         /* sizes do not agree (planes, output shape, kernel too big) */
    GC_ERR_DTYPE = 5,         /* unsupported dtype, or operands of different dtypes */
    GC_ERR_ALIAS = 6,         /* an output overlaps an input */
    GC_ERR_OVERFLOW = 7,      /* a size computation would overflow 64 bits / size_t */
    GC_ERR_NOMEM = 8,         /* an allocation failed */
    GC_ERR_LIMIT = 9,         /* a configured resource limit would be exceeded */
    GC_ERR_EMPTY = 10,        /* a dimension is zero where the operation needs elements */
    GC_ERR_LAYOUT = 11,       /* strides the operation cannot take (e.g. writing a broadcast) */
    GC_ERR_IO = 12,           /* reading or writing a file failed */
    GC_ERR_FORMAT = 13,       /* a file is malformed, truncated or lies about its contents */
    GC_ERR_UNSUPPORTED = 14,  /* valid request this build or CPU cannot serve */
    GC_ERR_THREAD = 15,       /* a worker thread could not be started */
    GC_ERR_INTERNAL = 16      /* a bug in gramconv: please report it */
} gc_status;

/* A static English name for a status ("GC_ERR_SHAPE: shapes do not agree"); never NULL. */
GC_API const char *gc_status_str(gc_status status);

/* ---------------------------------------------------------------------------------------- */
/* CPU instruction sets (ISA)                                                               */

typedef enum gc_isa {
    GC_ISA_AUTO = 0,    /* best the CPU and build support */
    GC_ISA_SCALAR = 1,  /* portable C, always present */
    GC_ISA_AVX2 = 2,    /* AVX2 + FMA */
    GC_ISA_AVX512 = 3   /* AVX-512 F/BW/VL/DQ */
} gc_isa;

/* Name of an ISA ("scalar", "avx2", "avx512", "auto"). */
GC_API const char *gc_isa_name(gc_isa isa);
/* The best ISA this CPU and build can run (cpuid, once). GC_ISA=scalar|avx2|avx512 in the
 * environment lowers it for testing (it can never raise it above what the CPU has). */
GC_API gc_isa gc_isa_detect(void);

/* ---------------------------------------------------------------------------------------- */
/* Context: threads, ISA, allocator, limits, last error                                     */

/* Allocator hook: alloc(size, align, user) returns memory aligned to `align` (a power of two
 * >= sizeof(void*)) or NULL; free(ptr, user) releases it. */
typedef struct gc_allocator {
    void *(*alloc)(size_t size, size_t align, void *user);
    void (*free)(void *ptr, void *user);
    void *user;
} gc_allocator;

typedef struct gc_context gc_context;

/* A context carries the error message of the last failed call, the settings below and a pool
 * of worker threads (started by the first multi-threaded call, joined by gc_context_free).
 * Use one context from one application thread at a time: give each thread its own context
 * (a call made while another thread's call holds the pool still computes the right result,
 * on threads of its own, but the two would share one error message). */

/* Makes a context with defaults. *out is set to NULL on failure. */
GC_API gc_status gc_context_create(gc_context **out);
/* NULL-safe. */
GC_API void gc_context_free(gc_context *ctx);
/* Thread count for ops run with this context; 0 means the default (GC_NUM_THREADS in the
 * environment, else all online cores). Counts above 1024 are refused (GC_ERR_ARG). */
GC_API gc_status gc_context_set_threads(gc_context *ctx, int nthreads);
/* The thread count ops will use (resolves the default). ctx may be NULL. */
GC_API int gc_context_threads(const gc_context *ctx);
/* Force an ISA (GC_ISA_AUTO: detect). Asking for one the CPU lacks returns GC_ERR_UNSUPPORTED. */
GC_API gc_status gc_context_set_isa(gc_context *ctx, gc_isa isa);
/* The ISA ops will run with. ctx may be NULL. */
GC_API gc_isa gc_context_isa(const gc_context *ctx);
/* Replace the allocator (NULL restores malloc). Memory is always freed with the allocator
 * that made it, so change it only while no tensor made under this context is alive. */
GC_API gc_status gc_context_set_allocator(gc_context *ctx, const gc_allocator *allocator);
/* Largest single allocation the library will make under this context, in bytes
 * (0 = the default, 16 GiB). Larger requests fail with GC_ERR_LIMIT before allocating. */
GC_API gc_status gc_context_set_max_alloc(gc_context *ctx, uint64_t bytes);
/* Pixel limit for images read under ctx (width * height); 0 restores the default
 * GC_IMAGE_DEFAULT_MAX_PIXELS. Negative is GC_ERR_ARG. */
GC_API gc_status gc_context_set_max_pixels(gc_context *ctx, int64_t pixels);
/* The pixel limit in force (ctx may be NULL: the default). */
GC_API int64_t gc_context_max_pixels(const gc_context *ctx);
/* One line saying what the last failing call under this context found wrong ("" if none).
 * Valid until the next call with this context. ctx may be NULL (returns ""). */
GC_API const char *gc_context_last_error(const gc_context *ctx);

/* ---------------------------------------------------------------------------------------- */
/* Tensors                                                                                  */

typedef enum gc_dtype {
    GC_DTYPE_F32 = 1,
    GC_DTYPE_F64 = 2
} gc_dtype;

#define GC_MAX_RANK 8

/* A strided n-d array. dims[i] >= 0; strides[i] in elements. Fields are public and may be
 * read freely; build tensors through the functions below so that they are validated. */
typedef struct gc_tensor {
    gc_dtype dtype;
    int rank;                        /* 0..GC_MAX_RANK */
    int64_t dims[GC_MAX_RANK];
    int64_t strides[GC_MAX_RANK];    /* elements */
    void *data;                      /* first element */
    void *owned_;                    /* non-NULL iff this descriptor owns data (private) */
    gc_allocator alloc_;             /* allocator that made owned_ (private, a copy) */
} gc_tensor;

/* Bytes of one element (4 or 8), 0 for an unknown dtype. */
GC_API size_t gc_dtype_size(gc_dtype dtype);
GC_API const char *gc_dtype_name(gc_dtype dtype);  /* "float32", "float64" */

/* Allocate a zero-filled, C-contiguous tensor that owns its data (64-byte aligned). */
GC_API gc_status gc_tensor_create(gc_context *ctx, gc_tensor *out, gc_dtype dtype, int rank,
                                  const int64_t *dims);
/* Release what `t` owns and reset it to an empty rank-0 descriptor. NULL-safe; a view is only
 * reset. */
GC_API void gc_tensor_free(gc_tensor *t);
/* A view of caller memory. strides == NULL means C-contiguous. Never owns `data`. */
GC_API gc_status gc_tensor_wrap(gc_tensor *out, gc_dtype dtype, int rank, const int64_t *dims,
                                const int64_t *strides, void *data);
/* A view of `src` with two dimensions swapped. */
GC_API gc_status gc_tensor_transpose(const gc_tensor *src, int dim0, int dim1, gc_tensor *out);
/* A view of `src` restricted to [start, start+length) along `dim`. */
GC_API gc_status gc_tensor_narrow(const gc_tensor *src, int dim, int64_t start, int64_t length,
                                  gc_tensor *out);
/* A view of a C-contiguous `src` with new dims (same element count); one dim may be -1. */
GC_API gc_status gc_tensor_view(const gc_tensor *src, int rank, const int64_t *dims,
                                gc_tensor *out);
/* A new C-contiguous tensor that owns a copy of `src`'s elements. */
GC_API gc_status gc_tensor_contiguous(gc_context *ctx, const gc_tensor *src, gc_tensor *out);
/* Copy elements between tensors of one shape; dtypes may differ (converted). No overlap. */
GC_API gc_status gc_tensor_copy(const gc_tensor *src, gc_tensor *dst);
/* 1 if the elements are laid out C-contiguously, else 0. */
GC_API int gc_tensor_is_contiguous(const gc_tensor *t);
/* Number of elements; 0 if any dim is 0. Sets *count; GC_ERR_OVERFLOW if it does not fit. */
GC_API gc_status gc_tensor_numel(const gc_tensor *t, int64_t *count);

/* ---------------------------------------------------------------------------------------- */
/* Correlation and convolution: Torch7's xcorr2 / conv2 / xcorr3 / conv3                    */

typedef enum gc_corr_kind {
    GC_CORR_KIND_XCORR = 0,  /* cross-correlation: out[y][x] = sum in[y+i][x+j] * k[i][j]
                                (CNN "conv") */
    GC_CORR_KIND_CONV = 1    /* convolution: the kernel turned 180 degrees in every spatial
                                dim first */
} gc_corr_kind;

typedef enum gc_mode {
    GC_MODE_VALID = 0,  /* 'V': n-k+1 per spatial dim; k > n is an error */
    GC_MODE_FULL = 1,   /* 'F': n+k-1 per spatial dim; zero outside the input */
    GC_MODE_SAME = 2    /* 'S': n per dim; the full result cropped, as SciPy's correlate2d /
                           convolve2d mode='same': from offset floor(k/2) for xcorr and
                           floor((k-1)/2) for conv (they differ for even k) */
} gc_mode;

/*
 * Rank pairing, as torch.xcorr2/conv2 (spatial_dims 2) and xcorr3/conv3 (spatial_dims 3); S is
 * the spatial shape (H x W or D x H x W), K the kernel's spatial shape:
 *   input S,     kernel K      -> output S'        (single plane)
 *   input p x S, kernel p x K  -> output p x S'    (plane i with kernel i, no sum)
 *   input p x S, kernel q x p x K -> output q x S' (out[j] = sum_i corr(in[i], k[j][i]))
 * Any other pairing is GC_ERR_RANK; a plane-count mismatch is GC_ERR_SHAPE.
 */
/* How the sums are computed (see "Correlation by FFT" below for the choice and its error
 * bound). */
typedef enum gc_corr_method {
    GC_CORR_METHOD_AUTO = 0,   /* direct, unless the cost model says FFT is faster AND the data
                                  allow it: never for integer-valued data, NaN/Inf, or a
                                  dynamic range where the FFT's error bound would exceed the
                                  direct method's (gc_corr_select_method says which) */
    GC_CORR_METHOD_DIRECT = 1, /* the direct sums (SIMD kernels) */
    GC_CORR_METHOD_FFT = 2     /* FFT (FFTW3); GC_ERR_UNSUPPORTED in a build without it */
} gc_corr_method;

/* What the input is taken to be outside its bounds: gc_corr_desc.boundary for modes F and S
 * (mode V reads no value outside the input, so the boundary is ignored there), and
 * gc_conv2d_desc.padding_mode (see there for the ones conv2d takes). Named as SciPy's
 * correlate2d and PyTorch's padding modes; for input index i outside [0, n) along a spatial
 * dim: */
typedef enum gc_boundary {
    GC_BOUNDARY_FILL = 0,      /* fill_value (0: zeros, Torch7's F and S) */
    GC_BOUNDARY_WRAP = 1,      /* circular: i mod n */
    GC_BOUNDARY_SYMM = 2,      /* symmetric, edge repeated: ... b a | a b c | c b ... */
    GC_BOUNDARY_REFLECT = 3,   /* mirror, edge not repeated: ... c b | a b c | b a ... */
    GC_BOUNDARY_REPLICATE = 4  /* the edge value: ... a a | a b c | c c ... */
} gc_boundary;
/* (wrap, symm and reflect repeat periodically when the padding exceeds the input; conv2d
 * limits the padding instead, below.) */

/* Zero-initialised fields after `mode` keep Torch7's behaviour: auto method, zero fill. */
typedef struct gc_corr_desc {
    gc_corr_kind kind;
    int spatial_dims;  /* 2 or 3 */
    gc_mode mode;
    gc_corr_method method;
    gc_boundary boundary;
    double fill_value; /* GC_BOUNDARY_FILL only; finite */
} gc_corr_desc;

/* Output rank and dims of the op (dims must hold GC_MAX_RANK entries). Validates everything
 * about input and kernel that the op itself would. */
GC_API gc_status gc_corr_shape(gc_context *ctx, const gc_corr_desc *desc, const gc_tensor *input,
                               const gc_tensor *kernel, int *out_rank, int64_t *out_dims);
/* Compute into `output` (shape from gc_corr_shape, any strides, same dtype, not overlapping). */
GC_API gc_status gc_corr(gc_context *ctx, const gc_corr_desc *desc, const gc_tensor *input,
                         const gc_tensor *kernel, gc_tensor *output);
/* The plain-loop reference kernel behind gc_corr (float64 accumulation, single thread): the
 * oracle the tests compare every optimised path with. Same contract as gc_corr. */
GC_API gc_status gc_corr_reference(gc_context *ctx, const gc_corr_desc *desc,
                                   const gc_tensor *input, const gc_tensor *kernel,
                                   gc_tensor *output);

/* Shorthands for gc_corr with the matching descriptor. */
GC_API gc_status gc_xcorr2(gc_context *ctx, const gc_tensor *input, const gc_tensor *kernel,
                           gc_mode mode, gc_tensor *output);
GC_API gc_status gc_conv2(gc_context *ctx, const gc_tensor *input, const gc_tensor *kernel,
                          gc_mode mode, gc_tensor *output);
GC_API gc_status gc_xcorr3(gc_context *ctx, const gc_tensor *input, const gc_tensor *kernel,
                           gc_mode mode, gc_tensor *output);
GC_API gc_status gc_conv3(gc_context *ctx, const gc_tensor *input, const gc_tensor *kernel,
                          gc_mode mode, gc_tensor *output);

/* ---------------------------------------------------------------------------------------- */
/* Correlation by FFT: plans, error bound, method choice                                    */

/* The method and boundary fields live in gc_corr_desc. */
/*
 * The FFT path of gc_corr (desc->method GC_CORR_METHOD_FFT, or AUTO's choice): overlap-save
 * over output tiles; per tile, real-to-complex FFTW3 transforms of the input window (N points,
 * sizes with small prime factors), a product with the kernel spectrum (summed over input
 * planes in the frequency domain for the q x p pairing), one transform back, crop. Error
 * bound, for each output element of plane j (eps: the dtype's epsilon; w: the input window
 * of the element's tile; x_i, k_ji the input planes and kernels that feed plane j, the input
 * already padded by the boundary rule):
 *     |fft - exact| <= GC_FFT_ERROR_C * eps * log2(N) * sum_i ||x_i on w||_2 / sqrt(N) * ||k_ji||_2
 * (measured: within 0.22 of it over the tests' sweeps). AUTO takes FFT only when this bound
 * is within the direct method's own normwise bound (m + 2) * eps * ||x on the kernel
 * window||_2 * ||k||_2 (m: products per output) at every output, no value is NaN/Inf, and
 * not every value is an integer. Tiles and plans do not depend on the thread count, so FFT
 * results are bitwise reproducible for any thread count. Plans are made with FFTW_ESTIMATE
 * under a mutex and cached for the life of the process; ops may run from many threads.
 */
#define GC_FFT_ERROR_C 8.0

/* 1 if this build has the FFT path (FFTW3), else 0. */
GC_API int gc_fft_available(void);
/* Destroy every cached FFT plan (and FFTW's own planner state). Must not run while any
 * gc_corr call is in flight; the next FFT call plans again. */
GC_API void gc_fft_cache_clear(void);
/* Number of plans in the cache (for tests and curious callers). */
GC_API int gc_fft_cache_size(void);
/* The method gc_corr would run with these arguments and ctx's thread count and ISA:
 * GC_CORR_METHOD_DIRECT or GC_CORR_METHOD_FFT (desc->method AUTO resolved; a forced method
 * is returned as is, FFT only if available). Validates like gc_corr_shape. */
GC_API gc_status gc_corr_select_method(gc_context *ctx, const gc_corr_desc *desc,
                                       const gc_tensor *input, const gc_tensor *kernel,
                                       gc_corr_method *method);

/* ---------------------------------------------------------------------------------------- */
/* Gram matrices                                                                            */

/*
 * Input F, read as rows of vectors:
 *   M x K          -> G: M x M        (the general metric matrix of M vectors of length K)
 *   C x H x W      -> G: C x C        (each channel flattened to H*W; K = H*W)
 *   N x C x H x W  -> G: N x C x C    (one Gram per batch item, the seed's bmm form)
 * G = norm * scale * Fc Fc^T, with Fc = F, or F minus each row's mean over K if `center`
 * (the covariance form). G is exactly symmetric: each pair (i, j) is summed once.
 */
typedef enum gc_gram_norm {
    GC_GRAM_NORM_NONE = 0,  /* norm = 1 */
    GC_GRAM_NORM_HW = 1,    /* norm = 1 / (H*W)     (1/K for M x K): the seed, Gatys et al. */
    GC_GRAM_NORM_CHW = 2    /* norm = 1 / (C*H*W)   (1/(M*K)): neural-style, PyTorch tutorial */
} gc_gram_norm;

typedef enum gc_precision {
    GC_PRECISION_DEFAULT = 0, /* compute in the tensors' own dtype */
    GC_PRECISION_BF16 = 1     /* opt-in, float32 tensors only: inputs rounded to bfloat16,
                                 products summed in float32 (AVX512-BF16's vdpbf16ps; no
                                 AMX path); GC_ERR_UNSUPPORTED without it. Applies to
                                 the forward Gram (also inside the style loss) and the
                                 conv2d forward (stride 1, the GEMM algorithm); gradients
                                 are computed in float32 */
} gc_precision;

typedef struct gc_gram_desc {
    gc_gram_norm norm;
    double scale;            /* extra factor, finite; gc_gram_desc_default() sets 1 */
    int center;              /* nonzero: subtract each row's mean first */
    gc_precision precision;
} gc_gram_desc;

/* {GC_GRAM_NORM_HW, scale 1, no centring, default precision}. */
GC_API gc_gram_desc gc_gram_desc_default(void);

/* Output rank and dims of the Gram of `input`. */
GC_API gc_status gc_gram_shape(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                               int *out_rank, int64_t *out_dims);
/* G = norm * scale * Fc Fc^T into `output` (shape from gc_gram_shape). */
GC_API gc_status gc_gram_forward(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                                 gc_tensor *output);
/* dL/dF = norm * scale * (dG + dG^T) Fc (then minus its row means if `center`), for any dG
 * (not necessarily symmetric) of G's shape. Overwrites grad_input (shape of input). */
GC_API gc_status gc_gram_backward(gc_context *ctx, const gc_gram_desc *desc,
                                  const gc_tensor *input, const gc_tensor *grad_output,
                                  gc_tensor *grad_input);
/* The same, added: grad_input += alpha * dL/dF. */
GC_API gc_status gc_gram_backward_accumulate(gc_context *ctx, const gc_gram_desc *desc,
                                             const gc_tensor *input,
                                             const gc_tensor *grad_output, double alpha,
                                             gc_tensor *grad_input);
/* Fused style loss against a target Gram T (shape of G):
 *   loss = weight * sum((G - T)^2) / numel(G)         (the mean squared error, times weight)
 *   dL/dF = weight * 2 / numel(G) * norm * scale * ((G-T) + (G-T)^T) Fc   (centring as above)
 * In one call; grad_input may be NULL (loss only). `workspace` is caller memory of G's shape
 * and dtype (it receives G - T); no other buffer of the input's size is made. */
GC_API gc_status gc_gram_style_loss(gc_context *ctx, const gc_gram_desc *desc,
                                    const gc_tensor *input, const gc_tensor *target, double weight,
                                    double *loss, gc_tensor *grad_input, gc_tensor *workspace);
/* Plain-loop references (float64 sums, one thread) for the tests. */
GC_API gc_status gc_gram_forward_reference(gc_context *ctx, const gc_gram_desc *desc,
                                           const gc_tensor *input, gc_tensor *output);
GC_API gc_status gc_gram_backward_reference(gc_context *ctx, const gc_gram_desc *desc,
                                            const gc_tensor *input, const gc_tensor *grad_output,
                                            gc_tensor *grad_input);

/* ---------------------------------------------------------------------------------------- */
/* SpatialConvolution (conv2d): Torch nn semantics plus PyTorch's options                   */

/*
 * input  N x C x H x W (or C x H x W: a batch of one, output then O x OH x OW)
 * weight O x C/groups x KH x KW, bias O or none
 * out[n][o][y][x] = bias[o] + sum_{c in group(o), a, b}
 *                   pad(in)[n][c][y*sh + a*dh - ph][x*sw + b*dw - pw] * weight[o][c'][a][b]
 * (cross-correlation: no kernel flip), with OH = floor((H + ph_before + ph_after - dh*(KH-1) - 1)
 * / sh) + 1 (same for W); an output size below 1 is GC_ERR_SHAPE. Torch7's
 * nn.SpatialConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH) is stride (dH, dW), pad
 * (padH, padW), dilation 1, groups 1, zero padding. Pairs below are {height, width}.
 */
typedef enum gc_conv_algo {
    GC_CONV_ALGO_AUTO = 0,
    GC_CONV_ALGO_DIRECT = 1,   /* the correlation driver (stride 1, dilation 1) */
    GC_CONV_ALGO_IM2COL = 2,   /* patches into a workspace + packed GEMM: any geometry */
    GC_CONV_ALGO_REFERENCE = 3, /* plain loops, float64 sums: the tests' oracle */
    GC_CONV_ALGO_WINOGRAD = 4,  /* F(4x4, 3x3) or F(2x2, 5x5) transforms + GEMMs: 3x3 or 5x5
                                   kernel, stride 1, dilation 1; forward, and backward_input
                                   with zeros padding, one group, pad <= k - 1 (else IM2COL,
                                   as backward_weight); float32 max |y - ref| / max |ref|
                                   3e-6 .. 4e-5 for 3 .. 4096 input channels
                                   (docs/PERFORMANCE.md) */
    GC_CONV_ALGO_GEMM = 5       /* stride 1 (any kernel, dilation, groups): one GEMM per group
                                   on shifted views of the padded plane, register tiles of
                                   channels x flattened pixels; forward and backward_input
                                   (zeros padding; other modes take IM2COL), backward_weight
                                   takes IM2COL's packed GEMM */
} gc_conv_algo;

/* padding_mode takes four of the gc_boundary values, PyTorch's padding modes:
 *   GC_BOUNDARY_FILL       'zeros' (conv2d has no fill value)
 *   GC_BOUNDARY_REFLECT    'reflect': edge not repeated; pad < input size
 *   GC_BOUNDARY_REPLICATE  'replicate': edge value repeated
 *   GC_BOUNDARY_WRAP       'circular': wrap around; pad <= input size
 * GC_BOUNDARY_SYMM, or any value outside the enum, is GC_ERR_ARG. */
typedef struct gc_conv2d_desc {
    int64_t stride[2];      /* >= 1 */
    int64_t pad[2];         /* >= 0, both sides; ignored when same_padding */
    int64_t dilation[2];    /* >= 1 */
    int64_t groups;         /* >= 1, divides C and O */
    gc_boundary padding_mode; /* FILL (zeros), REFLECT, REPLICATE or WRAP: see above */
    int same_padding;       /* PyTorch padding='same': stride 1 only; total d*(k-1), the
                               extra odd element after (bottom / right) */
    gc_conv_algo algo;
    gc_precision precision; /* GC_PRECISION_BF16: the forward pass on bfloat16-rounded input
                               and weights, products summed in float32 (AVX512-BF16; stride
                               1; algo AUTO or GEMM); backward passes stay float32 */
} gc_conv2d_desc;

/* stride 1, pad 0, dilation 1, groups 1, zeros, auto, default precision. */
GC_API gc_conv2d_desc gc_conv2d_desc_default(void);

typedef enum gc_conv_pass {
    GC_CONV_PASS_FORWARD = 0,
    GC_CONV_PASS_BACKWARD_INPUT = 1,
    GC_CONV_PASS_BACKWARD_WEIGHT = 2
} gc_conv_pass;

/* Output dims of the forward pass (rank 3 or 4, as the input). */
GC_API gc_status gc_conv2d_shape(gc_context *ctx, const gc_conv2d_desc *desc,
                                 const gc_tensor *input, const gc_tensor *weight, int *out_rank,
                                 int64_t *out_dims);
/* Bytes of workspace a pass needs with this geometry (0 is possible). Query once, allocate
 * once, reuse: the compute calls below never allocate when given at least this much. */
GC_API gc_status gc_conv2d_workspace_size(gc_context *ctx, const gc_conv2d_desc *desc,
                                          const gc_tensor *input, const gc_tensor *weight,
                                          gc_conv_pass pass, size_t *bytes);
/* output = conv(input, weight) + bias (bias may be NULL: Torch's :noBias()). */
GC_API gc_status gc_conv2d_forward(gc_context *ctx, const gc_conv2d_desc *desc,
                                   const gc_tensor *input, const gc_tensor *weight,
                                   const gc_tensor *bias, gc_tensor *output, void *workspace,
                                   size_t workspace_bytes);
/* grad_input = dL/dinput (overwritten; Torch's updateGradInput). */
GC_API gc_status gc_conv2d_backward_input(gc_context *ctx, const gc_conv2d_desc *desc,
                                          const gc_tensor *grad_output, const gc_tensor *weight,
                                          gc_tensor *grad_input, void *workspace,
                                          size_t workspace_bytes);
/* grad_weight += scale * dL/dweight, grad_bias += scale * dL/dbias (grad_bias may be NULL):
 * Torch's accGradParameters. */
GC_API gc_status gc_conv2d_backward_weight(gc_context *ctx, const gc_conv2d_desc *desc,
                                           const gc_tensor *input, const gc_tensor *grad_output,
                                           double scale, gc_tensor *grad_weight,
                                           gc_tensor *grad_bias, void *workspace,
                                           size_t workspace_bytes);

/* ---------------------------------------------------------------------------------------- */
/* .npy files (NumPy format versions 1.0, 2.0, 3.0)                                         */

/* Read a float32/float64 array ('<f4', '>f4', '<f8', '>f8'; C or Fortran order; rank up to
 * GC_MAX_RANK) into a new C-contiguous tensor in native byte order that owns its data.
 * Anything else is refused with GC_ERR_FORMAT / GC_ERR_DTYPE and, with a ctx, a message that
 * says what was found. */
GC_API gc_status gc_npy_read(gc_context *ctx, const char *path, gc_tensor *out);
/* The same from memory (size bytes at buf). */
GC_API gc_status gc_npy_read_mem(gc_context *ctx, const void *buf, size_t size, gc_tensor *out);
/* Write `t` (any strides) as a version 1.0 (or 2.0 if the header needs it) little-endian,
 * C-order .npy. The file is written to a temporary name beside `path` and renamed at the end,
 * so `path` is never left half-written. */
GC_API gc_status gc_npy_write(gc_context *ctx, const char *path, const gc_tensor *t);

/* Reading pieces of a .npy file (float32/float64, either byte order, C order): the
 * streaming and MPI paths read their bands and slices by file offsets. */
typedef struct gc_npy_file gc_npy_file;
/* Open and check the header (as gc_npy_read). Fortran-order files are refused
 * (GC_ERR_UNSUPPORTED: a band of rows is not contiguous there). *out NULL on failure. */
GC_API gc_status gc_npy_open(gc_context *ctx, const char *path, gc_npy_file **out);
/* NULL-safe; closes the file. */
GC_API void gc_npy_close(gc_npy_file *f);
/* The array's dtype, rank and dims (dims holds GC_MAX_RANK entries). */
GC_API gc_status gc_npy_file_shape(const gc_npy_file *f, gc_dtype *dtype, int *rank,
                                   int64_t *dims);
/* Elements [first, first + count) in C order into dst (native byte order, the file's dtype). */
GC_API gc_status gc_npy_file_read(gc_context *ctx, gc_npy_file *f, int64_t first, int64_t count,
                                  void *dst);

/* ---------------------------------------------------------------------------------------- */
/* Images: PNG and JPEG files, resampling                                                   */

/*
 * Images. PNG through libpng and JPEG through libjpeg-turbo, both optional at build time
 * (CMake GC_WITH_PNG / GC_WITH_JPEG); a build without one answers GC_ERR_UNSUPPORTED with a
 * message for that format. gc_image_supported() says what this build has.
 *
 * An image in memory is a float32 tensor C x H x W, C-contiguous, values in [0, 1]
 * (8-bit samples / 255, 16-bit samples / 65535), rows top to bottom, channels in the order
 * gray | gray, alpha | R, G, B | R, G, B, A. Colour values are the file's own (sRGB-encoded;
 * no gamma or ICC conversion). Channel conversions on reading (gc_image_read_opts.channels):
 *   as stored (0): PNG gray 1, gray+alpha 2, RGB 3, RGBA 4, palette 3 (4 if it has
 *                  transparency); JPEG gray 1, colour 3. Bit depths 1/2/4 expand to 8.
 *   1: gray; colour becomes 0.299 R + 0.587 G + 0.114 B (BT.601 on the stored values);
 *   3: RGB; gray is repeated into R, G, B;      alpha (if any) is dropped in both cases;
 *   4: RGBA; alpha 1 is added where the file has none.   (2 is gray + alpha, likewise.)
 *
 * Limits, checked from the file's header BEFORE anything of the image's size is allocated
 * or decoded: width * height <= the pixel limit (opts.max_pixels, else the context's
 * gc_context_set_max_pixels, else GC_IMAGE_DEFAULT_MAX_PIXELS) -> GC_ERR_LIMIT naming the
 * size and the limit; and every buffer goes through the context's allocator and its
 * single-allocation limit (gc_context_set_max_alloc). Corrupt, truncated or unsupported files
 * (CMYK JPEG, more than GC_IMAGE_MAX_JPEG_SCANS progressive scans) are GC_ERR_FORMAT /
 * GC_ERR_UNSUPPORTED with the decoder's own message; the decoders never print.
 */
#define GC_IMAGE_DEFAULT_MAX_PIXELS ((int64_t)1 << 26) /* 67,108,864: 8192 x 8192 */
#define GC_IMAGE_MAX_JPEG_SCANS 500

typedef enum gc_image_format {
    GC_IMAGE_FORMAT_AUTO = 0,  /* reading: from the magic bytes; writing: from the path's
                                  extension (.png; .jpg / .jpeg; case-insensitive) */
    GC_IMAGE_FORMAT_PNG = 1,
    GC_IMAGE_FORMAT_JPEG = 2
} gc_image_format;

/* 1 if this build can read and write `format` (PNG or JPEG), else 0. */
GC_API int gc_image_supported(gc_image_format format);

typedef struct gc_image_read_opts {
    int channels;        /* 0: as stored; 1, 2, 3 or 4: converted as described above */
    int64_t max_pixels;  /* > 0: the pixel limit for this call; 0: the context's */
} gc_image_read_opts;

/* {0, 0}: channels as stored, the context's pixel limit. */
GC_API gc_image_read_opts gc_image_read_opts_default(void);

/* Read a PNG (8 or 16 bits; gray, gray+alpha, RGB, RGBA, palette; interlaced or not) or a
 * JPEG (baseline or progressive; gray or YCbCr/RGB) into a new float32 C x H x W tensor that
 * owns its data (release with gc_tensor_free). opts may be NULL (defaults). The format comes
 * from the first bytes, not the name. */
GC_API gc_status gc_image_read(gc_context *ctx, const char *path, const gc_image_read_opts *opts,
                               gc_tensor *out);
/* The same from memory (size bytes at buf). */
GC_API gc_status gc_image_read_mem(gc_context *ctx, const void *buf, size_t size,
                                   const gc_image_read_opts *opts, gc_tensor *out);

typedef struct gc_image_write_opts {
    gc_image_format format;  /* GC_IMAGE_FORMAT_AUTO: from the extension (an unknown one is
                                GC_ERR_ARG) */
    int quality;             /* JPEG quality 1..100; 0: 90 */
    int bit_depth;           /* PNG 8 or 16; 0: 8 (JPEG: always 8) */
} gc_image_write_opts;

/* {GC_IMAGE_FORMAT_AUTO, 0 (90), 0 (8 bits)}. */
GC_API gc_image_write_opts gc_image_write_opts_default(void);

/* Write `image` (float32 or float64, any strides; C x H x W with C in 1..4 as above, or H x W
 * gray) as PNG or JPEG. Values are clamped to [0, 1] and rounded to the nearest level; NaN
 * becomes 0. JPEG has no alpha: C = 2 is written gray and C = 4 RGB (alpha dropped). H and W
 * must be 1..65535 (JPEG's limit; PNG the same here). The file is written to a temporary name
 * beside `path` and renamed at the end, so `path` is never left half-written. */
GC_API gc_status gc_image_write(gc_context *ctx, const char *path, const gc_tensor *image,
                                const gc_image_write_opts *opts);

/* Resampling for image tensors. */
typedef enum gc_resize_filter {
    GC_RESIZE_FILTER_BILINEAR = 0,  /* PyTorch interpolate(mode='bilinear',
                                       align_corners=False, antialias=False): good for
                                       enlarging */
    GC_RESIZE_FILTER_AREA = 1       /* PyTorch interpolate(mode='area') = adaptive average
                                       pooling: each output pixel the mean of its input cell;
                                       for shrinking */
} gc_resize_filter;

/* Resize `src` (C x H x W or H x W; float32 or float64; any strides) into `dst`, which the
 * caller made with the same rank, the same C and dtype, and the wanted OH x OW (>= 1). dst
 * must not overlap src. No allocation. */
GC_API gc_status gc_image_resize(gc_context *ctx, const gc_tensor *src, gc_resize_filter filter,
                                 gc_tensor *dst);

/* ---------------------------------------------------------------------------------------- */
/* safetensors files                                                                        */

/*
 * safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets":
 * [begin, end]}, ..., "__metadata__": {"key": "value", ...}}, then the data, little-endian, C
 * order. Reading checks everything: N against the file (and 100 MB), the JSON syntax, every
 * field's type, duplicate names, dtypes, ranks (<= GC_MAX_RANK), shape products against
 * end - begin without overflow, offsets inside the data and tiling it with no gap or overlap
 * (as the reference implementation requires). F32, F16 and BF16 tensors are converted to
 * float32, F64 stays float64; tensors of other dtypes (integers, bool, F8) are validated and
 * listed but gc_safetensors_get refuses them with GC_ERR_DTYPE. Everything is copied out of
 * the file: the result does not depend on the file or buffer afterwards.
 */
typedef struct gc_safetensors gc_safetensors;

/* Parse a file / a buffer into a new gc_safetensors (*out is NULL on failure). */
GC_API gc_status gc_safetensors_read(gc_context *ctx, const char *path, gc_safetensors **out);
GC_API gc_status gc_safetensors_read_mem(gc_context *ctx, const void *buf, size_t size,
                                         gc_safetensors **out);
/* NULL-safe. Invalidates every view gc_safetensors_get returned. */
GC_API void gc_safetensors_free(gc_safetensors *st);

/* Number of tensors, and the name of tensor i (0 <= i < count; NULL outside), in the file's
 * order. Names are UTF-8 and valid until gc_safetensors_free. */
GC_API int64_t gc_safetensors_count(const gc_safetensors *st);
GC_API const char *gc_safetensors_name(const gc_safetensors *st, int64_t index);

/* A view (not owning; valid until gc_safetensors_free) of the tensor called `name`.
 * Missing name: GC_ERR_ARG ("no tensor named ..."). If rank >= 0 the tensor must have that
 * rank (else GC_ERR_RANK) and, if dims is not NULL, dims[i] for every i where dims[i] >= 0
 * (else GC_ERR_SHAPE, the message giving both shapes). rank < 0: no check. */
GC_API gc_status gc_safetensors_get(gc_context *ctx, const gc_safetensors *st, const char *name,
                                    int rank, const int64_t *dims, gc_tensor *out);

/* The __metadata__ string map: count, the pair at `index`, and lookup by key (NULL if
 * absent). Strings are valid until gc_safetensors_free. */
GC_API int64_t gc_safetensors_metadata_count(const gc_safetensors *st);
GC_API gc_status gc_safetensors_metadata_at(const gc_safetensors *st, int64_t index,
                                            const char **key, const char **value);
GC_API const char *gc_safetensors_metadata_get(const gc_safetensors *st, const char *key);

/* One tensor / one metadata pair to write. */
typedef struct gc_safetensors_entry {
    const char *name;          /* UTF-8, non-empty, unique, not "__metadata__" */
    const gc_tensor *tensor;   /* float32 (written F32) or float64 (written F64), any strides */
} gc_safetensors_entry;
typedef struct gc_safetensors_meta {
    const char *key;
    const char *value;
} gc_safetensors_meta;

/* Write `count` tensors (in the given order) and `nmeta` metadata pairs (meta may be NULL
 * when nmeta is 0) as a safetensors file; JSON strings are escaped, the header padded with
 * spaces to a multiple of 8. Written to a temporary name beside `path` and renamed at the
 * end (never half-written). */
GC_API gc_status gc_safetensors_write(gc_context *ctx, const char *path,
                                      const gc_safetensors_entry *tensors, int64_t count,
                                      const gc_safetensors_meta *meta, int64_t nmeta);

/* ---------------------------------------------------------------------------------------- */
/* Networks: Torch's nn modules, containers and criteria                                    */

/*
 * Torch's nn in C: modules with the three passes, containers, and criteria.
 *
 *   forward            output = f(input)                       (Torch's updateOutput)
 *   backward_input     grad_input = dL/dinput given dL/doutput  (updateGradInput, overwrites)
 *   acc_grad_parameters  grad_params += scale * dL/dparams      (accGradParameters)
 *   backward           both of the above, in that order          (Torch's backward)
 *
 * Values: what flows between modules is a gc_value, a tensor or a table (a flat list of up to
 * GC_TABLE_MAX tensors; tables do not nest). ConcatTable makes tables, MM takes a pair.
 * Values held by a module (its output and grad_input) are descriptors of memory the module
 * owns (or views of its input, for View and Identity): valid until the next call on that
 * module, never freed by the caller.
 *
 * Memory is planned once. A module sizes its buffers (outputs, gradients, conv workspaces)
 * for an input signature (kind, dtypes, dims) the first time it sees it, in gc_module_plan or
 * implicitly in the first pass; ops that size their own scratch (the Gram calls) run under a
 * block cache owned by the module, filled by their first call (or by gc_module_plan, which
 * runs them once on zeros). After gc_module_plan, or after one forward + backward, passes
 * with inputs of the same signature allocate nothing through the context's allocator
 * (tested with a counting allocator). A new signature re-plans (allocates again).
 * With a NULL ctx there is no allocator to plan with: the Gram calls then allocate per call.
 *
 * backward_input, acc_grad_parameters and backward must follow a forward with the same input
 * (max pooling keeps its argmax, Sequential its intermediate values). Inputs may have any
 * strides (View needs contiguous input, as Torch's view does); outputs are C-contiguous.
 * dtype: float32 or float64, one per network (a conv module has the dtype it was made with).
 * A module is not safe to run from two threads at once; separate modules are, each thread
 * with its own context (during an op call a pass lends the context's allocator hook to the
 * module's cache).
 */
#define GC_TABLE_MAX 8

typedef struct gc_value {
    int is_table;                 /* 0: a tensor, t[0]; 1: a table of `count` tensors */
    int count;                    /* 1 for a tensor, 1..GC_TABLE_MAX for a table */
    gc_tensor t[GC_TABLE_MAX];    /* views (they own nothing) */
} gc_value;

/* A tensor value: a view of *t (t must outlive the value's use). */
GC_API gc_value gc_value_tensor(const gc_tensor *t);
/* A table of `count` tensors (views of ts[0..count)). */
GC_API gc_status gc_value_table(gc_value *out, int count, const gc_tensor *ts);

typedef struct gc_module gc_module;

/* ---- constructors: *out is NULL on failure; free with gc_module_free ---- */
/* nn.Sequential: children run in the order added. */
GC_API gc_status gc_sequential_create(gc_context *ctx, gc_module **out);
/* nn.ConcatTable: every child gets the same tensor input; the output is the table of their
 * (tensor) outputs; grad_input is the sum of the children's grad_inputs. */
GC_API gc_status gc_concat_table_create(gc_context *ctx, gc_module **out);
/* Append `child` to a Sequential or ConcatTable, which then owns it (frees it with itself).
 * On failure the child is freed too (so create-then-add needs no cleanup), except when it
 * already belongs to a container or contains `container` (GC_ERR_ARG, nothing freed); a NULL
 * child (a failed create) is GC_ERR_NULL. A failed add marks the container broken: later
 * adds into it, adding it elsewhere, and its passes fail (GC_ERR_ARG), so a network built
 * with unchecked creates and adds fails at the first check that looks. */
GC_API gc_status gc_module_add(gc_context *ctx, gc_module *container, gc_module *child);
/* nn.Identity: output = input (tensor or table), grad_input = grad_output. */
GC_API gc_status gc_identity_create(gc_context *ctx, gc_module **out);
/* nn.View(d0, d1, ...): a view of a contiguous input with these dims (one may be -1). With
 * gc_view_set_num_input_dims(n) (Torch's setNumInputDims) an input with more than n dims is
 * a batch: the leading dims fold into one batch dim before `dims`; e.g. View(-1) with n = 2
 * takes C x H x W to C x (H*W) and H x W to (H*W). Exactly Torch's rule, including a batch of
 * one: 1 x H x W -> 1 x (H*W). */
GC_API gc_status gc_view_create(gc_context *ctx, int rank, const int64_t *dims, gc_module **out);
GC_API gc_status gc_view_set_num_input_dims(gc_context *ctx, gc_module *view, int n);
/* nn.ReLU: max(0, x); grad_input = grad_output where input > 0, else 0. */
GC_API gc_status gc_relu_create(gc_context *ctx, gc_module **out);
/* nn.MulConstant(c): c * x. c finite. */
GC_API gc_status gc_mul_constant_create(gc_context *ctx, double c, gc_module **out);
/* nn.MM(transA, transB): input the pair {A, B}, output op(A) op(B) with op = transpose if
 * the flag is set. A, B are matrices (M x K) or batches of them (b x M x K, the batched MM;
 * both batched with one b). grad_input is the pair {dA, dB}. */
GC_API gc_status gc_mm_create(gc_context *ctx, int trans_a, int trans_b, gc_module **out);
/* GramMatrix: gc_gram_forward / gc_gram_backward with this descriptor (input M x K,
 * C x H x W or N x C x H x W; normalisation as in gc_gram_desc). desc NULL: the default
 * (norm HW). */
GC_API gc_status gc_gram_matrix_create(gc_context *ctx, const gc_gram_desc *desc,
                                       gc_module **out);
/* nn.SpatialConvolution(n_in, n_out, kw, kh, ...) on gc_conv2d_*: weight
 * n_out x n_in/groups x kh x kw, bias n_out if with_bias (Torch's :noBias() otherwise),
 * geometry from desc (NULL: stride 1, pad 0). Parameters start as Torch's reset():
 * uniform in [-1/sqrt(kh*kw*n_in/groups), +...) from a fixed seed (deterministic); set them
 * through gc_module_parameter. Input C x H x W or N x C x H x W of `dtype`. */
GC_API gc_status gc_spatial_convolution_create(gc_context *ctx, gc_dtype dtype, int64_t n_in,
                                               int64_t n_out, int64_t kh, int64_t kw,
                                               const gc_conv2d_desc *desc, int with_bias,
                                               gc_module **out);

/*
 * Pooling over C x H x W or N x C x H x W, Torch7's nn.SpatialMaxPooling /
 * nn.SpatialAveragePooling (pairs {height, width}):
 *   OH = floor((H + 2 ph - kh) / sh) + 1   (ceil instead of floor in ceil mode), then one less
 *   if the last window would start at or past H + ph (Torch7 drops it only when padded; it
 *   is then empty, so gramconv always drops it). Same for W. Needs pad <= kernel / 2.
 * Max: the window clipped to the input (padding never wins); the first maximum in row-major
 * order is the argmax; grad_input accumulates grad_output at each window's argmax.
 * Average (Torch7's SpatialAveragePooling, also PyTorch's avg_pool2d): window
 * [y*sh - ph, min(y*sh - ph + kh, H + ph)), the sum taken over its part inside the input,
 * divided by the window size clipped to the padded input (count_include_pad, Torch7's
 * default) or by the number of input pixels in it (count_include_pad = 0, Torch7's
 * :setCountExcludePad()).
 */
typedef struct gc_pool2d_desc {
    int64_t kernel[2];      /* >= 1 */
    int64_t stride[2];      /* >= 1 */
    int64_t pad[2];         /* 0 <= pad <= kernel / 2 */
    int ceil_mode;          /* Torch's :ceil() */
    int count_include_pad;  /* average pooling only */
} gc_pool2d_desc;

/* kernel kh x kw, stride = kernel (Torch's default), pad 0, floor, count_include_pad 1. */
GC_API gc_pool2d_desc gc_pool2d_desc_default(int64_t kh, int64_t kw);
GC_API gc_status gc_spatial_max_pooling_create(gc_context *ctx, const gc_pool2d_desc *desc,
                                               gc_module **out);
GC_API gc_status gc_spatial_average_pooling_create(gc_context *ctx, const gc_pool2d_desc *desc,
                                                   gc_module **out);

/* NULL-safe. Frees the module, its children and everything it allocated. Never free a
 * module that was added to a container (the container does). */
GC_API void gc_module_free(gc_module *m);
/* "nn.Sequential", "nn.SpatialConvolution", ... */
GC_API const char *gc_module_name(const gc_module *m);

/* ---- the passes ---- */
/* Size every buffer for this input signature now (else the first forward does it). */
GC_API gc_status gc_module_plan(gc_context *ctx, gc_module *m, const gc_value *input);
/* *output: the module's output (owned by the module, valid until its next call). */
GC_API gc_status gc_module_forward(gc_context *ctx, gc_module *m, const gc_value *input,
                                   const gc_value **output);
/* grad_output has the output's signature. *grad_input has the input's (owned by the module). */
GC_API gc_status gc_module_backward_input(gc_context *ctx, gc_module *m, const gc_value *input,
                                          const gc_value *grad_output,
                                          const gc_value **grad_input);
/* grad_params += scale * dL/dparams (scale finite); nothing for modules without parameters. */
GC_API gc_status gc_module_acc_grad_parameters(gc_context *ctx, gc_module *m,
                                               const gc_value *input,
                                               const gc_value *grad_output, double scale);
/* backward_input then acc_grad_parameters (grad_input may be NULL if not wanted). */
GC_API gc_status gc_module_backward(gc_context *ctx, gc_module *m, const gc_value *input,
                                    const gc_value *grad_output, double scale,
                                    const gc_value **grad_input);
/* Set every parameter gradient (recursively) to zero. */
GC_API gc_status gc_module_zero_grad_parameters(gc_module *m);

/* ---- parameters ---- */
/* Number of parameter tensors, recursively, in order (a conv: weight then bias). */
GC_API int gc_module_num_parameters(const gc_module *m);
/* Views of parameter i and its gradient (either pointer may be NULL). Write through them to
 * set weights; they stay valid until gc_module_flatten_parameters or gc_module_free. */
GC_API gc_status gc_module_parameter(gc_module *m, int i, gc_tensor *param, gc_tensor *grad);
/* Torch's getParameters(): move every parameter (and gradient) of m into one contiguous
 * vector owned by m, values kept, and return rank-1 views of both (for an optimiser). The
 * views stay valid until m is freed or flattened again; earlier gc_module_parameter views
 * become stale. Fails with GC_ERR_EMPTY if m has no parameters. */
GC_API gc_status gc_module_flatten_parameters(gc_context *ctx, gc_module *m, gc_tensor *params,
                                              gc_tensor *grads);

/* ---- criteria: loss = f(input, target), grad_input = dloss/dinput ---- */
typedef struct gc_criterion gc_criterion;
/* nn.MSECriterion: sum((x - t)^2), divided by numel if size_average (Torch's default 1).
 * target: the input's shape. */
GC_API gc_status gc_mse_criterion_create(gc_context *ctx, int size_average, gc_criterion **out);
/* Style loss on features (fused gc_gram_style_loss): weight * mean((G(x) - T)^2) with G as
 * gc_gram_forward(desc); target: the target Gram T (G's shape). desc NULL: default. */
GC_API gc_status gc_style_loss_create(gc_context *ctx, const gc_gram_desc *desc, double weight,
                                      gc_criterion **out);
/* Content loss (neural-style's): weight * mean((x - t)^2); target: the input's shape. */
GC_API gc_status gc_content_loss_create(gc_context *ctx, double weight, gc_criterion **out);
/* Total variation (neural-style's TVLoss) on C x H x W or N x C x H x W, target NULL:
 *   weight / 2 * sum over y < H-1, x < W-1 of (x[y][x] - x[y][x+1])^2 + (x[y][x] - x[y+1][x])^2
 * whose gradient is exactly the one neural-style's TVLoss:updateGradInput adds. */
GC_API gc_status gc_tv_loss_create(gc_context *ctx, double weight, gc_criterion **out);
GC_API gc_status gc_criterion_forward(gc_context *ctx, gc_criterion *c, const gc_tensor *input,
                                      const gc_tensor *target, double *loss);
/* *grad_input: owned by the criterion (input's shape, C-contiguous), valid until its next
 * call. */
GC_API gc_status gc_criterion_backward(gc_context *ctx, gc_criterion *c, const gc_tensor *input,
                                       const gc_tensor *target, const gc_tensor **grad_input);
/* NULL-safe. */
GC_API void gc_criterion_free(gc_criterion *c);
GC_API const char *gc_criterion_name(const gc_criterion *c);

/* ---------------------------------------------------------------------------------------- */
/* Optimisers: L-BFGS and Adam on a flat vector                                             */

/*
 * Minimise f(x) over a float32 or float64 tensor x (a flat parameter vector or an image: any
 * shape, C-contiguous). You give an objective callback; the optimiser calls it at the points
 * it needs and moves x.
 *
 *   gc_lbfgs_desc d = gc_lbfgs_desc_default(GC_OPTIM_FLAVOR_TORCH7);   // then change fields
 *   gc_optimizer *opt;
 *   gc_optimizer_create_lbfgs(ctx, &d, GC_DTYPE_F32, numel, &opt);  // all memory, once
 *   gc_optim_result r;
 *   gc_optimizer_run(ctx, opt, &x, my_objective, my_data, &r);      // allocates nothing
 *   gc_optimizer_free(opt);
 *
 * Two flavours, both followed literally (iterates match the originals up to rounding):
 *   GC_OPTIM_FLAVOR_TORCH7   torch/optim (Lua): lbfgs.lua with lswolfe.lua, adam.lua.
 *   GC_OPTIM_FLAVOR_PYTORCH  torch.optim.LBFGS (its _strong_wolfe) and torch.optim.Adam.
 * They differ only where noted on the fields below.
 *
 * State (history, moments, direction) is kept in the optimiser's dtype, as torch keeps it in
 * the parameters' type; dot products and norms are summed in double in a fixed order (eight
 * interleaved partial sums), so runs are deterministic (bitwise, for a deterministic
 * objective, on any machine). Scalars (step t, H_diag, rho, alpha) are doubles. Non-finite
 * losses or gradients are not checked for (as torch): the stop tests then compare NaNs.
 * One optimiser must not be used by two threads at once; different optimisers may.
 *
 * Memory: everything is allocated by gc_optimizer_create_* through ctx's allocator:
 *   L-BFGS  (2 * (history + 1) + 3 + G) * numel elements, G = 3 with the line search, else 1
 *           (+ 2 * (history + 1) doubles);  Adam  3 * numel elements.
 * gc_optimizer_step / run / reset allocate nothing.
 */

/* The objective: set *loss = f(x) and write df/dx into grad (same shape and dtype as the x
 * given to run/step, C-contiguous). grad arrives zero-filled, so the callback may either
 * write it or accumulate into it (e.g. with gc_gram_backward_accumulate and several losses).
 * x is the caller's tensor or an internal buffer of its shape holding a trial point: read it,
 * do not keep the pointer, do not write to it. Return GC_OK, or any error status: that
 * aborts the run, and run/step return that status unchanged. */
typedef gc_status (*gc_objective_fn)(void *user, const gc_tensor *x, gc_tensor *grad,
                                     double *loss);

typedef enum gc_optim_flavor {
    GC_OPTIM_FLAVOR_TORCH7 = 0,   /* torch/optim (Lua) */
    GC_OPTIM_FLAVOR_PYTORCH = 1   /* torch.optim */
} gc_optim_flavor;

typedef enum gc_line_search {
    GC_LINE_SEARCH_NONE = 0,         /* fixed step (torch7 lineSearch nil / line_search_fn None) */
    GC_LINE_SEARCH_STRONG_WOLFE = 1  /* optim.lswolfe / line_search_fn='strong_wolfe' */
} gc_line_search;

/*
 * L-BFGS. One gc_optimizer_run is one call of torch7's optim.lbfgs(opfunc, x, config, state)
 * or PyTorch's LBFGS.step(closure), with the state (history, direction, step, iteration
 * count) carried over to the next call. Per run:
 *   evaluate f, g at x; if ||g|| <= tol_fun stop (TOL_FUN, no iteration).
 *   repeat (iteration k = 1, 2, ...; K counts iterations since create/reset):
 *     direction: K == 1: d = -g, H_diag = 1.  Else y = g - g_old, s = t*d; if y.s > 1e-10
 *       push (s, y) into the history (dropping the oldest when it holds `history` pairs) and
 *       H_diag = y.s / y.y; then d = -H g by the two-loop recursion with H0 = H_diag * I.
 *     g_old = g, f_old = f.  If g.d > -tol_x stop (NO_DESCENT).
 *     step: t = min(1, 1/sum|g|) * learning_rate if K == 1, else learning_rate.
 *     line search NONE: x += t*d; unless k == max_iter, evaluate f, g at x (1 evaluation).
 *     STRONG_WOLFE: (f, g, t) = strong-Wolfe search from x along d (lswolfe.lua /
 *       _strong_wolfe: bracket by cubic interpolation, then zoom); x += t*d.
 *     stop, in this order: k == max_iter (MAX_ITER); evaluations >= max_eval (MAX_EVAL);
 *       ||g|| <= tol_fun (TOL_FUN); ||t*d|| <= tol_x (TOL_X); |f - f_old| < tol_x (TOL_CHANGE).
 * ||.|| is the L1 norm (sum |.|) in the TORCH7 flavour and the max norm in the PYTORCH one.
 * Without the line search a run that reaches max_iter ends with a step whose loss was not
 * evaluated (see gc_optim_result.loss_at_x). neural-style (Johnson) runs TORCH7, no line search,
 * max_iter = its iterations, tol_fun = tol_x = -1 (never stop early), history 100.
 */
typedef struct gc_lbfgs_desc {
    gc_optim_flavor flavor;
    int64_t max_iter;       /* maxIter / max_iter: iterations per run, >= 1. Default 20 */
    int64_t max_eval;       /* maxEval / max_eval: evaluations per run, >= 1; 0 (default) =
                               derived: ceil(1.25 * max_iter) (TORCH7, maxIter*1.25),
                               floor(max_iter * 5 / 4) (PYTORCH, max_iter*5//4) */
    double tol_fun;         /* tolFun (TORCH7, on sum|g|, default 1e-5) / tolerance_grad
                               (PYTORCH, on max|g|, default 1e-7). Not NaN; -1 disables */
    double tol_x;           /* tolX / tolerance_change: default 1e-9, on ||t*d||, |f - f_old|
                               and g.d. Not NaN; -1 disables */
    int64_t history;        /* nCorrection / history_size: pairs kept, >= 1. Default 100 */
    double learning_rate;   /* learningRate / lr: the step t (the first one scaled as above);
                               finite, > 0. Default 1 */
    gc_line_search line_search;  /* default GC_LINE_SEARCH_NONE */
    /* Strong-Wolfe parameters (lswolfe's options / _strong_wolfe's arguments): */
    double ls_c1;           /* c1, sufficient decrease: default 1e-4; 0 < c1 < c2 < 1 */
    double ls_c2;           /* c2, curvature: default 0.9 */
    double ls_tol_x;        /* lswolfe tolX (TORCH7: stop zooming when |(b1 - b2) * g_new.d|
                               < it) / tolerance_change (PYTORCH: when |b1 - b2| * max|d| <
                               it; torch.optim passes its default, not the LBFGS one). Default
                               1e-9; not NaN */
    int64_t ls_max_iter;    /* lswolfe maxIter: evaluations after the search's first one;
                               default 20, >= 1. TORCH7 only; PYTORCH allows max_eval -
                               evaluations so far (max_ls) after the first, so a run may end
                               one evaluation past max_eval, as torch's does */
} gc_lbfgs_desc;

/* The flavour's defaults, listed above. */
GC_API gc_lbfgs_desc gc_lbfgs_desc_default(gc_optim_flavor flavor);

/*
 * Adam (Kingma & Ba), L2 weight decay as torch (g += weight_decay * x). Step k (from 1):
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g*g;
 *   TORCH7:  x -= lr_k * sqrt(1 - beta2^k) / (1 - beta1^k) * m / (sqrt(v) + eps),
 *            lr_k = learning_rate / (1 + (k - 1) * lr_decay)                       (adam.lua)
 *   PYTORCH: x -= learning_rate / (1 - beta1^k) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
 *            (m updated as torch's lerp)                                   (torch.optim.Adam)
 * One gc_optimizer_step = one evaluation + one update (one call of optim.adam /
 * Adam.step). gc_optimizer_run repeats steps max_iter times, or until max|g| <= tol_grad.
 */
typedef struct gc_adam_desc {
    gc_optim_flavor flavor;
    double learning_rate;   /* learningRate / lr: finite, > 0. Default 1e-3 */
    double lr_decay;        /* learningRateDecay (TORCH7 only; must be 0 for PYTORCH): >= 0,
                               default 0 */
    double beta1;           /* beta1 / betas[0]: [0, 1), default 0.9 */
    double beta2;           /* beta2 / betas[1]: [0, 1), default 0.999 */
    double eps;             /* epsilon / eps: finite, >= 0, default 1e-8 */
    double weight_decay;    /* weightDecay / weight_decay: finite, >= 0, default 0 */
    int64_t max_iter;       /* steps per gc_optimizer_run (gramconv's; torch has no run for
                               Adam): >= 1, default 100 */
    double tol_grad;        /* run stops when max|g| <= tol_grad before a step (gramconv's);
                               default -1 = never. Not NaN */
} gc_adam_desc;

GC_API gc_adam_desc gc_adam_desc_default(gc_optim_flavor flavor);

typedef struct gc_optimizer gc_optimizer;

typedef enum gc_optim_stop {
    GC_OPTIM_STOP_NONE = 0,        /* not stopped (only after an error) */
    GC_OPTIM_STOP_MAX_ITER = 1,    /* max_iter iterations done (a step's reason when x moved) */
    GC_OPTIM_STOP_MAX_EVAL = 2,    /* max_eval evaluations done */
    GC_OPTIM_STOP_TOL_FUN = 3,     /* gradient norm <= tol_fun (Adam: max|g| <= tol_grad) */
    GC_OPTIM_STOP_TOL_X = 4,       /* step norm ||t*d|| <= tol_x */
    GC_OPTIM_STOP_TOL_CHANGE = 5,  /* |f - f_old| < tol_x */
    GC_OPTIM_STOP_NO_DESCENT = 6   /* g.d > -tol_x: no progress possible along d */
} gc_optim_stop;

/* A static name ("max_iter", "tol_fun", ...); never NULL. */
GC_API const char *gc_optim_stop_name(gc_optim_stop stop);

typedef struct gc_optim_result {
    int64_t iterations;        /* iterations (updates of x) this call made */
    int64_t evaluations;       /* objective calls this call made */
    double initial_loss;       /* f at x as the call found it (PyTorch's step() return) */
    double loss;               /* the latest loss the optimiser computed */
    int loss_at_x;             /* 1 if `loss` is f at the returned x; 0 if x moved after it
                                  (L-BFGS without line search ends with an unevaluated step;
                                  Adam always moves x after evaluating) */
    gc_optim_stop stop;
    int64_t total_iterations;  /* since create/reset (torch7 state.nIter / PyTorch n_iter) */
    int64_t total_evaluations; /* since create/reset (state.funcEval / func_evals) */
} gc_optim_result;

/* Make an optimiser for `numel` (>= 1, else GC_ERR_EMPTY) elements of `dtype`, allocating all
 * its memory now (GC_ERR_NOMEM / GC_ERR_LIMIT / GC_ERR_OVERFLOW if it cannot). The descriptor
 * is copied; a field out of range is GC_ERR_ARG. *out is NULL on failure. */
GC_API gc_status gc_optimizer_create_lbfgs(gc_context *ctx, const gc_lbfgs_desc *desc,
                                           gc_dtype dtype, int64_t numel, gc_optimizer **out);
GC_API gc_status gc_optimizer_create_adam(gc_context *ctx, const gc_adam_desc *desc,
                                          gc_dtype dtype, int64_t numel, gc_optimizer **out);
/* NULL-safe. Frees with the allocator that made it. */
GC_API void gc_optimizer_free(gc_optimizer *opt);
/* Forget the history / moments / counters: the next call starts as a fresh optimiser.
 * NULL-safe. */
GC_API void gc_optimizer_reset(gc_optimizer *opt);
/* Run to a stop criterion (see the descriptors), moving x in place. x: the optimiser's dtype,
 * numel elements, any shape, C-contiguous (else GC_ERR_LAYOUT). result may be NULL.
 * Allocates nothing. If the callback fails, its status is returned, x holds the last
 * accepted iterate (trial points live in an internal buffer), and the optimiser is reset. */
GC_API gc_status gc_optimizer_run(gc_context *ctx, gc_optimizer *opt, gc_tensor *x,
                                  gc_objective_fn fn, void *user, gc_optim_result *result);
/* One iteration: for L-BFGS exactly a run with max_iter = 1 (max_eval as the descriptor's,
 * which bounds PYTORCH's line search); for Adam one evaluation and one update. A loop of n
 * steps gives the same iterates as one run of n iterations while no stop test or evaluation
 * budget ends the run (without line search, the same evaluations too; with it, each step
 * evaluates its starting point again). */
GC_API gc_status gc_optimizer_step(gc_context *ctx, gc_optimizer *opt, gc_tensor *x,
                                   gc_objective_fn fn, void *user, gc_optim_result *result);
/* Bytes the optimiser holds (for planning and tests). 0 for NULL. */
GC_API uint64_t gc_optimizer_memory_bytes(const gc_optimizer *opt);

/*
 * Split problems. A vector too large for one process can be cut into parts (MPI ranks,
 * threads), each part with its own optimiser of numel = its part's size, all run in lock
 * step: every part calls run/step the same way, and its objective callback gets this part's
 * x and writes this part's gradient (the loss must be the same on every part). With a
 * reduction hook, every sum or norm over the vector (the two-loop recursion's dot products,
 * y.s and y.y, g.d, the first step's sum|g|, the stop tests' norms, the line search's g.d and
 * max|d|, Adam's max|g|) is computed over this part and handed to `fn`, which must replace
 * values[0..n) (n <= 4) in place by their combination over all parts: the sum for
 * GC_REDUCE_OP_SUM, the maximum for GC_REDUCE_OP_MAX (NaN if any part's value is NaN). All parts
 * make the same calls in the same order; the combined values must be bitwise the same on
 * every part (e.g. every part adds the gathered partials in part order), since the
 * optimiser's branches (stop tests, line search) depend on them. A nonzero status from fn
 * aborts the call like a failing objective. The history, direction and moments then hold
 * only this part's elements: memory per part falls as 1/parts. fn NULL: no reduction (the
 * default; the whole vector is here). Survives gc_optimizer_reset.
 */
typedef enum gc_reduce_op { GC_REDUCE_OP_SUM = 0, GC_REDUCE_OP_MAX = 1 } gc_reduce_op;
typedef gc_status (*gc_reduce_fn)(void *user, gc_reduce_op op, double *values, int n);
GC_API gc_status gc_optimizer_set_reduce(gc_context *ctx, gc_optimizer *opt, gc_reduce_fn fn,
                                         void *user);

/* ---------------------------------------------------------------------------------------- */
/* Texture and style synthesis                                                              */

/*
 * Gram-matching synthesis (Gatys, Ecker & Bethge): find an image whose feature Gram matrices
 * match target Grams (texture synthesis), optionally plus a content term on one layer and a
 * total-variation term (style transfer). Images are C x H x W tensors of the network's dtype,
 * C = the network's input channels (3: RGB in [0, 1], as gc_image_read makes them).
 *
 * Networks (gc_synth_net, immutable once made, shareable between gc_synth objects):
 *  - random: one convolution layer with several filter sizes (Ustyuzhaninov, Brendel, Gatys &
 *    Bethge, ICLR 2017): for each size k, `filters` random k x k filters (uniform, variance
 *    1/(C k k), from a seeded generator: the same seed gives the same network on every
 *    machine) applied to the image minus `center` (the sample's mean), then ReLU. Layer i
 *    ("k<size>", e.g. "k11") is scale i's ReLU
 *    output. Target images are filtered 'valid' (no padding: the Gram sees only real pixels);
 *    the image being synthesised is filtered with circular padding k/2, so every pixel is
 *    constrained alike and the result tiles seamlessly. Sizes must be odd.
 *  - VGG-19 'features' (16 convolutions 3 x 3 pad 1 + ReLU, 2 x 2 stride-2 max or average
 *    pooling after conv 2, 4, 8, 12 and 16) with the caller's weights; input normalised with
 *    the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225). Layers are the
 *    ReLU outputs "relu1_1", "relu1_2", "relu2_1", ..., "relu5_4" (16).
 *
 * The loss of image x (every term scale-free, so the weights mean the same on any net):
 *   L = style_weight * sum_{l in style} (1/|style|) mean((G_l(x) - T_l)^2) / mean(T_l^2)
 *     + content_weight * mean((F_c(x) - P)^2) / mean(P^2)
 *     + tv_weight * sum_{c,y,x} ((x[c,y+1,x]-x[c,y,x])^2 + (x[c,y,x+1]-x[c,y,x])^2) / (C H W)
 * with G_l the Gram of layer l normalised by 1/(H_l W_l) (GC_GRAM_NORM_HW), T_l the target
 * (a weighted mean of the style images' Grams), P the content image's layer-c features. A
 * term whose target is all zero uses mean(T^2) = 1.
 */
#define GC_SYNTH_MAX_LAYERS 32

typedef struct gc_synth_net gc_synth_net;

typedef struct gc_synth_random_desc {
    int nscales;                         /* 1..GC_SYNTH_MAX_LAYERS */
    int64_t sizes[GC_SYNTH_MAX_LAYERS];  /* odd filter sizes, 1..255 */
    int64_t filters;                     /* filters per size, 1..4096 */
    int64_t channels;                    /* input channels, 1..4 */
    uint64_t seed;
    /* Subtracted from each input channel before the filters (finite): the sample's mean
     * (gc_synth_random_desc_center), so that a filter's response is signed around the
     * texture's own level. Applied as a bias of -sum(w * center) per filter: exact with
     * circular and valid padding alike. 0: none. */
    double center[4];
    /* 1: each filter made zero-mean after drawing (the network of gramconv 0.1 and of its
     * presets). A zero-mean filter cannot see local brightness, so flat regions and the
     * overall level are left free; 0 (the default) keeps the drawn means. */
    int zero_mean;
} gc_synth_random_desc;

/* The default random network, scaled down from the paper's (sizes 3, 5, 7, 11, 15, 23, 37, 55
 * with 128 filters each) for CPU speed: sizes 3, 5, 7, 11, 15, 23 with 32 filters each (about
 * 1/12 of the paper's work per pixel; the cost grows with the sum of the squared sizes times
 * the filters), 3 channels, seed 0. */
GC_API gc_synth_random_desc gc_synth_random_desc_default(void);
/* desc->center = the per-channel mean of image (C x H x W, C = desc->channels). */
GC_API gc_status gc_synth_random_desc_center(gc_context *ctx, gc_synth_random_desc *desc,
                                             const gc_tensor *image);
GC_API gc_status gc_synth_net_create_random(gc_context *ctx, const gc_synth_random_desc *desc,
                                            gc_dtype dtype, gc_synth_net **out);

typedef enum gc_synth_pool {
    GC_SYNTH_POOL_MAX = 0,
    GC_SYNTH_POOL_AVG = 1
} gc_synth_pool;

/* VGG-19 from 16 convolution weights (conv i: O_i x O_{i-1} x 3 x 3, O_{-1} = 3; any channel
 * counts, so small test nets work) and biases (O_i; NULL: none). The tensors are copied. */
GC_API gc_status gc_synth_net_create_vgg19(gc_context *ctx, const gc_tensor *weights,
                                           const gc_tensor *biases, gc_synth_pool pool,
                                           gc_dtype dtype, gc_synth_net **out);
/* The same from a safetensors file with torchvision's names features.N.weight / .bias
 * (N = 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34); a missing or mis-shaped
 * tensor is an error naming it. */
GC_API gc_status gc_synth_net_load_vgg19(gc_context *ctx, const char *path, gc_synth_pool pool,
                                         gc_dtype dtype, gc_synth_net **out);
/* NULL-safe. */
GC_API void gc_synth_net_free(gc_synth_net *net);

/* Layers of a net: count, name ("k11", "relu4_2"; NULL out of range), channels, index by name
 * (-1 if none), and the defaults (random: every scale for style, the second scale for content;
 * VGG-19:
 * relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 for style, relu4_2 for content). */
GC_API int gc_synth_net_layer_count(const gc_synth_net *net);
GC_API const char *gc_synth_net_layer_name(const gc_synth_net *net, int layer);
GC_API int64_t gc_synth_net_layer_channels(const gc_synth_net *net, int layer);
GC_API int gc_synth_net_layer_find(const gc_synth_net *net, const char *name);
GC_API uint32_t gc_synth_net_default_style_layers(const gc_synth_net *net);
GC_API int gc_synth_net_default_content_layer(const gc_synth_net *net);
/* The random net's description (GC_ERR_ARG for a VGG net). */
GC_API gc_status gc_synth_net_random_desc(const gc_synth_net *net, gc_synth_random_desc *out);

/* Target Grams of `image` (C x H x W) for each layer whose bit is set in `layers`: grams[l]
 * becomes a new C_l x C_l tensor of the net's dtype that the caller frees (gc_tensor_free);
 * the others are left as they are. On failure nothing is left allocated. */
GC_API gc_status gc_synth_net_grams(gc_context *ctx, const gc_synth_net *net,
                                    const gc_tensor *image, uint32_t layers, gc_tensor *grams);

typedef enum gc_synth_optimizer {
    GC_SYNTH_OPTIMIZER_LBFGS = 0,  /* L-BFGS (gc_optimizer, torch7 flavour), history 10, no
                                      line search, no early stop (as neural-style) */
    GC_SYNTH_OPTIMIZER_ADAM = 1
} gc_synth_optimizer;

/* Progress, passed to the callback after every iteration. */
typedef struct gc_synth_progress {
    int64_t iter;          /* iterations done, 1..iters */
    int64_t iters;         /* iterations asked for */
    double loss;           /* loss at the image this iteration started from (the optimiser
                              evaluates, then moves) */
    double initial_loss;   /* loss at the start image */
    double seconds;        /* since gc_synth_run began */
    const gc_tensor *image;/* the current image (valid during the call only) */
} gc_synth_progress;
/* Return nonzero to stop early (gc_synth_run then returns GC_OK). */
typedef int (*gc_synth_progress_fn)(const gc_synth_progress *progress, void *user);

/* The start of gc_synth_texture. */
typedef enum gc_synth_init {
    GC_SYNTH_INIT_NOISE = 0,    /* uniform noise in [0, 1) (gc_synth_noise) */
    GC_SYNTH_INIT_MEAN = 1      /* the sample's per-channel mean plus uniform noise of width
                                   0.2: starts near a saddle (features near 0), where L-BFGS
                                   without line search stalls on some textures */
} gc_synth_init;

/* The style term (gc_synth_desc.loss). GC_SYNTH_LOSS_KIND_SWD is the sliced Wasserstein loss of
 * Heitz, Vanhoey, Chambon & Belcour (CVPR 2021): per style layer l with features F (C_l x N,
 * N = H_l W_l), D = C_l fixed random unit directions d_k (the same on every machine), the
 * projections p_k = d_k^T F sorted and compared with the style images' sorted projections:
 *   Loss_l = (1 / (D N)) sum_k sum_i (sort(p_k)_i - t_k((i + 0.5) / N))^2 / s_l
 * with t_k the target quantile function (the style features, valid padding, projected on d_k;
 * min(N_t, 4096) quantiles kept; blends average the quantile functions with their weights)
 * and s_l the mean of t_k^2 (1 if 0). The style term is style_weight * (1/|style|) sum_l
 * Loss_l; GC_SYNTH_LOSS_KIND_BOTH adds it to the Gram term. It needs style images: with Grams
 * alone (gc_synth_add_style_grams) evaluation fails with GC_ERR_ARG. Not in bands or ranks. */
typedef enum gc_synth_loss_kind {
    GC_SYNTH_LOSS_KIND_GRAM = 0,     /* Gram matrices (the default) */
    GC_SYNTH_LOSS_KIND_SWD = 1,      /* sliced Wasserstein distance of the features */
    GC_SYNTH_LOSS_KIND_BOTH = 2      /* the sum of the two */
} gc_synth_loss_kind;

typedef struct gc_synth_desc {
    int64_t height, width;       /* the image being synthesised */
    uint32_t style_layers;       /* bit l: layer l has a style loss; 0: the net's default */
    int content_layer;           /* -1: no content term; -2: the net's default */
    double style_weight, content_weight, tv_weight;  /* >= 0, finite */
    int64_t iters;               /* >= 0 */
    gc_synth_optimizer optimizer;
    double learning_rate;        /* L-BFGS step (1) or Adam's (0.02); > 0 */
    int lbfgs_history;           /* 1..1000 (10) */
    gc_synth_progress_fn progress;  /* may be NULL */
    void *progress_user;
    /* The spectrum constraint (Liu, Gousseau & Xia 2016), >= 0, 0: off: adds
     * spectrum_weight * sum_c ||x_c - P(x_c)||^2 / (C H W var) to L, P(x_c) the image with the
     * style images' Fourier modulus (carried to height x width) and x_c's own phases, var the
     * samples' variance. Needs FFTW and a style image (not Grams alone). */
    double spectrum_weight;
    /* gc_synth_texture and gc_synth_style (init: texture only): */
    int pyramid;                 /* 1..8 levels of coarse-to-fine synthesis (1: one scale);
                                    0 (the default): auto, the most levels that keep the
                                    coarsest output's shorter side >= 128 and the reduced
                                    sample's >= twice the largest filter */
    int match_histogram;         /* 1: each channel's histogram matched to the sample's after
                                    each level (gc_synth_match_histogram) */
    gc_synth_init init;
    gc_synth_loss_kind loss;     /* the style term (GC_SYNTH_LOSS_KIND_GRAM) */
} gc_synth_desc;

/* 256 x 256, default style layers, no content, weights style 1 content 1 tv 0, 200 iterations
 * of L-BFGS (step 1, history 10), no callback. */
GC_API gc_synth_desc gc_synth_desc_default(void);

typedef struct gc_synth_stats {
    int64_t iters;         /* iterations run */
    int64_t evals;         /* loss + gradient evaluations */
    double initial_loss, final_loss;  /* at the start image and at the result */
    double seconds;
} gc_synth_stats;

/* A synthesis problem for one output size: gc_synth_create plans and allocates all its memory
 * (feature maps, gradients, optimiser state, workspaces) once; evaluations and iterations
 * after that allocate nothing of the image's size. `net` must outlive it. */
typedef struct gc_synth gc_synth;
GC_API gc_status gc_synth_create(gc_context *ctx, const gc_synth_net *net,
                                 const gc_synth_desc *desc, gc_synth **out);
/* NULL-safe. */
GC_API void gc_synth_free(gc_synth *s);
/* Blend a style image (any H x W the net takes) into the style targets with `weight` > 0:
 * targets become the weighted mean of all styles added. */
GC_API gc_status gc_synth_add_style_image(gc_context *ctx, gc_synth *s, const gc_tensor *image,
                                          double weight);
/* The same with ready Grams (a preset): grams[l] (C_l x C_l) for every style layer l. */
GC_API gc_status gc_synth_add_style_grams(gc_context *ctx, gc_synth *s, const gc_tensor *grams,
                                          double weight);
/* The content image (C x height x width). Needed when the desc has a content layer. */
GC_API gc_status gc_synth_set_content(gc_context *ctx, gc_synth *s, const gc_tensor *image);
/* L at `image` (C x height x width) and, if grad is not NULL, dL/dimage (same shape). */
GC_API gc_status gc_synth_loss(gc_context *ctx, gc_synth *s, const gc_tensor *image,
                               double *loss, gc_tensor *grad);
/* Optimise `image` (in: the start, out: the result; C x height x width) for desc.iters
 * iterations. stats may be NULL. */
GC_API gc_status gc_synth_run(gc_context *ctx, gc_synth *s, gc_tensor *image,
                              gc_synth_stats *stats);
/* Fill `image` with uniform noise in [0, 1) from `seed` (any dtype, any strides). */
GC_API gc_status gc_synth_noise(gc_tensor *image, uint64_t seed);
/* The start image: GC_SYNTH_INIT_MEAN fills each channel c with mean[c] (0.5 when mean is
 * NULL) plus uniform noise in [-0.1, 0.1); GC_SYNTH_INIT_NOISE is gc_synth_noise. The same
 * seed gives the same image on every machine. */
GC_API gc_status gc_synth_start(gc_tensor *image, gc_synth_init init, const double *mean,
                                uint64_t seed);
/* Histogram matching: each channel of `image` (C x H x W, any strides) gets the values of
 * `reference`'s channel (C x H' x W') at the same ranks (its sorted values read at quantile
 * (r + 0.5) / (H W), linearly interpolated; ties broken by position, so the result is
 * deterministic). Allocates its sort buffers through the context. */
GC_API gc_status gc_synth_match_histogram(gc_context *ctx, gc_tensor *image,
                                          const gc_tensor *reference);
/* The end of gc_synth_texture, for results made otherwise (the banded and distributed runs):
 * a grey sample (every pixel's channels equal) makes the image grey (channels averaged), and
 * match_histogram = 1 matches each channel's histogram to the sample's. */
GC_API gc_status gc_synth_finish(gc_context *ctx, gc_tensor *image, const gc_tensor *sample,
                                 int match_histogram);

/* Texture synthesis in one call: the Grams of `sample` on the desc's style layers, a start
 * from `seed` (desc.init), desc.iters iterations; `out` (C x desc.height x desc.width, the
 * net's dtype, made by the caller) receives the texture. With desc.pyramid = P > 1 it runs
 * coarse to fine: level l (P-1 down to 0) synthesises height >> l x width >> l against the
 * sample reduced by 2^l (2 x 2 means), starting from the previous level's result enlarged
 * (bilinear, periodic); the coarsest level runs desc.iters iterations and each finer one half
 * of the one before (at least 10). The progress callback counts iterations over all levels.
 * Every level must leave the reduced sample at least as large as the largest filter. A grey
 * sample (every pixel's channels equal) gives a grey texture: the channels are averaged at the
 * end (and matched to the sample's histogram again with desc.match_histogram). */
GC_API gc_status gc_synth_texture(gc_context *ctx, const gc_synth_net *net,
                                  const gc_tensor *sample, const gc_synth_desc *desc,
                                  uint64_t seed, gc_tensor *out, gc_synth_stats *stats);

/* The colours of a style transfer's result (gc_synth_style_desc.colors). */
typedef enum gc_synth_colors {
    GC_SYNTH_COLORS_OWN = 0,     /* as synthesised (with desc.match_histogram: each channel
                                    matched to the most-weighted style image's histogram) */
    GC_SYNTH_COLORS_CONTENT = 1  /* the content's: every channel = content + (Y(result) -
                                    Y(content)), Y the BT.601 luma 0.299 R + 0.587 G + 0.114 B
                                    (the result's luminance, the content's chroma; C = 3) */
} gc_synth_colors;

/* The style images of gc_synth_style. */
typedef struct gc_synth_style_desc {
    const gc_tensor *styles;     /* nstyles images, C x H_i x W_i each, the net's dtype */
    const double *weights;       /* nstyles blend weights, finite and > 0; NULL: all 1 */
    int nstyles;                 /* >= 1 */
    gc_synth_colors colors;      /* GC_SYNTH_COLORS_OWN */
} gc_synth_style_desc;
/* {NULL, NULL, 0, GC_SYNTH_COLORS_OWN} */
GC_API gc_synth_style_desc gc_synth_style_desc_default(void);

/* Style transfer in one call: `content` (C x desc.height x desc.width) gives the content term
 * at desc.content_layer (-2: the net's default; -1 is refused), the style images blended with
 * their weights the style targets (desc.loss: Grams, sliced Wasserstein or both; the spectrum
 * constraint when desc.spectrum_weight > 0), desc.iters iterations. `out` (C x desc.height x
 * desc.width, the net's dtype, made by the caller) holds the start (e.g. a copy of the
 * content, or gc_synth_noise) and receives the result. desc.pyramid = P > 1 (0: automatic, as
 * gc_synth_texture's, with the smallest style image as the sample) runs coarse to fine: level
 * l (P-1 down to 0) synthesises height >> l x width >> l against the content and the style
 * images reduced by 2^l (2 x 2 means), starting from `out` reduced as much (the coarsest) or
 * the previous level's result enlarged (bilinear); iterations as gc_synth_texture's. Every
 * level must leave each style image and the output at least as large as the largest filter.
 * desc.match_histogram = 1 matches each channel to the most-weighted style image's (the first
 * of equal weights) after every level; then style->colors. desc.init is not used. The same
 * inputs and thread count give the same bytes. */
GC_API gc_status gc_synth_style(gc_context *ctx, const gc_synth_net *net,
                                const gc_tensor *content, const gc_synth_style_desc *style,
                                const gc_synth_desc *desc, gc_tensor *out,
                                gc_synth_stats *stats);

/* ---------------------------------------------------------------------------------------- */
/* Streaming Gram: bands of columns, .npy files under a memory budget                       */

/*
 * Streaming Gram: G = norm * scale * Fc Fc^T of one M x K matrix (an M x K input, or a
 * C x H x W map with K = H*W, or one item of a batch) fed as consecutive bands of columns
 * (for C x H x W: bands of whole rows, C x h x W, top to bottom), so that F never has to be
 * in memory at once. The result is the one gc_gram_forward gives, with the same bits
 * whenever gc_gram_forward sums in one part (1 thread, or N >= threads, or M > 256, or fewer
 * than 2 chunks per thread; same ISA): the sum order is defined on the flattened column index
 * k alone, never on the bands:
 *   - the columns are cut into chunks of KC consecutive k (KC from the kernel set and M, as
 *     gc_gram_forward picks it); a chunk that straddles two bands is staged until complete;
 *   - each chunk's products are summed fresh in the input's dtype (blocked summation) and
 *     added, chunk after chunk in increasing k, into a float64 M x M accumulator;
 *   - finish scales each (i >= j) sum once by norm * scale and writes it to (i, j) and (j, i).
 * Otherwise (gc_gram_forward splitting K over threads) the two differ by float rounding only
 * (float32: relative Frobenius error <= 1e-6, tested).
 * Centring needs the row means first: a centring accumulator starts in GC_GRAM_PASS_MEANS,
 * takes every band once (float64 sums in 8 interleaved parts by k mod 8, as gc_gram_forward),
 * then gc_gram_accum_end_means switches it to GC_GRAM_PASS_PRODUCTS and takes every band again.
 * Distributed use: each part adds its own bands, gc_gram_accum_partial exposes the running
 * float64 sums (a flat vector ending with the count of columns added), the caller sums that
 * vector elementwise over the parts (MPI_Allreduce with MPI_SUM), then continues
 * (gc_gram_accum_end_means or gc_gram_accum_finish) on the summed vector.
 */
typedef struct gc_gram_accum gc_gram_accum;

typedef enum gc_gram_pass {
    GC_GRAM_PASS_MEANS = 0,     /* centring: bands feed the row means */
    GC_GRAM_PASS_PRODUCTS = 1   /* bands feed the products */
} gc_gram_pass;

/* Bytes an accumulator for M rows of `dtype` under `desc` allocates (for memory budgets). */
GC_API gc_status gc_gram_accum_bytes(gc_context *ctx, const gc_gram_desc *desc, gc_dtype dtype,
                                     int64_t m, uint64_t *bytes);
/* An accumulator for the Gram of M rows of K columns in total (K sets the norm and the means;
 * it is the whole matrix's K when the columns are spread over parts). *out NULL on failure.
 * Allocates under ctx; use the same ctx with it afterwards. */
GC_API gc_status gc_gram_accum_create(gc_context *ctx, const gc_gram_desc *desc, gc_dtype dtype,
                                      int64_t m, int64_t k, gc_gram_accum **out);
/* NULL-safe. */
GC_API void gc_gram_accum_free(gc_gram_accum *acc);
/* The pass bands are going to now. */
GC_API gc_gram_pass gc_gram_accum_pass(const gc_gram_accum *acc);
/* Add the next columns: `band` is M x k' (rank 2) or M x h x w (rank 3, k' = h*w, flattened
 * row-major), any strides, the accumulator's dtype. More than K columns in all is GC_ERR_SHAPE. */
GC_API gc_status gc_gram_accum_add(gc_context *ctx, gc_gram_accum *acc, const gc_tensor *band);
/* Centring only: all K columns have fed the means; the next bands feed the products. */
GC_API gc_status gc_gram_accum_end_means(gc_context *ctx, gc_gram_accum *acc);
/* The running float64 sums as a vector of *count doubles (last one: columns added), which
 * the caller may replace by its elementwise sum over parts before calling end_means / finish.
 * Completes a pending chunk first. Valid until the next call on acc. */
GC_API gc_status gc_gram_accum_partial(gc_context *ctx, gc_gram_accum *acc, double **sums,
                                       int64_t *count);
/* Once all K columns are in: G (M x M, any strides, the accumulator's dtype) =
 * norm * scale * sums, exactly symmetric. The accumulator may then be freed. */
GC_API gc_status gc_gram_accum_finish(gc_context *ctx, gc_gram_accum *acc, gc_tensor *output);

/* How an open .npy file reads as a Gram input: N items (1 below rank 4) of M rows of K
 * columns (K = H*W for C x H x W and N x C x H x W; W: 1 for M x K). */
GC_API gc_status gc_gram_npy_layout(gc_context *ctx, const gc_npy_file *f, int64_t *n,
                                    int64_t *m, int64_t *k, int64_t *w);
/* Add columns [k0, k1) of item `item` of the open file f to acc (rows m, the file's dtype), read
 * by offsets in bands of at most band_cols columns (one M x band_cols buffer, allocated here).
 * For C x H x W files choose band_cols as a multiple of W for bands of whole rows. */
GC_API gc_status gc_gram_accum_add_npy(gc_context *ctx, gc_gram_accum *acc, gc_npy_file *f,
                                       int64_t item, int64_t k0, int64_t k1, int64_t band_cols);

/* The Gram of a .npy file streamed under a memory budget: INPUT as gc_gram_forward takes it
 * (M x K, C x H x W or N x C x H x W; float32/float64, either byte order, C order), read in
 * bands of whole rows by file offsets, so that the library's buffers (band, accumulator,
 * output) stay within max_memory bytes; GC_ERR_LIMIT when even one row per band does not
 * fit. `output` gets a new owned tensor (M x M or N x M x M, the file's dtype). Same sum
 * order as gc_gram_accum_*. */
GC_API gc_status gc_gram_forward_npy(gc_context *ctx, const gc_gram_desc *desc,
                                     const char *path, uint64_t max_memory, gc_tensor *output);

/* ---------------------------------------------------------------------------------------- */
/* Tiled conv2d: bands of rows with their halo                                              */

/*
 * Tiled conv2d: the output (forward) or grad_input (backward_input) computed in horizontal
 * bands, each from the rows of the input (grad_output) it reads plus a halo. For output rows
 * [oy0, oy1) the forward reads padded rows oy0*sh .. (oy1-1)*sh + dh*(KH-1), i.e. input rows
 * from oy0*sh - pad_top on, (oy1-oy0-1)*sh + dh*(KH-1) + 1 of them (the halo is the
 * dh*(KH-1) rows past the band's own). A band copies those rows, with all padding (any
 * padding mode, 'same', both dims) written out, into a buffer and runs an unpadded
 * gc_conv2d_forward on it; backward_input runs an unpadded gc_conv2d_backward_input over the
 * grad_output rows that feed a band of input rows and keeps the band's rows (zero padding
 * only there). Results equal the untiled call within float rounding (the fast algorithms may
 * block a smaller problem differently); with GC_CONV_ALGO_REFERENCE they are bitwise equal
 * (zero padding; tested).
 */
/* Input rows [*iy0, *iy1) (clipped to [0, h)) that output rows [oy0, oy1) read; kh is the
 * kernel height. Padding-mode sources (reflect, circular) are not included. */
GC_API gc_status gc_conv2d_rows_needed(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h,
                                       int64_t kh, int64_t oy0, int64_t oy1, int64_t *iy0,
                                       int64_t *iy1);
/* grad_output rows [*oy0, *oy1) (possibly empty) that feed grad_input rows [iy0, iy1). */
GC_API gc_status gc_conv2d_rows_feeding(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h,
                                        int64_t kh, int64_t iy0, int64_t iy1, int64_t *oy0,
                                        int64_t *oy1);
/* Forward for output rows [oy0, oy0 + rows of output_band) of an input `h` rows high, given
 * input_rows = its rows [iy0, iy0 + rows of input_rows) (C x r x W or N x C x r x W; at
 * least the rows gc_conv2d_rows_needed names, and any rows the padding mode reflects or
 * wraps to). output_band: (N x) O x band x OW. Allocates its band buffer and workspace. */
GC_API gc_status gc_conv2d_forward_band(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h,
                                        const gc_tensor *input_rows, int64_t iy0,
                                        const gc_tensor *weight, const gc_tensor *bias,
                                        int64_t oy0, gc_tensor *output_band);
/* backward_input for grad_input rows [iy0, iy0 + rows of grad_input_band) of an input `h`
 * rows high, given grad_output_rows = rows [oy0, ...) of the whole grad_output (at least
 * those gc_conv2d_rows_feeding names). Zero padding only (GC_ERR_UNSUPPORTED otherwise). */
GC_API gc_status gc_conv2d_backward_input_band(gc_context *ctx, const gc_conv2d_desc *desc,
                                               int64_t h, const gc_tensor *grad_output_rows,
                                               int64_t oy0, const gc_tensor *weight, int64_t iy0,
                                               gc_tensor *grad_input_band);
/* The whole op in bands whose buffers (band copy + the inner call's workspace) stay within
 * max_memory bytes (GC_ERR_LIMIT if one row does not fit); the same contract as
 * gc_conv2d_forward / gc_conv2d_backward_input otherwise (no caller workspace). */
GC_API gc_status gc_conv2d_forward_tiled(gc_context *ctx, const gc_conv2d_desc *desc,
                                         const gc_tensor *input, const gc_tensor *weight,
                                         const gc_tensor *bias, gc_tensor *output,
                                         uint64_t max_memory);
GC_API gc_status gc_conv2d_backward_input_tiled(gc_context *ctx, const gc_conv2d_desc *desc,
                                                const gc_tensor *grad_output,
                                                const gc_tensor *weight, gc_tensor *grad_input,
                                                uint64_t max_memory);

/* ---------------------------------------------------------------------------------------- */
/* Texture synthesis in bands                                                               */

/*
 * Texture synthesis in bands (random net; style and total-variation terms): the loss,
 * gradient and optimisation of gc_synth without any F x H x W feature map in memory. Each
 * scale runs twice over bands of rows: the Gram accumulated band by band, then (gradient)
 * each band's features recomputed, its Gram gradient, ReLU and convolution backward folded
 * onto the image (circular padding as gc_synth). target_grams[l] (C_l x C_l) for each style
 * layer l (as gc_synth_net_grams fills them). max_memory bounds the per-band buffers (padded
 * input rows, features, their gradients, conv workspace; 0: one band of all rows); the
 * image-sized vectors (image, gradient, optimiser state) come on top. A VGG net or a content
 * term is GC_ERR_UNSUPPORTED. Equal to gc_synth_loss / gc_synth_run within float rounding.
 */
typedef struct gc_synth_tiled gc_synth_tiled;
GC_API gc_status gc_synth_tiled_create(gc_context *ctx, const gc_synth_net *net,
                                       const gc_synth_desc *desc, const gc_tensor *target_grams,
                                       uint64_t max_memory, gc_synth_tiled **out);
/* NULL-safe. */
GC_API void gc_synth_tiled_free(gc_synth_tiled *t);
/* Rows per band chosen under the budget. */
GC_API int64_t gc_synth_tiled_band_rows(const gc_synth_tiled *t);
GC_API gc_status gc_synth_tiled_loss(gc_context *ctx, gc_synth_tiled *t, const gc_tensor *image,
                                     double *loss, gc_tensor *grad);
GC_API gc_status gc_synth_tiled_run(gc_context *ctx, gc_synth_tiled *t, gc_tensor *image,
                                    gc_synth_stats *stats);

/* ---------------------------------------------------------------------------------------- */
/* Texture scores: network-free distances between a sample and a candidate                  */

/*
 * Two distances between a texture sample and a candidate image (a synthesised texture, or a
 * piece of the same texture), each reported raw and relative to Gaussian noise of the
 * candidate's size with the sample's per-channel mean and standard deviation (1.0 = as far
 * from the sample as that noise; a real piece of a texture typically scores 0.1 - 0.3):
 *  - swd: the sliced Wasserstein distance between patch x patch x C neighbourhoods of the
 *    Laplacian-pyramid levels of the two images (Karras et al., ProGAN, 2018), with every
 *    level's neighbourhoods normalised by the SAMPLE's per-channel mean and standard
 *    deviation (so a brightness or colour drift counts), averaged over the levels;
 *  - spectrum: the root mean square difference of the log power spectra (Welch estimates
 *    over spectrum_window x spectrum_window Hann windows, DC excluded).
 * docs/SYNTH.md ("Scoring a texture") gives every step. Images are C x H x W float32 or
 * float64 (any strides), C in 1..4 and the same for both, values normally in [0, 1], every
 * value finite, every side at least max(patch, 8). The spectrum window shrinks to the
 * smallest side of the two images (rounded down to even) when that is smaller. A constant
 * sample (no texture to compare with) is GC_ERR_ARG. The result depends only on the inputs
 * and the descriptor (the same bits for any thread count and ISA); it is computed in float64.
 */
typedef struct gc_texture_score_desc {
    int patch;                /* neighbourhood side, 1..32 (7) */
    int directions;           /* random projection directions, 1..65536 (256) */
    int64_t max_descriptors;  /* neighbourhoods per level per image, 1..2^24 (4096); more
                                 positions than this: a seeded random subset */
    int min_level_size;       /* the pyramid's smallest level side, >= 1 (16; at least patch
                                 is used) */
    int spectrum_window;      /* Welch window side, even, 8..1024 (64) */
    int64_t max_windows;      /* Welch windows per image, 1..2^20 (64) */
    uint64_t seed;            /* directions, subsets and the noise image (0) */
} gc_texture_score_desc;

/* {7, 256, 4096, 16, 64, 64, seed 0}. */
GC_API gc_texture_score_desc gc_texture_score_desc_default(void);

typedef struct gc_texture_score {
    double swd, swd_noise, swd_rel;                 /* swd(sample, candidate), swd(sample,
                                                       noise), their ratio */
    double spectrum, spectrum_noise, spectrum_rel;  /* the same for the spectrum distance */
    int levels;                                     /* pyramid levels compared */
} gc_texture_score;

/* Score `candidate` against `sample` (desc NULL: the defaults). On failure *out is zeroed. */
GC_API gc_status gc_texture_score_compute(gc_context *ctx, const gc_texture_score_desc *desc,
                                          const gc_tensor *sample, const gc_tensor *candidate,
                                          gc_texture_score *out);

#ifdef __cplusplus
}
#endif

#endif /* GRAMCONV_H */
