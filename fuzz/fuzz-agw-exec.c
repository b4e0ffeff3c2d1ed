/* fuzz-agw-exec.c -- libFuzzer target for the eIMS-AGW's command execution:
 * each input is one datagram from the MGC (H.248 text) handed to a live
 * gateway (agw_create, real loopback sockets, not run) through the test hook
 * agw__input. Whatever the text, the MG must answer and never crash, leak or
 * hang; every context is released after each input so that the next one
 * starts from an empty gateway. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agw/agw_int.h"

static agw_t *agw;
static int fd = -1;

static void setup(void)
{
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
    abort();
  socklen_t al = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &al);
  char text[512], err[256];
  unsigned salt = (unsigned)getpid() % 200;
  snprintf(text, sizeof text,
           "[agw]\nh248-listen = 127.0.0.1:0\nmgc = 127.0.0.1:%u\naccess-ports = %u-%u\n"
           "core-ports = %u-%u\nmax-contexts = 4\nlong-timer = 100\n",
           ntohs(a.sin_port), 50000 + salt * 8, 50000 + salt * 8 + 7, 52000 + salt * 8,
           52000 + salt * 8 + 7);
  wg_config_t *cfg = wg_config_new();
  if (!cfg || wg_config_load_string(cfg, "fuzz", text, err, sizeof err) < 0 ||
      agw_create(&agw, cfg, err, sizeof err) < 0) {
    fprintf(stderr, "fuzz-agw-exec: %s\n", err);
    abort();
  }
  wg_config_free(cfg);
  wg_log_set_level(WG_LOG_ERROR);
  agw__registered(agw, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!agw)
    setup();
  agw__input(agw, data, size);
  agw__reset(agw);
  char buf[65536];
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
    ;
  return 0;
}
