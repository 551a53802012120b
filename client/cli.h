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

int lcli_cmd_send(int argc, char **argv);
int lcli_cmd_keygen(int argc, char **argv);
int lcli_cmd_pipe(int argc, char **argv);
int lcli_cmd_tail(int argc, char **argv);

#endif
