/*
 * sipwright's TLS key log for programs linked with OpenSSL 1.1.1 or later (SIPp), LD_PRELOADed: every SSL object
 * made from a context gets that context's keylog callback, which appends the connection's secrets in NSS key
 * log format to the file $SIPWRIGHT_KEYLOG. sid's OpenSSL is built without SSLKEYLOGFILE, and SIPp has no key
 * log of its own unless built with TLS_KEY_LOGGING; with this, a capture of its connections can be decrypted.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef void (*keylog_callback)(const SSL *ssl, const char *line);

static void append_line(const SSL *ssl, const char *line) {
  (void)ssl;
  const char *path = getenv("SIPWRIGHT_KEYLOG");
  if (!path || !*path) return;
  char buf[1024];
  size_t n = strlen(line);
  if (n + 1 > sizeof buf) return;
  memcpy(buf, line, n);
  buf[n] = '\n';
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  /* One write per line: lines of two connections never interleave. */
  ssize_t written = write(fd, buf, n + 1);
  (void)written;
  close(fd);
}

SSL *SSL_new(SSL_CTX *ctx) {
  static SSL *(*real_new)(SSL_CTX *);
  static void (*set_callback)(SSL_CTX *, keylog_callback);
  if (!real_new) real_new = (SSL *(*)(SSL_CTX *))dlsym(RTLD_NEXT, "SSL_new");
  if (!set_callback) set_callback = (void (*)(SSL_CTX *, keylog_callback))dlsym(RTLD_NEXT, "SSL_CTX_set_keylog_callback");
  if (ctx && set_callback) set_callback(ctx, append_line);
  return real_new(ctx);
}
