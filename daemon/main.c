/*
 * main.c - logcollectord: parse options, take the port-file lock, open the
 * output, listen, publish the port, run the event loop, clean up.
 *
 * Runs in the foreground (systemd supervises it; no self-daemonizing).  The
 * order matters: the locks come before anything is bound or opened, so a
 * second daemon on the same port file, or on the same output file, refuses
 * before it can disturb the first (not even cutting what looks like an
 * incomplete last line the first is writing), and the port file is
 * published only once the socket accepts connections.
 */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "keyfile.h"
#include "lockfile.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "http.h"
#include "privdrop.h"
#include "publish.h"
#include "server.h"

/* What the signal handlers act on. */
typedef struct {
    lcd_server srv;
    lcd_notify notify;
    lcd_http *http; /* --http, or NULL */
} daemon_state;

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
    daemon_state *d = arg;
    (void)what;
    lcd_log(LCD_INFO, "received %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    lcd_notify_stopping(&d->notify);
    lcd_server_stop(&d->srv);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    daemon_state *d = arg;
    (void)sig;
    (void)what;
    lcd_log(LCD_INFO, "received SIGHUP: reopening the output file");
    lcd_notify_reloading(&d->notify);
    lcd_server_reload(&d->srv);
    lcd_notify_reloaded(&d->notify);
}

static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
    daemon_state *d = arg;
    (void)sig;
    (void)what;
    lcd_server_log_status(&d->srv);
}

/* Each connection is a file descriptor: make sure --max-clients and
 * --max-handshakes fit.  (Short of them, accept() fails with EMFILE and
 * server.c closes the oldest connection in the handshake to make room.) */
/* http: --http is on, its connections need descriptors too. */
static void raise_fd_limit(long max_clients, long max_handshakes, int http)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_clients + (rlim_t)max_handshakes + 64 +
                  (http ? LCD_HTTP_MAX_CONNS + LCD_HTTP_BACKLOG : 0);
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        lcd_log(LCD_WARN, "cannot read the open-file limit (getrlimit RLIMIT_NOFILE: %s); "
                "--max-clients %ld and --max-handshakes %ld need %llu descriptors: check "
                "ulimit -n", strerror(errno), max_clients, max_handshakes,
                (unsigned long long)want);
        return;
    }
    if (rl.rlim_cur >= want)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        lcd_log(LCD_WARN, "cannot raise the open-file limit from %llu to %llu (setrlimit "
                "RLIMIT_NOFILE: %s); --max-clients %ld and --max-handshakes %ld need %llu: "
                "raise the limit (ulimit -n, LimitNOFILE= in the unit) or lower them",
                (unsigned long long)was, (unsigned long long)rl.rlim_cur, strerror(errno),
                max_clients, max_handshakes, (unsigned long long)want);
        return;
    }
    if (rl.rlim_cur < want)
        lcd_log(LCD_WARN, "only %llu file descriptors allowed (ulimit -n); --max-clients %ld "
                "and --max-handshakes %ld need %llu (raise the hard limit, e.g. LimitNOFILE=)",
                (unsigned long long)rl.rlim_cur, max_clients, max_handshakes,
                (unsigned long long)want);
}

/* Two daemons appending to one file would interleave their lines: the
 * second refuses.  The lock is a file next to the output (symbolic links
 * followed, so two spellings of one file share it), not a lock on the
 * output itself, which rotation renames.  An output that is not a regular
 * file (a FIFO, /dev/stdout) gets none; a directory the daemon cannot
 * create the lock file in gets a warning.  Returns 0 with *fd the lock's
 * descriptor (or -1: no lock), or -1 to refuse the start. */
static int lock_output(const char *output, int *fd)
{
    struct stat st;
    *fd = -1;
    if (stat(output, &st) == 0 && !S_ISREG(st.st_mode))
        return 0;
    char *real = realpath(output, NULL); /* NULL while the output does not exist */
    char *path = lcd_lockfile_path(real ? real : output);
    free(real);
    if (!path) {
        lcd_log(LCD_ERR, "out of memory");
        return -1;
    }
    char err[1024];
    long pid;
    *fd = lcd_lockfile_take(path, &pid, err, sizeof err);
    int e = errno;
    if (*fd < 0 && pid > 0)
        lcd_log(LCD_ERR, "output file %s is in use by another logcollectord (pid %ld holds "
                "the lock %s); give each daemon its own --output", output, pid, path);
    else if (*fd < 0 && pid < 0)
        lcd_log(LCD_ERR, "output file %s is in use by another process (it holds the lock %s "
                "and is starting); give each daemon its own --output", output, path);
    else if (*fd < 0 && (e == EACCES || e == EPERM || e == EROFS))
        lcd_log(LCD_WARN, "%s: nothing stops a second daemon from writing output file %s "
                "too (make its directory writable for the daemon)", err, output);
    else if (*fd < 0)
        lcd_log(LCD_ERR, "cannot open output file %s: %s", output, err);
    free(path);
    if (*fd < 0 && pid == 0 && (e == EACCES || e == EPERM || e == EROFS))
        return 0;
    return *fd < 0 ? -1 : 0;
}

static int run(const lcd_options *opt)
{
    char err[1024];
    lcd_portfile pf;
    static daemon_state d; /* large; and the handlers point into it */
    lcd_server *srv = &d.srv;
    struct event_base *base = NULL;
    struct event *sigs[4] = {NULL, NULL, NULL, NULL};
    static const int signums[4] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    event_callback_fn handlers[4] = {on_stop, on_stop, on_hup, on_usr1};
    int status = 1;
    int output_lock = -1;
    memset(&d, 0, sizeof d);
    raise_fd_limit(opt->max_clients, opt->max_handshakes, opt->http != NULL);

    if (lcd_portfile_lock(&pf, opt->port_file, err, sizeof err) != 0) {
        lcd_log(LCD_ERR, "%s", err);
        lcd_portfile_release(&pf);
        return 1;
    }
    if (lock_output(opt->output, &output_lock) != 0) {
        lcd_portfile_release(&pf);
        return 1;
    }
    base = event_base_new();
    if (!base) {
        if (output_lock >= 0)
            close(output_lock);
        lcd_log(LCD_ERR, "cannot create the event loop");
        lcd_portfile_release(&pf);
        return 1;
    }
    if (lcd_server_init(srv, base, opt, err, sizeof err) != 0 ||
        lcd_server_listen(srv, err, sizeof err) != 0) {
        lcd_log(LCD_ERR, "%s", err);
        goto out;
    }
    if (opt->http &&
        !(d.http = lcd_http_new(base, srv, opt->http, opt->http_allow_remote, err, sizeof err))) {
        lcd_log(LCD_ERR, "%s", err);
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        sigs[i] = evsignal_new(base, signums[i], handlers[i], &d);
        if (!sigs[i] || evsignal_add(sigs[i], NULL) != 0) {
            lcd_log(LCD_ERR, "cannot install signal handlers");
            goto out;
        }
    }
    if (lcd_portfile_publish(&pf, srv->host, srv->port, srv->tls != NULL,
                             d.http ? lcd_http_port(d.http) : 0, err, sizeof err) != 0) {
        lcd_log(LCD_ERR, "%s", err);
        goto out;
    }
    /* Everything that needs root is open: give it up before any client
     * byte is read (the loop has not run yet). */
    if (opt->user && lcd_drop_privileges(opt->user, err, sizeof err) != 0) {
        lcd_log(LCD_ERR, "%s", err);
        goto out;
    }
    lcd_log(LCD_INFO, "listening on %s port %d%s; port file %s; writing %s%s%s", srv->host,
            srv->port, srv->tls ? " (TLS)" : "", opt->port_file, opt->output,
            opt->user ? "; running as " : "", opt->user ? opt->user : "");
    if (d.http)
        lcd_log(LCD_INFO, "serving /metrics and /healthz over HTTP on port %d (--http %s)",
                lcd_http_port(d.http), opt->http);
    if (lcd_notify_ready(&d.notify, srv) != 0)
        goto out;
    if (event_base_dispatch(base) < 0) {
        lcd_log(LCD_ERR, "event loop failed");
        goto out;
    }
    status = lcd_output_pending(srv->out) == 0 ? 0 : 1;
    lcd_log(LCD_INFO, "stopped");
out:
    lcd_notify_free(&d.notify);
    lcd_http_free(d.http);
    for (int i = 0; i < 4; i++)
        if (sigs[i])
            event_free(sigs[i]);
    lcd_server_free(srv);
    event_base_free(base);
    if (output_lock >= 0)
        close(output_lock); /* after the output is closed: the file is ours until then */
    lcd_portfile_release(&pf);
    return status;
}

int main(int argc, char **argv)
{
    lcd_options opt;
    char err[512];
    lcd_options_defaults(&opt);
    if (lcd_options_parse(&opt, argc, argv, err, sizeof err) != 0) {
        fprintf(stderr, "logcollectord: %s\n", err);
        lcd_options_free(&opt);
        return 1;
    }
    if (opt.help) {
        lcd_options_usage(stdout);
        lcd_options_free(&opt);
        return 0;
    }
    if (opt.version) {
        printf("logcollectord %s (protocol 1)\n", LC_VERSION_STRING);
        lcd_options_free(&opt);
        return 0;
    }
    if (opt.gen_key) {
        int rc = lcp_keyfile_generate(opt.gen_key, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "logcollectord: %s\n", err);
        lcd_options_free(&opt);
        return rc == 0 ? 0 : 1;
    }
    if (geteuid() == 0 && !opt.user && !opt.allow_root) {
        fprintf(stderr, "logcollectord: refusing to run as root: give --user NAME to drop "
                        "privileges after start-up, or --allow-root\n");
        lcd_options_free(&opt);
        return 1;
    }
    /* Broken peers must not kill us; a file over RLIMIT_FSIZE must make
     * write() fail (and be retried), not end the process. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    int rc = run(&opt);
    lcd_options_free(&opt);
    return rc;
}
