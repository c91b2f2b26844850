/* optim_vec.c - flat-vector helpers for the optimisers: n elements of float or double,
 * scalars in double, every reduction summed in double in a fixed order (deterministic).
 * Elementwise results are computed in double and rounded once to the element type. */
#include "optim/optim.h"

#include <math.h>

/* The reductions keep GC_OV_LANES partial sums (element i goes to lane i mod GC_OV_LANES,
 * the tail to a separate sum) and combine them in one fixed tree: a fixed order, independent
 * of anything but n, that the compiler can keep in vector registers without reassociating. */
#define GC_OV_LANES 8

static double gc_ov_combine(const double *acc, double tail)
{
    return (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))) +
           tail;
}

/* sum a_i b_i: n elements each */
double gc_ov_dot(gc_dtype dt, int64_t n, const void *a, const void *b)
{
    double acc[GC_OV_LANES] = {0}, tail = 0.0;
    const int64_t nb = n - n % GC_OV_LANES;
    if (dt == GC_DTYPE_F32) {
        const float *x = a, *y = b;
        for (int64_t i = 0; i < nb; i += GC_OV_LANES)
            for (int j = 0; j < GC_OV_LANES; j++)
                acc[j] += (double)x[i + j] * (double)y[i + j];
        for (int64_t i = nb; i < n; i++)
            tail += (double)x[i] * (double)y[i];
    } else {
        const double *x = a, *y = b;
        for (int64_t i = 0; i < nb; i += GC_OV_LANES)
            for (int j = 0; j < GC_OV_LANES; j++)
                acc[j] += x[i + j] * y[i + j];
        for (int64_t i = nb; i < n; i++)
            tail += x[i] * y[i];
    }
    return gc_ov_combine(acc, tail);
}

/* The plain loop (index order), the reference the tests hold gc_ov_dot to. */
double gc_ov_dot_reference(gc_dtype dt, int64_t n, const void *a, const void *b)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += gc_load(a, dt, i) * gc_load(b, dt, i);
    return s;
}

double gc_ov_abs_sum(gc_dtype dt, int64_t n, const void *a)
{
    return gc_ov_scaled_abs_sum(dt, n, 1.0, a);
}

double gc_ov_abs_max(gc_dtype dt, int64_t n, const void *a)
{
    return gc_ov_scaled_abs_max(dt, n, 1.0, a);
}

/* sum |fl(alpha a_i)| (lanes as gc_ov_dot) */
double gc_ov_scaled_abs_sum(gc_dtype dt, int64_t n, double alpha, const void *a)
{
    double acc[GC_OV_LANES] = {0}, tail = 0.0;
    const int64_t nb = n - n % GC_OV_LANES;
    if (dt == GC_DTYPE_F32) {
        const float *x = a;
        for (int64_t i = 0; i < nb; i += GC_OV_LANES)
            for (int j = 0; j < GC_OV_LANES; j++)
                acc[j] += fabs((double)(float)(alpha * (double)x[i + j]));
        for (int64_t i = nb; i < n; i++)
            tail += fabs((double)(float)(alpha * (double)x[i]));
    } else {
        const double *x = a;
        for (int64_t i = 0; i < nb; i += GC_OV_LANES)
            for (int j = 0; j < GC_OV_LANES; j++)
                acc[j] += fabs(alpha * x[i + j]);
        for (int64_t i = nb; i < n; i++)
            tail += fabs(alpha * x[i]);
    }
    return gc_ov_combine(acc, tail);
}

/* max |fl(alpha a_i)|; NaN if any element is NaN (as torch's max) */
double gc_ov_scaled_abs_max(gc_dtype dt, int64_t n, double alpha, const void *a)
{
    double m = 0.0;
    if (dt == GC_DTYPE_F32) {
        const float *x = a;
        for (int64_t i = 0; i < n; i++) {
            double v = fabs((double)(float)(alpha * (double)x[i]));
            if (v > m || isnan(v))
                m = v;
            if (isnan(m))
                break;
        }
    } else {
        const double *x = a;
        for (int64_t i = 0; i < n; i++) {
            double v = fabs(alpha * x[i]);
            if (v > m || isnan(v))
                m = v;
            if (isnan(m))
                break;
        }
    }
    return m;
}

void gc_ov_zero(gc_dtype dt, int64_t n, void *a)
{
    if (dt == GC_DTYPE_F32) {
        float *x = a;
        for (int64_t i = 0; i < n; i++)
            x[i] = 0.0f;
    } else {
        double *x = a;
        for (int64_t i = 0; i < n; i++)
            x[i] = 0.0;
    }
}

void gc_ov_copy(gc_dtype dt, int64_t n, void *dst, const void *src)
{
    if (dt == GC_DTYPE_F32) {
        float *y = dst;
        const float *x = src;
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i];
    } else {
        double *y = dst;
        const double *x = src;
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i];
    }
}

/* dst_i = alpha a_i */
void gc_ov_scale(gc_dtype dt, int64_t n, void *dst, double alpha, const void *a)
{
    if (dt == GC_DTYPE_F32) {
        float *y = dst;
        const float *x = a;
        for (int64_t i = 0; i < n; i++)
            y[i] = (float)(alpha * (double)x[i]);
    } else {
        double *y = dst;
        const double *x = a;
        for (int64_t i = 0; i < n; i++)
            y[i] = alpha * x[i];
    }
}

/* dst_i = a_i - b_i */
void gc_ov_sub(gc_dtype dt, int64_t n, void *dst, const void *a, const void *b)
{
    if (dt == GC_DTYPE_F32) {
        float *y = dst;
        const float *p = a, *q = b;
        for (int64_t i = 0; i < n; i++)
            y[i] = p[i] - q[i];
    } else {
        double *y = dst;
        const double *p = a, *q = b;
        for (int64_t i = 0; i < n; i++)
            y[i] = p[i] - q[i];
    }
}

/* dst_i = a_i + alpha b_i (dst may be a; b must not overlap dst unless it is dst) */
void gc_ov_axpy(gc_dtype dt, int64_t n, void *dst, const void *a, double alpha, const void *b)
{
    if (dt == GC_DTYPE_F32) {
        float *y = dst;
        const float *p = a, *q = b;
        for (int64_t i = 0; i < n; i++)
            y[i] = (float)((double)p[i] + alpha * (double)q[i]);
    } else {
        double *y = dst;
        const double *p = a, *q = b;
        for (int64_t i = 0; i < n; i++)
            y[i] = p[i] + alpha * q[i];
    }
}

/* dst_i = dst_i + alpha b_i, then return sum z_i dst_i (lanes as gc_ov_dot): the two-loop
 * recursion's update and the next pair's dot product in one pass over dst. Bitwise the same
 * as gc_ov_axpy followed by gc_ov_dot(z, dst). */
double gc_ov_axpy_dot(gc_dtype dt, int64_t n, void *dst, double alpha, const void *b,
                      const void *z)
{
    double acc[GC_OV_LANES] = {0}, tail = 0.0;
    const int64_t nb = n - n % GC_OV_LANES;
    if (dt == GC_DTYPE_F32) {
        float *y = dst;
        const float *q = b, *w = z;
        for (int64_t i = 0; i < nb; i += GC_OV_LANES)
            for (int j = 0; j < GC_OV_LANES; j++) {
                const float v = (float)((double)y[i + j] + alpha * (double)q[i + j]);
                y[i + j] = v;
                acc[j] += (double)w[i + j] * (double)v;
            }
        for (int64_t i = nb; i < n; i++) {
            const float v = (float)((double)y[i] + alpha * (double)q[i]);
            y[i] = v;
            tail += (double)w[i] * (double)v;
        }
    } else {
        double *y = dst;
        const double *q = b, *w = z;
        for (int64_t i = 0; i < nb; i += GC_OV_LANES)
            for (int j = 0; j < GC_OV_LANES; j++) {
                const double v = y[i + j] + alpha * q[i + j];
                y[i + j] = v;
                acc[j] += w[i + j] * v;
            }
        for (int64_t i = nb; i < n; i++) {
            const double v = y[i] + alpha * q[i];
            y[i] = v;
            tail += w[i] * v;
        }
    }
    return gc_ov_combine(acc, tail);
}
