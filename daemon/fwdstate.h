/*
 * fwdstate.h - the forwarder's position in the output file, kept in a
 * small state file next to it, and the Nats-Msg-Id of a line.
 *
 * The state file (OUTPUT.forward) holds one line:
 *     logcollectord-forward 1 dev=D ino=I off=O head=N:H
 * the file identity (st_dev, st_ino), the byte offset up to which
 * JetStream acknowledged every line, and the first 16 hex digits H of the
 * SHA-256 of the file's first N bytes (N <= 64): file systems reuse inode
 * numbers, so a file is the one saved only if its first bytes agree too.  It is replaced atomically (written to
 * OUTPUT.forward.tmp, fsync'ed, renamed over the old one, the directory
 * fsync'ed), so a crash leaves either the old position or the new one.
 *
 * Nats-Msg-Id: a line the daemon wrote for a session ends with its trusted
 * fields "_rt":"...","_sid":"<32 hex>","_seq":N -> "<_sid>:<_seq>", the
 * same for a resend of the record however often it lands in the file.  A
 * line without them (not written by this daemon) gets
 * "h:<first 16 hex digits of SHA-256 of its bytes>:<inode>:<offset>": the
 * same line at the same place of the same file, and nothing else.
 */
#ifndef LCD_FWDSTATE_H
#define LCD_FWDSTATE_H

#include <stddef.h>
#include <stdint.h>

#define LCD_FWD_HEAD_BYTES 64

typedef struct {
    uint64_t dev, ino, off;
    uint64_t head_len;  /* bytes the head hash covers (0: none) */
    char head[17];      /* 16 hex digits */
} lcd_fwdpos;

/* Fill p->dev, ino, head_len, head from an open file.  Returns 0 or -1. */
int lcd_fwd_identify(int fd, lcd_fwdpos *p);

/* Is the open file the one p was saved for (same device, inode, head)? */
int lcd_fwd_same_file(int fd, const lcd_fwdpos *p);

/* "OUTPUT.forward" (caller frees; NULL when out of memory). */
char *lcd_fwdstate_path(const char *output);

/* Parse the state file's text.  Returns 0, or -1 when it is not one valid
 * line as above. */
int lcd_fwdstate_parse(const char *text, size_t len, lcd_fwdpos *p);

/* The line for p, NUL-terminated; returns its length (< cap), or 0 when cap
 * is too small. */
size_t lcd_fwdstate_format(char *buf, size_t cap, const lcd_fwdpos *p);

/* Returns 1 with *p read, 0 when there is no state file, -1 with err when
 * it cannot be read or is damaged. */
int lcd_fwdstate_load(const char *path, lcd_fwdpos *p, char *err, size_t errlen);

/* Replace the state file atomically.  Returns 0 or -1 with err. */
int lcd_fwdstate_save(const char *path, const lcd_fwdpos *p, char *err, size_t errlen);

/* Enough for either form of Msg-Id, with its NUL. */
#define LCD_MSGID_MAX 80

/* The Nats-Msg-Id of a line (without its newline) at offset off of the
 * file with inode ino.  Returns the id's length. */
size_t lcd_fwd_msgid(const uint8_t *line, size_t len, uint64_t ino, uint64_t off,
                     char out[LCD_MSGID_MAX]);

#endif
