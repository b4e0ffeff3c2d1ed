/* test-media-dcep.c -- DCEP (RFC 8832) encode/decode. */
#include "config.h"

#include <errno.h>

#include "agw/media/wgmedia.h"
#include "tests/task.h"

static void open_roundtrip(void) {
  wgm_dcep_open_t o, p;
  memset(&o, 0, sizeof(o));
  o.channel_type = WGM_DC_PARTIAL_RELIABLE_REXMIT_UNORDERED;
  o.priority = 256;
  o.reliability = 5;
  o.label = "chat";
  o.label_len = 4;
  o.protocol = "MSRP";
  o.protocol_len = 4;
  uint8_t buf[64];
  int n = wgm_dcep_build_open(&o, buf, sizeof(buf));
  ASSERT_EQ(n, 20);
  static const uint8_t want[] = {0x03, 0x81, 0x01, 0x00, 0, 0, 0, 5, 0, 4, 0, 4,
                                 'c',  'h',  'a',  't',  'M', 'S', 'R', 'P'};
  ASSERT_MEM_EQ(buf, want, sizeof(want));
  ASSERT_EQ(wgm_dcep_parse(buf, (size_t)n, &p), WGM_DCEP_OPEN);
  ASSERT_EQ(p.channel_type, o.channel_type);
  ASSERT_EQ(p.priority, 256);
  ASSERT_EQ(p.reliability, 5);
  ASSERT_EQ(p.label_len, 4);
  ASSERT_MEM_EQ(p.label, "chat", 4);
  ASSERT_EQ(p.protocol_len, 4);
  ASSERT_MEM_EQ(p.protocol, "MSRP", 4);
  ASSERT_EQ(wgm_dcep_build_open(&o, buf, 19), -ENOSPC);
  /* empty label and protocol */
  memset(&o, 0, sizeof(o));
  ASSERT_EQ(wgm_dcep_build_open(&o, buf, sizeof(buf)), 12);
  ASSERT_EQ(wgm_dcep_parse(buf, 12, &p), WGM_DCEP_OPEN);
  ASSERT_EQ(p.label_len, 0);
  o.channel_type = 0x05;
  ASSERT_EQ(wgm_dcep_build_open(&o, buf, sizeof(buf)), -EINVAL);
}

static void ack_and_errors(void) {
  uint8_t b[16];
  wgm_dcep_open_t p;
  ASSERT_EQ(wgm_dcep_build_ack(b, sizeof(b)), 1);
  ASSERT_EQ(b[0], 0x02);
  ASSERT_EQ(wgm_dcep_parse(b, 1, &p), WGM_DCEP_ACK);
  ASSERT_EQ(wgm_dcep_parse(b, 0, &p), -EBADMSG);
  static const uint8_t ack2[] = {0x02, 0x00};
  ASSERT_EQ(wgm_dcep_parse(ack2, 2, &p), -EBADMSG);
  static const uint8_t unk[] = {0x09};
  ASSERT_EQ(wgm_dcep_parse(unk, 1, &p), -ENOTSUP);
  /* lengths beyond the buffer, and trailing bytes */
  static const uint8_t longlab[] = {0x03, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 'a'};
  ASSERT_EQ(wgm_dcep_parse(longlab, sizeof(longlab), &p), -EBADMSG);
  static const uint8_t trailing[] = {0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'x'};
  ASSERT_EQ(wgm_dcep_parse(trailing, sizeof(trailing), &p), -EBADMSG);
  static const uint8_t badtype[] = {0x03, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  ASSERT_EQ(wgm_dcep_parse(badtype, sizeof(badtype), &p), -EBADMSG);
  /* every truncation of a valid OPEN fails cleanly */
  wgm_dcep_open_t o;
  memset(&o, 0, sizeof(o));
  o.label = "label";
  o.label_len = 5;
  uint8_t buf[32];
  int n = wgm_dcep_build_open(&o, buf, sizeof(buf));
  for (int i = 0; i < n; i++)
    ASSERT_EQ(wgm_dcep_parse(buf, (size_t)i, &p), -EBADMSG);
}

int main(void) {
  TEST_RUN(open_roundtrip);
  TEST_RUN(ack_and_errors);
  return 0;
}
