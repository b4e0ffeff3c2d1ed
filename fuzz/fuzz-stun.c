/* fuzz-stun.c -- libFuzzer target for the STUN codec: parse, check
 * integrity with a fixed key, rebuild what was parsed and parse it again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agw/media/wgmedia.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wgm_stun_msg_t m;
  (void)wgm_stun_is_stun(data, size);
  if (wgm_stun_parse(data, size, &m) != 0)
    return 0;
  (void)wgm_stun_check_integrity(data, size, &m, "VOkJxbRl1RmTxUk/WvJxBt", 22);
  if (m.username && m.username_len > (size_t)(data + size - (const uint8_t *)m.username))
    abort();
  wgm_stun_build_t b;
  memset(&b, 0, sizeof(b));
  b.type = m.type;
  memcpy(b.tid, m.tid, 12);
  char user[520];
  if (m.username && m.username_len < sizeof(user) && !memchr(m.username, 0, m.username_len)) {
    memcpy(user, m.username, m.username_len);
    user[m.username_len] = 0;
    b.username = user;
  }
  b.priority = m.priority;
  b.use_candidate = m.use_candidate;
  b.ice_role = m.ice_controlling ? 1 : m.ice_controlled ? 2 : 0;
  b.tiebreaker = m.tiebreaker;
  if (m.has_mapped)
    b.xor_mapped = (const struct sockaddr *)&m.mapped;
  b.error_code = m.error_code;
  b.integrity_key = "k";
  b.integrity_keylen = 1;
  b.fingerprint = 1;
  uint8_t out[2048];
  int n = wgm_stun_build(&b, out, sizeof(out));
  if (n > 0) {
    wgm_stun_msg_t m2;
    if (wgm_stun_parse(out, (size_t)n, &m2) != 0 || !m2.fingerprint_ok ||
        wgm_stun_check_integrity(out, (size_t)n, &m2, "k", 1) != 0 || m2.type != m.type)
      abort();
  }
  return 0;
}
