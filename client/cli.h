/*
 * cli.h - pieces shared by the logcollect subcommands (cli*.c).
 *
 * Exit status for every subcommand: 0 done, 1 failed (a line on stderr
 * says why), 2 usage error.
 */
#ifndef LCLI_H
#define LCLI_H

#include <stdint.h>

int lcli_usage_error(const char *help_cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "warning", "warn", or "0".."7"; -1 if unknown. */
int lcli_parse_level(const char *s);

/* Whole milliseconds >= 0; -1 if not. */
int lcli_parse_ms(const char *s, int *out);

/* The TLS options shared by send, pipe and status: --tls-ca FILE,
 * --tls-fingerprint FP, --tls-cert FILE, --tls-key FILE.  Those not given
 * come from the environment (the library reads LOGCOLLECT_TLS_*). */
typedef struct {
    const char *ca, *fingerprint, *cert, *key;
} lcli_tls;

enum { LCLI_OPT_TLS_CA = 0x1000, LCLI_OPT_TLS_FP, LCLI_OPT_TLS_CERT, LCLI_OPT_TLS_KEY };

/* Entries for a struct option table. */
#define LCLI_TLS_LONGOPTS                                                   \
    {"tls-ca", required_argument, NULL, LCLI_OPT_TLS_CA},                   \
    {"tls-fingerprint", required_argument, NULL, LCLI_OPT_TLS_FP},          \
    {"tls-cert", required_argument, NULL, LCLI_OPT_TLS_CERT},               \
    {"tls-key", required_argument, NULL, LCLI_OPT_TLS_KEY}

/* Lines for a command's --help. */
#define LCLI_TLS_HELP                                                                        \
    "      --tls-ca FILE    for a collector that speaks TLS: check its certificate with\n"    \
    "                       this CA file, PEM (default $LOGCOLLECT_TLS_CA)\n"                 \
    "      --tls-fingerprint FP\n"                                                           \
    "                       or pin its certificate's SHA-256 fingerprint, sha256:AB:CD:...\n" \
    "                       (default $LOGCOLLECT_TLS_FINGERPRINT)\n"                          \
    "      --tls-cert FILE  client certificate, PEM, for a collector that requires one\n"    \
    "                       (default $LOGCOLLECT_TLS_CERT)\n"                                 \
    "      --tls-key FILE   its private key, PEM (default $LOGCOLLECT_TLS_KEY, else in\n"    \
    "                       the --tls-cert file)\n"

/* Store a TLS option's value if ch is one; returns 1 if it was. */
int lcli_tls_option(lcli_tls *t, int ch, const char *arg);

/* Check the TLS options once parsed: 0, or the usage error's exit status. */
int lcli_tls_check(const lcli_tls *t, const char *help_cmd);

/* Put the TLS options given into o.  LC_OK or an LC_E* code. */
struct lc_options;
int lcli_tls_apply(struct lc_options *o, const lcli_tls *t);

/* Open a client the way commands want it: fail fast when the collector is
 * not there, connect within timeout_ms, optionally block (never drop) when
 * the queue is full.  tls may be NULL. */
struct lc_client;
struct lc_client *lcli_open(const char *port_file, const char *key_file, const char *app,
                            const lcli_tls *tls, int timeout_ms, int block_when_full,
                            int *err);

int lcli_cmd_send(int argc, char **argv);
int lcli_cmd_keygen(int argc, char **argv);
int lcli_cmd_pipe(int argc, char **argv);
int lcli_cmd_tail(int argc, char **argv);
int lcli_cmd_status(int argc, char **argv);

#endif
