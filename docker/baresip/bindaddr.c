/*
 * sipwright's source-address shim for baresip, LD_PRELOADed by the baresip driver with the endpoint's address
 * in $SIPWRIGHT_BIND_ADDRESS. baresip 1.0 binds its RTP sockets to the wildcard address ("we listen on all
 * interfaces", stream.c, with no setting to change it), and libre 1.1 connects SIP over TCP without binding
 * first. On loopback, where every 127.x address is local, the kernel then sends from 127.0.0.1: a capture of the
 * lab can't tell two baresips apart, and a wildcard port is taken on every address of the machine. Here:
 * - bind() to the wildcard address of the variable's family binds to the variable's address instead (same port);
 * - connect() of a socket not bound yet binds it to the variable's address (any port) first.
 * Other families, and a variable that is unset or not an address, leave everything as it was.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static int real_bind(int fd, const struct sockaddr *a, socklen_t len) {
  static bind_fn f;
  if (!f) f = (bind_fn)dlsym(RTLD_NEXT, "bind");
  return f(fd, a, len);
}

static int real_connect(int fd, const struct sockaddr *a, socklen_t len) {
  static connect_fn f;
  if (!f) f = (connect_fn)dlsym(RTLD_NEXT, "connect");
  return f(fd, a, len);
}

/* The variable's address in `family` with `port` (network order); 0 when there is none of that family. */
static socklen_t own_address(int family, in_port_t port, struct sockaddr_storage *out) {
  const char *text = getenv("SIPWRIGHT_BIND_ADDRESS");
  if (!text || !*text) return 0;
  memset(out, 0, sizeof *out);
  if (family == AF_INET) {
    struct sockaddr_in *s = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, text, &s->sin_addr) != 1) return 0;
    s->sin_family = AF_INET;
    s->sin_port = port;
    return sizeof *s;
  }
  if (family == AF_INET6) {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET6, text, &s->sin6_addr) != 1) return 0;
    s->sin6_family = AF_INET6;
    s->sin6_port = port;
    return sizeof *s;
  }
  return 0;
}

static int wildcard(const struct sockaddr *a, socklen_t len) {
  if (a->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
  if (a->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
    return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
  return 0;
}

static in_port_t port_of(const struct sockaddr *a) {
  return a->sa_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port : ((const struct sockaddr_in6 *)a)->sin6_port;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  struct sockaddr_storage own;
  socklen_t n;
  if (addr && wildcard(addr, len) && (n = own_address(addr->sa_family, port_of(addr), &own)) > 0)
    return real_bind(fd, (const struct sockaddr *)&own, n);
  return real_bind(fd, addr, len);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  struct sockaddr_storage cur, own;
  socklen_t curlen = sizeof cur, n;
  if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
      getsockname(fd, (struct sockaddr *)&cur, &curlen) == 0 && cur.ss_family == addr->sa_family &&
      wildcard((const struct sockaddr *)&cur, curlen) && port_of((const struct sockaddr *)&cur) == 0 &&
      (n = own_address(addr->sa_family, 0, &own)) > 0) {
    /* Best effort: a socket that can't take the address still connects as it would have. */
    (void)real_bind(fd, (const struct sockaddr *)&own, n);
  }
  return real_connect(fd, addr, len);
}
