/*
 * sipwright's TLS key log for programs linked with OpenSSL 1.1.1 or later, LD_PRELOADed: every SSL object made
 * from a context gets that context's keylog callback, which appends the connection's secrets in NSS key log
 * format to the file $SIPWRIGHT_KEYLOG. sid's OpenSSL is built without SSLKEYLOGFILE, SIPp has no key log of its
 * own unless built with TLS_KEY_LOGGING, and Kamailio 5.6 has none: with this, a capture of their connections
 * can be decrypted. Used by the sipp image and by the kamailio image (which links this file).
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

/*
 * OpenSSL's own symbol. Kamailio's tls module is dlopen()ed with its libssl in a scope of its own, which
 * RTLD_NEXT does not search: there libssl, already loaded, is asked for by name.
 */
static void *real_symbol(const char *name) {
  void *f = dlsym(RTLD_NEXT, name);
  if (f) return f;
  static const char *const libs[] = {"libssl.so.3", "libssl.so.1.1"};
  for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
    void *h = dlopen(libs[i], RTLD_LAZY | RTLD_NOLOAD);
    if (h && (f = dlsym(h, name))) return f;
  }
  return NULL;
}

SSL *SSL_new(SSL_CTX *ctx) {
  static SSL *(*real_new)(SSL_CTX *);
  static void (*set_callback)(SSL_CTX *, keylog_callback);
  if (!real_new) real_new = (SSL *(*)(SSL_CTX *))real_symbol("SSL_new");
  if (!set_callback) set_callback = (void (*)(SSL_CTX *, keylog_callback))real_symbol("SSL_CTX_set_keylog_callback");
  /* No OpenSSL to hand the call to: fail as SSL_new fails, rather than crash the program. */
  if (!real_new) return NULL;
  if (ctx && set_callback) set_callback(ctx, append_line);
  return real_new(ctx);
}
