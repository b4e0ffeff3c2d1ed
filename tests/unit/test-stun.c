/* test-stun.c -- the STUN codec against the RFC 5769 test vectors, plus
 * building, errors and truncation. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "agw/media/wgmedia.h"
#include "tests/task.h"

/* RFC 5769 2.1: sample request, password "VOkJxbRl1RmTxUk/WvJxBt" */
static const uint8_t req[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74,
    0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e,
    0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20,
    0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
    0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5,
    0x7a, 0x3b, 0xcf};

/* 2.2: IPv4 response, 192.0.2.1:32853 */
static const uint8_t resp4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76,
    0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1,
    0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00,
    0x04, 0xc0, 0x7d, 0x4c, 0x96};

/* 2.3: IPv6 response, [2001:db8:1234:5678:11:2233:4455:6677]:32853 */
static const uint8_t resp6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76,
    0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01,
    0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9,
    0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb,
    0x0b, 0x4c};

static const char pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t tid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static void vector_request(void) {
  wgm_stun_msg_t m;
  ASSERT_EQ(wgm_stun_is_stun(req, sizeof(req)), 1);
  ASSERT_EQ(wgm_stun_parse(req, sizeof(req), &m), 0);
  ASSERT_EQ(m.type, WGM_STUN_BINDING_REQUEST);
  ASSERT_MEM_EQ(m.tid, tid, 12);
  ASSERT_EQ(m.username_len, 9);
  ASSERT_MEM_EQ(m.username, "evtj:h6vY", 9);
  ASSERT_EQ(m.software_len, 16);
  ASSERT_MEM_EQ(m.software, "STUN test client", 16);
  ASSERT_EQ(m.has_priority, 1);
  ASSERT_EQ(m.priority, 0x6e0001ffu);
  ASSERT_EQ(m.ice_controlled, 1);
  ASSERT_EQ(m.ice_controlling, 0);
  ASSERT(m.tiebreaker == 0x932ff9b151263b36ull);
  ASSERT_EQ(m.use_candidate, 0);
  ASSERT_EQ(m.fingerprint_ok, 1);
  ASSERT_EQ(m.integrity_off, 76);
  ASSERT_EQ(wgm_stun_check_integrity(req, sizeof(req), &m, pwd, strlen(pwd)), 0);
  ASSERT_EQ(wgm_stun_check_integrity(req, sizeof(req), &m, "wrong", 5), -EACCES);
}

static void vector_response4(void) {
  wgm_stun_msg_t m;
  ASSERT_EQ(wgm_stun_parse(resp4, sizeof(resp4), &m), 0);
  ASSERT_EQ(m.type, WGM_STUN_BINDING_SUCCESS);
  ASSERT_EQ(m.has_mapped, 1);
  const struct sockaddr_in *sin = (const struct sockaddr_in *)&m.mapped;
  ASSERT_EQ(sin->sin_family, AF_INET);
  ASSERT_EQ(ntohs(sin->sin_port), 32853);
  char txt[64];
  ASSERT_STR_EQ(inet_ntop(AF_INET, &sin->sin_addr, txt, sizeof(txt)), "192.0.2.1");
  ASSERT_EQ(m.fingerprint_ok, 1);
  ASSERT_EQ(wgm_stun_check_integrity(resp4, sizeof(resp4), &m, pwd, strlen(pwd)), 0);
}

static void vector_response6(void) {
  wgm_stun_msg_t m;
  ASSERT_EQ(wgm_stun_parse(resp6, sizeof(resp6), &m), 0);
  const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&m.mapped;
  ASSERT_EQ(s6->sin6_family, AF_INET6);
  ASSERT_EQ(ntohs(s6->sin6_port), 32853);
  char txt[64];
  ASSERT_STR_EQ(inet_ntop(AF_INET6, &s6->sin6_addr, txt, sizeof(txt)),
                "2001:db8:1234:5678:11:2233:4455:6677");
  ASSERT_EQ(wgm_stun_check_integrity(resp6, sizeof(resp6), &m, pwd, strlen(pwd)), 0);
}

/* The builder reproduces the vectors byte for byte. */
static void build_vectors(void) {
  uint8_t out[256];
  wgm_stun_build_t b;
  memset(&b, 0, sizeof(b));
  b.type = WGM_STUN_BINDING_REQUEST;
  memcpy(b.tid, tid, 12);
  b.software = "STUN test client";
  b.priority = 0x6e0001ffu;
  b.ice_role = 2;
  b.tiebreaker = 0x932ff9b151263b36ull;
  b.username = "evtj:h6vY";
  b.integrity_key = pwd;
  b.integrity_keylen = strlen(pwd);
  b.fingerprint = 1;
  b.pad_byte = 0x20;
  ASSERT_EQ(wgm_stun_build(&b, out, sizeof(out)), (int)sizeof(req));
  ASSERT_MEM_EQ(out, req, sizeof(req));

  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons(32853);
  inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
  memset(&b, 0, sizeof(b));
  b.type = WGM_STUN_BINDING_SUCCESS;
  memcpy(b.tid, tid, 12);
  b.software = "test vector";
  b.xor_mapped = (struct sockaddr *)&sin;
  b.integrity_key = pwd;
  b.integrity_keylen = strlen(pwd);
  b.fingerprint = 1;
  b.pad_byte = 0x20;
  ASSERT_EQ(wgm_stun_build(&b, out, sizeof(out)), (int)sizeof(resp4));
  ASSERT_MEM_EQ(out, resp4, sizeof(resp4));

  struct sockaddr_in6 s6;
  memset(&s6, 0, sizeof(s6));
  s6.sin6_family = AF_INET6;
  s6.sin6_port = htons(32853);
  inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &s6.sin6_addr);
  b.xor_mapped = (struct sockaddr *)&s6;
  ASSERT_EQ(wgm_stun_build(&b, out, sizeof(out)), (int)sizeof(resp6));
  ASSERT_MEM_EQ(out, resp6, sizeof(resp6));
  ASSERT_EQ(wgm_stun_build(&b, out, 40), -ENOSPC);
}

static void corruption(void) {
  uint8_t m2[sizeof(req)];
  wgm_stun_msg_t m;
  /* any flipped bit inside the message breaks FINGERPRINT or integrity */
  for (size_t i = 20; i < sizeof(req) - 8; i++) {
    memcpy(m2, req, sizeof(req));
    m2[i] ^= 0x01;
    int rc = wgm_stun_parse(m2, sizeof(m2), &m);
    ASSERT(rc == -EBADMSG || (rc == 0 && m.fingerprint_ok == 0));
  }
  /* every truncation is rejected, never read beyond the buffer */
  for (size_t n = 0; n < sizeof(req); n++)
    ASSERT_EQ(wgm_stun_parse(req, n, &m), -EBADMSG);
  ASSERT_EQ(wgm_stun_parse(NULL, 0, &m), -EINVAL);
  /* demultiplexing: DTLS and RTP are not STUN */
  uint8_t dtls[24] = {22, 0xfe, 0xfd};
  ASSERT_EQ(wgm_stun_is_stun(dtls, sizeof(dtls)), 0);
  /* attribute length beyond the message */
  memcpy(m2, req, sizeof(req));
  m2[22] = 0x01; /* SOFTWARE length 0x110 */
  ASSERT_EQ(wgm_stun_parse(m2, sizeof(m2), &m), -EBADMSG);
}

static void ice_roundtrip(void) {
  uint8_t out[512];
  wgm_stun_build_t b;
  memset(&b, 0, sizeof(b));
  b.type = WGM_STUN_BINDING_REQUEST;
  memset(b.tid, 7, 12);
  b.username = "abcd:efgh";
  b.priority = 12345;
  b.use_candidate = 1;
  b.ice_role = 1;
  b.tiebreaker = 42;
  b.integrity_key = "secretsecretsecretsecret";
  b.integrity_keylen = 24;
  b.fingerprint = 1;
  int n = wgm_stun_build(&b, out, sizeof(out));
  ASSERT_GT(n, 0);
  wgm_stun_msg_t m;
  ASSERT_EQ(wgm_stun_parse(out, (size_t)n, &m), 0);
  ASSERT_EQ(m.use_candidate, 1);
  ASSERT_EQ(m.ice_controlling, 1);
  ASSERT(m.tiebreaker == 42);
  ASSERT_EQ(m.priority, 12345);
  ASSERT_EQ(m.fingerprint_ok, 1);
  ASSERT_EQ(wgm_stun_check_integrity(out, (size_t)n, &m, "secretsecretsecretsecret", 24), 0);

  /* error responses 400 / 401 / 487 */
  static const int codes[] = {400, 401, 487};
  for (int i = 0; i < 3; i++) {
    memset(&b, 0, sizeof(b));
    b.type = WGM_STUN_BINDING_ERROR;
    b.error_code = codes[i];
    b.fingerprint = 1;
    n = wgm_stun_build(&b, out, sizeof(out));
    ASSERT_GT(n, 0);
    ASSERT_EQ(wgm_stun_parse(out, (size_t)n, &m), 0);
    ASSERT_EQ(m.error_code, codes[i]);
    ASSERT_GT(m.error_reason_len, 0);
    ASSERT_EQ(wgm_stun_check_integrity(out, (size_t)n, &m, "x", 1), -ENOENT);
  }
  b.error_code = 99;
  ASSERT_EQ(wgm_stun_build(&b, out, sizeof(out)), -EINVAL);
  /* an unknown comprehension-required attribute is flagged */
  uint8_t unk[] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                   11, 12, 0x00, 0x77, 0x00, 0x04, 1, 2, 3, 4};
  ASSERT_EQ(wgm_stun_parse(unk, sizeof(unk), &m), 0);
  ASSERT_EQ(m.unknown_required, 1);
}

static void crc(void) {
  /* the CRC-32 check value */
  ASSERT_EQ(wgm_crc32("123456789", 9), 0xCBF43926u);
}

int main(void) {
  TEST_RUN(vector_request);
  TEST_RUN(vector_response4);
  TEST_RUN(vector_response6);
  TEST_RUN(build_vectors);
  TEST_RUN(corruption);
  TEST_RUN(ice_roundtrip);
  TEST_RUN(crc);
  return 0;
}
