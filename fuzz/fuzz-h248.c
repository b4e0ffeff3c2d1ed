/* fuzz-h248.c -- libFuzzer target for the H.248 text decoder.
 *
 * Anything that decodes must encode (pretty and compact), the encoding must
 * decode again to an equal message, and re-encoding must be byte-stable.
 * Anything that does not decode must fail with -EBADMSG and an H.248 error
 * code and a position inside the input. The TPKT reader gets the bytes too. */
#include "config.h"
#include "h248/h248.h"

#include <errno.h>
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
  return 0;
}
