/* fuzz_numfmt.c - libFuzzer harness for the CLI's number handling: `compare`'s closeness test
 * (cli_isclose, numpy.isclose) and the JSON writer's numbers (cli_json_number, used by
 * --stats-json and bench).
 *
 * Input: one flag byte (bit 0: --equal-nan, bit 1: float32 arithmetic, bits 3..7: digits),
 * then up to four doubles a, b, rtol, atol (8 bytes each, missing bytes zero); rtol and atol
 * are made non-negative and finite, as `compare`'s parser insists.
 * Checks:
 *  - JSON: "null" exactly when the value is NaN or infinite; otherwise a string in JSON's
 *    number grammar that strtod reads whole, and with 17 digits reads back to the same double
 *    (-0 written as 0);
 *  - compare: NaN is close only to NaN and only with --equal-nan; equal values are close;
 *    an infinity is close only to itself; two finite values are close exactly when
 *    |a - b| <= atol + rtol * |b| in the arithmetic of the dtype (and never when that
 *    difference overflows to infinity with a finite tolerance); a larger atol never turns a
 *    close pair into a far one;
 *  - compare's "first difference" line (%.17g) reads back to the same double.
 *
 * Build: cmake -DGC_BUILD_FUZZ=ON with CC=clang (see fuzz/run.sh).
 */
#include "cli.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static double take(const uint8_t *data, size_t size, size_t at)
{
    unsigned char b[8] = {0};
    for (size_t i = 0; i < 8 && at + i < size; i++)
        b[i] = data[at + i];
    double v;
    memcpy(&v, b, sizeof v);
    return v;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number_ok(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return 0;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

static void check_json(double v, int digits)
{
    char buf[40];
    const char *s = cli_json_number(v, digits, buf, sizeof buf);
    check(memchr(buf, '\0', sizeof buf) != NULL);
    if (!isfinite(v)) {
        check(strcmp(s, "null") == 0);
        return;
    }
    check(json_number_ok(s));
    char *end = NULL;
    const double back = strtod(s, &end);
    check(end && *end == '\0');
    if (digits >= 17)
        check(back == v && (v != 0.0 || !signbit(back)));
}

static void check_close(double a, double b, double rtol, double atol, int equal_nan, int f32)
{
    const int c = cli_isclose(a, b, rtol, atol, equal_nan, f32);
    check(c == 0 || c == 1);
    if (f32) { /* float32 arrays hold float32 values */
        if (!(fabs(a) <= 3.4028234663852886e38) && !isnan(a) && !isinf(a))
            return;
        if (!(fabs(b) <= 3.4028234663852886e38) && !isnan(b) && !isinf(b))
            return;
        a = (double)(float)a;
        b = (double)(float)b;
    }
    if (isnan(a) || isnan(b)) {
        check(c == (equal_nan && isnan(a) && isnan(b)));
        return;
    }
    if (a == b) {
        check(c);
        return;
    }
    if (isinf(b)) { /* a differs from an infinite b */
        check(!c);
        return;
    }
    double d, tol;
    if (f32) {
        const double lim = 0x1.ffffffp127; /* rtol, atol: IEEE overflow to inf */
        const float fr = rtol >= lim ? INFINITY : (float)rtol, fa = atol >= lim ? INFINITY : (float)atol;
        volatile float fd = fabsf((float)a - (float)b), ft = fr * fabsf((float)b);
        volatile float ftol = fa + ft;
        d = fd;
        tol = ftol;
    } else {
        d = fabs(a - b);
        tol = atol + rtol * fabs(b);
    }
    check(c == (d <= tol));
    if (isinf(a) && isfinite(tol))
        check(!c);
    if (c && isfinite(b)) /* more slack keeps a close pair close */
        check(cli_isclose(a, b, rtol, atol * 2.0 + 1.0, equal_nan, f32));
}

static void check_print17(double v)
{
    if (!isfinite(v))
        return;
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    check(strtod(buf, NULL) == v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int flags = data[0];
    const int equal_nan = flags & 1, f32 = (flags >> 1) & 1, digits = 1 + (flags >> 3) % 17;
    double a = take(data, size, 1), b = take(data, size, 9);
    double rtol = fabs(take(data, size, 17)), atol = fabs(take(data, size, 25));
    if (!isfinite(rtol))
        rtol = 1e-5;
    if (!isfinite(atol))
        atol = 1e-8;
    check_json(a, digits);
    check_json(b, 17);
    check_json(rtol, digits);
    check_close(a, b, rtol, atol, equal_nan, f32);
    check_close(b, a, rtol, atol, equal_nan, f32);
    check_print17(a);
    check_print17(b);
    return 0;
}
