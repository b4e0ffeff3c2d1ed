/* agw-run.c -- a tiny driver that runs libwgagw alone, for the gateway's
 * integration tests (the real daemon is `wicgated --role agw`).
 *
 *   agw-run CONFIG-FILE [LOG-FILE]
 *
 * Loads the config, creates the gateway, prints "H248 <addr>" and
 * "FINGERPRINT <fp>" on stdout once it is bound, and runs until SIGTERM
 * (graceful stop: ServiceChange Graceful) or SIGINT (forced). Exit 0 after a
 * clean stop, 2 on a config/bind error (the reason on stderr).
 * Optional keys of the driver itself: test.pcap = FILE, test.keylog = FILE
 * (agw_set_capture). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agw/agw.h"
#include "common/common.h"

static agw_t *g_agw;

static void on_signal(int sig) { agw_stop(g_agw, sig == SIGTERM); }

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: agw-run CONFIG-FILE [LOG-FILE]\n");
    return 2;
  }
  char err[256] = "";
  if (argc > 2 && wg_log_open(argv[2]) < 0) {
    fprintf(stderr, "cannot open log %s\n", argv[2]);
    return 2;
  }
  wg_log_set_level(WG_LOG_DEBUG);
  wg_config_t *cfg = wg_config_new();
  if (!cfg || wg_config_load(cfg, argv[1], err, sizeof err) < 0) {
    fprintf(stderr, "agw-run: %s\n", err);
    return 2;
  }
  wg_pcap_t *pcap = NULL;
  wg_keylog_t *keylog = NULL;
  const char *pp = wg_config_get(cfg, "test.pcap", NULL);
  const char *kp = wg_config_get(cfg, "test.keylog", NULL);
  if ((pp && !(pcap = wg_pcap_open(pp, err, sizeof err))) ||
      (kp && !(keylog = wg_keylog_open(kp, err, sizeof err)))) {
    fprintf(stderr, "agw-run: %s\n", err);
    return 2;
  }
  const char *lvl = wg_config_get(cfg, "log.level", NULL);
  if (lvl && wg_log_level_parse(lvl) >= 0)
    wg_log_set_level((enum wg_log_level)wg_log_level_parse(lvl));
  int rc = agw_create(&g_agw, cfg, err, sizeof err);
  wg_config_free(cfg);
  if (rc < 0) {
    fprintf(stderr, "agw-run: %s\n", err);
    return 2;
  }
  agw_set_capture(g_agw, pcap, keylog);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  struct sockaddr_storage a;
  char buf[64];
  agw_h248_address(g_agw, &a);
  printf("H248 %s\nFINGERPRINT %s\n", wg_format_addr((struct sockaddr *)&a, buf, sizeof buf),
         agw_fingerprint(g_agw));
  fflush(stdout);
  rc = agw_run(g_agw);
  agw_destroy(g_agw);
  if (pcap)
    wg_pcap_close(pcap);
  if (keylog)
    wg_keylog_close(keylog);
  wg_log_close();
  return rc < 0 ? 1 : 0;
}
