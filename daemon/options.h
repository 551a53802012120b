/*
 * options.h - the daemon's settings, from the config file and the command
 * line.
 *
 * Every setting is described once, in a table (options.c), so the command
 * line, the config file and --help cannot drift apart.
 */
#ifndef LCD_OPTIONS_H
#define LCD_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    char *bind;            /* address to listen on */
    long port;             /* 0: the kernel picks */
    char *port_file;
    char *key_file;
    char *output;
    long max_record;       /* bytes */
    long max_depth;        /* nesting levels of a record (lcp_record_check) */
    long max_clients;      /* authenticated connections */
    long max_handshakes;   /* connections still in the handshake */
    long max_partial;      /* all connections: bytes of partly received frames */
    long max_unwritten;    /* per connection, bytes read but not yet written */
    long max_sessions;     /* remembered sessions (for resends) */
    long handshake_timeout_ms;
    int allow_legacy_md5;
    char *tls_cert, *tls_key, *tls_client_ca;
    int allow_plaintext;   /* non-loopback bind without TLS */
    char *http;            /* --http ADDR:PORT, NULL: off */
    int http_allow_remote; /* non-loopback --http */
    char *user;            /* drop root to this user after start-up */
    int allow_root;
    int fsync_mode;        /* LCD_FSYNC_* */
    long fsync_ms;         /* with LCD_FSYNC_INTERVAL */
    long rotate_size;      /* bytes; 0: no built-in rotation */
    long rotate_keep;
    char *config;
    char *gen_key;         /* --gen-key PATH: write a key and exit */
    int help, version;
} lcd_options;

enum { LCD_FSYNC_NEVER, LCD_FSYNC_BATCH, LCD_FSYNC_INTERVAL };

void lcd_options_defaults(lcd_options *o);

#ifndef LCD_DEFAULT_CONFIG
#define LCD_DEFAULT_CONFIG "/etc/logcollectord/logcollectord.conf"
#endif

/* Apply a config file of "name = value" lines (names as the long options,
 * flags take yes/no).  A missing file is fine unless must_exist.  Errors
 * name FILE:LINE. */
int lcd_options_load_config(lcd_options *o, const char *path, int must_exist,
                            char *err, size_t errlen);

/* Parse argv, after applying the config file (--config PATH, else the
 * default when it exists): the command line wins.  Returns 0, or -1 with a
 * one-line message in err. */
int lcd_options_parse(lcd_options *o, int argc, char **argv, char *err,
                      size_t errlen);

void lcd_options_usage(FILE *f);

void lcd_options_free(lcd_options *o);

#endif
