/*
 * cli.h - pieces shared by the logcollect subcommands (the files of client/cli/).
 *
 * Exit status for every subcommand: 0 done, 1 failed (a line on stderr
 * says why), 2 usage error.
 */
#ifndef LCLI_H
#define LCLI_H

#include <stddef.h>
#include <stdint.h>

int lcli_usage_error(const char *help_cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "warning", "warn", or "0".."7"; -1 if unknown. */
int lcli_parse_level(const char *s);

/* "KEY=VALUE" with a non-empty KEY: 0, the key's length in *keylen and
 * the value in *value; -1 if arg is not that. */
int lcli_split_field(const char *arg, size_t *keylen, const char **value);

/* The application name: given (-a), else $LOGCOLLECT_APP, else def. */
const char *lcli_app(const char *given, const char *def);

/* Whole milliseconds >= 1; -1 if not. */
int lcli_parse_ms(const char *s, int *out);

/* How send, pipe and status reach the collector: -p/--port-file, -k/
 * --key-file, -t/--timeout MS, and the TLS options --tls-ca FILE,
 * --tls-fingerprint FP, --tls-cert FILE, --tls-key FILE.  Those not given
 * come from the environment (the library reads LOGCOLLECT_*). */
typedef struct {
    const char *port_file, *key_file;
    int timeout_ms;
    const char *ca, *fingerprint, *cert, *key;
} lcli_conn;

enum { LCLI_OPT_TLS_CA = 0x1000, LCLI_OPT_TLS_FP, LCLI_OPT_TLS_CERT, LCLI_OPT_TLS_KEY };

/* Their getopt_long entries, and "p:k:t:" for the short ones. */
#define LCLI_CONN_LONGOPTS                                                  \
    {"port-file", required_argument, NULL, 'p'},                            \
    {"key-file", required_argument, NULL, 'k'},                             \
    {"timeout", required_argument, NULL, 't'},                              \
    {"tls-ca", required_argument, NULL, LCLI_OPT_TLS_CA},                   \
    {"tls-fingerprint", required_argument, NULL, LCLI_OPT_TLS_FP},          \
    {"tls-cert", required_argument, NULL, LCLI_OPT_TLS_CERT},               \
    {"tls-key", required_argument, NULL, LCLI_OPT_TLS_KEY}
#define LCLI_CONN_SHORTOPTS "p:k:t:"

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

/* The end of the --help of the commands that connect. */
#define LCLI_TLS_NOTE                                                                   \
    "A collector whose port file says \"tls\":true is only reached over TLS, with\n"     \
    "its certificate checked (--tls-ca or --tls-fingerprint); once either is set, a\n"  \
    "collector without TLS is refused.\n"

/* Take getopt's ch if it is one of these options: 0 stored, -1 not one of
 * them, or the usage error's exit status (2, message printed). */
int lcli_conn_option(lcli_conn *c, int ch, const char *arg, const char *help_cmd);

/* Check the options once parsed: 0, or the usage error's exit status. */
int lcli_conn_check(const lcli_conn *c, const char *help_cmd);

/* Put the port file, key file and TLS settings given into o. */
struct lc_options;
int lcli_conn_apply(struct lc_options *o, const lcli_conn *c);

/* Open a client the way commands want it: fail fast when the collector is
 * not there, connect within c->timeout_ms, optionally block (never drop)
 * when the queue is full. */
struct lc_client;
struct lc_client *lcli_open(const lcli_conn *c, const char *app, int block_when_full,
                            int *err);

int lcli_cmd_send(int argc, char **argv);
int lcli_cmd_keygen(int argc, char **argv);
int lcli_cmd_pipe(int argc, char **argv);
int lcli_cmd_tail(int argc, char **argv);
int lcli_cmd_status(int argc, char **argv);
int lcli_cmd_web(int argc, char **argv);

#endif
