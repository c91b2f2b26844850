/* cmd_tile.c - `gramconv gram INPUT.npy --max-memory B`: the Gram of a file larger than the
 * budget, read in bands of rows by offsets (gc_gram_forward_npy); and the switch to the MPI
 * path (cmd_mpi.c) when started by mpirun. */
#include "cmd_tile.h"

#include <stdlib.h>
#include <string.h>

int cli_parse_bytes(const char *s, const char *what, uint64_t *out, cli_err *err)
{
    char q[64];
    const char *p = s;
    uint64_t v = 0;
    if (!p || !(*p >= '0' && *p <= '9'))
        return cli_seterr(err, CLI_USAGE, "%s must be a byte count such as 512M, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > ((uint64_t)1 << 62) / 10)
            return cli_seterr(err, CLI_USAGE, "%s is too large: '%s'", what, cli_quote(s, q, sizeof q));
        v = v * 10 + (uint64_t)(*p - '0');
    }
    int shift = 0;
    switch (*p) {
    case 'k': case 'K': shift = 10; p++; break;
    case 'm': case 'M': shift = 20; p++; break;
    case 'g': case 'G': shift = 30; p++; break;
    case 't': case 'T': shift = 40; p++; break;
    default: break;
    }
    if (shift && (*p == 'i' || *p == 'I'))
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p != '\0')
        return cli_seterr(err, CLI_USAGE, "%s must be a byte count such as 512M, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    if (v > (((uint64_t)1 << 62) >> shift))
        return cli_seterr(err, CLI_USAGE, "%s is too large: '%s'", what, cli_quote(s, q, sizeof q));
    v <<= shift;
    if (v == 0)
        return cli_seterr(err, CLI_USAGE, "%s must be at least 1 byte", what);
    *out = v;
    return CLI_OK;
}

int cli_mpi_launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 1)
            return 1;
    }
    return 0;
}

int cli_gram_big(gc_context *ctx, const cli_command *cmd, const cli_gram_opts *o)
{
    if (cli_mpi_launched()) {
#if defined(GC_HAVE_MPI)
        return cli_gram_mpi(ctx, cmd, o);
#else
        return cli_error(CLI_FAIL, "%s: started by mpirun, but this gramconv was built without "
                         "MPI (configure with -DGC_WITH_MPI=ON and libopenmpi-dev)", cmd->name);
#endif
    }
    gc_tensor g = {0};
    gc_status st = gc_gram_forward_npy(ctx, &o->desc, o->input, o->max_memory, &g);
    if (st != GC_OK) {
        char q[64], prefix[160];
        if (st == GC_ERR_IO || st == GC_ERR_FORMAT || st == GC_ERR_DTYPE) {
            snprintf(prefix, sizeof prefix, "cannot read input '%s'", cli_quote(o->input, q, sizeof q));
            return cli_lib_error(ctx, st, prefix);
        }
        return cli_lib_error(ctx, st, cmd->name);
    }
    st = gc_npy_write(ctx, o->write_output ? o->write_output : o->output, &g);
    gc_tensor_free(&g);
    if (st != GC_OK) {
        char q[64], prefix[160];
        snprintf(prefix, sizeof prefix, "cannot write '%s'", cli_quote(o->output, q, sizeof q));
        return cli_lib_error(ctx, st, prefix);
    }
    return CLI_OK;
}
