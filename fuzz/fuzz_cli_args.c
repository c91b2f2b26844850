/* fuzz_cli_args.c - libFuzzer harness for the CLI's command-line parsers.
 *
 * The input bytes are split on NUL into an argv of at most FUZZ_MAX_ARGS entries (each entry a
 * separately allocated, NUL-terminated string, so ASan sees any read past its end; argv ends
 * with NULL as main()'s does). That argv is given to the pure parsers: cli_parse_args (with a
 * fixed option table), cli_corr_parse, cli_bench_parse, cli_compare_parse, cli_gram_parse and
 * cli_sconv_parse. They neither print, allocate, run ops nor write files, so cli_main is not
 * called. Each parser must return CLI_OK or CLI_USAGE, leave a NUL-terminated message in
 * cli_err on failure, and on success return pointers that point into argv.
 *
 * Build: cmake -DGC_BUILD_FUZZ=ON with CC=clang (see fuzz/run.sh).
 */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_ARGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_err(int rc, const cli_err *err)
{
    check(rc == CLI_OK || rc == CLI_USAGE);
    if (rc != CLI_OK) {
        check(memchr(err->msg, '\0', sizeof err->msg) != NULL);
        check(err->msg[0] != '\0');
    }
}

/* A parser result string must be readable and NUL-terminated (ASan flags it if not). */
static void check_str(const char *s)
{
    if (s)
        check(strlen(s) < (1u << 20));
}

static const cli_opt fuzz_opts[] = {
    {"output", 'o', 1}, {"mode", 'm', 1}, {"threads", 't', 1}, {"verbose", 'v', 0},
    {"dims", 0, 1},     {"x", 'x', 0},    {"rtol", 0, 1},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *argv[FUZZ_MAX_ARGS + 1];
    int argc = 0;
    size_t start = 0;
    while (argc < FUZZ_MAX_ARGS && start <= size) {
        const uint8_t *nul = memchr(data + start, 0, size - start);
        size_t len = nul ? (size_t)(nul - (data + start)) : size - start;
        char *s = malloc(len + 1);
        if (!s)
            break;
        if (len)
            memcpy(s, data + start, len);
        s[len] = '\0';
        argv[argc++] = s;
        start += len + 1;
        if (!nul)
            break;
    }
    argv[argc] = NULL;
    if (argc == 0)
        return 0;

    cli_err err;
    int rc;
    {
        cli_args a;
        const int nopts = (int)(sizeof fuzz_opts / sizeof fuzz_opts[0]);
        for (int max_pos = 0; max_pos <= CLI_MAX_POS; max_pos += 4) {
            memset(&err, 0, sizeof err);
            rc = cli_parse_args(argc, argv, fuzz_opts, nopts, max_pos, &a, &err);
            check_err(rc, &err);
            if (rc == CLI_OK) {
                check(a.npos >= 0 && a.npos <= max_pos);
                for (int i = 0; i < a.npos; i++)
                    check_str(a.pos[i]);
                for (int i = 0; i < nopts; i++) {
                    check(a.count[i] >= 0 && a.count[i] < argc);
                    check((a.count[i] > 0) == (a.value[i] != NULL) || a.help);
                    check_str(a.value[i]);
                }
            }
        }
    }
    {
        cli_corr_opts o;
        memset(&err, 0, sizeof err);
        rc = cli_corr_parse(argc, argv, &o, &err);
        check_err(rc, &err);
        if (rc == CLI_OK && !o.help) {
            check(o.input && o.kernel && o.output && o.input[0] && o.kernel[0] && o.output[0]);
            check(o.threads >= 0 && o.threads <= 1024);
        }
        gc_corr_desc desc;
        (void)cli_corr_desc_for(argv[0], &desc);
    }
    {
        cli_bench_opts o;
        memset(&err, 0, sizeof err);
        rc = cli_bench_parse(argc, argv, &o, &err);
        check_err(rc, &err);
        if (rc == CLI_OK && !o.help) {
            check(o.op != NULL);
            check(o.in_rank >= 0 && o.in_rank <= GC_MAX_RANK);
            check(o.k_rank >= 0 && o.k_rank <= GC_MAX_RANK);
            check(o.threads >= 0 && o.threads <= 1024);
            check(o.repeat >= 0);
        }
    }
    {
        cli_compare_opts o;
        memset(&err, 0, sizeof err);
        rc = cli_compare_parse(argc, argv, &o, &err);
        check_err(rc, &err);
        if (rc == CLI_OK && !o.help)
            check(o.a && o.b && o.rtol >= 0 && o.atol >= 0);
    }
    {
        cli_gram_opts o;
        memset(&err, 0, sizeof err);
        rc = cli_gram_parse(argc, argv, &o, &err);
        check_err(rc, &err);
    }
    {
        cli_sconv_opts o;
        memset(&err, 0, sizeof err);
        rc = cli_sconv_parse(argc, argv, &o, &err);
        check_err(rc, &err);
    }

    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return 0;
}
