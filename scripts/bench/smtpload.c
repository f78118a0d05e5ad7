/* SMTP submission load generator: C connections, each logged in (STARTTLS or implicit TLS, EHLO,
 * AUTH PLAIN) before the timed part, then sending messages of SIZE bytes one after another for S
 * seconds, one command at a time (no pipelining): MAIL FROM, RCPT TO, DATA, the message, ".".
 * Latency of one message: from writing MAIL FROM to reading the reply after ".".
 * Prints one JSON line: counts, msg/s, latency percentiles, refused, accepted per recipient, client CPU.
 *
 * Build: cc -O2 -pthread -o smtpload smtpload.c -lssl -lcrypto
 * Usage: smtpload --port P --mode starttls|implicit --users FILE --cafile PEM
 *                 [--connections 16] [--seconds 10] [--size 4096] [--domain example.org] [--host 127.0.0.1]
 * FILE: one "name password" a line; connection i logs in as user i (mod n) and sends to user i+1 (mod n).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_USERS 4096

static const char *host = "127.0.0.1", *mode = "starttls", *users_path, *cafile, *domain = "example.org";
static int port, connections = 16, message_size = 4096;
static double seconds = 10;
static char *names[MAX_USERS], *passwords[MAX_USERS];
static int user_count;
static SSL_CTX *context;
static pthread_barrier_t ready;
static double deadline;   /* CLOCK_MONOTONIC seconds; set by the main thread before releasing the barrier */
static volatile double start_time;

typedef struct {
    int number;
    int fd;
    SSL *ssl;
    char buffer[16384];
    int have, used;
    double *latencies;
    long count, capacity;
    long refused;
    char error[256];
    int failed;
    char last_refusal[160];
} Connection;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(Connection *c, const char *format, ...) {
    if (c->failed) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(c->error, sizeof c->error, format, arguments);
    va_end(arguments);
    c->failed = 1;
}

static int fill(Connection *c) {
    if (c->used == c->have) c->used = c->have = 0;
    if (c->have == (int)sizeof c->buffer) { memmove(c->buffer, c->buffer + c->used, c->have - c->used); c->have -= c->used; c->used = 0; }
    int got = c->ssl ? SSL_read(c->ssl, c->buffer + c->have, sizeof c->buffer - c->have)
                     : (int)read(c->fd, c->buffer + c->have, sizeof c->buffer - c->have);
    if (got <= 0) return -1;
    c->have += got;
    return 0;
}

/* Reads one line (without CRLF) into `line`; -1 on a closed connection. */
static int read_line(Connection *c, char *line, size_t size) {
    for (;;) {
        char *end = memchr(c->buffer + c->used, '\n', c->have - c->used);
        if (end) {
            size_t length = end - (c->buffer + c->used);
            size_t copy = length < size - 1 ? length : size - 1;
            memcpy(line, c->buffer + c->used, copy);
            if (copy && line[copy - 1] == '\r') copy--;
            line[copy] = 0;
            c->used += length + 1;
            return 0;
        }
        if (fill(c) < 0) return -1;
    }
}

/* Reads one (possibly multi-line) reply; returns its code, or -1. `last` gets the last line. */
static int reply(Connection *c, char *last, size_t size) {
    for (;;) {
        if (read_line(c, last, size) < 0) return -1;
        if (strlen(last) < 3) return -1;
        if (last[3] != '-') return atoi(last);
    }
}

static int send_all(Connection *c, const char *data, size_t length) {
    while (length) {
        int sent = c->ssl ? SSL_write(c->ssl, data, (int)length) : (int)write(c->fd, data, length);
        if (sent <= 0) return -1;
        data += sent;
        length -= sent;
    }
    return 0;
}

static int command(Connection *c, const char *text, int expected, const char *what) {
    char line[1024];
    if (text && send_all(c, text, strlen(text)) < 0) { fail(c, "%s: write failed", what); return -1; }
    int code = reply(c, line, sizeof line);
    if (code != expected) { fail(c, "%s: expected %d, got %s", what, expected, code < 0 ? "connection closed" : line); return -1; }
    return 0;
}

static int start_tls(Connection *c) {
    c->ssl = SSL_new(context);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    SSL_set1_host(c->ssl, "localhost");
    if (SSL_connect(c->ssl) != 1) {
        char text[160];
        ERR_error_string_n(ERR_get_error(), text, sizeof text);
        fail(c, "TLS handshake: %s", text);
        return -1;
    }
    return 0;
}

static int log_in(Connection *c) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &address.sin_addr);
    if (connect(c->fd, (struct sockaddr *)&address, sizeof address) < 0) { fail(c, "connect: %s", strerror(errno)); return -1; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int implicit = strcmp(mode, "implicit") == 0;
    if (implicit && start_tls(c) < 0) return -1;
    if (command(c, NULL, 220, "greeting") < 0) return -1;
    if (command(c, "EHLO load.example.org\r\n", 250, "EHLO") < 0) return -1;
    if (!implicit) {
        if (command(c, "STARTTLS\r\n", 220, "STARTTLS") < 0) return -1;
        if (c->used != c->have) { fail(c, "data after the STARTTLS reply"); return -1; }
        if (start_tls(c) < 0) return -1;
        if (command(c, "EHLO load.example.org\r\n", 250, "EHLO after STARTTLS") < 0) return -1;
    }
    const char *name = names[c->number % user_count], *password = passwords[c->number % user_count];
    char plain[512], token[800], line[900];
    int length = snprintf(plain, sizeof plain, "%c%s%c%s", 0, name, 0, password);
    EVP_EncodeBlock((unsigned char *)token, (unsigned char *)plain, length);
    snprintf(line, sizeof line, "AUTH PLAIN %s\r\n", token);
    return command(c, line, 235, "AUTH PLAIN");
}

/* A message of exactly message_size bytes, CRLF lines, no line starting with ".", ending in CRLF. */
static size_t make_message(char *out, const char *sender, const char *recipient, int connection, long index) {
    static const char line[] = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    int head = snprintf(out, message_size,
        "From: %s@%s\r\nTo: %s@%s\r\nSubject: smtpload %d-%ld\r\nMessage-ID: <smtpload-%d-%ld-%ld@%s>\r\n"
        "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\n",
        sender, domain, recipient, domain, connection, index, connection, index, (long)time(NULL), domain);
    size_t at = head;
    while (at < (size_t)message_size) {
        size_t copy = sizeof line - 1;
        if (copy > message_size - at) copy = message_size - at;
        memcpy(out + at, line, copy);
        at += copy;
    }
    out[message_size - 2] = '\r';
    out[message_size - 1] = '\n';
    memcpy(out + message_size, ".\r\n", 3);
    return message_size + 3;
}

static void *run(void *argument) {
    Connection *c = argument;
    int logged_in = log_in(c) == 0;
    pthread_barrier_wait(&ready);   /* every connection is logged in (or failed) */
    pthread_barrier_wait(&ready);   /* the main thread has set the deadline */
    if (!logged_in) return NULL;
    const char *sender = names[c->number % user_count], *recipient = names[(c->number + 1) % user_count];
    char *data = malloc(message_size + 3), mail[512], rcpt[512], line[1024];
    snprintf(mail, sizeof mail, "MAIL FROM:<%s@%s>\r\n", sender, domain);
    snprintf(rcpt, sizeof rcpt, "RCPT TO:<%s@%s>\r\n", recipient, domain);
    for (long index = 0; now() < deadline; index++) {
        size_t length = make_message(data, sender, recipient, c->number, index);
        double began = now();
        if (command(c, mail, 250, "MAIL") < 0 || command(c, rcpt, 250, "RCPT") < 0
            || command(c, "DATA\r\n", 354, "DATA") < 0) break;
        if (send_all(c, data, length) < 0) { fail(c, "message: write failed"); break; }
        int code = reply(c, line, sizeof line);
        if (code < 0) { fail(c, "end of DATA: connection closed"); break; }
        if (code == 250) {
            if (c->count == c->capacity) {
                c->capacity = c->capacity ? c->capacity * 2 : 4096;
                c->latencies = realloc(c->latencies, c->capacity * sizeof *c->latencies);
            }
            c->latencies[c->count++] = now() - began;
        } else {
            c->refused++;
            snprintf(c->last_refusal, sizeof c->last_refusal, "%.150s", line);
        }
    }
    if (!c->failed) command(c, "QUIT\r\n", 221, "QUIT");
    free(data);
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *sorted, long count, double fraction) {
    if (!count) return 0;
    long rank = (long)(fraction * count + 0.999999999);   /* nearest rank */
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

static void json_string(const char *text) {
    putchar('"');
    for (; *text; text++) {
        if (*text == '"' || *text == '\\') printf("\\%c", *text);
        else if ((unsigned char)*text < 0x20) printf("\\u%04x", *text);
        else putchar(*text);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *key = argv[i], *value = argv[i + 1];
        if (!strcmp(key, "--host")) host = value;
        else if (!strcmp(key, "--port")) port = atoi(value);
        else if (!strcmp(key, "--mode")) mode = value;
        else if (!strcmp(key, "--users")) users_path = value;
        else if (!strcmp(key, "--cafile")) cafile = value;
        else if (!strcmp(key, "--connections")) connections = atoi(value);
        else if (!strcmp(key, "--seconds")) seconds = atof(value);
        else if (!strcmp(key, "--size")) message_size = atoi(value);
        else if (!strcmp(key, "--domain")) domain = value;
        else { fprintf(stderr, "unknown option %s\n", key); return 2; }
    }
    if (!port || !users_path || !cafile || message_size < 512 || connections < 1) {
        fprintf(stderr, "usage: smtpload --port P --mode starttls|implicit --users FILE --cafile PEM "
                        "[--connections C] [--seconds S] [--size BYTES] [--domain D] [--host H]\n");
        return 2;
    }
    FILE *file = fopen(users_path, "r");
    if (!file) { perror(users_path); return 2; }
    char name[256], password[256];
    while (user_count < MAX_USERS && fscanf(file, "%255s %255s", name, password) == 2) {
        names[user_count] = strdup(name);
        passwords[user_count++] = strdup(password);
    }
    fclose(file);
    if (user_count < 2) { fprintf(stderr, "need at least 2 users\n"); return 2; }

    context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(context, cafile, NULL) != 1) { fprintf(stderr, "cannot load %s\n", cafile); return 2; }

    Connection *all = calloc(connections, sizeof *all);
    pthread_t *threads = calloc(connections, sizeof *threads);
    pthread_barrier_init(&ready, NULL, connections + 1);
    for (int i = 0; i < connections; i++) {
        all[i].number = i;
        pthread_create(&threads[i], NULL, run, &all[i]);
    }
    pthread_barrier_wait(&ready);
    struct rusage usage_before, usage_after;
    getrusage(RUSAGE_SELF, &usage_before);
    start_time = now();
    deadline = start_time + seconds;
    pthread_barrier_wait(&ready);
    for (int i = 0; i < connections; i++) pthread_join(threads[i], NULL);
    double elapsed = now() - start_time;
    getrusage(RUSAGE_SELF, &usage_after);
    double cpu = (usage_after.ru_utime.tv_sec - usage_before.ru_utime.tv_sec)
               + (usage_after.ru_utime.tv_usec - usage_before.ru_utime.tv_usec) / 1e6
               + (usage_after.ru_stime.tv_sec - usage_before.ru_stime.tv_sec)
               + (usage_after.ru_stime.tv_usec - usage_before.ru_stime.tv_usec) / 1e6;

    long accepted = 0, refused = 0, failed = 0;
    for (int i = 0; i < connections; i++) { accepted += all[i].count; refused += all[i].refused; failed += all[i].failed; }
    double *latencies = malloc((accepted ? accepted : 1) * sizeof *latencies);
    long at = 0;
    for (int i = 0; i < connections; i++) { memcpy(latencies + at, all[i].latencies, all[i].count * sizeof *latencies); at += all[i].count; }
    qsort(latencies, accepted, sizeof *latencies, compare);

    printf("{\"mode\":\"%s\",\"connections\":%d,\"message_size\":%d,\"elapsed_s\":%.3f,\"accepted\":%ld,\"refused\":%ld,"
           "\"msg_per_s\":%.1f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"client_cpu_s\":%.3f,"
           "\"failed_connections\":%ld,\"errors\":[",
           mode, connections, message_size, elapsed, accepted, refused, accepted / elapsed,
           percentile(latencies, accepted, .5) * 1e3, percentile(latencies, accepted, .9) * 1e3,
           percentile(latencies, accepted, .99) * 1e3, accepted ? latencies[accepted - 1] * 1e3 : 0, cpu, failed);
    int first = 1;
    for (int i = 0; i < connections; i++) {
        if (all[i].failed || all[i].refused) {
            if (!first) putchar(',');
            first = 0;
            char text[512];
            snprintf(text, sizeof text, "connection %d: %s%s", i, all[i].failed ? all[i].error : "refused: ",
                     all[i].failed ? "" : all[i].last_refusal);
            json_string(text);
        }
    }
    printf("],\"accepted_by_recipient\":{");
    /* One recipient per connection, but two connections may share one when connections > users. */
    long *by_user = calloc(user_count, sizeof *by_user);
    for (int i = 0; i < connections; i++) by_user[(i + 1) % user_count] += all[i].count;
    first = 1;
    for (int u = 0; u < user_count; u++) {
        if (!by_user[u]) continue;
        if (!first) putchar(',');
        first = 0;
        json_string(names[u]);
        printf(":%ld", by_user[u]);
    }
    printf("}}\n");
    return failed ? 1 : 0;
}
