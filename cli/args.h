/* args.h - command-line parsing for the gramconv CLI.
 *
 * Everything here is pure: no printing, no exit, no allocation. Each parser takes its input
 * (argc/argv or one string), fills a result and returns CLI_OK or CLI_USAGE, with a one-line
 * message in a cli_err on failure. Any argv (NULL entries, empty strings, huge strings, bytes
 * that are not text) is handled; that is what makes the parsers safe to fuzz.
 */
#ifndef GC_CLI_ARGS_H
#define GC_CLI_ARGS_H

#include "gramconv.h"

#include <stddef.h>
#include <stdint.h>

/* Exit codes: success, failure (the work could not be done), usage error (bad command line). */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

#define CLI_ERRLEN 512
#define CLI_MAX_POS 8
#define CLI_MAX_OPTS 32

typedef struct cli_err {
    char msg[CLI_ERRLEN];
} cli_err;

/* printf into err->msg (NULL-safe). Returns `code` so parsers can `return cli_seterr(...)`. */
int cli_seterr(cli_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Copy `s` into buf for quoting in a message: at most ~48 characters, anything that is not
 * printable ASCII replaced by '?', "..." appended when cut. NULL prints as "(null)". */
const char *cli_quote(const char *s, char *buf, size_t n);

/* An option: --name / -c. takes_value: 1 if it needs a value (--name V, --name=V, -c V, -cV). */
typedef struct cli_opt {
    const char *name;  /* long name without dashes, e.g. "threads"; never NULL */
    char short_name;   /* e.g. 'o'; 0 for none */
    int takes_value;
} cli_opt;

typedef struct cli_args {
    int npos;
    const char *pos[CLI_MAX_POS];     /* positional arguments, in order */
    const char *value[CLI_MAX_OPTS];  /* value of opts[i] (last one given), NULL if absent;
                                         "" for a flag that was given */
    int count[CLI_MAX_OPTS];          /* how many times opts[i] was given */
    int help;                         /* -h / --help was given (parsing stopped there) */
} cli_args;

/* Parse argv[1..argc-1] (argv[0] is the subcommand's name and is skipped) against `opts`
 * (nopts <= CLI_MAX_OPTS). Options and positionals may be mixed in any order; "--" ends the
 * options. At most max_pos (<= CLI_MAX_POS) positionals. Parsing stops at a NULL argv entry. */
int cli_parse_args(int argc, char *const *argv, const cli_opt *opts, int nopts, int max_pos,
                   cli_args *out, cli_err *err);

/* Index of the option named `name` in opts, or -1. */
int cli_opt_index(const cli_opt *opts, int nopts, const char *name);

/* Strict decimal integer (optional sign, digits only, nothing else) within [lo, hi].
 * Returns CLI_OK, or CLI_USAGE with a message naming `what`. */
int cli_parse_int64(const char *s, int64_t lo, int64_t hi, const char *what, int64_t *out,
                    cli_err *err);
/* A thread count: an integer in 1..1024. */
int cli_parse_threads(const char *s, int *out, cli_err *err);
/* A finite, non-negative floating-point number (for tolerances). */
int cli_parse_nonneg_double(const char *s, const char *what, double *out, cli_err *err);
/* V|F|S or valid|full|same, in any case. */
int cli_parse_mode(const char *s, gc_mode *out, cli_err *err);
/* f32|f64|float32|float64. */
int cli_parse_dtype(const char *s, gc_dtype *out, cli_err *err);
/* auto|scalar|avx2|avx512. */
int cli_parse_isa(const char *s, gc_isa *out, cli_err *err);
/* A list of 1..maxn positive sizes separated by ',' or 'x' ("3,3", "64x56x56"), each at most
 * 2^31-1. Sets dims[0..*n-1]. */
int cli_parse_dims(const char *s, const char *what, int64_t *dims, int maxn, int *n, cli_err *err);

/* Short names for messages and JSON: "V"/"F"/"S", "f32"/"f64". */
const char *cli_mode_letter(gc_mode mode);
const char *cli_dtype_short(gc_dtype dtype);

#endif /* GC_CLI_ARGS_H */
