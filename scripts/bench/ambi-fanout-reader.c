// N verifier-side readers of one ambi+tls manifest stream, in one process (epoll,
// non-blocking OpenSSL), for scripts/bench/ambi-fanout.sh. Each reader parses the
// manifests (draft-ietf-mboned-ambi-05 section 3.3) and notes when each one arrived
// whole; at the end: for every manifest, each reader's lag behind the first reader to
// have it, as percentiles over all (manifest, reader) pairs, and the pairs missing.
//
// "Arrived" is the kernel's receive time of the bytes that completed the manifest
// (SO_TIMESTAMPING, software receive stamps; the ciphertext is read with recvmsg and fed
// to OpenSSL through a memory BIO), so that the lag is the sender's fan-out and the
// network, not how late this process got around to a socket. The time this process
// read it is reported too (read_lag).
//
//   ambi-fanout-reader HOST PORT N DIGEST_LEN SECONDS
//
// Prints "connected N" on stdout once every reader has finished its handshake (the
// sender waits for N verifiers: --wait-verifiers; at most 600 s), then one result line
// when every reader has seen the end of the stream or SECONDS more have passed. No
// certificate check: it measures the fan-out, not the trust.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { max_handshakes = 128, buffer_size = 1 << 20 };

struct arrival {
  uint32_t seq;
  int64_t at_ns;    // kernel receive time
  int64_t read_ns;  // when this process read it
};

struct reader {
  int fd;
  SSL* ssl;
  BIO* in;    // ciphertext read from the socket, for OpenSSL
  int state;  // 0 connecting, 1 handshaking, 2 reading, 3 ended
  unsigned char* buf;
  size_t used;
  struct arrival* got;
  size_t n_got, cap_got;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Moves what the socket holds into the reader's memory BIO. Returns the kernel receive
// time of the last bytes read (0: none, or no stamp), -1 at end of stream or error.
static int64_t pull(struct reader* r) {
  static unsigned char buf[1 << 16];
  int64_t stamp = 0;
  for (;;) {
    char control[256];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(r->fd, &msg, MSG_DONTWAIT);
    if (n == 0) return -1;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? stamp : -1;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING_OLD) {
        struct timespec ts[3];
        memcpy(ts, CMSG_DATA(c), sizeof ts);
        stamp = (int64_t)ts[0].tv_sec * 1000000000 + ts[0].tv_nsec;
      }
    }
    if (stamp == 0) stamp = now_ns();
    BIO_write(r->in, buf, (int)n);
  }
}

static uint32_t be32(const unsigned char* p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static size_t digest_len;

// Takes every whole manifest off the front of the reader's buffer.
static void parse(struct reader* r, int64_t at, int64_t read) {
  size_t off = 0;
  for (;;) {
    if (r->used - off < 14) break;
    const unsigned char* m = r->buf + off;
    unsigned count = (m[12] & 0x7f) << 8 | m[13];
    size_t size = 14 + count * digest_len;
    if (m[12] & 0x80) {
      if (r->used - off < 16) break;
      size += 2 + (m[14] << 8 | m[15]);
    }
    if (r->used - off < size) break;
    if (r->n_got == r->cap_got) {
      r->cap_got = r->cap_got ? 2 * r->cap_got : 256;
      r->got = realloc(r->got, r->cap_got * sizeof *r->got);
    }
    r->got[r->n_got++] = (struct arrival){be32(m + 4), at, read};
    off += size;
  }
  memmove(r->buf, r->buf + off, r->used - off);
  r->used -= off;
}

static int cmp_i64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s HOST PORT N DIGEST_LEN SECONDS\n", argv[0]);
    return 2;
  }
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  inet_pton(AF_INET, argv[1], &addr.sin_addr);
  int n = atoi(argv[3]);
  digest_len = (size_t)atoi(argv[4]);
  const int64_t seconds = atoi(argv[5]);
  int64_t deadline = now_ns() + 600 * (int64_t)1000000000;  // for the handshakes
  struct rlimit rl = {(rlim_t)n + 64, (rlim_t)n + 64};
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) perror("setrlimit");

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  int ep = epoll_create1(0);
  struct reader* readers = calloc((size_t)n, sizeof *readers);
  int started = 0, handshaking = 0, connected = 0, ended = 0;
  struct epoll_event events[1024];

  while (ended < n && now_ns() < deadline) {
    while (started < n && handshaking < max_handshakes) {
      struct reader* r = &readers[started];
      r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (r->fd < 0) {
        perror("socket");
        return 1;
      }
      if (connect(r->fd, (struct sockaddr*)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
        perror("connect");
        return 1;
      }
      int on = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
      setsockopt(r->fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, &on, sizeof on);
      r->ssl = SSL_new(ctx);
      r->in = BIO_new(BIO_s_mem());
      BIO_set_mem_eof_return(r->in, -1);
      SSL_set_bio(r->ssl, r->in, BIO_new_socket(r->fd, BIO_NOCLOSE));
      SSL_set_connect_state(r->ssl);
      r->buf = malloc(buffer_size);
      struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)started};
      epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev);
      r->state = 1;
      ++started;
      ++handshaking;
    }
    int k = epoll_wait(ep, events, 1024, 100);
    int64_t at = now_ns();
    for (int i = 0; i < k; ++i) {
      struct reader* r = &readers[events[i].data.u32];
      int64_t stamp = 0;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) stamp = pull(r);
      if (r->state == 1) {
        int rc = SSL_do_handshake(r->ssl);
        if (rc != 1) {
          int e = SSL_get_error(r->ssl, rc);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
          fprintf(stderr, "reader %u: handshake failed\n", events[i].data.u32);
          ERR_print_errors_fp(stderr);
          return 1;
        }
        r->state = 2;
        --handshaking;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[i].data.u32};
        epoll_ctl(ep, EPOLL_CTL_MOD, r->fd, &ev);
        if (++connected == n) {
          // SECONDS count from here: 10,000 handshakes alone take about a minute.
          deadline = now_ns() + seconds * 1000000000;
          printf("connected %d\n", n);
          fflush(stdout);
        }
      }
      if (r->state != 2) continue;
      for (;;) {
        size_t got = 0;
        int rc = SSL_read_ex(r->ssl, r->buf + r->used, buffer_size - r->used, &got);
        if (rc == 1) {
          r->used += got;
          parse(r, stamp > 0 ? stamp : at, at);
          continue;
        }
        int e = SSL_get_error(r->ssl, rc);
        if (e == SSL_ERROR_WANT_READ && stamp >= 0) break;
        r->state = 3;
        ++ended;
        epoll_ctl(ep, EPOLL_CTL_DEL, r->fd, NULL);
        close(r->fd);
        break;
      }
    }
  }

  // Per manifest: the first arrival over all readers, then every reader's lag.
  uint32_t lo = UINT32_MAX, hi = 0;
  size_t total = 0;
  for (int i = 0; i < n; ++i) {
    for (size_t j = 0; j < readers[i].n_got; ++j) {
      uint32_t s = readers[i].got[j].seq;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    total += readers[i].n_got;
  }
  if (total == 0) {
    printf("readers %d manifests 0\n", n);
    return 0;
  }
  size_t span = (size_t)(hi - lo) + 1;
  int64_t* first = malloc(span * sizeof *first);
  for (size_t s = 0; s < span; ++s) first[s] = INT64_MAX;
  for (int i = 0; i < n; ++i) {
    for (size_t j = 0; j < readers[i].n_got; ++j) {
      struct arrival a = readers[i].got[j];
      if (a.at_ns < first[a.seq - lo]) first[a.seq - lo] = a.at_ns;
    }
  }
  int64_t* first_read = malloc(span * sizeof *first_read);
  for (size_t s = 0; s < span; ++s) first_read[s] = INT64_MAX;
  for (int i = 0; i < n; ++i) {
    for (size_t j = 0; j < readers[i].n_got; ++j) {
      struct arrival a = readers[i].got[j];
      if (a.read_ns < first_read[a.seq - lo]) first_read[a.seq - lo] = a.read_ns;
    }
  }
  int64_t* lags = malloc(total * sizeof *lags);
  int64_t* read_lags = malloc(total * sizeof *read_lags);
  size_t k = 0;
  for (int i = 0; i < n; ++i) {
    for (size_t j = 0; j < readers[i].n_got; ++j) {
      struct arrival a = readers[i].got[j];
      read_lags[k] = a.read_ns - first_read[a.seq - lo];
      lags[k++] = a.at_ns - first[a.seq - lo];
    }
  }
  qsort(lags, k, sizeof *lags, cmp_i64);
  qsort(read_lags, k, sizeof *read_lags, cmp_i64);
#define PCT(p) (lags[(size_t)((double)(k - 1) * (p))] / 1e6)
#define RPCT(p) (read_lags[(size_t)((double)(k - 1) * (p))] / 1e6)
  // The readers' own CPU (handshakes included): a reader process short of CPU shows as lag.
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  printf("readers %d connected %d ended %d manifests %zu received %zu missing %zu lag_ms p50 %.1f p90 %.1f p99 %.1f max %.1f "
         "read_lag_ms p50 %.1f p99 %.1f reader_cpu_s %.2f\n",
         n, connected, ended, span, total, span * (size_t)n - total, PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0), RPCT(0.5),
         RPCT(0.99), cpu);
  return 0;
}
