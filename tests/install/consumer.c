/* consumer.c - the seed's example through an installed gramconv: prints 88 and checks that
 * the header, the library and the CMake package agree on the version. */
#include <gramconv.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    double in[] = {1, 5, 3, 4}, k[] = {5, 6, 7, 8}, out[1];
    gc_tensor ti, tk, to;
    const int64_t d2[] = {2, 2}, d1[] = {1, 1};
    if (gc_tensor_wrap(&ti, GC_DTYPE_F64, 2, d2, NULL, in) || gc_tensor_wrap(&tk, GC_DTYPE_F64, 2, d2, NULL, k) ||
        gc_tensor_wrap(&to, GC_DTYPE_F64, 2, d1, NULL, out) || gc_xcorr2(NULL, &ti, &tk, GC_MODE_VALID, &to))
        return 1;
    printf("xcorr2 = %g, library %s, header %s\n", out[0], gc_version(), GC_VERSION_STRING);
#ifdef EXPECTED_VERSION
    if (strcmp(EXPECTED_VERSION, gc_version()) != 0)
        return 1;
#endif
    return out[0] == 88.0 && strcmp(gc_version(), GC_VERSION_STRING) == 0 ? 0 : 1;
}
