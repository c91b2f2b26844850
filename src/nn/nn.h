/* src/nn/ - layer 3, Torch-style modules, containers and criteria with their forward and
 * backward passes, calling the ops (conv2d, Gram) through the public API; it includes
 * base/ only. */
/* nn.h - the private side of the nn layer (see "nn" in gramconv.h): the module object, its
 * per-kind operations, the block cache that makes op-internal scratch allocation-free after
 * the first call, and small helpers shared by the nn_*.c files. */
#ifndef GC_NN_H
#define GC_NN_H

#include "base/internal.h"

/* ---- block cache -------------------------------------------------------------------------
 * An op called through gc_nn_call_begin/end sees the context's allocator replaced by this
 * cache: its i-th allocation in a call is served by block i when that block is big enough,
 * otherwise a block is (re)made through the real allocator. Frees are deferred to
 * gc_nn_cache_release. An op that asks for the same sizes every call (all of ours do, for a
 * fixed signature) allocates nothing after its first call. */
#define GC_NN_CACHE_BLOCKS 8
typedef struct gc_nn_cache {
    void *ptr[GC_NN_CACHE_BLOCKS];
    size_t size[GC_NN_CACHE_BLOCKS];
    int next;                  /* block index of the next allocation in the current call */
    gc_allocator real;         /* the context's allocator during the call */
    gc_allocator owner;        /* the allocator that made the blocks */
} gc_nn_cache;

/* Swap ctx's allocator for the cache (nothing if ctx is NULL). Always pair with _end. */
void gc_nn_call_begin(gc_context *ctx, gc_nn_cache *c, gc_allocator *saved);
void gc_nn_call_end(gc_context *ctx, gc_allocator *saved);
void gc_nn_cache_release(gc_nn_cache *c);

/* ---- modules ------------------------------------------------------------------------------ */
typedef enum gc_nn_kind {
    GC_NN_SEQUENTIAL,
    GC_NN_CONCAT_TABLE,
    GC_NN_IDENTITY,
    GC_NN_VIEW,
    GC_NN_RELU,
    GC_NN_MUL_CONSTANT,
    GC_NN_MM,
    GC_NN_GRAM,
    GC_NN_CONV,
    GC_NN_MAX_POOL,
    GC_NN_AVG_POOL
} gc_nn_kind;

typedef struct gc_module_ops {
    const char *name;
    /* Size the module's buffers for `in` and fill m->output's kind, dtypes and dims (data may
     * stay NULL for outputs that are views of the input). */
    gc_status (*plan)(gc_context *ctx, gc_module *m, const gc_value *in);
    gc_status (*forward)(gc_context *ctx, gc_module *m, const gc_value *in);
    /* fill m->grad_input (gout has the output's signature, checked) */
    gc_status (*backward_input)(gc_context *ctx, gc_module *m, const gc_value *in,
                                const gc_value *gout);
    /* NULL for modules without parameters and containers handle children themselves */
    gc_status (*acc_grad)(gc_context *ctx, gc_module *m, const gc_value *in,
                          const gc_value *gout, double scale);
} gc_module_ops;

/* Raw memory a module owns, with the allocator that made it. */
typedef struct gc_nn_block {
    void *p;
    size_t bytes;
    gc_allocator a;
} gc_nn_block;

/* Input signature a module was planned for. */
typedef struct gc_nn_sig {
    int valid, is_table, count;
    gc_dtype dtype[GC_TABLE_MAX];
    int rank[GC_TABLE_MAX];
    int64_t dims[GC_TABLE_MAX][GC_MAX_RANK];
} gc_nn_sig;

struct gc_module {
    const gc_module_ops *ops;
    gc_nn_kind kind;
    int owned;                     /* added to a container */
    int broken;                    /* an add into this container failed: it refuses to run */
    int explicit_plan;             /* inside gc_module_plan: also fill the op scratch caches */
    gc_nn_sig sig;                 /* what plan() sized the buffers for */
    gc_value output, grad_input;
    /* owned buffers */
    gc_tensor out_buf[2], gin_buf[2];
    gc_nn_block aux;               /* max pooling's argmax indices; MM's row of sums */
    gc_nn_block ws;                /* conv workspace, sized for all three passes */
    gc_nn_cache cache[2];          /* op scratch: [0] forward, [1] backward */
    /* parameters (conv): tensors that own their data or view `flat` */
    int nparams;
    gc_tensor param[2], grad[2];
    void *flat[2];                 /* flatten_parameters storage: params, grads */
    gc_allocator flat_alloc;
    /* children (containers) */
    gc_module **child;
    int nchild, cap;
    gc_allocator child_alloc;      /* allocator of `child` */
    /* per-kind configuration */
    gc_dtype dtype;                /* conv */
    gc_conv2d_desc conv;
    gc_pool2d_desc pool;
    gc_gram_desc gram;
    int trans_a, trans_b;
    double constant;
    int view_rank, view_ninput;    /* view: size, numInputDims (0: unset) */
    int64_t view_dims[GC_MAX_RANK];
    gc_allocator self_alloc;       /* allocator that made the module */
};

/* Allocate a zeroed module of `kind` through ctx's allocator. */
gc_status gc_nn_module_new(gc_context *ctx, gc_nn_kind kind, const gc_module_ops *ops,
                           gc_module **out);

/* Per-kind ops tables (nn_*.c). */
extern const gc_module_ops gc_nn_sequential_ops, gc_nn_concat_ops, gc_nn_identity_ops,
    gc_nn_view_ops, gc_nn_relu_ops, gc_nn_mul_constant_ops, gc_nn_mm_ops, gc_nn_gram_ops,
    gc_nn_conv_ops, gc_nn_max_pool_ops, gc_nn_avg_pool_ops;

/* ---- helpers (nn_module.c) ---------------------------------------------------------------- */
/* (Re)make *t as a zeroed C-contiguous tensor of dtype/rank/dims unless it already is one. */
gc_status gc_nn_buffer(gc_context *ctx, gc_tensor *t, gc_dtype dtype, int rank,
                       const int64_t *dims);
/* A tensor value of one buffer. */
void gc_nn_set_tensor(gc_value *v, const gc_tensor *t);
/* Plan (if the signature changed) and run forward on a child. */
gc_status gc_nn_forward(gc_context *ctx, gc_module *m, const gc_value *in);
/* Backward passes on a child (checks: forward ran with this input signature, gout has the
 * output's). */
gc_status gc_nn_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                               const gc_value *gout);
gc_status gc_nn_acc_grad(gc_context *ctx, gc_module *m, const gc_value *in, const gc_value *gout,
                         double scale);
/* Make b hold at least `bytes` (64-byte aligned), keeping it if it already does. */
gc_status gc_nn_block_reserve(gc_context *ctx, gc_nn_block *b, size_t bytes);
void gc_nn_block_release(gc_nn_block *b);
/* Signature of a value; 1 if `v` matches `s`. */
void gc_nn_sig_of(const gc_value *v, gc_nn_sig *s);
int gc_nn_sig_match(const gc_nn_sig *s, const gc_value *v);
/* Check that `v` is one tensor (what = "input", ...). */
gc_status gc_nn_want_tensor(gc_context *ctx, const gc_module *m, const gc_value *v,
                            const char *what);
/* Number of elements of a validated tensor. */
int64_t gc_nn_numel(const gc_tensor *t);
/* Offset of the e-th element (C order) of t. */
int64_t gc_nn_offset(const gc_tensor *t, int64_t e);
/* Recursive parameter access: *i counts down; returns the module holding parameter i. */
gc_module *gc_nn_find_param(gc_module *m, int *i);

#endif /* GC_NN_H */
