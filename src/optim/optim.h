/* src/optim/ - layer 3, the optimisers (L-BFGS with or without the strong Wolfe line search,
 * Adam) in the Torch7 and PyTorch flavours, and the evaluation they share (optim_eval.c).
 * It includes base/ only. */
/* optim.h - private: the optimiser object and the flat-vector helpers it runs on. */
#ifndef GC_OPTIM_H
#define GC_OPTIM_H

#include "base/internal.h"

typedef enum gc_optim_kind { GC_OPTIM_KIND_LBFGS = 1, GC_OPTIM_KIND_ADAM = 2 } gc_optim_kind;

/* A flat vector of n elements of the optimiser's dtype (float or double). */
typedef void *gc_vec;

#define GC_LBFGS_NGRAD 3 /* gradient buffers with the line search (bracket pair + trial) */

struct gc_optimizer {
    gc_optim_kind kind;
    gc_dtype dtype;
    int64_t n;
    gc_allocator alloc;   /* the allocator that made everything below (a copy) */
    uint64_t bytes;       /* held, for gc_optimizer_memory_bytes */
    void *block;          /* the one allocation: every vector below points into it */
    int64_t total_iter;   /* torch7 state.nIter / PyTorch n_iter */
    int64_t total_eval;   /* state.funcEval / func_evals */
    gc_reduce_fn reduce;  /* split problems: combines the parts' partial sums; NULL: none */
    void *reduce_user;
    union {
        struct {
            gc_lbfgs_desc desc;
            gc_vec s_buf, y_buf;     /* (history + 1) x n each: slot i at + i*n */
            double *rho, *al;        /* history + 1 each */
            int64_t start, count;    /* pairs in the ring: slots start .. start+count-1 mod h+1 */
            gc_vec d, g_old, xe;     /* direction, previous gradient, trial point */
            gc_vec g[GC_LBFGS_NGRAD];
            int gi;                  /* which g[] holds the current gradient */
            int ngrad;               /* 1 without the line search, else GC_LBFGS_NGRAD */
            double t, h_diag, f_old; /* carried between runs, as torch's state */
        } lb;
        struct {
            gc_adam_desc desc;
            gc_vec m, v, g;
        } ad;
    } u;
};

/* ---- vector helpers: element (dtype) storage, double scalars, sums in double in a fixed
 * order (8 lanes, i mod 8, combined by one tree; see optim_vec.c) */
double gc_ov_dot(gc_dtype dt, int64_t n, const void *a, const void *b);
double gc_ov_dot_reference(gc_dtype dt, int64_t n, const void *a, const void *b);
double gc_ov_abs_sum(gc_dtype dt, int64_t n, const void *a);
double gc_ov_abs_max(gc_dtype dt, int64_t n, const void *a);
/* sum |alpha * a_i| and max |alpha * a_i| with alpha * a_i rounded to the dtype first (the
 * norms of torch's d:mul(t)). */
double gc_ov_scaled_abs_sum(gc_dtype dt, int64_t n, double alpha, const void *a);
double gc_ov_scaled_abs_max(gc_dtype dt, int64_t n, double alpha, const void *a);
void gc_ov_zero(gc_dtype dt, int64_t n, void *a);
void gc_ov_copy(gc_dtype dt, int64_t n, void *dst, const void *src);
/* dst = alpha * a */
void gc_ov_scale(gc_dtype dt, int64_t n, void *dst, double alpha, const void *a);
/* dst = a - b */
void gc_ov_sub(gc_dtype dt, int64_t n, void *dst, const void *a, const void *b);
/* dst = a + alpha * b (dst may be a) */
void gc_ov_axpy(gc_dtype dt, int64_t n, void *dst, const void *a, double alpha, const void *b);
/* dst += alpha * b, then return z . dst: bitwise gc_ov_axpy then gc_ov_dot, in one pass */
double gc_ov_axpy_dot(gc_dtype dt, int64_t n, void *dst, double alpha, const void *b,
                      const void *z);

/* ---- reductions over the parts of a split problem: v[0..n) (local partial sums, or maxima
 * for GC_REDUCE_OP_MAX) replaced by their combination over all parts through opt->reduce; a no-op
 * without a hook. A failing hook's status is returned with a message. Every reduction of the
 * optimisers goes through here, so that all parts make the same calls in the same order. */
gc_status gc_optim_reduce(gc_context *ctx, gc_optimizer *opt, gc_reduce_op op, double *v, int n);

/* ---- one objective evaluation at `point` (x itself or a buffer of its shape): grad zeroed,
 * the callback called with tensors shaped like x, the counters advanced. A failing callback's
 * status is returned with ctx's message prefixed by what failed. */
gc_status gc_optim_eval(gc_context *ctx, gc_optimizer *opt, const gc_tensor *x, const void *point,
                        void *grad, gc_objective_fn fn, void *user, double *loss,
                        gc_optim_result *res);

/* ---- the algorithms (argument checks done by the caller) */
gc_status gc_lbfgs_run(gc_context *ctx, gc_optimizer *opt, gc_tensor *x, gc_objective_fn fn,
                       void *user, int64_t max_iter, gc_optim_result *res);
void gc_lbfgs_reset(gc_optimizer *opt);
/* Strong-Wolfe line search from x along L-BFGS's d (optim_wolfe.c): on entry *t is the first
 * trial step, f/gtd the loss and g.d at x, g[opt->u.lb.gi] the gradient at x; on return *t,
 * *f_out and g[opt->u.lb.gi] are the accepted point's, *evals the evaluations it made (at
 * most max_ls after the first). x is not written (trial points go to xe). */
gc_status gc_lbfgs_wolfe(gc_context *ctx, gc_optimizer *opt, const gc_tensor *x, gc_objective_fn fn,
                         void *user, double f, double gtd, int64_t max_ls, double *t,
                         double *f_out, int64_t *evals, gc_optim_result *res);
gc_status gc_adam_run(gc_context *ctx, gc_optimizer *opt, gc_tensor *x, gc_objective_fn fn,
                      void *user, int64_t max_iter, gc_optim_result *res);
void gc_adam_reset(gc_optimizer *opt);

#endif /* GC_OPTIM_H */
