/* test-h248tool.c -- the h248tool program as a user runs it: parse prints a
 * summary and exits 0, or exits 1 naming the error code and line; print
 * re-encodes pretty or compact, from a file or from stdin. */
#include "config.h"
#include "tests/task.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tool[1024], ex[1024], bad[1024], tmp[1024];

/* Run cmd through the shell; returns the exit status, output in out (malloc). */
static int run(const char *cmd, char **out)
{
  char full[8300];
  snprintf(full, sizeof full, "%s 2>&1", cmd);
  FILE *fp = popen(full, "r");
  ASSERT_NOT_NULL(fp);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  ASSERT_NOT_NULL(buf);
  size_t r;
  while ((r = fread(buf + n, 1, cap - n - 1, fp)) > 0)
    n += r;
  buf[n] = '\0';
  int st = pclose(fp);
  ASSERT(WIFEXITED(st));
  *out = buf;
  return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
  FILE *fp = fopen(path, "rb");
  ASSERT_NOT_NULL(fp);
  char *buf = malloc(1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, fp);
  buf[n] = '\0';
  fclose(fp);
  return buf;
}

static void test_parse_ok(void)
{
  char cmd[8192], *out;
  snprintf(cmd, sizeof cmd, "'%s' parse '%s/s11_add_T1.txt'", tool, ex);
  ASSERT_EQ(run(cmd, &out), 0);
  ASSERT(strstr(out, "Transaction 10003") != NULL);
  ASSERT(strstr(out, "Context 1001") != NULL);
  ASSERT(strstr(out, "tlsbsc/tlsest") != NULL);
  ASSERT(strstr(out, "sctp/sctpid") != NULL);
  free(out);
  /* several messages in one trace, from stdin */
  snprintf(cmd, sizeof cmd, "cat '%s/s02_add_T2.txt' '%s/p01_pending.txt' '%s/k01_ack.txt' | '%s' parse -",
           ex, ex, ex, tool);
  ASSERT_EQ(run(cmd, &out), 0);
  ASSERT(strstr(out, "Transaction 10001") != NULL);
  ASSERT(strstr(out, "Pending 10003") != NULL);
  ASSERT(strstr(out, "TransactionResponseAck 10001 10002-10003") != NULL);
  free(out);
}

static void test_parse_bad(void)
{
  char cmd[8192], *out;
  snprintf(cmd, sizeof cmd, "'%s' parse '%s/445_bare_property.txt'", tool, bad);
  ASSERT_EQ(run(cmd, &out), 1);
  ASSERT(strstr(out, ":7:") != NULL); /* line 7 */
  ASSERT(strstr(out, "error 445") != NULL);
  ASSERT(strstr(out, "strdeagg") != NULL);
  free(out);
  snprintf(cmd, sizeof cmd, "'%s' parse '%s/413_eleven_transactions.txt'", tool, bad);
  ASSERT_EQ(run(cmd, &out), 1);
  ASSERT(strstr(out, "error 413") != NULL);
  free(out);
  snprintf(cmd, sizeof cmd, "'%s' parse /nonexistent/file", tool);
  ASSERT_EQ(run(cmd, &out), 2);
  free(out);
  snprintf(cmd, sizeof cmd, "'%s' frobnicate x", tool);
  ASSERT_EQ(run(cmd, &out), 2);
  ASSERT(strstr(out, "usage") != NULL);
  free(out);
}

static void test_print(void)
{
  char cmd[8192], *out;
  /* compact output of step 2 is the compact example, byte for byte */
  snprintf(cmd, sizeof cmd, "'%s' print --compact '%s/s02_add_T2.txt' > '%s/out.txt'", tool, ex,
           tmp);
  ASSERT_EQ(run(cmd, &out), 0);
  free(out);
  char p[2048];
  snprintf(p, sizeof p, "%s/out.txt", tmp);
  char *got = slurp(p);
  snprintf(p, sizeof p, "%s/c01_compact_add.txt", ex);
  char *want = slurp(p);
  ASSERT_STR_EQ(got, want);
  free(got);
  free(want);
  /* pretty output of the compact example is the long example */
  snprintf(cmd, sizeof cmd, "'%s' print --pretty - < '%s/c01_compact_add.txt' > '%s/out.txt'",
           tool, ex, tmp);
  ASSERT_EQ(run(cmd, &out), 0);
  free(out);
  snprintf(p, sizeof p, "%s/out.txt", tmp);
  got = slurp(p);
  snprintf(p, sizeof p, "%s/s02_add_T2.txt", ex);
  want = slurp(p);
  ASSERT_STR_EQ(got, want);
  free(got);
  free(want);
  /* and the pretty output parses again */
  snprintf(cmd, sizeof cmd, "'%s' parse '%s/out.txt'", tool, tmp);
  ASSERT_EQ(run(cmd, &out), 0);
  free(out);
}

int main(void)
{
  const char *top = getenv("top_srcdir"), *build = getenv("top_builddir");
  const char *t = getenv("WG_TEST_TMP");
  snprintf(tool, sizeof tool, "%s/h248tool", build ? build : ".");
  snprintf(ex, sizeof ex, "%s/tests/unit/h248-examples", top ? top : "..");
  snprintf(bad, sizeof bad, "%s/tests/unit/h248-bad", top ? top : "..");
  snprintf(tmp, sizeof tmp, "%s", t ? t : "/tmp");
  ASSERT_EQ(access(tool, X_OK), 0);
  TEST_RUN(test_parse_ok);
  TEST_RUN(test_parse_bad);
  TEST_RUN(test_print);
  return 0;
}
