/*
 * loadgen: the compiled load generator of the side-by-side comparison (issue 11).
 *
 * Built by scripts/bench/compare.py:  cc -O2 -pthread -o loadgen loadgen.c -lssl -lcrypto
 * Every sub-command prints exactly one line of JSON on stdout (errors go to stderr, exit 1).
 *
 *   pop3-retr  --port P --user U --pass W --messages N [--pipelined] [--tls implicit|none]
 *              [--min-seconds S] [--expect-size OCTETS] [--timeout SECONDS]
 *       One session: greeting, USER, PASS, LIST (sizes), then passes of RETR 1..N until at least
 *       S seconds (default 2) have gone by. Without --pipelined each RETR is one round trip;
 *       with it the N commands of a pass go out in one write and the N answers are read after.
 *       Every answer is checked: "+OK" status line, the message's octets (dot-stuffing undone,
 *       RFC 1939 section 3) equal to its LIST size, the final "." line. A read or write that waits
 *       longer than --timeout seconds (default 30) fails the run.
 *   tls-connect --port P [--threads T] [--seconds S] [--proto pop3|none]
 *       T threads loop for S seconds: TCP connect, full TLS handshake (no session resumption:
 *       no session cache, no tickets offered), with pop3 read the greeting, QUIT and its +OK;
 *       then close_notify and close. Counts connections and failures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "loadgen: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double process_cpu(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static int io_timeout_seconds = 30;

static int tcp_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* A server that stops answering fails the run after this long instead of hanging it. */
    struct timeval limit = {.tv_sec = io_timeout_seconds};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    return fd;
}

static SSL_CTX *client_context(void) {
    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    if (context == NULL) die("SSL_CTX_new");
    /* The servers use a self-signed benchmark certificate; the handshake does the same work
       (signature, key exchange) whether or not the client checks the chain. */
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(context, SSL_OP_NO_TICKET);
    return context;
}

/* ---- a connection with a read buffer, over TLS or plain TCP ---------------------------------- */

typedef struct {
    int fd;
    SSL *ssl;
    char *buffer;
    size_t capacity, start, end;
    unsigned long long received;
} Connection;

static int connection_open(Connection *c, SSL_CTX *context, int port, size_t capacity) {
    memset(c, 0, sizeof *c);
    c->fd = tcp_connect(port);
    if (c->fd < 0) return -1;
    if (context != NULL) {
        c->ssl = SSL_new(context);
        SSL_set_fd(c->ssl, c->fd);
        SSL_set_tlsext_host_name(c->ssl, "localhost");
        if (SSL_connect(c->ssl) != 1) {
            SSL_free(c->ssl);
            close(c->fd);
            c->ssl = NULL;
            return -1;
        }
    }
    c->capacity = capacity;
    c->buffer = malloc(capacity);
    return 0;
}

static void connection_close(Connection *c) {
    if (c->ssl != NULL) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->fd >= 0) close(c->fd);
    free(c->buffer);
    c->buffer = NULL;
}

static int connection_write(Connection *c, const char *data, size_t length) {
    while (length > 0) {
        ssize_t written;
        if (c->ssl != NULL) {
            int n = SSL_write(c->ssl, data, (int)length);
            written = n > 0 ? n : -1;
        } else {
            written = write(c->fd, data, length);
        }
        if (written <= 0) return -1;
        data += written;
        length -= (size_t)written;
    }
    return 0;
}

/* Reads more bytes into the buffer (moving unread ones to the front first). 0 on success. */
static int connection_fill(Connection *c) {
    if (c->start > 0) {
        memmove(c->buffer, c->buffer + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == c->capacity) return -1; /* a line longer than the buffer */
    ssize_t n;
    if (c->ssl != NULL) {
        int r = SSL_read(c->ssl, c->buffer + c->end, (int)(c->capacity - c->end));
        n = r > 0 ? r : -1;
    } else {
        n = read(c->fd, c->buffer + c->end, c->capacity - c->end);
    }
    if (n <= 0) return -1;
    c->end += (size_t)n;
    c->received += (unsigned long long)n;
    return 0;
}

/* The next line (through LF); *line points into the buffer and stays valid until the next call. */
static int connection_line(Connection *c, const char **line, size_t *length) {
    for (;;) {
        char *newline = memchr(c->buffer + c->start, '\n', c->end - c->start);
        if (newline != NULL) {
            *line = c->buffer + c->start;
            *length = (size_t)(newline + 1 - *line);
            c->start += *length;
            return 0;
        }
        if (connection_fill(c) != 0) return -1;
    }
}

static int expect_ok(Connection *c, const char *what) {
    const char *line;
    size_t length;
    if (connection_line(c, &line, &length) != 0) {
        fprintf(stderr, "loadgen: %s: connection closed\n", what);
        return -1;
    }
    if (length < 3 || memcmp(line, "+OK", 3) != 0) {
        fprintf(stderr, "loadgen: %s: %.*s", what, (int)length, line);
        return -1;
    }
    return 0;
}

/* ---- pop3-retr ------------------------------------------------------------------------------ */

/* Reads one RETR answer; returns the message's octets (dot-stuffing undone) or -1. */
static long read_retr_answer(Connection *c, long number) {
    const char *line;
    size_t length;
    if (connection_line(c, &line, &length) != 0)
        die("RETR %ld: no answer (connection closed, or nothing for %d s: %s)", number, io_timeout_seconds, strerror(errno));
    if (length < 3 || memcmp(line, "+OK", 3) != 0) die("RETR %ld: %.*s", number, (int)length, line);
    long octets = 0;
    for (;;) {
        if (connection_line(c, &line, &length) != 0)
            die("RETR %ld: the message stopped after %ld octets (connection closed, or nothing for %d s: %s)",
                number, octets, io_timeout_seconds, strerror(errno));
        if (line[0] == '.') {
            if (length == 3 && line[1] == '\r') return octets;
            octets += (long)length - 1; /* a stuffed dot */
        } else {
            octets += (long)length;
        }
    }
}

static int pop3_retr(int argc, char **argv) {
    int port = 0, messages = 0, pipelined = 0, tls = 1;
    const char *user = NULL, *password = NULL;
    double min_seconds = 2.0;
    long expect_size = -1;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--user") && i + 1 < argc) user = argv[++i];
        else if (!strcmp(argv[i], "--pass") && i + 1 < argc) password = argv[++i];
        else if (!strcmp(argv[i], "--messages") && i + 1 < argc) messages = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) min_seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--expect-size") && i + 1 < argc) expect_size = atol(argv[++i]);
        else if (!strcmp(argv[i], "--pipelined")) pipelined = 1;
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) io_timeout_seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tls") && i + 1 < argc) tls = strcmp(argv[++i], "none") != 0;
        else die("pop3-retr: unknown argument %s", argv[i]);
    }
    if (port == 0 || user == NULL || password == NULL || messages <= 0) die("pop3-retr: --port, --user, --pass, --messages are required");

    SSL_CTX *context = tls ? client_context() : NULL;
    Connection c;
    if (connection_open(&c, context, port, 1 << 20) != 0) die("connect/handshake to port %d failed", port);
    char command[512];
    if (expect_ok(&c, "greeting")) return 1;
    snprintf(command, sizeof command, "USER %s\r\n", user);
    connection_write(&c, command, strlen(command));
    if (expect_ok(&c, "USER")) return 1;
    snprintf(command, sizeof command, "PASS %s\r\n", password);
    connection_write(&c, command, strlen(command));
    if (expect_ok(&c, "PASS")) return 1;

    /* LIST: the size of every message, what each RETR must deliver (RFC 1939 section 5). */
    long *sizes = calloc((size_t)messages + 1, sizeof *sizes);
    connection_write(&c, "LIST\r\n", 6);
    if (expect_ok(&c, "LIST")) return 1;
    int listed = 0;
    for (;;) {
        const char *line;
        size_t length;
        if (connection_line(&c, &line, &length) != 0) die("LIST: connection closed");
        if (length == 3 && line[0] == '.') break;
        long number, size;
        if (sscanf(line, "%ld %ld", &number, &size) != 2) die("LIST: %.*s", (int)length, line);
        if (number >= 1 && number <= messages) sizes[number] = size;
        if (expect_size >= 0 && size != expect_size) die("LIST: message %ld is %ld octets, expected %ld", number, size, expect_size);
        listed++;
    }
    if (listed != messages) die("LIST shows %d messages, expected %d", listed, messages);

    /* All commands of one pipelined pass, ready to go out in one write. */
    size_t batch_length = 0;
    char *batch = malloc((size_t)messages * 16);
    for (int n = 1; n <= messages; n++) batch_length += (size_t)sprintf(batch + batch_length, "RETR %d\r\n", n);

    const char *tls_version = c.ssl ? SSL_get_version(c.ssl) : "none";
    const char *cipher = c.ssl ? SSL_get_cipher_name(c.ssl) : "none";
    double started = now(), cpu_started = process_cpu();
    unsigned long long received_started = c.received;
    long long octets = 0;
    int passes = 0;
    double fastest = 0, slowest = 0;
    do {
        double pass_started = now();
        if (pipelined) {
            if (connection_write(&c, batch, batch_length) != 0) die("write of the pipelined RETRs failed");
            for (long n = 1; n <= messages; n++) {
                long got = read_retr_answer(&c, n);
                if (got != sizes[n]) die("RETR %ld: %ld octets, LIST said %ld", n, got, sizes[n]);
                octets += got;
            }
        } else {
            for (long n = 1; n <= messages; n++) {
                int length = sprintf(command, "RETR %ld\r\n", n);
                if (connection_write(&c, command, (size_t)length) != 0) die("write of RETR %ld failed", n);
                long got = read_retr_answer(&c, n);
                if (got != sizes[n]) die("RETR %ld: %ld octets, LIST said %ld", n, got, sizes[n]);
                octets += got;
            }
        }
        double rate = messages / (now() - pass_started);
        if (passes == 0 || rate > fastest) fastest = rate;
        if (passes == 0 || rate < slowest) slowest = rate;
        passes++;
    } while (now() - started < min_seconds);
    double seconds = now() - started, cpu = process_cpu() - cpu_started;
    unsigned long long wire = c.received - received_started;

    connection_write(&c, "QUIT\r\n", 6);
    if (expect_ok(&c, "QUIT")) return 1;
    printf("{\"command\": \"pop3-retr\", \"tls\": \"%s %s\", \"pipelined\": %s, \"messages\": %d, \"passes\": %d, \"seconds\": %.4f, "
           "\"msg_per_s\": %.1f, \"fastest_pass_msg_per_s\": %.1f, \"slowest_pass_msg_per_s\": %.1f, "
           "\"octets\": %lld, \"wire_bytes\": %llu, \"client_cpu_s\": %.4f}\n",
           tls_version, cipher, pipelined ? "true" : "false", messages, passes, seconds, (double)messages * passes / seconds,
           fastest, slowest, octets, wire, cpu);
    connection_close(&c);
    return 0;
}

/* ---- tls-connect ---------------------------------------------------------------------------- */

typedef struct {
    SSL_CTX *context;
    int port, pop3;
    double stop_at;
    long done, failed;
    char first_error[160];
} ConnectWorker;

static int one_connection(ConnectWorker *w) {
    Connection c;
    if (connection_open(&c, w->context, w->port, 4096) != 0) {
        snprintf(w->first_error, sizeof w->first_error, "connect or handshake failed");
        return -1;
    }
    int result = 0;
    if (w->pop3) {
        if (expect_ok(&c, "greeting") != 0 || connection_write(&c, "QUIT\r\n", 6) != 0 || expect_ok(&c, "QUIT") != 0) {
            snprintf(w->first_error, sizeof w->first_error, "POP3 greeting or QUIT failed");
            result = -1;
        }
    }
    connection_close(&c);
    return result;
}

static void *connect_worker(void *argument) {
    ConnectWorker *w = argument;
    while (now() < w->stop_at) {
        if (one_connection(w) == 0) w->done++;
        else w->failed++;
    }
    return NULL;
}

static int tls_connect(int argc, char **argv) {
    int port = 0, threads = 4, pop3 = 1;
    double seconds = 5;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--proto") && i + 1 < argc) pop3 = strcmp(argv[++i], "none") != 0;
        else die("tls-connect: unknown argument %s", argv[i]);
    }
    if (port == 0 || threads <= 0 || threads > 256) die("tls-connect: --port is required, 1..256 threads");
    SSL_CTX *context = client_context();
    ConnectWorker *workers = calloc((size_t)threads, sizeof *workers);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    double started = now(), cpu_started = process_cpu();
    for (int i = 0; i < threads; i++) {
        workers[i] = (ConnectWorker){.context = context, .port = port, .pop3 = pop3, .stop_at = started + seconds};
        if (pthread_create(&ids[i], NULL, connect_worker, &workers[i]) != 0) die("pthread_create");
    }
    long done = 0, failed = 0;
    const char *error = "";
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        done += workers[i].done;
        failed += workers[i].failed;
        if (workers[i].failed && !*error) error = workers[i].first_error;
    }
    double elapsed = now() - started, cpu = process_cpu() - cpu_started;
    printf("{\"command\": \"tls-connect\", \"proto\": \"%s\", \"threads\": %d, \"seconds\": %.4f, \"connections\": %ld, "
           "\"failed\": %ld, \"conn_per_s\": %.1f, \"client_cpu_s\": %.4f, \"first_error\": \"%s\"}\n",
           pop3 ? "pop3" : "none", threads, elapsed, done, failed, done / elapsed, cpu, error);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: loadgen pop3-retr|tls-connect [options]");
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(argv[1], "pop3-retr")) return pop3_retr(argc - 2, argv + 2);
    if (!strcmp(argv[1], "tls-connect")) return tls_connect(argc - 2, argv + 2);
    die("unknown sub-command %s", argv[1]);
    return 1;
}
