/*
 * main.c - logcollectord: parse options, take the port-file lock, open the
 * output, listen, publish the port, run the event loop, clean up.
 *
 * Runs in the foreground (systemd supervises it; no self-daemonizing).  The
 * order matters: the lock comes before anything is bound, so a second
 * daemon on the same port file refuses before it can disturb the first, and
 * the port file is published only once the socket accepts connections.
 */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "keyfile.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "privdrop.h"
#include "publish.h"
#include "server.h"

/* What the signal handlers act on. */
typedef struct {
    lcd_server srv;
    lcd_notify notify;
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

/* Each client is a file descriptor: make sure --max-clients fit. */
static void raise_fd_limit(long max_clients)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_clients + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        lcd_log(LCD_WARN, "cannot read the open-file limit (getrlimit RLIMIT_NOFILE: %s); "
                "--max-clients %ld needs %llu descriptors: check ulimit -n",
                strerror(errno), max_clients, (unsigned long long)want);
        return;
    }
    if (rl.rlim_cur >= want)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        lcd_log(LCD_WARN, "cannot raise the open-file limit from %llu to %llu (setrlimit "
                "RLIMIT_NOFILE: %s); --max-clients %ld needs %llu: raise the limit (ulimit -n, "
                "LimitNOFILE= in the unit) or lower --max-clients",
                (unsigned long long)was, (unsigned long long)rl.rlim_cur, strerror(errno),
                max_clients, (unsigned long long)want);
        return;
    }
    if (rl.rlim_cur < want)
        lcd_log(LCD_WARN, "only %llu file descriptors allowed (ulimit -n); --max-clients %ld "
                "needs %llu", (unsigned long long)rl.rlim_cur, max_clients,
                (unsigned long long)want);
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
    memset(&d, 0, sizeof d);
    raise_fd_limit(opt->max_clients);

    if (lcd_portfile_lock(&pf, opt->port_file, err, sizeof err) != 0) {
        lcd_log(LCD_ERR, "%s", err);
        lcd_portfile_release(&pf);
        return 1;
    }
    base = event_base_new();
    if (!base) {
        lcd_log(LCD_ERR, "cannot create the event loop");
        lcd_portfile_release(&pf);
        return 1;
    }
    if (lcd_server_init(srv, base, opt, err, sizeof err) != 0 ||
        lcd_server_listen(srv, err, sizeof err) != 0) {
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
    if (lcd_portfile_publish(&pf, srv->host, srv->port, srv->tls != NULL, err, sizeof err) != 0) {
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
    for (int i = 0; i < 4; i++)
        if (sigs[i])
            event_free(sigs[i]);
    lcd_server_free(srv);
    event_base_free(base);
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
