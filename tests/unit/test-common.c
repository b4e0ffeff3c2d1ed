/* test-common.c -- logging, config reader, pcap writer, address helpers. */
#include "config.h"
#include "common/common.h"
#include "tests/task.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

static char tmpdir[256];

static char *slurp(const char *path, size_t *n)
{
  FILE *fp = fopen(path, "rb");
  ASSERT_NOT_NULL(fp);
  static char buf[65536];
  *n = fread(buf, 1, sizeof buf - 1, fp);
  buf[*n] = '\0';
  fclose(fp);
  return buf;
}

static void test_config_file(void)
{
  wg_config_t *c = wg_config_new();
  char err[256];
  const char *text = "# top comment\n"
                     "log-level = debug\n"
                     "[alg]\n"
                     "  listen = 127.0.0.1:5060   # trailing comment\n"
                     "next-hop = \"sip:ims.example;lr\"\n"
                     "[agw]\n"
                     "max-contexts = 100\n"
                     "dtls = yes\n";
  ASSERT_EQ(wg_config_load_string(c, "t.conf", text, err, sizeof err), 0);
  ASSERT_STR_EQ(wg_config_get(c, "log-level", NULL), "debug");
  ASSERT_STR_EQ(wg_config_get(c, "alg.listen", NULL), "127.0.0.1:5060");
  ASSERT_STR_EQ(wg_config_get(c, "ALG.Next-Hop", NULL), "sip:ims.example;lr");
  long v;
  ASSERT_EQ(wg_config_get_int(c, "agw.max-contexts", 5, 1, 1000, &v, err, sizeof err), 0);
  ASSERT_EQ(v, 100);
  ASSERT_EQ(wg_config_get_int(c, "agw.max-contexts", 5, 1, 10, &v, err, sizeof err), -ERANGE);
  ASSERT(strstr(err, "agw.max-contexts") != NULL);
  int b;
  ASSERT_EQ(wg_config_get_bool(c, "agw.dtls", 0, &b, err, sizeof err), 0);
  ASSERT_EQ(b, 1);
  /* command-line override replaces the file's value */
  ASSERT_EQ(wg_config_set_kv(c, "agw.max-contexts=7", err, sizeof err), 0);
  ASSERT_EQ(wg_config_get_int(c, "agw.max-contexts", 5, 1, 10, &v, err, sizeof err), 0);
  ASSERT_EQ(v, 7);
  ASSERT_EQ(wg_config_set_kv(c, "novalue", err, sizeof err), -EINVAL);
  static const char *const known[] = { "log-level", "alg.*", "agw.max-contexts", NULL };
  ASSERT_STR_EQ(wg_config_first_unknown(c, known), "agw.dtls");
  wg_config_free(c);
}

static void test_config_errors(void)
{
  wg_config_t *c = wg_config_new();
  char err[256];
  ASSERT_EQ(wg_config_load_string(c, "bad.conf", "a = 1\nthis is wrong\n", err, sizeof err),
            -EINVAL);
  ASSERT_STR_EQ(err, "bad.conf:2: expected \"key = value\"");
  ASSERT_EQ(wg_config_load_string(c, "bad.conf", "[x\n", err, sizeof err), -EINVAL);
  ASSERT(strstr(err, "bad.conf:1:") == err);
  ASSERT_EQ(wg_config_load_string(c, "q.conf", "k = \"open\n", err, sizeof err), -EINVAL);
  ASSERT_EQ(wg_config_load(c, "/nonexistent/wicgated.conf", err, sizeof err), -ENOENT);
  ASSERT(strstr(err, "/nonexistent/wicgated.conf") != NULL);
  wg_config_free(c);
}

static void test_log_file(void)
{
  char path[300];
  snprintf(path, sizeof path, "%s/log.txt", tmpdir);
  ASSERT_EQ(wg_log_open(path), 0);
  wg_log_set_level(WG_LOG_INFO);
  wg_log_ctx_t ctx = { "abc@host", 1001, 11 };
  wg_log(WG_LOG_INFO, "alg", &ctx, "Add T1 sent (%d)", 3);
  wg_log(WG_LOG_DEBUG, "alg", NULL, "hidden");
  wg_log_close();
  size_t n;
  char *s = slurp(path, &n);
  ASSERT(strstr(s, "info   alg    [call=abc@host ctx=1001 step=11] Add T1 sent (3)\n") != NULL);
  ASSERT(strstr(s, "hidden") == NULL);
  ASSERT_EQ(wg_log_level_parse("DEBUG"), WG_LOG_DEBUG);
  ASSERT_EQ(wg_log_level_parse("loud"), -EINVAL);
}

static void test_hostport(void)
{
  struct sockaddr_storage ss;
  char buf[64];
  ASSERT_EQ(wg_parse_hostport("127.0.0.1:2944", 1, &ss), 0);
  ASSERT_STR_EQ(wg_format_addr((struct sockaddr *)&ss, buf, sizeof buf), "127.0.0.1:2944");
  ASSERT_EQ(wg_parse_hostport("[::1]:5060", 1, &ss), 0);
  ASSERT_STR_EQ(wg_format_addr((struct sockaddr *)&ss, buf, sizeof buf), "[::1]:5060");
  ASSERT_EQ(wg_parse_hostport("127.0.0.1", 1, &ss), -EINVAL);
  ASSERT_EQ(wg_parse_hostport("127.0.0.1:99999", 1, &ss), -EINVAL);
  ASSERT_EQ(wg_parse_hostport("host.invalid:1", 1, &ss), -EINVAL);
}

static void test_pcap(void)
{
  char path[300], err[256];
  snprintf(path, sizeof path, "%s/t.pcap", tmpdir);
  wg_pcap_t *pc = wg_pcap_open(path, err, sizeof err);
  ASSERT_NOT_NULL(pc);
  struct sockaddr_storage a, b;
  wg_parse_hostport("127.0.0.1:2944", 1, &a);
  wg_parse_hostport("127.0.0.2:2945", 1, &b);
  wg_pcap_udp(pc, (struct sockaddr *)&a, (struct sockaddr *)&b, "hello", 5);
  wg_pcap_tcp(pc, (struct sockaddr *)&a, (struct sockaddr *)&b, "abc", 3);
  wg_pcap_close(pc);
  size_t n;
  unsigned char *s = (unsigned char *)slurp(path, &n);
  /* header 24 + udp rec (16+20+8+5) + syn (16+20+20) + data (16+20+20+3) */
  ASSERT_EQ(n, 24 + 49 + 56 + 59);
  uint32_t magic;
  memcpy(&magic, s, 4);
  ASSERT_EQ(magic, 0xa1b2c3d4u);
  ASSERT_EQ(s[24 + 16], 0x45);             /* IPv4 */
  ASSERT_EQ(s[24 + 16 + 9], IPPROTO_UDP);
  ASSERT_MEM_EQ(s + 24 + 16 + 28, "hello", 5);
  /* the reverse direction of the same connection opens with SYN|ACK, not SYN */
  pc = wg_pcap_open(path, err, sizeof err);
  ASSERT_NOT_NULL(pc);
  wg_pcap_tcp(pc, (struct sockaddr *)&a, (struct sockaddr *)&b, "x", 1);
  wg_pcap_tcp(pc, (struct sockaddr *)&b, (struct sockaddr *)&a, "y", 1);
  wg_pcap_close(pc);
  s = (unsigned char *)slurp(path, &n);
  /* records: SYN (56), data (57), reverse SYN|ACK (56), data (57) */
  ASSERT_EQ(n, 24 + 56 + 57 + 56 + 57);
  ASSERT_EQ(s[24 + 16 + 20 + 13], 0x02);
  ASSERT_EQ(s[24 + 56 + 57 + 16 + 20 + 13], 0x12);
  ASSERT_NULL(wg_pcap_open("/nonexistent/dir/x.pcap", err, sizeof err));
  ASSERT(strstr(err, "/nonexistent/dir/x.pcap") != NULL);
}

int main(void)
{
  const char *t = getenv("WG_TEST_TMP");
  snprintf(tmpdir, sizeof tmpdir, "%s", t ? t : "/tmp");
  TEST_RUN(test_config_file);
  TEST_RUN(test_config_errors);
  TEST_RUN(test_log_file);
  TEST_RUN(test_hostport);
  TEST_RUN(test_pcap);
  return 0;
}
