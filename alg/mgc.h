/* mgc.h -- private to alg/: the MGC side (H.248 over UDP on the su_root). */
#ifndef WG_ALG_MGC_H
#define WG_ALG_MGC_H

#include "alg/alg_int.h"
#include "h248/h248.h"

struct alg_suspect { uint32_t ctx; uint64_t since_ms; };

struct alg_agw {
  alg_agw_t *next;
  struct sockaddr_storage addr;
  socklen_t alen;
  char name[64];            /* "127.0.0.1:2944" */
  int alive;                /* registered or answered an audit */
  int ever_alive;
  unsigned reg_epoch;        /* counts its registrations (ServiceChange) */
  int need_register;        /* it left (ServiceChange Graceful/Forced) or answered
                             * 505: only a ServiceChange brings it back */
  unsigned ncalls;
  int audit_out;            /* an audit is outstanding */
  uint32_t audit_tid;
  /* orphan sweep (mgc.c): contexts seen belonging to no call, since when */
  int sweep_out, sweep_off;
  size_t n_suspect;
  struct alg_suspect suspect[32];
};

/* Start: bind alg.h248-listen, create the transaction layer, arm audits. */
int alg_mgc_start(alg_t *alg);
void alg_mgc_stop(alg_t *alg);
/* A live AGW with room for a call, round robin; NULL when none. *full is set
 * when live AGWs exist but all are full. */
alg_agw_t *alg_mgc_pick(alg_t *alg, int *full);
/* A new request message with our mId. */
h248_msg_t *alg_mgc_msg(alg_t *alg);
/* Send a request transaction to an AGW. cb gets the reply (see h248.h). */
int alg_mgc_send(alg_t *alg, alg_agw_t *agw, h248_msg_t *req, h248_tl_reply_cb cb, void *arg,
                 uint32_t *tid);
int alg_mgc_cancel(alg_t *alg, uint32_t tid);
/* The AGW answered 505 (we are not its MGC yet): out of service until it
 * registers with ServiceChange. */
void alg_mgc_not_registered(alg_t *alg, alg_agw_t *g);
/* Graceful stop: ServiceChange Forced to each live AGW. */
void alg_mgc_goodbye(alg_t *alg);
/* Outstanding H.248 requests. */
size_t alg_mgc_outstanding(alg_t *alg);

/* call.c: an AGW reported events (Notify) for a context. */
void alg_call_notify(alg_t *alg, alg_agw_t *agw, uint32_t ctx, const char *tid,
                     const char *event);

/* call.c: does a call (in any state) hold context ctx of agw? */
int alg_call_owns_ctx(alg_t *alg, const alg_agw_t *agw, uint32_t ctx);

/* call.c: audit the context of every call (AuditValue on its T2): an AGW
 * that lost it (411/430/431, e.g. restarted) releases the call. */
void alg_calls_audit(alg_t *alg);

/* Describe the error of a reply (transaction, action or command error):
 * returns the H.248 code (0 = none) and fills text. */
int alg_h248_reply_error(const h248_trans_t *reply, char *text, size_t len);

#endif
