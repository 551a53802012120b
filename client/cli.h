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

/* Open a client the way commands want it: fail fast when the collector is
 * not there, connect within timeout_ms, optionally block (never drop) when
 * the queue is full. */
struct lc_client;
struct lc_client *lcli_open(const char *port_file, const char *key_file, const char *app,
                            int timeout_ms, int block_when_full, int *err);

int lcli_cmd_send(int argc, char **argv);
int lcli_cmd_keygen(int argc, char **argv);
int lcli_cmd_pipe(int argc, char **argv);
int lcli_cmd_tail(int argc, char **argv);
int lcli_cmd_status(int argc, char **argv);

#endif
