/*
 * fwdstate.c - see fwdstate.h.
 */
#include "fwdstate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MAGIC "logcollectord-forward 1 "

char *lcd_fwdstate_path(const char *output)
{
    size_t n = strlen(output) + sizeof ".forward";
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.forward", output);
    return p;
}

/* "name=digits" at *s, then a space or the end of the line. */
static int field(const char **s, const char *end, const char *name, uint64_t *v)
{
    size_t nl = strlen(name);
    if ((size_t)(end - *s) < nl + 2 || memcmp(*s, name, nl) != 0 || (*s)[nl] != '=')
        return -1;
    const char *d = *s + nl + 1;
    uint64_t x = 0;
    int digits = 0;
    while (d < end && *d >= '0' && *d <= '9') {
        unsigned dig = (unsigned)(*d - '0');
        if (x > (UINT64_MAX - dig) / 10)
            return -1;
        x = x * 10 + dig;
        d++;
        digits++;
    }
    if (!digits || digits > 20)
        return -1;
    *v = x;
    *s = d;
    return 0;
}

int lcd_fwdstate_parse(const char *text, size_t len, lcd_fwdpos *p)
{
    const char *s = text, *end = text + len;
    if (len > 0 && end[-1] == '\n')
        end--;
    if ((size_t)(end - s) < sizeof MAGIC - 1 || memcmp(s, MAGIC, sizeof MAGIC - 1) != 0)
        return -1;
    s += sizeof MAGIC - 1;
    lcd_fwdpos q;
    if (field(&s, end, "dev", &q.dev) != 0 || s == end || *s++ != ' ' ||
        field(&s, end, "ino", &q.ino) != 0 || s == end || *s++ != ' ' ||
        field(&s, end, "off", &q.off) != 0 || s == end || *s++ != ' ' ||
        field(&s, end, "head", &q.head_len) != 0 || q.head_len > LCD_FWD_HEAD_BYTES ||
        end - s != 17 || *s++ != ':')
        return -1;
    for (int i = 0; i < 16; i++, s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return -1;
        q.head[i] = *s;
    }
    q.head[16] = '\0';
    *p = q;
    return 0;
}

size_t lcd_fwdstate_format(char *buf, size_t cap, const lcd_fwdpos *p)
{
    int n = snprintf(buf, cap, MAGIC "dev=%" PRIu64 " ino=%" PRIu64 " off=%" PRIu64
                     " head=%" PRIu64 ":%.16s\n", p->dev, p->ino, p->off, p->head_len, p->head);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

int lcd_fwdstate_load(const char *path, lcd_fwdpos *p, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read forwarding state file %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    int e = errno;
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "cannot read forwarding state file %s: %s", path, strerror(e));
        return -1;
    }
    if ((size_t)n == sizeof buf || lcd_fwdstate_parse(buf, (size_t)n, p) != 0) {
        snprintf(err, errlen, "forwarding state file %s is damaged (expected one line "
                 "'" MAGIC "dev=D ino=I off=O head=N:H'); remove it to forward the current output "
                 "file from its start", path);
        return -1;
    }
    return 1;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int lcd_fwdstate_save(const char *path, const lcd_fwdpos *p, char *err, size_t errlen)
{
    char line[160];
    size_t len = lcd_fwdstate_format(line, sizeof line, p);
    size_t tl = strlen(path) + sizeof ".tmp";
    char *tmp = malloc(tl);
    if (!tmp || !len) {
        free(tmp);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(tmp, tl, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    int rc = -1;
    if (fd >= 0 && write_all(fd, line, len) == 0 && fsync(fd) == 0) {
        if (close(fd) == 0 && rename(tmp, path) == 0) {
            sync_dir(path);
            rc = 0;
        }
        fd = -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot write forwarding state file %s: %s (check that its "
                 "directory is writable)", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static void head_hash(const uint8_t *b, size_t n, char out[17])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(b, n, md, &mdlen, EVP_sha256(), NULL) != 1)
        memset(md, 0, 8);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int lcd_fwd_identify(int fd, lcd_fwdpos *p)
{
    struct stat st;
    uint8_t b[LCD_FWD_HEAD_BYTES];
    if (fstat(fd, &st) != 0)
        return -1;
    ssize_t n = pread(fd, b, sizeof b, 0);
    if (n < 0)
        return -1;
    p->dev = (uint64_t)st.st_dev;
    p->ino = (uint64_t)st.st_ino;
    p->head_len = (uint64_t)n;
    head_hash(b, (size_t)n, p->head);
    return 0;
}

int lcd_fwd_same_file(int fd, const lcd_fwdpos *p)
{
    struct stat st;
    uint8_t b[LCD_FWD_HEAD_BYTES];
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_dev != p->dev || (uint64_t)st.st_ino != p->ino)
        return 0;
    ssize_t n = pread(fd, b, (size_t)p->head_len, 0);
    if (n < 0 || (uint64_t)n != p->head_len)
        return 0;
    char h[17];
    head_hash(b, (size_t)n, h);
    return memcmp(h, p->head, 16) == 0;
}

static int is_hex(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* The trusted run is the last thing before the closing brace (apart from
 * the connection's constant tail, whose strings are escaped and so hold no
 * bare quote-colon-quote); a user's nested object that imitates it comes
 * before it.  So the last "_sid":" that has the whole shape wins. */
static size_t session_id(const uint8_t *line, size_t len, char out[LCD_MSGID_MAX])
{
    static const char sid_key[] = "\"_sid\":\"";
    static const char seq_key[] = "\",\"_seq\":";
    const size_t kl = sizeof sid_key - 1, ql = sizeof seq_key - 1;
    for (size_t i = len; i-- > 0;) {
        if (line[i] != '"' || len - i < kl + 32 + ql + 1 || memcmp(line + i, sid_key, kl) != 0)
            continue;
        const uint8_t *sid = line + i + kl;
        if (!is_hex(sid, 32) || memcmp(sid + 32, seq_key, ql) != 0)
            continue;
        const uint8_t *d = sid + 32 + ql, *end = line + len;
        size_t nd = 0;
        while (d + nd < end && d[nd] >= '0' && d[nd] <= '9' && nd < 20)
            nd++;
        if (nd == 0 || (d + nd < end && d[nd] >= '0' && d[nd] <= '9'))
            continue;
        memcpy(out, sid, 32);
        out[32] = ':';
        memcpy(out + 33, d, nd);
        out[33 + nd] = '\0';
        return 33 + nd;
    }
    return 0;
}

size_t lcd_fwd_msgid(const uint8_t *line, size_t len, uint64_t ino, uint64_t off,
                     char out[LCD_MSGID_MAX])
{
    size_t n = session_id(line, len, out);
    if (n)
        return n;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(line, len, md, &mdlen, EVP_sha256(), NULL) != 1)
        memset(md, 0, 8);
    int w = snprintf(out, LCD_MSGID_MAX,
                     "h:%02x%02x%02x%02x%02x%02x%02x%02x:%" PRIu64 ":%" PRIu64, md[0], md[1],
                     md[2], md[3], md[4], md[5], md[6], md[7], ino, off);
    return w > 0 ? (size_t)w : 0;
}
