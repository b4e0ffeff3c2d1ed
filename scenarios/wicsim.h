/* wicsim.h -- private header of the wicsim program: one simulator (shared
 * sockets, capture, media context) running one or many calls, each call
 * walking the steps of one scenario. Everything runs on one libuv loop. */
#ifndef WICSIM_H
#define WICSIM_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <uv.h>

#include "common/common.h"
#include "scenarios/scn.h"

struct call;
struct sim;
struct sipconn;

/* Lanes of the ladder. */
enum lane { L_WIC = 0, L_ALG = 1, L_AGW = 2, L_UEB = 3 };

/* One row of the ladder (what was seen, when, from where to where). */
struct row {
  int64_t t_us;    /* wall clock */
  int from, to;    /* lanes */
  char label[96];  /* e.g. "INVITE (SDP offer UDP/DTLS/SCTP)" */
  uint32_t fig;    /* figure steps this row is evidence for */
  int traffic;     /* 1: after the call set-up (MSRP etc.) */
  int auto_;       /* sent by wicsim on its own (100, ACK of non-2xx, MSRP 200) */
};

enum ev_kind {
  EV_SIP = 1,  /* a SIP message (request or response) */
  EV_MSRP,     /* an MSRP message */
  EV_DTLS_UP,
  EV_DTLS_FAIL,
  EV_SCTP_UP,
  EV_SCTP_LOST,
  EV_CHANNEL,  /* data channel open; num = sid */
  EV_TCP_UP,   /* UE-B: MSRP TCP connection established */
  EV_TCP_DOWN,
  EV_CHANNEL_CLOSED, /* data channel closed (stream reset); num = sid */
};

/* An event in a role's inbox, waiting for an expect step. */
struct ev {
  struct ev *next;
  enum ev_kind kind;
  int64_t t_us;
  int is_request;     /* SIP/MSRP */
  char method[16];    /* SIP/MSRP method */
  int code;           /* SIP/MSRP status */
  char cseq_method[16];
  int num;            /* channel sid / connection index */
  char *text;         /* whole message (SIP or MSRP head+body), NUL-terminated */
  size_t len;
  const char *body;   /* into text: SIP body / MSRP body */
  size_t body_len;
  size_t row;         /* index of its ladder row (+1; 0 = none) */
};

enum verdict { V_NOTRUN = 0, V_PASS, V_FAIL, V_SKIP };

struct step_result {
  enum verdict v;
  int64_t t_us;
  char msg[1024]; /* on failure: expected ... / got ...; on skip: why */
};

/* Latency marks of one call (load mode), microseconds since the INVITE. */
struct marks {
  int64_t invite, answered, channel, first_msrp, done;
  int64_t ueb_msrp;        /* first MSRP request delivered at UE-B (TCP) */
};

struct sim_opts {
  const char *file;
  const char *target;      /* HOST:PORT of the eP-CSCF (no daemon) */
  int with_daemon;
  const char *daemon_path;
  const char *pcap;
  const char *keylog;
  const char *junit;
  int json;
  int quiet;               /* load mode: no ladder */
  int verbose;
  const char *ip;          /* local address (127.0.0.1) */
  int ueb_sip_port;        /* 0: free */
  int keep;                /* keep the daemon's files */
  int color;
  /* load */
  double rate;
  long calls, concurrency;
  const char *times;       /* --times FILE: one line of timestamps per call */
};

/* Shared state of the simulator. */
struct sim {
  uv_loop_t *loop;
  struct sim_opts *o;
  struct scn *scn;
  void *mctx;               /* wgm_ctx_t */
  wg_pcap_t *pcap;          /* our own capture (NULL: none) */
  wg_keylog_t *keylog;
  uv_udp_t wic_sip, ueb_sip;
  uv_tcp_t ueb_tcp;         /* UE-B's SIP over TCP (same port) */
  /* which of the three handles above were initialised (sim_close closes
   * only those: sim_init can fail before it reaches them) */
  int wic_sip_live, ueb_sip_live, ueb_tcp_live;
  struct sipconn *conns;    /* accepted SIP/TCP connections */
  struct sockaddr_storage wic_sip_addr, ueb_sip_addr, target;
  char ip[64];
  struct call *calls;       /* live calls (list) */
  struct call *dead;        /* finished and released, memory kept for reports */
  unsigned call_seq;
  /* daemon */
  int daemon_running;
  uv_process_t proc;
  uv_pipe_t proc_err;
  char daemon_dir[256];
  char daemon_pcap[300], daemon_log[300];
  int h248_port_agw, h248_port_alg;
  int daemon_ready;
  int probe_ok;             /* the target answered our OPTIONS */
  int64_t last_send_us;     /* when the last SIP message went out */
  char errbuf[4096];        /* the daemon's last stderr lines */
  size_t errlen;
  long h248_off;            /* read offset in the daemon's pcap */
  /* what run/load wait for */
  int done;
  int exit_code;
};

/* A call: one walk through the scenario. */
struct call {
  struct sim *sim;
  struct call *next;
  unsigned id;
  char call_id[64];
  size_t cur;               /* current step */
  struct step_result *res;  /* one per step */
  uv_timer_t timer;         /* step timeout / wait */
  int timer_live;
  int64_t step_start_us;
  long got_count;           /* expect count=N: how many matched so far */
  int finished, failed;
  char fail_reason[64];     /* load mode: the failure class */
  struct marks marks;
  int64_t t0_us;
  /* variables */
  char wic_fp[160], bad_fp[160], wic_ufrag[64], wic_pwd[64], wic_path[128], wic_path2[128];
  char ueb_path[128], ueb_path2[128], sess[32], rnd[32];
  int wic_port, ueb_port, ueb_port2;
  char numbuf[8][160];
  /* inboxes */
  struct ev *inbox[3];      /* by role */
  struct ev **inbox_end[3]; /* the last event's next field (NULL: walk from inbox[i]) */
  /* ladder */
  struct row *rows;
  size_t nrows, caprows;
  /* SIP dialog state: WIC (UAC) */
  char wic_tag[32], wic_remote_tag[64], wic_branch[64], wic_ruri[256];
  char wic_remote_target[256];
  char *wic_routes;         /* "Route: ..." lines (CRLF-terminated) or NULL */
  uint32_t wic_cseq, wic_invite_cseq;
  char *wic_last_req;       /* last request sent (for retransmission) */
  size_t wic_last_req_len;
  int wic_rtx_n;            /* retransmissions so far */
  uv_timer_t wic_rtx;
  int wic_rtx_live;
  char *wic_ack;            /* the ACK for a 2xx (resent on 2xx retransmits) */
  int wic_got_final;
  char wic_invite_body[8192]; /* the offer sent */
  char *wic_answer;         /* the SDP of the 2xx (malloc'd) */
  /* SIP dialog state: UE-B (UAS) */
  char *ueb_invite;         /* the INVITE as received */
  char *ueb_last_req[4];    /* INVITE, BYE, CANCEL, other */
  char *ueb_last_resp[4];   /* the response sent to each */
  struct sockaddr_storage ueb_peer; /* where requests came from (the proxy) */
  struct sipconn *ueb_conn; /* the TCP connection the INVITE came on, or NULL */
  char ueb_tag[32], ueb_remote_tag[64], ueb_remote_target[256];
  char *ueb_routes;
  uint32_t ueb_cseq;
  int ueb_final[4];         /* a final response was sent to that request */
  unsigned ueb_req_seq[4], ueb_seq; /* order the requests came in */
  char *ueb_offer;          /* SDP of the INVITE received */
  char *ueb_answer;         /* SDP UE-B answered with */
  char *ueb_2xx;            /* INVITE final response, retransmitted until ACK */
  uv_timer_t ueb_rtx;
  int ueb_rtx_live, ueb_rtx_n;
  int ueb_acked;
  char *ueb_bye;            /* UE-B's own BYE (retransmitted until answered) */
  /* media: WIC */
  void *dc;                 /* wgm_dc_t */
  int dtls_up, sctp_up;
  int chan[8];              /* open channel sids (-1 none) */
  size_t remote_max_msg;
  long max_body;            /* size=max: the body size chosen */
  /* media: UE-B */
  void *tcp[4];             /* wgm_tcp_t, by m-line index */
  int ntcp;
  /* outbound MSRP queue (EAGAIN) */
  struct outq *outq;
  struct outq **outq_end;   /* the last entry's next field, when outq is not empty */
  int msrp_seq;
  int seen;                 /* ladder rows already shown (STUN, SCTP) */
  int wic_fd;               /* the WIC's media socket until the DC takes it */
  int wic_fd2, wic_port2;   /* ${wic.port.2}: a second socket, bound on first use (a new
                               association on another port, e.g. a DTLS restart) */
  int wic_early;
  int wic_reinv;            /* the WIC got a re-INVITE in its dialog (answered by "send CODE") */
  int ueb_reinv;            /* UE-B sent a re-INVITE in the dialog it was called in */            /* an 18x brought an SDP answer (kept if the 2xx has none) */
  char dc_peer[320];        /* "port fingerprint" of the answer the running DC uses */
  int wic_bye_sent;
  /* the mirror flow (digest 7.1): UE-B calls, the WIC is the callee */
  int callee;               /* 1 once UE-B sent an INVITE */
  char *wic_inv_req;        /* the INVITE the WIC received */
  char *wic_inv_resp;       /* the WIC's last response to it (resent on retransmits) */
  char *ueb_inv_req;        /* UE-B's INVITE, retransmitted until a response */
  char ueb_branch[64];
  uint32_t ueb_invite_cseq;
  int ueb_got_final;
  char *ueb_2xx_resp;       /* the 2xx UE-B received (dialog From/To) */
  char *ueb_ack;            /* UE-B's ACK (resent on 2xx retransmits) */
};

/* engine.c */
int sim_init(struct sim *s, uv_loop_t *loop, struct sim_opts *o, struct scn *scn, char *err,
             size_t errlen);
void sim_close(struct sim *s);
struct call *call_start(struct sim *s);
void call_free(struct call *c);
void sim_free_dead(struct sim *s);
void call_add_h248_rows(struct call *c);
int sim_probe(struct sim *s);
int sim_pick_port(const char *ip, int fixed, int keep, int *ufd, int *tfd);
char *sim_expand(struct sim *s, const char *t, char *err, size_t errlen);
int sim_free_media(struct sim *s);
const char *fig_list(uint32_t fig, char *buf, size_t len);

/* report.c */
void report_ladder(FILE *fp, struct sim *s, struct call *c);
void report_verdicts(FILE *fp, struct sim *s, struct call *c, int *pass, int *fail, int *skip);
int report_junit(const char *path, struct sim *s, struct call *c, double secs);
void report_json(FILE *fp, struct sim *s, struct call *c, double secs);
size_t call_add_row(struct call *c, int64_t t_us, int from, int to, uint32_t fig, int traffic,
                    int auto_, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* capture.c: the daemon's H.248 from its pcap, and the merge */
struct h248msg {
  int64_t t_us;
  int to_agw;         /* 1: ALG -> AGW */
  int is_reply;
  char kind[16];      /* Transaction / Reply / Pending / TransactionResponseAck */
  char command[24];   /* Add / Modify / Subtract / Notify / ServiceChange */
  char tid[24];       /* transaction id */
  char term[48];      /* termination id */
  int used;           /* shown by an H248 step */
  char *text;
};
/* Read new H.248 messages from the daemon's pcap. Returns how many were
 * added to *msgs (an array grown as needed), or -errno. */
int capture_read_h248(struct sim *s, struct h248msg **msgs, size_t *n);
/* Merge our pcap and the daemon's H.248 packets into out. */
int capture_merge(const char *ours, const char *daemon_pcap, int port_a, int port_b,
                  const char *out, char *err, size_t errlen);

/* daemon.c */
int daemon_start(struct sim *s, char *err, size_t errlen);
void daemon_stop(struct sim *s);

#endif
