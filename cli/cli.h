/* cli.h - the gramconv command-line tool: the subcommand table and shared helpers.
 *
 * Adding a subcommand: write cli/cmd_NAME.c with `int cli_cmd_NAME(const cli_command *, int,
 * char **)` (argv[0] is the subcommand's name), declare it below, and add one row to the
 * table in main.c. Adding a bench target: one row in the table in bench/cmd_bench.c.
 *
 * Conventions: a command prints its results on stdout; on any error it prints exactly one line
 * "gramconv: ..." on stderr (cli_error / cli_lib_error) and returns CLI_USAGE (bad command
 * line) or CLI_FAIL (the work could not be done). It never creates an output file unless the
 * whole computation succeeded: before any work it names its inputs (cli_file_input) and
 * outputs (cli_file_output) and writes each output to the staging name it is given; cli_main
 * renames the staging files over their targets only after the command returned success (its
 * standard output flushed), as the run's last act, and removes them otherwise.
 */
#ifndef GC_CLI_H
#define GC_CLI_H

#include "args.h"
#include "gramconv.h"

#include <stdio.h>

typedef struct cli_command cli_command;
typedef int (*cli_command_fn)(const cli_command *cmd, int argc, char **argv);

struct cli_command {
    const char *name;     /* "xcorr2" */
    const char *summary;  /* one line for `gramconv --help` */
    const char *usage;    /* full text for `gramconv NAME --help` */
    cli_command_fn run;
};

/* The program: dispatch argv to a subcommand and return the exit code (main.c). */
int cli_main(int argc, char **argv);
/* The subcommand table (main.c); `count` gets its length. */
const cli_command *cli_commands(int *count);
const cli_command *cli_find_command(const char *name);

/* Subcommands. */
int cli_cmd_corr(const cli_command *cmd, int argc, char **argv);    /* cmd_corr.c */
int cli_cmd_demo(const cli_command *cmd, int argc, char **argv);    /* cmd_demo.c */
int cli_cmd_bench(const cli_command *cmd, int argc, char **argv);   /* bench/cmd_bench.c */
int cli_cmd_compare(const cli_command *cmd, int argc, char **argv); /* cmd_compare.c */
/* gram, gram-backward, style-loss (cmd_gram.c; dispatched on argv[0]). */
int cli_cmd_gram(const cli_command *cmd, int argc, char **argv);
/* spatialconv forward|backward (cmd_spatialconv.c). */
int cli_cmd_spatialconv(const cli_command *cmd, int argc, char **argv);
/* texture, gram-preset (cmd_texture.c), `bench synth` (bench/bench_synth.c) and style (cmd_style.c); usage texts
 * live beside them. */
int cli_cmd_texture(const cli_command *cmd, int argc, char **argv);
int cli_cmd_gram_preset(const cli_command *cmd, int argc, char **argv);
int cli_cmd_style(const cli_command *cmd, int argc, char **argv);
int cli_bench_synth(const cli_command *cmd, int argc, char **argv);
extern const char cli_usage_texture[], cli_usage_style[], cli_usage_gram_preset[];

/* `image-to-npy` / `npy-to-image` (cmd_image.c; dispatched on argv[0]). */
typedef struct cli_image_opts {
    int to_image;                 /* 1: npy-to-image, 0: image-to-npy */
    const char *input, *output;
    gc_image_read_opts read;      /* --channels, --max-pixels */
    gc_image_write_opts write;    /* --quality, --bit-depth */
    int help;
} cli_image_opts;
int cli_image_parse(int argc, char *const *argv, cli_image_opts *out, cli_err *err);
int cli_cmd_image(const cli_command *cmd, int argc, char **argv);
extern const char cli_usage_image_to_npy[], cli_usage_npy_to_image[];
/* sample (cmd_sample.c): a procedural texture sample for the README's texture command. */
int cli_cmd_sample(const cli_command *cmd, int argc, char **argv);
extern const char cli_usage_sample[];
/* texture-score (cmd_texture_score.c): gc_texture_score_compute on two images. */
int cli_cmd_texture_score(const cli_command *cmd, int argc, char **argv);
extern const char cli_usage_texture_score[];

/* Parsed `xcorr2|conv2|xcorr3|conv3` arguments (cmd_corr.c). */
typedef struct cli_corr_opts {
    const char *input, *kernel, *output;
    gc_mode mode;  /* default GC_MODE_VALID */
    gc_corr_method method;  /* --method (default auto) */
    gc_boundary boundary;   /* --boundary (default fill) */
    double fill_value;      /* --fill-value (default 0) */
    int threads;   /* 0: default */
    int help;
} cli_corr_opts;
/* argv[0] is the subcommand. Checks everything that can be checked without files. */
int cli_corr_parse(int argc, char *const *argv, cli_corr_opts *out, cli_err *err);
/* The descriptor for "xcorr2" / "conv2" / "xcorr3" / "conv3" (mode V); CLI_USAGE otherwise. */
int cli_corr_desc_for(const char *name, gc_corr_desc *desc);
/* auto|direct|fft and fill|wrap|symm|reflect|replicate (any case); names for printing. */
int cli_parse_corr_method(const char *s, gc_corr_method *out, cli_err *err);
int cli_parse_boundary(const char *s, gc_boundary *out, cli_err *err);
const char *cli_corr_method_name(gc_corr_method m);

/* Parsed `compare` arguments (cmd_compare.c). */
typedef struct cli_compare_opts {
    const char *a, *b;
    double rtol, atol;  /* defaults 1e-5, 1e-8 */
    int equal_nan;      /* --equal-nan: NaN is close to NaN */
    int help;
} cli_compare_opts;
int cli_compare_parse(int argc, char *const *argv, cli_compare_opts *out, cli_err *err);
/* numpy.isclose(a, b, rtol, atol, equal_nan) for one pair: |a - b| <= atol + rtol * |b| with b
 * finite, or a == b (equal infinities), or both NaN with equal_nan. f32: both arrays are
 * float32, and numpy (NEP 50) then computes in float32: so does this. */
int cli_isclose(double a, double b, double rtol, double atol, int equal_nan, int f32);

/* Parsed `gram|gram-backward|style-loss` arguments (cmd_gram.c). */
typedef struct cli_gram_opts {
    const char *input, *second, *output;  /* second: GRAD_G or TARGET_G (NULL for gram) */
    const char *write_output;             /* where to write output (cli_file_output) */
    gc_gram_desc desc;                    /* gc_gram_desc_default() + --norm/--center/--scale */
    double weight;                        /* style-loss --weight (default 1) */
    uint64_t max_memory;                  /* gram --max-memory (0: not given) */
    int threads;
    int help;
} cli_gram_opts;
/* argv[0] is "gram", "gram-backward" or "style-loss". */
int cli_gram_parse(int argc, char *const *argv, cli_gram_opts *out, cli_err *err);
/* none|hw|chw (any case). */
int cli_parse_gram_norm(const char *s, gc_gram_norm *out, cli_err *err);
/* A finite number (any sign), the whole string. */
int cli_parse_finite_double(const char *s, const char *what, double *out, cli_err *err);

/* Parsed `spatialconv forward|backward` arguments (cmd_spatialconv.c). */
typedef struct cli_sconv_opts {
    int backward;                               /* 0: forward */
    const char *input, *weight, *grad_output;   /* grad_output: backward only */
    const char *bias;                           /* NULL: none */
    const char *output;                         /* forward: -o */
    const char *grad_input, *grad_weight, *grad_bias; /* backward */
    gc_conv2d_desc desc;                        /* gc_conv2d_desc_default() + geometry */
    int threads;
    int help;
} cli_sconv_opts;
int cli_sconv_parse(int argc, char *const *argv, cli_sconv_opts *out, cli_err *err);
/* Geometry options shared by spatialconv and bench conv: "A" or "A,B" (height first; one
 * number means both) with each value in [lo, 2^31-1]. */
int cli_parse_pair(const char *s, const char *what, int64_t lo, int64_t out[2], cli_err *err);
/* --pad: a pair (>= 0) or "same" (sets desc->same_padding). */
int cli_parse_conv_pad(const char *s, gc_conv2d_desc *desc, cli_err *err);
/* zeros|reflect|replicate|circular (any case). */
int cli_parse_padding_mode(const char *s, gc_boundary *out, cli_err *err);
const char *cli_padding_mode_name(gc_boundary m);
/* A 64-byte aligned workspace of `bytes` (NULL for 0 bytes) in *out; free with free().
 * Reports and returns CLI_FAIL when the allocation fails. */
int cli_alloc_workspace(size_t bytes, void **out);

/* Parsed `bench` arguments (bench/cmd_bench.c). */
typedef struct cli_bench_opts {
    const char *op;                 /* "xcorr2" unless given */
    int in_rank, k_rank;            /* 0: not given (run the op's default suite) */
    int64_t in_dims[GC_MAX_RANK], k_dims[GC_MAX_RANK]; /* conv: --input / --weight */
    gc_mode mode;
    int mode_given;
    gc_corr_method method;          /* correlation: --method (default auto) */
    gc_dtype dtype;                 /* default float32 */
    int bf16;                       /* --dtype bf16: float32 tensors, bf16 precision */
    const char *pass;               /* gram: fwd|bwd|loss, conv: fwd|bwd_input|bwd_weight */
    gc_conv2d_desc conv;            /* conv geometry (--stride, --pad, --dilation, --groups) */
    int threads;                    /* 0: default */
    gc_isa isa;                     /* GC_ISA_AUTO: default */
    int repeat;                     /* 0: automatic (~0.3 s, at least 5) */
    int help;
} cli_bench_opts;
int cli_bench_parse(int argc, char *const *argv, cli_bench_opts *out, cli_err *err);
/* `bench peak`: FMA throughput of this machine on the context's ISA and threads (bench/bench_peak.c). */
int cli_bench_peak(gc_context *ctx, const cli_bench_opts *o);

/* Bench helpers for every bench target: time body(arg) (one warm-up; then `repeat` runs, or
 * if repeat is 0 runs until 0.3 s have passed and at least 5 were made) and give the median
 * in ms. A failing body
 * stops the timing and its status is returned. */
typedef gc_status (*cli_bench_body)(void *arg);
gc_status cli_bench_time(cli_bench_body body, void *arg, int repeat, double *median_ms,
                         int *repeats_done);
/* One JSON line on stdout. flops: the work of one run (for gflops). */
void cli_bench_report(const gc_context *ctx, const char *op, const char *shape, const char *mode,
                      gc_dtype dtype, double median_ms, double flops, int repeats);
/* The same with a dtype name ("bf16") and `extra`: more "key":value fields (JSON text without
 * braces, e.g. "\"pass\":\"fwd\"") placed after "mode"; NULL for none. */
void cli_bench_report_ex(const gc_context *ctx, const char *op, const char *shape,
                         const char *mode, const char *extra, const char *dtype,
                         double median_ms, double flops, int repeats);
/* Fill a contiguous float tensor with uniform values in [-1, 1) from *seed. */
void cli_bench_fill(gc_tensor *t, uint64_t *seed);

/* ---- helpers (util.c) ------------------------------------------------------------------ */
/* Print "gramconv: <message>" as one line on stderr (control characters in the message are
 * replaced, so it stays one line) and return `code`. */
int cli_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The same for a library failure: "gramconv: <prefix>: <what the library said>", using
 * gc_context_last_error(ctx) and falling back to gc_status_str(status). If the library's
 * message already starts with "<prefix>: " it is not repeated. Returns CLI_FAIL. */
int cli_lib_error(const gc_context *ctx, gc_status status, const char *prefix);
/* Print a usage text (for --help) on stdout; returns CLI_OK. */
int cli_print_usage(const cli_command *cmd);
/* Check that everything written to stdout reached it; on failure report and return CLI_FAIL. */
int cli_flush_stdout(int code);

/* A context with an optional thread count (0: default) and ISA (GC_ISA_AUTO: default).
 * Reports and returns non-zero on failure. */
int cli_make_context(int threads, gc_isa isa, gc_context **out);
/* Read a .npy file; reports "cannot read <what> 'path': ..." on failure. */
int cli_read_npy(gc_context *ctx, const char *path, const char *what, gc_tensor *out);
/* Before any work: fail early if the directory that would hold `path` does not exist. */
int cli_check_output_path(const char *path);

/* ---- the files of a run (util.c) ---------------------------------------------------------
 * A command names, before any work, its inputs and then its outputs. An output that names an
 * input or an earlier output (the same device and inode where the file exists, else the same
 * directory and name; symbolic links followed) is refused with exit 2; so is an output in a
 * missing directory (cli_check_output_path) and, with exit 1, one whose directory cannot be
 * written: the staging file "gramconv.tmp.<pid>.<hex>.<ext>" is created in the target's
 * directory right away. *write_path is where the command writes: the staging file, or the path
 * itself for a character device or FIFO (written in place by the library). Under mpirun,
 * ranks other than 0 stage nothing (*write_path = path; they must not write). */
int cli_file_input(const char *path);
int cli_file_output(const char *path, const char **write_path);
/* --save-every K of a run of `iters` iterations writing snapshots named after `out`
 * (cli_snapshot_path): refused (exit 2) where a snapshot would name a file already named
 * (an input, an output). Call after cli_file_input/cli_file_output. */
int cli_file_snapshots(const char *out, int64_t every, int64_t iters);
/* "OUT_<iter>.ext" beside OUT. */
void cli_snapshot_path(const char *out, int64_t iter, char *buf, size_t n);
/* Before writing snapshot k: refuses (reports, CLI_FAIL) a path that is a named file and
 * records the snapshot, so that a failed or interrupted run removes it. */
int cli_snapshot_begin(int64_t k, int64_t iters, const char *path);
/* The end of a run (cli_main): rc == CLI_OK renames every staging file over its target (a
 * failing rename is reported, rc becomes CLI_FAIL and the outputs already renamed are
 * removed); otherwise the staging files and this run's snapshots are removed. Returns rc. */
int cli_files_finish(int rc);
/* The run's outcome is settled (rc known; under mpirun, before MPI_Finalize): a signal from
 * here on still removes the run's files but prints nothing. */
void cli_run_decided(void);
/* SIGINT, SIGTERM, SIGHUP (one line on stderr) and SIGPIPE (silent): remove the temporaries,
 * staging files and snapshots of the run (async-signal-safe, from fixed tables), then die of
 * the signal. SIGXFSZ is ignored, so that a write past `ulimit -f` fails with EFBIG and is
 * reported as a write error. A signal the caller ignores stays ignored. */
void cli_install_signals(void);
/* Refuse (report "<what> '<name>' holds NaN / an infinite value at flat index i <hint>",
 * return CLI_FAIL) a float tensor with a non-finite element. */
int cli_check_finite(const gc_tensor *t, const char *what, const char *name, const char *hint);
/* A JSON number: "%.<digits>g" of v, or null for NaN and +-Inf (JSON has neither); -0 as 0. */
const char *cli_json_number(double v, int digits, char *buf, size_t n);
/* A float64 copy of t in *out (owned). Reports on failure. */
int cli_to_f64(gc_context *ctx, const gc_tensor *t, gc_tensor *out);
/* "2x3" ("scalar" for rank 0). */
const char *cli_dims_str(int rank, const int64_t *dims, char *buf, size_t n);
/* Element i (C order) of a contiguous tensor, as double. */
double cli_elem(const gc_tensor *t, int64_t i);

#endif /* GC_CLI_H */
