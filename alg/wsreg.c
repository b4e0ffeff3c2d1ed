/* wsreg.c -- REGISTER from WebSocket clients, and reaching them again.
 *
 * alg.registrar = builtin (default): a small TEST registrar for demos and
 * labs, stated so in the log: no authentication, bindings in memory only,
 * bound to the WebSocket connection they came over (dropped when it
 * closes). It answers 200 with every current Contact of the AOR and its
 * expires, honours Expires / ;expires= within [REG_MIN, REG_MAX] (423 +
 * Min-Expires below REG_MIN, capped at REG_MAX), Expires 0 unregisters,
 * "Contact: *" with Expires 0 removes all of the AOR's bindings.
 *
 * alg.registrar = sip:URI: the REGISTER is forwarded there with our Path
 * (RFC 3327; ";ob" when the client asked for outbound, RFC 5626: reg-id /
 * +sip.instance), and the bindings the registrar confirms in its 2xx are
 * recorded here the same way, so that requests for them go back over the
 * client's connection.
 *
 * An initial request whose Request-URI is an AOR with a binding is
 * retargeted to the newest binding's Contact (no forking); an AOR whose
 * bindings are all gone gets 480 with a Warning. */
#include "config.h"
#include "alg/alg_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/url.h>

#define REG_MIN 60
#define REG_MAX 3600
#define REG_DEFAULT 3600
#define MAX_AORS 10000

struct binding {
  struct binding *next;
  uint64_t conn;
  uint64_t expires_at;       /* wg_mono_ms() */
  uint64_t seq;
  su_home_t home[1];
  url_t *contact;
};

struct aor {
  struct aor *next;
  char *name;
  struct binding *b;
};

struct reg_priv {
  struct aor *aors;
  unsigned naors;
  uint64_t seq;
};

static struct reg_priv *R(alg_t *alg) { return alg->reg; }

static void aor_key(url_t const *u, char *out, size_t n)
{
  size_t i;
  snprintf(out, n, "sip:%s@%s", u->url_user ? u->url_user : "", u->url_host ? u->url_host : "");
  for (i = strlen(out); i > 0 && out[i - 1] != '@'; i--)
    out[i - 1] = (char)tolower((unsigned char)out[i - 1]);
}

static struct aor *aor_find(alg_t *alg, const char *key, int create)
{
  struct aor *a;
  for (a = R(alg)->aors; a; a = a->next)
    if (!strcmp(a->name, key))
      return a;
  if (!create || R(alg)->naors >= MAX_AORS)
    return NULL;
  a = calloc(1, sizeof *a);
  if (!a || !(a->name = strdup(key))) {
    free(a);
    return NULL;
  }
  a->next = R(alg)->aors;
  R(alg)->aors = a;
  R(alg)->naors++;
  return a;
}

static int same_contact(url_t const *a, url_t const *b)
{
  return (!a->url_user == !b->url_user) && (!a->url_user || !strcmp(a->url_user, b->url_user)) &&
         a->url_host && b->url_host && !strcasecmp(a->url_host, b->url_host) &&
         (!a->url_port == !b->url_port) && (!a->url_port || !strcmp(a->url_port, b->url_port));
}

static void binding_free(struct binding *b)
{
  su_home_deinit(b->home);
  free(b);
}

static void binding_remove(struct aor *a, url_t const *contact, uint64_t conn)
{
  struct binding **pp = &a->b, *b;
  while ((b = *pp)) {
    if ((!contact || same_contact(b->contact, contact)) && (!conn || b->conn == conn)) {
      *pp = b->next;
      binding_free(b);
    } else {
      pp = &b->next;
    }
  }
}

static int binding_set(alg_t *alg, struct aor *a, url_t const *contact, uint64_t conn,
                       unsigned secs)
{
  struct binding *b;
  for (b = a->b; b; b = b->next)
    if (same_contact(b->contact, contact))
      break;
  if (!b) {
    b = calloc(1, sizeof *b);
    if (!b)
      return -ENOMEM;
    su_home_init(b->home);
    b->contact = url_hdup(b->home, contact);
    if (!b->contact) {
      binding_free(b);
      return -ENOMEM;
    }
    b->next = a->b;
    a->b = b;
  }
  b->conn = conn;
  b->expires_at = wg_mono_ms() + (uint64_t)secs * 1000;
  b->seq = ++R(alg)->seq;
  return 0;
}

static unsigned contact_expires(sip_t const *sip, sip_contact_t const *m, unsigned def)
{
  if (m->m_expires)
    return (unsigned)strtoul(m->m_expires, NULL, 10);
  if (sip->sip_expires)
    return (unsigned)sip->sip_expires->ex_delta;
  return def;
}

/* ------------------------------------------------------------ built-in */

static void builtin(alg_t *alg, alg_ptx_t *t, sip_t const *sip)
{
  char key[512], hdrs[2048];
  struct aor *a;
  struct binding *b;
  sip_contact_t const *m;
  uint64_t now = wg_mono_ms();
  size_t o = 0;
  int n = 0;

  if (!sip->sip_to || !sip->sip_to->a_url->url_host) {
    alg_proxy_respond(t, 400, "Bad Request", "REGISTER without a To AOR", 0);
    return;
  }
  aor_key(sip->sip_to->a_url, key, sizeof key);
  if (sip->sip_contact && sip->sip_contact->m_url->url_type == url_any) {
    if (sip->sip_contact->m_next || !sip->sip_expires || sip->sip_expires->ex_delta != 0) {
      alg_proxy_respond(t, 400, "Bad Request", "Contact: * needs Expires: 0 and no other Contact", 0);
      return;
    }
    if ((a = aor_find(alg, key, 0)))
      binding_remove(a, NULL, 0);
    wg_log(WG_LOG_INFO, "alg", NULL, "registrar (built-in): %s: all bindings removed", key);
    alg_proxy_respond_hdrs(t, 200, "OK", NULL, NULL);
    return;
  }
  for (m = sip->sip_contact; m; m = m->m_next) {
    unsigned e = contact_expires(sip, m, REG_DEFAULT);
    if (e && e < REG_MIN) {
      snprintf(hdrs, sizeof hdrs, "Min-Expires: %d", REG_MIN);
      alg_proxy_respond_hdrs(t, 423, "Interval Too Brief", "registration interval too brief",
                             hdrs);
      return;
    }
  }
  a = aor_find(alg, key, sip->sip_contact != NULL);
  if (sip->sip_contact && !a) {
    alg_proxy_respond(t, 503, "Service Unavailable", "registrar full", 10);
    return;
  }
  for (m = sip->sip_contact; m; m = m->m_next) {
    unsigned e = contact_expires(sip, m, REG_DEFAULT);
    if (e > REG_MAX)
      e = REG_MAX;
    if (e == 0) {
      binding_remove(a, m->m_url, 0);
      wg_log(WG_LOG_INFO, "alg", NULL, "registrar (built-in): %s: unregistered %s", key,
             url_as_string(msg_home(t->req), m->m_url));
    } else if (binding_set(alg, a, m->m_url, t->ws_conn, e) < 0) {
      alg_proxy_respond(t, 500, NULL, "out of memory", 0);
      return;
    } else {
      wg_log(WG_LOG_INFO, "alg", NULL, "registrar (built-in): %s -> %s for %us over ws %s",
             key, url_as_string(msg_home(t->req), m->m_url), e, alg_ws_conn_name(alg, t->ws_conn));
    }
  }
  /* 200 with every current binding of the AOR */
  if (!a)
    a = aor_find(alg, key, 0);
  for (b = a ? a->b : NULL; b; b = b->next) {
    char *u = url_as_string(msg_home(t->req), b->contact);
    /* whole seconds left, rounded down: `now` was read before the binding
     * was set, so rounding up reported 121 for a binding of 120 */
    unsigned left = b->expires_at > now ? (unsigned)((b->expires_at - now) / 1000) : 0;
    int k;
    if (!u || !left)
      continue;
    k = snprintf(hdrs + o, sizeof hdrs - o, "%sContact: <%s>;expires=%u", n ? "\r\n" : "", u, left);
    if (k < 0 || (size_t)k >= sizeof hdrs - o)
      break;
    o += (size_t)k;
    n++;
  }
  hdrs[o] = 0;
  alg_proxy_respond_hdrs(t, 200, "OK", NULL, o ? hdrs : NULL);
}

/* ------------------------------------------------------------ API */

int alg_reg_register(alg_t *alg, alg_ptx_t *t, sip_t const *sip)
{
  sip_t *fsip = sip_object(t->req);
  if (!R(alg)) {
    alg_proxy_respond(t, 500, NULL, "registrar not running", 0);
    return 1;
  }
  if (!alg->registrar_url) {
    builtin(alg, t, sip);
    return 1;
  }
  {
    char path[256];
    sip_contact_t const *m;
    int ob = 0;
    for (m = sip->sip_contact; m; m = m->m_next)
      if (m->m_params && (msg_params_find(m->m_params, "reg-id") ||
                          msg_params_find(m->m_params, "+sip.instance")))
        ob = 1;
    if (strchr(alg->sip_host, ':'))
      snprintf(path, sizeof path, "<sip:[%s]:%u;transport=tcp;lr%s>", alg->sip_host, alg->sip_port,
               ob ? ";ob" : "");
    else
      snprintf(path, sizeof path, "<sip:%s:%u;transport=tcp;lr%s>", alg->sip_host, alg->sip_port,
               ob ? ";ob" : "");
    if (msg_header_add_make(t->req, (msg_pub_t *)fsip, sip_path_class, path) < 0) {
      alg_proxy_respond(t, 500, NULL, "out of memory", 0);
      return 1;
    }
    t->route = alg->registrar_url;
  }
  return 0;
}

void alg_reg_response(alg_t *alg, alg_ptx_t *t, sip_t const *sip)
{
  sip_t const *req = sip_object(t->req);
  sip_contact_t const *m, *rm;
  struct aor *a;
  char key[512];
  int status = sip->sip_status ? sip->sip_status->st_status : 0;

  if (!R(alg) || status < 200 || status >= 300 || !req || !req->sip_to)
    return;
  aor_key(req->sip_to->a_url, key, sizeof key);
  a = aor_find(alg, key, 1);
  if (!a)
    return;
  /* the request's contacts that the registrar no longer lists are gone */
  for (rm = req->sip_contact; rm; rm = rm->m_next) {
    int listed = 0;
    for (m = sip->sip_contact; m; m = m->m_next)
      if (same_contact(m->m_url, rm->m_url))
        listed = 1;
    if (!listed && rm->m_url->url_type != url_any)
      binding_remove(a, rm->m_url, 0);
    else if (rm->m_url->url_type == url_any)
      binding_remove(a, NULL, 0);
  }
  for (m = sip->sip_contact; m; m = m->m_next)
    for (rm = req->sip_contact; rm; rm = rm->m_next)
      if (rm->m_url->url_type != url_any && same_contact(m->m_url, rm->m_url)) {
        unsigned e = contact_expires(sip, m, REG_DEFAULT);
        if (e && binding_set(alg, a, rm->m_url, t->ws_conn, e) == 0)
          wg_log(WG_LOG_INFO, "alg", NULL, "registrar %s: %s -> %s for %us over ws %s",
                 alg->registrar, key, url_as_string(msg_home(t->req), rm->m_url), e,
                 alg_ws_conn_name(alg, t->ws_conn));
      }
}

int alg_reg_retarget(alg_t *alg, alg_ptx_t *t)
{
  sip_t *sip = sip_object(t->req);
  char key[512];
  struct aor *a;
  struct binding *b, *best = NULL;
  uint64_t now = wg_mono_ms();
  sip_request_t *rq;

  if (!R(alg) || !sip->sip_request || !sip->sip_request->rq_url->url_host)
    return 0;
  aor_key(sip->sip_request->rq_url, key, sizeof key);
  if (!(a = aor_find(alg, key, 0)))
    return 0;
  for (b = a->b; b; b = b->next)
    if (b->expires_at > now && (!best || b->seq > best->seq))
      best = b;
  if (!best)
    return -1;
  rq = sip_request_create(msg_home(t->req), sip->sip_request->rq_method,
                          sip->sip_request->rq_method_name, (url_string_t *)best->contact, NULL);
  if (!rq || msg_header_replace(t->req, (msg_pub_t *)sip, (msg_header_t *)sip->sip_request,
                                (msg_header_t *)rq) < 0)
    return 0;
  wg_log(WG_LOG_INFO, "alg", NULL, "%s for %s -> registered contact %s", rq->rq_method_name, key,
         url_as_string(msg_home(t->req), best->contact));
  return 1;
}

void alg_reg_conn_closed(alg_t *alg, uint64_t id)
{
  struct aor *a;
  if (!R(alg))
    return;
  for (a = R(alg)->aors; a; a = a->next) {
    struct binding *b;
    int had = 0;
    for (b = a->b; b; b = b->next)
      if (b->conn == id)
        had = 1;
    if (had) {
      binding_remove(a, NULL, id);
      wg_log(WG_LOG_INFO, "alg", NULL, "registrar: %s: bindings over ws #%llu released "
             "(connection closed)", a->name, (unsigned long long)id);
    }
  }
}

void alg_reg_tick(alg_t *alg)
{
  struct aor *a;
  uint64_t now = wg_mono_ms();
  if (!R(alg))
    return;
  for (a = R(alg)->aors; a; a = a->next) {
    struct binding **pp = &a->b, *b;
    while ((b = *pp)) {
      if (b->expires_at <= now) {
        *pp = b->next;
        wg_log(WG_LOG_INFO, "alg", NULL, "registrar: %s: a binding expired", a->name);
        binding_free(b);
      } else {
        pp = &b->next;
      }
    }
  }
}

int alg_reg_start(alg_t *alg)
{
  alg->reg = calloc(1, sizeof(struct reg_priv));
  if (!alg->reg)
    return -ENOMEM;
  if (alg->registrar)
    wg_log(WG_LOG_NOTICE, "alg", NULL, "REGISTER from WebSocket clients: forwarded to %s "
           "with Path", alg->registrar);
  else
    wg_log(WG_LOG_NOTICE, "alg", NULL, "REGISTER from WebSocket clients: built-in TEST "
           "registrar (alg.registrar = builtin; for demos and labs: no authentication, "
           "bindings in memory, dropped with the connection)");
  return 0;
}

void alg_reg_stop(alg_t *alg)
{
  struct reg_priv *p = R(alg);
  if (!p)
    return;
  while (p->aors) {
    struct aor *a = p->aors;
    p->aors = a->next;
    binding_remove(a, NULL, 0);
    free(a->name);
    free(a);
  }
  free(p);
  alg->reg = NULL;
}
