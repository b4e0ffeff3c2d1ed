/* test-alg.c -- unit tests of alg/alg.h that need no network: the config
 * checks of alg_create() (each bad value is refused with a text naming the
 * key), the key list, and stop-before-run. The proxy and the call flows are
 * tested by tests/integration/alg-*.py against the real daemon. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "alg/alg.h"
#include "tests/task.h"

static int create_with(const char *kv, char *err, size_t errlen)
{
  wg_config_t *cfg = wg_config_new();
  alg_t *alg = NULL;
  char e2[256];
  int rc;
  ASSERT_NOT_NULL(cfg);
  if (kv)
    ASSERT_EQ(wg_config_set_kv(cfg, kv, e2, sizeof e2), 0);
  err[0] = 0;
  rc = alg_create(&alg, cfg, err, errlen);
  if (rc == 0) {
    ASSERT_NOT_NULL(alg);
    ASSERT_EQ(alg_call_count(alg), 0);
    alg_destroy(alg);
  } else {
    ASSERT_NULL(alg);
  }
  wg_config_free(cfg);
  return rc;
}

static void test_defaults(void)
{
  char err[256];
  ASSERT_EQ(create_with(NULL, err, sizeof err), 0);
  ASSERT_EQ(create_with("alg.next-hop=sip:127.0.0.1:5080", err, sizeof err), 0);
  ASSERT_EQ(create_with("alg.agw=127.0.0.1:2944, 127.0.0.1:2946", err, sizeof err), 0);
  ASSERT_EQ(create_with("alg.sip-transports=udp", err, sizeof err), 0);
}

static void expect_bad(const char *kv, const char *key)
{
  char err[256];
  int rc = create_with(kv, err, sizeof err);
  if (rc != -EINVAL || !strstr(err, key))
    TASK_FAIL("%s: rc %d, err \"%s\" (expected -EINVAL naming %s)", kv, rc, err, key);
}

static void test_bad_values(void)
{
  expect_bad("alg.sip-listen=nowhere", "alg.sip-listen");
  expect_bad("alg.sip-listen=127.0.0.1", "alg.sip-listen");
  expect_bad("alg.next-hop=http://127.0.0.1/", "alg.next-hop");
  expect_bad("alg.h248-listen=127.0.0.1:99999", "alg.h248-listen");
  expect_bad("alg.agw=127.0.0.1:2944,bogus", "alg.agw");
  expect_bad("alg.agw=", "alg.agw");
  expect_bad("alg.h248-timeout=5", "alg.h248-timeout");
  expect_bad("alg.max-calls=-1", "alg.max-calls");
  expect_bad("alg.timer-c=0", "alg.timer-c");
  expect_bad("alg.record-route=maybe", "alg.record-route");
  expect_bad("alg.sip-transports=sctp", "alg.sip-transports");
  /* SIP over WebSocket */
  expect_bad("alg.ws-listen=127.0.0.1", "alg.ws-listen");
  expect_bad("alg.wss-listen=nowhere:x", "alg.wss-listen");
  expect_bad("alg.wss-listen=127.0.0.1:8443", "alg.tls-cert");
  expect_bad("alg.http-root=/nonexistent/www", "alg.http-root");
  expect_bad("alg.registrar=maybe", "alg.registrar");
  expect_bad("alg.registrar=http://127.0.0.1/", "alg.registrar");
  expect_bad("alg.ws-max-message=10", "alg.ws-max-message");
  expect_bad("alg.ws-max-connections=0", "alg.ws-max-connections");
  expect_bad("alg.ws-ping-interval=-1", "alg.ws-ping-interval");
}

static void test_ws_config(void)
{
  wg_config_t *cfg = wg_config_new();
  alg_t *alg = NULL;
  char err[256], e2[256];
  ASSERT_NOT_NULL(cfg);
  /* wss without a key names alg.tls-key; WS needs the TCP transport */
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.wss-listen=127.0.0.1:8443", e2, sizeof e2), 0);
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.tls-cert=/etc/hostname", e2, sizeof e2), 0);
  ASSERT_EQ(alg_create(&alg, cfg, err, sizeof err), -EINVAL);
  ASSERT(strstr(err, "alg.tls-key") != NULL);
  /* a file that is not a PEM certificate */
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.tls-key=/etc/hostname", e2, sizeof e2), 0);
  ASSERT_EQ(alg_create(&alg, cfg, err, sizeof err), -EINVAL);
  ASSERT(strstr(err, "alg.tls-cert") != NULL);
  wg_config_free(cfg);
  cfg = wg_config_new();
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.ws-listen=127.0.0.1:8080", e2, sizeof e2), 0);
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.sip-transports=udp", e2, sizeof e2), 0);
  ASSERT_EQ(alg_create(&alg, cfg, err, sizeof err), -EINVAL);
  ASSERT(strstr(err, "alg.sip-transports") != NULL);
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.sip-transports=udp,tcp", e2, sizeof e2), 0);
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.record-route=no", e2, sizeof e2), 0);
  ASSERT_EQ(alg_create(&alg, cfg, err, sizeof err), -EINVAL);
  ASSERT(strstr(err, "alg.record-route") != NULL);
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.record-route=yes", e2, sizeof e2), 0);
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.registrar=sip:registrar.example.com:5060", e2, sizeof e2), 0);
  ASSERT_EQ(wg_config_set_kv(cfg, "alg.http-root=/tmp", e2, sizeof e2), 0);
  ASSERT_EQ(alg_create(&alg, cfg, err, sizeof err), 0);
  alg_destroy(alg);
  wg_config_free(cfg);
}

static void test_keys(void)
{
  const char *const *k = alg_config_keys();
  int seen = 0;
  for (; *k; k++)
    if (!strcmp(*k, "alg.next-hop") || !strcmp(*k, "alg.agw") || !strcmp(*k, "alg.h248-timeout") ||
        !strcmp(*k, "alg.ws-listen") || !strcmp(*k, "alg.registrar"))
      seen++;
  ASSERT_EQ(seen, 5);
}

static void test_stop_before_run(void)
{
  wg_config_t *cfg = wg_config_new();
  alg_t *alg = NULL;
  char err[256];
  ASSERT_EQ(alg_create(&alg, cfg, err, sizeof err), 0);
  alg_stop(alg, 0);
  ASSERT_EQ(alg_run(alg), 0);  /* returns at once: nothing bound */
  alg_destroy(alg);
  alg_destroy(NULL);
  wg_config_free(cfg);
}

int main(void)
{
  wg_log_set_level(WG_LOG_ERROR);
  TEST_RUN(test_defaults);
  TEST_RUN(test_bad_values);
  TEST_RUN(test_keys);
  TEST_RUN(test_ws_config);
  TEST_RUN(test_stop_before_run);
  return 0;
}
