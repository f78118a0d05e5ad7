/*
 * sink_mx: a receiving SMTP server that accepts everything and keeps nothing, for Loft's outbound
 * benchmarks. ESMTP with PIPELINING (RFC 2920: replies are buffered while more commands are waiting,
 * and written in one go), STARTTLS (RFC 3207) with the given certificate, SIZE, 8BITMIME,
 * ENHANCEDSTATUSCODES and SMTPUTF8; DATA is read up to the final "." and thrown away.
 *
 * One thread per connection, blocking I/O, OpenSSL for TLS: cheap next to the client under test,
 * which pays a TLS handshake, a DNS lookup and spool writes per message.
 *
 *   cc -O2 -o sink_mx sink_mx.c -lssl -lcrypto -lpthread
 *   sink_mx CERT KEY PORT ADDRESS...
 *
 * It prints "ready" once every address listens. On SIGTERM or SIGINT it prints one line
 * "messages=N connections=C tls=T user=U system=S" (CPU seconds) and exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static SSL_CTX *tls_context;
static atomic_long messages, connections, tls_sessions;

#define BUFFER_SIZE 65536

struct connection {
    int fd;
    SSL *ssl;
    char in[BUFFER_SIZE];
    size_t start, end; /* unread input is in[start..end) */
    char out[8192];
    size_t out_length;
};

static ssize_t receive(struct connection *c) {
    if (c->start > 0) { /* keep the unread part at the front */
        memmove(c->in, c->in + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == sizeof c->in) return -1; /* a line longer than the buffer */
    ssize_t n;
    if (c->ssl) {
        int r = SSL_read(c->ssl, c->in + c->end, (int)(sizeof c->in - c->end));
        n = r > 0 ? r : -1;
    } else {
        do n = read(c->fd, c->in + c->end, sizeof c->in - c->end); while (n < 0 && errno == EINTR);
        if (n == 0) n = -1;
    }
    if (n > 0) c->end += (size_t)n;
    return n;
}

static int flush(struct connection *c) {
    size_t done = 0;
    while (done < c->out_length) {
        ssize_t n;
        if (c->ssl) {
            int r = SSL_write(c->ssl, c->out + done, (int)(c->out_length - done));
            n = r > 0 ? r : -1;
        } else {
            do n = write(c->fd, c->out + done, c->out_length - done); while (n < 0 && errno == EINTR);
        }
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    c->out_length = 0;
    return 0;
}

/* Queues a reply; it goes out when no complete command is left to read (or the buffer fills). */
static int reply(struct connection *c, const char *text) {
    size_t length = strlen(text);
    if (c->out_length + length > sizeof c->out && flush(c) < 0) return -1;
    memcpy(c->out + c->out_length, text, length);
    c->out_length += length;
    return 0;
}

/* The next line (without CRLF, NUL-terminated in place), or NULL when the connection ends. Before
 * waiting for more input it writes the queued replies: the client is waiting for them. */
static char *next_line(struct connection *c) {
    for (;;) {
        char *newline = memchr(c->in + c->start, '\n', c->end - c->start);
        if (newline) {
            char *line = c->in + c->start;
            c->start = (size_t)(newline - c->in) + 1;
            *newline = 0;
            if (newline > line && newline[-1] == '\r') newline[-1] = 0;
            return line;
        }
        if (flush(c) < 0 || receive(c) < 0) return NULL;
    }
}

static int starts(const char *line, const char *command) {
    return strncasecmp(line, command, strlen(command)) == 0;
}

static void serve(struct connection *c) {
    if (reply(c, "220 sink.bench.test ESMTP\r\n") < 0) return;
    for (;;) {
        char *line = next_line(c);
        if (!line) return;
        if (starts(line, "EHLO")) {
            if (reply(c, "250-sink.bench.test\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n250-8BITMIME\r\n"
                         "250-ENHANCEDSTATUSCODES\r\n") < 0) return;
            if (!c->ssl && reply(c, "250-STARTTLS\r\n") < 0) return;
            if (reply(c, "250 SMTPUTF8\r\n") < 0) return;
        } else if (starts(line, "HELO")) {
            if (reply(c, "250 sink.bench.test\r\n") < 0) return;
        } else if (starts(line, "STARTTLS") && !c->ssl) {
            if (reply(c, "220 2.0.0 go ahead\r\n") < 0 || flush(c) < 0) return;
            if (c->end != c->start) return; /* plaintext after STARTTLS: refuse (RFC 3207 section 4.2) */
            c->ssl = SSL_new(tls_context);
            SSL_set_fd(c->ssl, c->fd);
            if (SSL_accept(c->ssl) != 1) return;
            atomic_fetch_add(&tls_sessions, 1);
        } else if (starts(line, "MAIL FROM:")) {
            if (reply(c, "250 2.1.0 ok\r\n") < 0) return;
        } else if (starts(line, "RCPT TO:")) {
            if (reply(c, "250 2.1.5 ok\r\n") < 0) return;
        } else if (starts(line, "DATA")) {
            if (reply(c, "354 go ahead\r\n") < 0) return;
            for (;;) {
                char *data = next_line(c);
                if (!data) return;
                if (strcmp(data, ".") == 0) break;
            }
            atomic_fetch_add(&messages, 1);
            if (reply(c, "250 2.0.0 discarded\r\n") < 0) return;
        } else if (starts(line, "RSET") || starts(line, "NOOP")) {
            if (reply(c, "250 2.0.0 ok\r\n") < 0) return;
        } else if (starts(line, "QUIT")) {
            reply(c, "221 2.0.0 bye\r\n");
            flush(c);
            return;
        } else {
            if (reply(c, "500 5.5.2 unknown command\r\n") < 0) return;
        }
    }
}

static void *connection_thread(void *argument) {
    struct connection *c = argument;
    serve(c);
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    close(c->fd);
    free(c);
    return NULL;
}

static void *accept_thread(void *argument) {
    int listener = (int)(long)argument;
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            perror("accept");
            sleep(1);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct connection *c = calloc(1, sizeof *c);
        c->fd = fd;
        atomic_fetch_add(&connections, 1);
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attributes, 256 * 1024);
        if (pthread_create(&thread, &attributes, connection_thread, c) != 0) {
            close(fd);
            free(c);
        }
        pthread_attr_destroy(&attributes);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s CERT KEY PORT ADDRESS...\n", argv[0]);
        return 2;
    }
    tls_context = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(tls_context, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(tls_context, argv[1]) != 1
        || SSL_CTX_use_PrivateKey_file(tls_context, argv[2], SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    int port = atoi(argv[3]);

    /* Only the main thread takes SIGTERM/SIGINT (sigwait below); a closed peer is an error return. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    for (int i = 4; i < argc; i++) {
        int listener = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (inet_pton(AF_INET, argv[i], &address.sin_addr) != 1
            || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1024) != 0) {
            fprintf(stderr, "cannot listen on %s:%d: %s\n", argv[i], port, strerror(errno));
            return 1;
        }
        pthread_t thread;
        pthread_create(&thread, NULL, accept_thread, (void *)(long)listener);
    }
    printf("ready\n");
    fflush(stdout);

    int signal_number;
    sigwait(&stop, &signal_number);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("messages=%ld connections=%ld tls=%ld user=%.3f system=%.3f\n", atomic_load(&messages),
           atomic_load(&connections), atomic_load(&tls_sessions),
           usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6, usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6);
    fflush(stdout);
    return 0;
}
