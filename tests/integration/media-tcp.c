/* media-tcp.c -- the TCP endpoint over loopback: MSRP messages written in
 * arbitrary pieces come out whole; a second connection on a listener is
 * refused and counted; bad MSRP framing closes the connection with
 * -EBADMSG; a refused connect reports -ECONNREFUSED; the tap sees every
 * byte; a DC endpoint on a caller-bound socket reports that socket's port. */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "agw/media/wgmedia.h"
#include "tests/task.h"

static uv_loop_t loop;
static wgm_ctx_t *ctx;
static struct sockaddr_in lo;

static const char m1[] = "MSRP a786hjs2 SEND\r\nTo-Path: msrp://a.invalid:9/x;tcp\r\n"
                         "From-Path: msrp://b.invalid:9/y;tcp\r\nMessage-ID: 1\r\n"
                         "Byte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                         "-------a786hjs2$\r\n";
static const char m2[] = "MSRP a786hjs2 200 OK\r\nTo-Path: msrp://b.invalid:9/y;tcp\r\n"
                         "From-Path: msrp://a.invalid:9/x;tcp\r\n-------a786hjs2$\r\n";

/* ------------------------------------------------ pieces -> whole messages */

static wgm_tcp_t *srv;
static uv_tcp_t raw;
static uv_connect_t creq;
static int got, srv_closed_err = 1, tapped_in;
static size_t tap_bytes;

static void srv_msg(wgm_tcp_t *t, const uint8_t *d, size_t len) {
  (void)t;
  const char *want = got % 2 == 0 ? m1 : m2;
  ASSERT_EQ(len, strlen(want));
  ASSERT_MEM_EQ(d, want, len);
  got++;
}

static void srv_closed(wgm_tcp_t *t, int err) {
  (void)t;
  srv_closed_err = err;
  wgm_tcp_close(srv, NULL);
}

static void srv_tap(wgm_tcp_t *t, int out, const struct sockaddr *src, const struct sockaddr *dst,
                    const uint8_t *d, size_t len) {
  (void)t;
  ASSERT(src && dst && d);
  if (!out) {
    tapped_in++;
    tap_bytes += len;
  }
}

struct piece {
  uv_write_t w;
  uv_buf_t b;
};

static void wrote(uv_write_t *w, int status) {
  ASSERT_EQ(status, 0);
  free(w);
}

static void raw_connected(uv_connect_t *req, int status) {
  ASSERT_EQ(status, 0);
  /* m1 m2 m1 m2 ... in pieces of 1..13 bytes, then garbage */
  static char stream[4096];
  size_t n = 0;
  for (int i = 0; i < 4; i++) {
    const char *m = i % 2 ? m2 : m1;
    memcpy(stream + n, m, strlen(m));
    n += strlen(m);
  }
  memcpy(stream + n, "GARBAGE\r\n", 9);
  n += 9;
  size_t off = 0, k = 1;
  while (off < n) {
    size_t len = k % 13 + 1;
    if (len > n - off)
      len = n - off;
    struct piece *p = malloc(sizeof(*p));
    p->b = uv_buf_init(stream + off, (unsigned)len);
    ASSERT_EQ(uv_write(&p->w, req->handle, &p->b, 1, wrote), 0);
    off += len;
    k++;
  }
}

static void raw_closed(uv_handle_t *h) { (void)h; }

static void pieces(void) {
  static const wgm_tcp_callbacks_t cbs = {
      .message = srv_msg, .closed = srv_closed, .tap = srv_tap};
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 1;
  tc.bind_addr = (struct sockaddr *)&lo;
  tc.cb = &cbs;
  ASSERT_EQ(wgm_tcp_new(ctx, &tc, &srv), 0);
  struct sockaddr_in a = lo;
  a.sin_port = htons(wgm_tcp_port(srv));
  ASSERT_EQ(uv_tcp_init(&loop, &raw), 0);
  ASSERT_EQ(uv_tcp_connect(&creq, &raw, (struct sockaddr *)&a, raw_connected), 0);
  uv_run(&loop, UV_RUN_DEFAULT); /* ends when srv is closed and raw ... */
  ASSERT_EQ(got, 4);
  ASSERT_EQ(srv_closed_err, -EBADMSG);
  ASSERT_GT(tapped_in, 0);
  ASSERT_EQ(tap_bytes, 2 * (strlen(m1) + strlen(m2)) + 9);
}

/* ------------------------------------------- one connection per listener */

static wgm_tcp_t *l1, *c1, *c2;
static int c1_connected, c2_connected, c2_closed, l_connected;
static struct sockaddr_in l1_addr;
static void c_conn(wgm_tcp_t *t, const struct sockaddr *p);
static void c_closed(wgm_tcp_t *t, int err);

static void done_if_ready(void) {
  if (c1_connected && l_connected && c2_closed) {
    wgm_tcp_stats_t st;
    wgm_tcp_get_stats(l1, &st);
    ASSERT_EQ(st.rejected_connections, 1);
    wgm_tcp_close(l1, NULL);
    wgm_tcp_close(c1, NULL);
    wgm_tcp_close(c2, NULL);
  }
}
static void l_conn(wgm_tcp_t *t, const struct sockaddr *p) {
  (void)t;
  ASSERT_NOT_NULL(p);
  l_connected++;
  ASSERT_EQ(l_connected, 1);
  ASSERT(wgm_tcp_is_connected(t));
  /* the first connection is in: a second one must be refused */
  static const wgm_tcp_callbacks_t ccb = {.connected = c_conn, .closed = c_closed};
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.connect_addr = (struct sockaddr *)&l1_addr;
  tc.cb = &ccb;
  ASSERT_EQ(wgm_tcp_new(ctx, &tc, &c2), 0);
  done_if_ready();
}
static void c_conn(wgm_tcp_t *t, const struct sockaddr *p) {
  (void)p;
  if (t == c1)
    c1_connected = 1;
  else
    c2_connected = 1;
  done_if_ready();
}
static void c_closed(wgm_tcp_t *t, int err) {
  (void)err;
  if (t == c2)
    c2_closed = 1;
  done_if_ready();
}

static void second_connection(void) {
  static const wgm_tcp_callbacks_t lcb = {.connected = l_conn};
  static const wgm_tcp_callbacks_t ccb = {.connected = c_conn, .closed = c_closed};
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.listen = 1;
  tc.bind_addr = (struct sockaddr *)&lo;
  tc.cb = &lcb;
  ASSERT_EQ(wgm_tcp_new(ctx, &tc, &l1), 0);
  l1_addr = lo;
  l1_addr.sin_port = htons(wgm_tcp_port(l1));
  wgm_tcp_config_init(&tc);
  tc.connect_addr = (struct sockaddr *)&l1_addr;
  tc.cb = &ccb;
  ASSERT_EQ(wgm_tcp_new(ctx, &tc, &c1), 0);
  ASSERT_EQ(wgm_tcp_connect(c1, (struct sockaddr *)&l1_addr), -EISCONN);
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT(c2_closed);
  ASSERT_EQ(l_connected, 1);
}

/* ------------------------------------------------------- refused connect */

static int refused_err;
static wgm_tcp_t *rc_t;
static void refused_closed(wgm_tcp_t *t, int err) {
  refused_err = err;
  wgm_tcp_close(t, NULL);
}

static void refused(void) {
  /* a port that is bound but not listening refuses connections */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT(fd >= 0);
  struct sockaddr_in a = lo;
  ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  socklen_t sl = sizeof(a);
  ASSERT_EQ(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
  static const wgm_tcp_callbacks_t cb = {.closed = refused_closed};
  wgm_tcp_config_t tc;
  wgm_tcp_config_init(&tc);
  tc.connect_addr = (struct sockaddr *)&a;
  tc.cb = &cb;
  ASSERT_EQ(wgm_tcp_new(ctx, &tc, &rc_t), 0);
  ASSERT_EQ(wgm_tcp_send(rc_t, "x", 1), -ENOTCONN);
  uv_run(&loop, UV_RUN_DEFAULT);
  close(fd);
  ASSERT_EQ(refused_err, -ECONNREFUSED);
}

/* ----------------------------------------------- caller-bound UDP socket */

static void bound_socket(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT(fd >= 0);
  struct sockaddr_in a = lo;
  ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  socklen_t sl = sizeof(a);
  ASSERT_EQ(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
  wgm_dc_config_t cfg;
  wgm_dc_config_init(&cfg);
  cfg.sock = fd;
  cfg.accept_any_fingerprint = 1;
  wgm_dc_t *dc;
  ASSERT_EQ(wgm_dc_new(ctx, &cfg, &dc), 0);
  ASSERT_EQ(wgm_dc_port(dc), ntohs(a.sin_port));
  wgm_dc_close(dc, NULL); /* closes fd too */
  uv_run(&loop, UV_RUN_DEFAULT);
}

int main(void) {
  memset(&lo, 0, sizeof(lo));
  lo.sin_family = AF_INET;
  lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(uv_loop_init(&loop), 0);
  ASSERT_EQ(wgm_ctx_new(&loop, NULL, &ctx), 0);
  TEST_RUN(pieces);
  uv_close((uv_handle_t *)&raw, raw_closed);
  uv_run(&loop, UV_RUN_DEFAULT);
  TEST_RUN(second_connection);
  TEST_RUN(refused);
  TEST_RUN(bound_socket);
  ASSERT_EQ(wgm_ctx_free(ctx), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_EQ(uv_loop_close(&loop), 0);
  return 0;
}
