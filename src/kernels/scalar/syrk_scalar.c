/* syrk_scalar.c - portable Gram kernels (plain C; the compiler may vectorise them). They are
 * also the plain references for the SIMD kernels in syrk_avx2.c / syrk_avx512.c: same
 * contracts (gram.h), same per-lane sum order. Panels: L = 8 (float32) / 4 (float64), NR = 4;
 * GEMM tiles GR x GW = 4 x 16 (float32) / 4 x 8 (float64). */
#include "kernels/syrk.h"

/* acc[c*ld + r] += sum_{k<kc} a[(r/8)*ps + k*8 + r%8] * b[k*8 + c],  r < 8v, c < 4 */
void gc_syrk_f32_scalar(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                        int64_t ld)
{
    const float *B = b;
    for (int u = 0; u < v; u++) {
        const float *A = (const float *)a + u * ps;
        float t[4][8] = {{0}};
        for (int64_t k = 0; k < kc; k++)
            for (int c = 0; c < 4; c++) {
                const float bc = B[k * 8 + c];
                for (int r = 0; r < 8; r++)
                    t[c][r] += A[k * 8 + r] * bc;
            }
        for (int c = 0; c < 4; c++)
            for (int r = 0; r < 8; r++)
                acc[c * ld + u * 8 + r] += (double)t[c][r];
    }
}

/* acc[c*ld + r] += sum_{k<kc} a[(r/4)*ps + k*4 + r%4] * b[k*4 + c],  r < 4v, c < 4 */
void gc_syrk_f64_scalar(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                        int64_t ld)
{
    const double *B = b;
    for (int u = 0; u < v; u++) {
        const double *A = (const double *)a + u * ps;
        double t[4][4] = {{0}};
        for (int64_t k = 0; k < kc; k++)
            for (int c = 0; c < 4; c++) {
                const double bc = B[k * 4 + c];
                for (int r = 0; r < 4; r++)
                    t[c][r] += A[k * 4 + r] * bc;
            }
        for (int c = 0; c < 4; c++)
            for (int r = 0; r < 4; r++)
                acc[c * ld + u * 4 + r] += t[c][r];
    }
}

/* tile[r*16 + c] = sum_{j<m} s[j*lds + r] * b[j*16 + c],  r < 4, c < 16 */
void gc_gemm_f32_scalar(int64_t m, const void *s, int64_t lds, const void *b, void *tile)
{
    const float *S = s, *B = b;
    float t[4][16] = {{0}};
    for (int64_t j = 0; j < m; j++)
        for (int r = 0; r < 4; r++) {
            const float sr = S[j * lds + r];
            for (int c = 0; c < 16; c++)
                t[r][c] += sr * B[j * 16 + c];
        }
    float *o = tile;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 16; c++)
            o[r * 16 + c] = t[r][c];
}

/* tile[r*8 + c] = sum_{j<m} s[j*lds + r] * b[j*8 + c],  r < 4, c < 8 */
void gc_gemm_f64_scalar(int64_t m, const void *s, int64_t lds, const void *b, void *tile)
{
    const double *S = s, *B = b;
    double t[4][8] = {{0}};
    for (int64_t j = 0; j < m; j++)
        for (int r = 0; r < 4; r++) {
            const double sr = S[j * lds + r];
            for (int c = 0; c < 8; c++)
                t[r][c] += sr * B[j * 8 + c];
        }
    double *o = tile;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 8; c++)
            o[r * 8 + c] = t[r][c];
}
