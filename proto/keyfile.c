/*
 * keyfile.c - parse, load and generate the shared key file.
 *
 * The one place in proto/ that touches the file system: both sides must read
 * the key the same way, and the daemon must refuse a key file others can
 * read or change, as ssh refuses such a private key.
 */
#include "keyfile.h"
#include "hex.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>


static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > LCP_KEY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '_' && c != '.')
            return 0;
    }
    return 1;
}

static int add_key(lcp_keyring *ring, const char *name, size_t name_len,
                   const char *hex, size_t hex_len, unsigned line, char *err,
                   size_t errlen)
{
    if (hex_len % 2 != 0) {
        snprintf(err, errlen, "line %u: key has an odd number of hex digits", line);
        return -1;
    }
    size_t n = hex_len / 2;
    if (n < LCP_KEY_MIN) {
        snprintf(err, errlen,
                 "line %u: key is %zu bytes, at least %d are needed "
                 "(make a new one with 'logcollect keygen')",
                 line, n, LCP_KEY_MIN);
        return -1;
    }
    if (n > LCP_KEY_MAX) {
        snprintf(err, errlen, "line %u: key is longer than %d bytes", line, LCP_KEY_MAX);
        return -1;
    }
    if (!valid_name(name, name_len)) {
        snprintf(err, errlen,
                 "line %u: key name must be 1-%d characters of [A-Za-z0-9._-]",
                 line, LCP_KEY_NAME_MAX);
        return -1;
    }
    for (size_t i = 0; i < ring->n; i++) {
        if (strlen(ring->keys[i].name) == name_len &&
            memcmp(ring->keys[i].name, name, name_len) == 0) {
            snprintf(err, errlen, "line %u: key name '%.*s' is used twice", line,
                     (int)name_len, name);
            return -1;
        }
    }
    uint8_t *bytes = malloc(n);
    lcp_key *grown = realloc(ring->keys, (ring->n + 1) * sizeof *grown);
    if (!bytes || !grown) {
        free(bytes);
        if (grown)
            ring->keys = grown;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ring->keys = grown;
    for (size_t i = 0; i < n; i++) {
        int hi = lcp_hex_digit(hex[2 * i]), lo = lcp_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(bytes, n);
            free(bytes);
            snprintf(err, errlen, "line %u: key is not hexadecimal", line);
            return -1;
        }
        bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    lcp_key *k = &ring->keys[ring->n++];
    memcpy(k->name, name, name_len);
    k->name[name_len] = '\0';
    k->bytes = bytes;
    k->len = n;
    return 0;
}

/* Split a line into up to three whitespace-separated words. */
static int split_words(const char *s, size_t n, const char *w[3], size_t wl[3])
{
    int count = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i >= n)
            break;
        size_t start = i;
        while (i < n && !isspace((unsigned char)s[i]))
            i++;
        if (count < 3) {
            w[count] = s + start;
            wl[count] = i - start;
        }
        count++;
    }
    return count;
}

int lcp_keyring_parse(lcp_keyring *ring, const char *text, size_t len,
                      char *err, size_t errlen)
{
    memset(ring, 0, sizeof *ring);
    unsigned line = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        line++;

        const char *w[3];
        size_t wl[3];
        int words = split_words(s, n, w, wl);
        if (words == 0 || w[0][0] == '#')
            continue;
        int rc;
        if (words == 1)
            rc = add_key(ring, "default", 7, w[0], wl[0], line, err, errlen);
        else if (words == 2)
            rc = add_key(ring, w[0], wl[0], w[1], wl[1], line, err, errlen);
        else {
            snprintf(err, errlen, "line %u: expected 'HEX' or 'NAME HEX'", line);
            rc = -1;
        }
        if (rc != 0) {
            lcp_keyring_free(ring);
            return -1;
        }
    }
    if (ring->n == 0) {
        snprintf(err, errlen, "no key in it (make one with 'logcollect keygen')");
        return -1;
    }
    return 0;
}

/* Read all of fd (at most max bytes).  On failure: NULL, errno set. */
static char *read_fd(int fd, size_t max, size_t *len)
{
    char *buf = malloc(max + 1);
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    size_t have = 0;
    int e = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, max + 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            break;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        if (have > max) {
            e = EFBIG;
            break;
        }
    }
    if (e) {
        OPENSSL_cleanse(buf, max + 1);
        free(buf);
        errno = e;
        return NULL;
    }
    buf[have] = '\0';
    *len = have;
    return buf;
}

static void read_error(const char *path, size_t max, int e, char *err, size_t errlen)
{
    if (e == EFBIG)
        snprintf(err, errlen, "%s is larger than %zu bytes", path, max);
    else if (e == ENOMEM)
        snprintf(err, errlen, "out of memory reading %s", path);
    else
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
}

static const char *file_kind(mode_t m)
{
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a plain file";
}

int lcp_open_regular(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is %s, not a regular file", path, file_kind(st.st_mode));
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

char *lcp_read_small_file(const char *path, size_t max, size_t *len, char *err,
                          size_t errlen)
{
    int fd = lcp_open_regular(path, err, errlen);
    if (fd < 0)
        return NULL;
    char *text = read_fd(fd, max, len);
    int e = errno;
    close(fd);
    if (!text) {
        read_error(path, max, e, err, errlen);
        errno = e;
    }
    return text;
}

/* ssh's rule for private keys, applied to the file we opened (a regular
 * file: lcp_open_regular checked). */
static int check_mode(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat key file %s: %s", path, strerror(errno));
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH | S_IROTH)) {
        snprintf(err, errlen,
                 "key file %s has mode %04o: it must not be writable by group or "
                 "others nor readable by others (run 'chmod 0640 %s')",
                 path, (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    return 0;
}

int lcp_keyring_load(lcp_keyring *ring, const char *path, int strict_mode,
                     char *err, size_t errlen)
{
    memset(ring, 0, sizeof *ring);
    char why[300];
    int fd = lcp_open_regular(path, why, sizeof why);
    if (fd < 0) {
        if (errno == EINVAL) /* "PATH is a FIFO, not a regular file" */
            snprintf(err, errlen, "key file %s", why);
        else
            snprintf(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
        return -1;
    }
    if (strict_mode && check_mode(fd, path, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    size_t len;
    char *text = read_fd(fd, 64 * 1024, &len);
    int e = errno;
    close(fd);
    char inner[200];
    if (!text) {
        read_error(path, 64 * 1024, e, inner, sizeof inner);
        snprintf(err, errlen, "key file %s", inner);
        return -1;
    }
    int rc = lcp_keyring_parse(ring, text, len, inner, sizeof inner);
    OPENSSL_cleanse(text, len);
    free(text);
    if (rc != 0)
        snprintf(err, errlen, "key file %s: %s", path, inner);
    return rc;
}

const lcp_key *lcp_keyring_find(const lcp_keyring *ring, const char *name)
{
    if (ring->n == 0)
        return NULL;
    if (!name || !*name)
        return &ring->keys[0];
    for (size_t i = 0; i < ring->n; i++)
        if (strcmp(ring->keys[i].name, name) == 0)
            return &ring->keys[i];
    return NULL;
}

void lcp_keyring_free(lcp_keyring *ring)
{
    for (size_t i = 0; i < ring->n; i++) {
        OPENSSL_cleanse(ring->keys[i].bytes, ring->keys[i].len);
        free(ring->keys[i].bytes);
    }
    free(ring->keys);
    ring->keys = NULL;
    ring->n = 0;
}

int lcp_keyfile_generate(const char *path, char *err, size_t errlen)
{
    uint8_t key[LCP_KEY_GEN];
    char hex[2 * LCP_KEY_GEN + 2];
    if (RAND_bytes(key, sizeof key) != 1) {
        snprintf(err, errlen, "cannot get random bytes from OpenSSL");
        return -1;
    }
    lcp_hex_lower(hex, key, sizeof key);
    hex[2 * LCP_KEY_GEN] = '\n';
    hex[2 * LCP_KEY_GEN + 1] = '\0';
    OPENSSL_cleanse(key, sizeof key);

    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create key file %s: %s%s", path,
                 strerror(errno),
                 errno == EEXIST ? " (remove it first to replace the key)" : "");
        OPENSSL_cleanse(hex, sizeof hex);
        return -1;
    }
    size_t n = strlen(hex), off = 0;
    int rc = 0;
    while (off < n) {
        ssize_t w = write(fd, hex + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    OPENSSL_cleanse(hex, sizeof hex);
    if (rc == 0 && fsync(fd) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write key file %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    if (close(fd) != 0) {
        snprintf(err, errlen, "cannot write key file %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}
