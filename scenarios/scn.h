/* scn.h -- private header of wicsim: the scenario file model, its parser and
 * the ${variable} template expansion. No I/O beyond reading the file, no
 * logging: errors come back as -errno plus a text "FILE:LINE: reason".
 *
 * The format is described in doc/wicsim.md. In short:
 *
 *   name "Figure 6.2.10.x.2.1"      # title
 *   timeout 5s                      # default timeout of each expect
 *   set NAME VALUE                  # a variable for ${NAME}
 *   daemon ARG...                   # extra wicgated args (--with-daemon)
 *   sdp NAME                        # an SDP template, up to "end"
 *   ...
 *   end
 *   [step LIST] ROLE VERB ARGS...   # a step; LIST = 1 | 2-4 | 5,6
 *       MATCHER ...                 # indented matcher lines of an expect
 *
 * Ownership: scn_load()/scn_parse() return a scenario the caller frees with
 * scn_free(); every string inside it belongs to it.
 */
#ifndef WICSIM_SCN_H
#define WICSIM_SCN_H

#include <stddef.h>
#include <stdint.h>

enum scn_role {
  SCN_ROLE_NONE = 0,
  SCN_ROLE_WIC,  /* the WebRTC IMS client: SIP UAC + ICE/DTLS/SCTP/DC/MSRP */
  SCN_ROLE_UEB,  /* the far end in IMS: SIP UAS + MSRP over TCP */
  SCN_ROLE_H248, /* the Iq between ALG and AGW (only seen with --with-daemon) */
};

enum scn_verb {
  SCN_SEND = 1, /* send INVITE|ACK|BYE|CANCEL|<code> | send MSRP */
  SCN_EXPECT,   /* expect <what> [matchers] */
  SCN_WAIT,     /* wait <duration> */
  SCN_OPEN,     /* open channel <id> [dcep] */
  SCN_CONNECT,  /* connect [m=<n>]: UE-B opens the MSRP TCP connection */
  SCN_CLOSE,    /* close: UE-B closes its MSRP TCP connection(s) */
};

/* What a send/expect is about. */
enum scn_what {
  SCN_W_REQUEST = 1, /* SIP request: method in `method` */
  SCN_W_RESPONSE,    /* SIP response: code (exact), or class*100 with code_class */
  SCN_W_MSRP,        /* MSRP: method "SEND"/"REPORT" or a status code */
  SCN_W_DTLS,        /* DTLS handshake done (expect) */
  SCN_W_DTLS_FAIL,   /* DTLS handshake failed or the association was torn down */
  SCN_W_SCTP,        /* SCTP association up (expect) */
  SCN_W_CHANNEL,     /* data channel open (expect) */
  SCN_W_H248,        /* an H.248 message: "request"/"reply" + command */
  SCN_W_MSRP_CONN,   /* UE-B: a TCP connection for MSRP accepted/established */
  SCN_W_NOTHING,     /* expect nothing: no SIP request / final response, no MSRP
                        within the timeout (passes when the timeout expires) */
  SCN_W_CHANNEL_CLOSED, /* WIC: a data channel closed (stream reset both ways) */
  SCN_W_CONN_CLOSED,    /* UE-B: its MSRP TCP connection (m=N) closed */
};

enum scn_match_kind {
  SCN_M_SDP_LINE = 1, /* some SDP line matches the glob pattern `a` */
  SCN_M_SDP_HAS,      /* some SDP line is `a` or starts with `a:` / `a ` */
  SCN_M_SDP_LACKS,    /* no such line */
  SCN_M_HDR,          /* header `a` present with a value matching glob `b` */
  SCN_M_HDR_HAS,      /* header `a` present */
  SCN_M_HDR_LACKS,    /* header `a` absent */
  SCN_M_BODY,         /* the body (SIP body, MSRP body, H.248 text) contains `a` */
};

struct scn_match {
  enum scn_match_kind kind;
  char *a, *b; /* may contain ${vars}; expanded when checked */
  int line;
};

#define SCN_MAX_FIG 18

struct scn_step {
  int line;            /* line in the file */
  uint32_t fig;        /* bit n set: this step checks figure step n (1..18) */
  enum scn_role role;
  enum scn_verb verb;
  enum scn_what what;
  char *method;        /* SIP method / MSRP method / H.248 "request"|"reply" */
  int code;            /* SIP/MSRP status; with code_class: 2 for "2xx" */
  int code_class;      /* 1 when `code` is a class (e.g. 4xx) */
  char *command;       /* H.248 command (Add, Modify, ...) */
  char *sdp;           /* send: template name (NULL: no body) */
  char *to;            /* send <code> to=METHOD: which request to answer */
  char *tag;           /* UE-B send <code> tag=NAME: answer as another UAS (a fork):
                          its To-tag is UE-B's tag + "-NAME" */
  char **headers;      /* send: extra "Name: value" lines (may contain vars) */
  size_t nheaders;
  long size;           /* MSRP body size in bytes (-1 = any / default, -2 = "max") */
  long count;          /* MSRP messages (default 1) */
  int channel;         /* WIC: data channel id (-1 = the first); UE-B: m-line 1.. */
  int dcep;            /* open channel ... dcep */
  char *label;         /* open channel: label */
  char *text;          /* send MSRP text="...": body text */
  long wait_ms;        /* wait */
  long timeout_ms;     /* expect: this step's timeout (0 = scenario default) */
  int optional;        /* expect ... optional: a miss is not a failure */
  struct scn_match *matches;
  size_t nmatches;
  char *src;           /* the step line as written (for reports) */
};

struct scn_tmpl {
  char *name;
  char *text; /* lines joined with "\r\n", trailing CRLF included */
  int line;
};

struct scn_var {
  char *name, *value;
};

struct scn {
  char *file;
  char *name;
  long timeout_ms;          /* default expect timeout (5000) */
  struct scn_tmpl *tmpls;
  size_t ntmpls;
  struct scn_step *steps;
  size_t nsteps;
  struct scn_var *vars;     /* `set` variables */
  size_t nvars;
  char **daemon_args;       /* `daemon` words (may contain vars) */
  size_t ndaemon_args;
};

/* Parse scenario text. `file` names it in error texts. Returns 0 and *out,
 * -EINVAL with err = "FILE:LINE: reason" on a syntax error, -ENOMEM. */
int scn_parse(const char *file, const char *text, struct scn **out, char *err, size_t errlen);
/* Read and parse a file; -errno when it cannot be read (err names it). */
int scn_load(const char *path, struct scn **out, char *err, size_t errlen);
void scn_free(struct scn *s);

const struct scn_tmpl *scn_find_tmpl(const struct scn *s, const char *name);
const char *scn_role_name(enum scn_role r);

/* Is `name` a variable the engine provides (wic.ip, ueb.path, ...)? */
int scn_builtin_var(const char *name);

/* Template expansion. lookup returns the value of a variable or NULL when it
 * is unknown. Writes a malloc'd string to *out (caller frees). "${name}" is
 * replaced; a "$" not followed by "{" is kept. Errors: -EINVAL (unknown
 * variable or unterminated "${", err names it), -ENOMEM. */
typedef const char *(*scn_lookup_fn)(void *ctx, const char *name);
int scn_expand(const char *tmpl, scn_lookup_fn lookup, void *ctx, char **out, char *err,
               size_t errlen);

/* "500ms", "5s", "2m", "1.5s", plain number = ms. -1 on error. */
long scn_parse_duration(const char *s);

/* Glob match of a whole line (fnmatch, '*' and '?'). 1 = match. */
int scn_glob(const char *pattern, const char *text);

/* Lines of an SDP or SIP body, for the matchers. 1 when a line matches. */
int scn_sdp_has_line(const char *sdp, const char *pattern);
int scn_sdp_has_attr(const char *sdp, const char *name);
/* Value of the first SDP line starting with `prefix` (e.g. "a=fingerprint:"),
 * copied into buf (CR/LF stripped). Returns 0 or -ENOENT. The nth (0-based)
 * occurrence with scn_sdp_get_nth. */
int scn_sdp_get(const char *sdp, const char *prefix, char *buf, size_t len);
int scn_sdp_get_nth(const char *sdp, const char *prefix, int nth, char *buf, size_t len);

#endif /* WICSIM_SCN_H */
