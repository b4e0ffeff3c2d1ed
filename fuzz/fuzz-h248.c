/* fuzz-h248.c -- libFuzzer target for the H.248 text decoder.
 *
 * Anything that decodes must encode (pretty and compact), the encoding must
 * decode again to an equal message, and re-encoding must be byte-stable.
 * Anything that does not decode must fail with -EBADMSG and an H.248 error
 * code and a position inside the input. The TPKT reader gets the bytes too,
 * and a transaction layer (stub transport, fake clock) gets them as a datagram:
 * it must answer or ignore them without crashing or leaking. */
#include "config.h"
#include "h248/h248.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
  if (!cond) {
    fprintf(stderr, "fuzz-h248: %s\n", what);
    abort();
  }
}

static void roundtrip(const h248_msg_t *m, unsigned flags)
{
  h248_buf_t b1 = {0}, b2 = {0};
  check(h248_encode(m, flags, &b1) == 0, "decoded message does not encode");
  h248_msg_t *m2 = NULL;
  h248_error_info_t ei;
  int rc = h248_decode(b1.data, b1.len, &m2, &ei);
  if (rc != 0) {
    fprintf(stderr, "re-decode failed: %d %s at %u:%u\n%s\n", ei.code, ei.reason, ei.line,
            ei.column, b1.data);
    abort();
  }
  check(h248_msg_equal(m, m2), "round trip changed the message");
  check(h248_encode(m2, flags, &b2) == 0, "re-encode failed");
  check(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0, "encoding not stable");
  h248_msg_free(m2);
  h248_buf_free(&b1);
  h248_buf_free(&b2);
}

/* ---- a transaction layer with a stub transport ---- */
static uint64_t fake_now;
static int fake_send(void *ctx, const struct sockaddr *to, socklen_t tolen, const void *d,
                     size_t n)
{
  (void)ctx, (void)to, (void)tolen, (void)d, (void)n;
  return 0;
}
static void fake_timer(void *ctx, int64_t delay) { (void)ctx, (void)delay; }
static uint64_t fake_clock(void *ctx)
{
  (void)ctx;
  return fake_now;
}
static void on_reply(void *arg, int status, h248_msg_t *msg, const h248_trans_t *reply)
{
  (void)arg, (void)status, (void)msg, (void)reply;
}
static void on_request(void *arg, h248_tl_txn_t *txn, h248_msg_t *msg, const h248_trans_t *req,
                       const struct sockaddr *from, socklen_t fromlen)
{
  h248_tl_t *tl = *(h248_tl_t **)arg;
  (void)msg, (void)from, (void)fromlen;
  if (req->id % 3 == 1)
    return; /* left executing: Pending on duplicates and on the timer */
  h248_msg_t *r = h248_msg_new();
  h248_trans_t *t = r ? h248_add_reply(r, 0) : NULL;
  h248_action_t *a = t ? h248_add_action(r, t, req->actions ? req->actions->ctx : h248_ctx_null())
                       : NULL;
  if (a && req->actions && req->actions->cmds)
    h248_add_cmd(r, a, req->actions->cmds->type, req->actions->cmds->tid[0]);
  if (req->id % 3 == 2 || !a)
    h248_tl_reply_error(tl, txn, 501, "fuzz");
  else
    h248_tl_reply(tl, txn, r);
  h248_msg_free(r);
}

static void feed_tl(const uint8_t *data, size_t size)
{
  static h248_tl_t *tl;
  static int calls;
  if (!tl) {
    h248_transport_t tr = {NULL, fake_send, fake_timer, fake_clock};
    h248_tl_config_t cfg = {.mid_name = "192.0.2.1", .mid_port = 2944,
                            .long_timer_ms = 2000, .provisional_ms = 100};
    check(h248_tl_new(&tl, &tr, &cfg, on_request, &tl) == 0, "h248_tl_new");
  }
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(2944)};
  peer.sin_addr.s_addr = htonl(0xc0000202u + (size ? data[0] % 4 : 0)); /* 192.0.2.2-5 */
  if (h248_tl_outstanding(tl) < 4) {
    h248_msg_t *m = h248_msg_new();
    h248_action_t *a = m ? h248_add_action(m, h248_add_request(m, 0), h248_ctx_num(1)) : NULL;
    if (a && h248_add_cmd(m, a, H248_CMD_MODIFY, "t1"))
      h248_tl_request(tl, (struct sockaddr *)&peer, sizeof peer, m, on_reply, NULL, NULL);
    h248_msg_free(m);
  }
  check(h248_tl_input(tl, (struct sockaddr *)&peer, sizeof peer, data, size) == 0, "tl input");
  fake_now += 50;
  h248_tl_on_timer(tl);
  if (++calls % 10000 == 0) {
    h248_tl_free(tl); /* everything must be released */
    tl = NULL;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  h248_msg_t *m = NULL;
  h248_error_info_t ei;
  int rc = h248_decode((const char *)data, size, &m, &ei);
  if (rc == 0) {
    check(m != NULL, "success without a message");
    roundtrip(m, H248_ENC_PRETTY);
    roundtrip(m, H248_ENC_COMPACT);
    h248_msg_free(m);
  } else {
    check(m == NULL, "failure left a message");
    check(rc == -EBADMSG || rc == -ENOMEM, "unexpected return code");
    if (rc == -EBADMSG) {
      check(ei.code >= 400 && ei.code <= 599, "error code out of range");
      check(ei.offset <= size, "error offset beyond the input");
      check(ei.line >= 1 && ei.reason[0], "no line or reason");
    }
  }
  size_t pl = 0;
  int t = h248_tpkt_read(data, size, &pl);
  check(t == 0 || t == -EBADMSG || ((size_t)t <= size && pl + 4 == (size_t)t), "tpkt");
  feed_tl(data, size);
  return 0;
}
