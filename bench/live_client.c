/* bench/live_fanout.py's subscribers as one cheap process: N raw sockets on one epoll, so that the bench measures
 * the server rather than its clients (10,000 Python clients took most of a shared two-core machine).
 *
 *     live_client PORT N STEP
 *
 * Opens N connections to 127.0.0.1:PORT, each sending `GET /live?board=public` as the Python clients do, in batches
 * of 250, each batch connected (": connected" read) before the next. Connection k parses its stream when
 * k % STEP == 0 (STEP 1: all, STEP > N: none); the others read and drop their bytes. A parsing connection keeps what
 * follows the last "\n\n" it read for the next read, and finds in the rest every
 * `event: (votes-[0-9]+)\ndata: ([0-9]+)\n` (the Python client's VOTE_EVENT), each stamped with the time its read
 * returned, on CLOCK_MONOTONIC (Python's time.perf_counter on Linux, so the bench's clocks agree).
 *
 * On stdin it answers, one line each: "count" -> the vote events parsed so far; "stop" -> for each parsing
 * connection a line "= <n>" and its n events "<seconds> <event> <score>", then "end", and it exits.
 * It prints "ready" once all are connected. Errors go to stderr, with exit status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 250
#define READ_SIZE (1 << 18)
#define PREFIX "event: votes-"

static const char REQUEST[] = "GET /live?board=public HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";

typedef struct {
    double at;
    long long idea, score;
} Seen;

typedef struct {
    int fd;
    int parses;
    int connected;
    int sent;     /* bytes of REQUEST written */
    char *buf;    /* parsing: what followed the last "\n\n"; else the bytes before ": connected" */
    size_t len, cap;
    Seen *seen;
    size_t nseen, capseen;
} Conn;

static Conn *conns;
static long long parsed_total;
static long closed_by_server;
static char readbuf[READ_SIZE];

static void die(const char *what) {
    fprintf(stderr, "live_client: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void append(Conn *c, const char *data, size_t n) {
    if (c->len + n > c->cap) {
        c->cap = (c->len + n) * 2;
        c->buf = realloc(c->buf, c->cap);
        if (!c->buf) die("realloc");
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
}

static void note(Conn *c, double at, long long idea, long long score) {
    if (c->nseen == c->capseen) {
        c->capseen = c->capseen ? c->capseen * 2 : 256;
        c->seen = realloc(c->seen, c->capseen * sizeof(Seen));
        if (!c->seen) die("realloc");
    }
    c->seen[c->nseen++] = (Seen){at, idea, score};
    parsed_total++;
}

/* digits at p (at least one, before end): their value, p moved past them; -1 if none */
static long long digits(const char **p, const char *end) {
    const char *q = *p;
    long long v = 0;
    while (q < end && *q >= '0' && *q <= '9') v = v * 10 + (*q++ - '0');
    if (q == *p) return -1;
    *p = q;
    return v;
}

/* Every VOTE_EVENT match in [s, end), left to right, none overlapping (as re.finditer). */
static void scan(Conn *c, const char *s, const char *end, double at) {
    const size_t plen = sizeof(PREFIX) - 1;
    while (s < end) {
        const char *m = memmem(s, end - s, PREFIX, plen);
        if (!m) return;
        const char *p = m + plen;
        long long idea = digits(&p, end), score = -1;
        if (idea >= 0 && end - p >= 7 && memcmp(p, "\ndata: ", 7) == 0) {
            p += 7;
            score = digits(&p, end);
            if (score >= 0 && p < end && *p == '\n') {
                note(c, at, idea, score);
                s = p + 1;
                continue;
            }
        }
        s = m + 1;
    }
}

static void on_read(Conn *c, const char *data, size_t n, double at) {
    if (!c->parses) {
        if (!c->connected) {
            append(c, data, n);
            if (memmem(c->buf, c->len, ": connected", 11)) {
                c->connected = 1;
                free(c->buf);
                c->buf = NULL;
                c->len = c->cap = 0;
            }
        }
        return;
    }
    append(c, data, n);
    size_t cut = 0;
    for (size_t i = c->len; i >= 2; i--) {
        if (c->buf[i - 1] == '\n' && c->buf[i - 2] == '\n') {
            cut = i;
            break;
        }
    }
    if (!cut) return;
    if (!c->connected && memmem(c->buf, cut, ": connected", 11)) c->connected = 1;
    scan(c, c->buf, c->buf + cut, at);
    memmove(c->buf, c->buf + cut, c->len - cut);
    c->len -= cut;
}

static void open_conn(int ep, Conn *c, int port) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    struct linger lg = {1, 0}; /* closed with a reset: 10,000 ports are not left in TIME_WAIT for the next run */
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) die("connect");
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
}

static void on_writable(int ep, Conn *c) {
    ssize_t w = write(c->fd, REQUEST + c->sent, sizeof(REQUEST) - 1 - c->sent);
    if (w < 0) {
        if (errno == EAGAIN) return;
        die("write");
    }
    c->sent += (int)w;
    if (c->sent == (int)sizeof(REQUEST) - 1) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl");
    }
}

static void report(int n) {
    for (int k = 0; k < n; k++) {
        Conn *c = &conns[k];
        if (!c->parses) continue;
        printf("= %zu\n", c->nseen);
        for (size_t i = 0; i < c->nseen; i++)
            printf("%.9f votes-%lld %lld\n", c->seen[i].at, c->seen[i].idea, c->seen[i].score);
    }
    printf("end\n");
    fflush(stdout);
    if (closed_by_server) fprintf(stderr, "live_client: %ld connections closed by the server\n", closed_by_server);
}

/* One pass of the loop: reads what is ready; returns 1 on "stop". */
static int serve(int ep, int n, int timeout_ms, char *line, size_t *linelen) {
    struct epoll_event events[1024];
    int ready = epoll_wait(ep, events, 1024, timeout_ms);
    if (ready < 0) {
        if (errno == EINTR) return 0;
        die("epoll_wait");
    }
    for (int i = 0; i < ready; i++) {
        if (events[i].data.ptr == NULL) { /* stdin: the bench's commands */
            ssize_t r = read(0, line + *linelen, 255 - *linelen);
            if (r <= 0) exit(r < 0);
            *linelen += r;
            char *nl;
            while ((nl = memchr(line, '\n', *linelen))) {
                *nl = 0;
                if (strcmp(line, "count") == 0) {
                    printf("%lld\n", parsed_total);
                    fflush(stdout);
                } else if (strcmp(line, "stop") == 0) {
                    report(n);
                    return 1;
                }
                size_t used = nl + 1 - line;
                memmove(line, nl + 1, *linelen - used);
                *linelen -= used;
            }
            continue;
        }
        Conn *c = events[i].data.ptr;
        if (events[i].events & EPOLLOUT) on_writable(ep, c);
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            ssize_t r = read(c->fd, readbuf, READ_SIZE);
            if (r > 0) {
                on_read(c, readbuf, (size_t)r, now());
            } else if (r == 0 || errno != EAGAIN) {
                if (++closed_by_server <= 3)
                    fprintf(stderr, "live_client: connection %ld closed by the server (%s)%s\n", (long)(c - conns),
                            r == 0 ? "end of stream" : strerror(errno), closed_by_server == 3 ? "; and so on" : "");
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: live_client PORT N STEP\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[2]), step = atoi(argv[3]);
    if (step < 1) step = 1;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    conns = calloc(n ? n : 1, sizeof(Conn));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event in = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in) < 0) die("epoll_ctl stdin");
    char line[256];
    size_t linelen = 0;
    for (int start = 0; start < n; start += BATCH) {
        int stop = start + BATCH < n ? start + BATCH : n;
        for (int k = start; k < stop; k++) {
            conns[k].parses = k % step == 0;
            open_conn(ep, &conns[k], port);
        }
        double deadline = now() + 60;
        for (;;) {
            int waiting = 0;
            for (int k = start; k < stop; k++) waiting += !conns[k].connected;
            if (!waiting) break;
            if (now() > deadline) {
                fprintf(stderr, "live_client: %d of connections %d-%d not connected in 60 s\n", waiting, start, stop);
                return 1;
            }
            if (serve(ep, n, 100, line, &linelen)) return 0;
        }
    }
    printf("ready\n");
    fflush(stdout);
    while (!serve(ep, n, -1, line, &linelen)) {
    }
    for (int k = 0; k < n; k++)
        if (conns[k].fd >= 0) close(conns[k].fd);
    return 0;
}
