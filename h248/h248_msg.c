/* h248_msg.c -- message model: arena, tokens, builders, lookups. */
#include "config.h"
#include "h248/h248_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define IS_DIGIT(c) H248__IS((c), H248__C_DIGIT)
#define IS_ALPHA(c) H248__IS((c), H248__C_ALPHA)

/* ------------------------------------------------------------------ tokens */

#define T_(tk, lng, shrt) {tk, lng, shrt, sizeof lng - 1, sizeof shrt - 1}
const struct h248__tokname h248__toks[] = {
  T_(TK_ADD, "Add", "A"),
  T_(TK_AUDIT, "Audit", "AT"),
  T_(TK_AUDITCAP, "AuditCapability", "AC"),
  T_(TK_AUDITVALUE, "AuditValue", "AV"),
  T_(TK_AUTH, "Authentication", "AU"),
  T_(TK_BRIEF, "Brief", "BR"),
  T_(TK_BUFFER, "Buffer", "BF"),
  T_(TK_CONTEXT, "Context", "C"),
  T_(TK_CONTEXTAUDIT, "ContextAudit", "CA"),
  T_(TK_CONTEXTATTR, "ContextAttr", "CT"),
  T_(TK_DIGITMAP, "DigitMap", "DM"),
  T_(TK_DISCONNECTED, "Disconnected", "DC"),
  T_(TK_DELAY, "Delay", "DL"),
  T_(TK_DURATION, "Duration", "DR"),
  T_(TK_EMBED, "Embed", "EM"),
  T_(TK_EMERGENCY, "Emergency", "EG"),
  T_(TK_EMERGENCYOFF, "EmergencyOff", "EGO"),
  T_(TK_ERROR, "Error", "ER"),
  T_(TK_EVENTBUFFER, "EventBuffer", "EB"),
  T_(TK_EVENTS, "Events", "E"),
  T_(TK_FAILOVER, "Failover", "FL"),
  T_(TK_FORCED, "Forced", "FO"),
  T_(TK_GRACEFUL, "Graceful", "GR"),
  T_(TK_HANDOFF, "HandOff", "HO"),
  T_(TK_IEPS, "IEPSCall", "IEPS"),
  T_(TK_IMMACK, "ImmAckRequired", "IA"),
  T_(TK_INACTIVE, "Inactive", "IN"),
  T_(TK_INSERVICE, "InService", "IV"),
  T_(TK_INTBYEVENT, "IntByEvent", "IBE"),
  T_(TK_INTBYSIGDESCR, "IntBySigDescr", "IBS"),
  T_(TK_ITERATION, "Iteration", "IT"),
  T_(TK_KEEPACTIVE, "KeepActive", "KA"),
  T_(TK_LOCAL, "Local", "L"),
  T_(TK_LOCALCONTROL, "LocalControl", "O"),
  T_(TK_LOCKSTEP, "LockStep", "SP"),
  T_(TK_LOOPBACK, "Loopback", "LB"),
  T_(TK_MEDIA, "Media", "M"),
  T_(TK_MEGACO, "MEGACO", "!"),
  T_(TK_METHOD, "Method", "MT"),
  T_(TK_MGCIDTOTRY, "MgcIdToTry", "MG"),
  T_(TK_MODE, "Mode", "MO"),
  T_(TK_MODIFY, "Modify", "MF"),
  T_(TK_MODEM, "Modem", "MD"),
  T_(TK_MOVE, "Move", "MV"),
  T_(TK_MTP, "MTP", "MTP"),
  T_(TK_MUX, "Mux", "MX"),
  T_(TK_NOTIFY, "Notify", "N"),
  T_(TK_NOTIFYCOMPLETION, "NotifyCompletion", "NC"),
  T_(TK_OBSERVEDEVENTS, "ObservedEvents", "OE"),
  T_(TK_OFF, "OFF", "OFF"),
  T_(TK_ON, "ON", "ON"),
  T_(TK_ONOFF, "OnOff", "OO"),
  T_(TK_OTHERREASON, "OtherReason", "OR"),
  T_(TK_OUTOFSERVICE, "OutOfService", "OS"),
  T_(TK_PACKAGES, "Packages", "PG"),
  T_(TK_PENDING, "Pending", "PN"),
  T_(TK_PRIORITY, "Priority", "PR"),
  T_(TK_PROFILE, "Profile", "PF"),
  T_(TK_REASON, "Reason", "RE"),
  T_(TK_RECVONLY, "ReceiveOnly", "RC"),
  T_(TK_REPLY, "Reply", "P"),
  T_(TK_REMOTE, "Remote", "R"),
  T_(TK_RESERVEDGROUP, "ReservedGroup", "RG"),
  T_(TK_RESERVEDVALUE, "ReservedValue", "RV"),
  T_(TK_RESPONSEACK, "TransactionResponseAck", "K"),
  T_(TK_RESTART, "Restart", "RS"),
  T_(TK_SEGMENTREPLY, "Segment", "SM"),
  T_(TK_SENDONLY, "SendOnly", "SO"),
  T_(TK_SENDRECV, "SendReceive", "SR"),
  T_(TK_SERVICES, "Services", "SV"),
  T_(TK_SERVICESTATES, "ServiceStates", "SI"),
  T_(TK_SERVICECHANGE, "ServiceChange", "SC"),
  T_(TK_SCADDRESS, "ServiceChangeAddress", "AD"),
  T_(TK_SIGNALLIST, "SignalList", "SL"),
  T_(TK_SIGNALS, "Signals", "SG"),
  T_(TK_SIGNALTYPE, "SignalType", "SY"),
  T_(TK_STATISTICS, "Statistics", "SA"),
  T_(TK_STREAM, "Stream", "ST"),
  T_(TK_SUBTRACT, "Subtract", "S"),
  T_(TK_TERMSTATE, "TerminationState", "TS"),
  T_(TK_TEST, "Test", "TE"),
  T_(TK_TIMEOUT, "TimeOut", "TO"),
  T_(TK_TOPOLOGY, "Topology", "TP"),
  T_(TK_TRANSACTION, "Transaction", "T"),
  T_(TK_VERSION, "Version", "V"),
};
#define toks h248__toks
_Static_assert(sizeof toks / sizeof toks[0] == TK_COUNT_ - 1, "one spelling per token");

/* The same spellings, upper-cased (sorted by length, then strcmp order),
 * looked up through tok_hash[] below: the lookup runs on every word of every
 * message. Keep it in step with toks[] (the codec test round-trips every
 * token through both). */
static const struct {
  const char *up;
  unsigned char len;
  int tk;
} toks_sorted[] = {
  {"!", 1, TK_MEGACO},
  {"A", 1, TK_ADD},
  {"C", 1, TK_CONTEXT},
  {"E", 1, TK_EVENTS},
  {"K", 1, TK_RESPONSEACK},
  {"L", 1, TK_LOCAL},
  {"M", 1, TK_MEDIA},
  {"N", 1, TK_NOTIFY},
  {"O", 1, TK_LOCALCONTROL},
  {"P", 1, TK_REPLY},
  {"R", 1, TK_REMOTE},
  {"S", 1, TK_SUBTRACT},
  {"T", 1, TK_TRANSACTION},
  {"V", 1, TK_VERSION},
  {"AC", 2, TK_AUDITCAP},
  {"AD", 2, TK_SCADDRESS},
  {"AT", 2, TK_AUDIT},
  {"AU", 2, TK_AUTH},
  {"AV", 2, TK_AUDITVALUE},
  {"BF", 2, TK_BUFFER},
  {"BR", 2, TK_BRIEF},
  {"CA", 2, TK_CONTEXTAUDIT},
  {"CT", 2, TK_CONTEXTATTR},
  {"DC", 2, TK_DISCONNECTED},
  {"DL", 2, TK_DELAY},
  {"DM", 2, TK_DIGITMAP},
  {"DR", 2, TK_DURATION},
  {"EB", 2, TK_EVENTBUFFER},
  {"EG", 2, TK_EMERGENCY},
  {"EM", 2, TK_EMBED},
  {"ER", 2, TK_ERROR},
  {"FL", 2, TK_FAILOVER},
  {"FO", 2, TK_FORCED},
  {"GR", 2, TK_GRACEFUL},
  {"HO", 2, TK_HANDOFF},
  {"IA", 2, TK_IMMACK},
  {"IN", 2, TK_INACTIVE},
  {"IT", 2, TK_ITERATION},
  {"IV", 2, TK_INSERVICE},
  {"KA", 2, TK_KEEPACTIVE},
  {"LB", 2, TK_LOOPBACK},
  {"MD", 2, TK_MODEM},
  {"MF", 2, TK_MODIFY},
  {"MG", 2, TK_MGCIDTOTRY},
  {"MO", 2, TK_MODE},
  {"MT", 2, TK_METHOD},
  {"MV", 2, TK_MOVE},
  {"MX", 2, TK_MUX},
  {"NC", 2, TK_NOTIFYCOMPLETION},
  {"OE", 2, TK_OBSERVEDEVENTS},
  {"ON", 2, TK_ON},
  {"OO", 2, TK_ONOFF},
  {"OR", 2, TK_OTHERREASON},
  {"OS", 2, TK_OUTOFSERVICE},
  {"PF", 2, TK_PROFILE},
  {"PG", 2, TK_PACKAGES},
  {"PN", 2, TK_PENDING},
  {"PR", 2, TK_PRIORITY},
  {"RC", 2, TK_RECVONLY},
  {"RE", 2, TK_REASON},
  {"RG", 2, TK_RESERVEDGROUP},
  {"RS", 2, TK_RESTART},
  {"RV", 2, TK_RESERVEDVALUE},
  {"SA", 2, TK_STATISTICS},
  {"SC", 2, TK_SERVICECHANGE},
  {"SG", 2, TK_SIGNALS},
  {"SI", 2, TK_SERVICESTATES},
  {"SL", 2, TK_SIGNALLIST},
  {"SM", 2, TK_SEGMENTREPLY},
  {"SO", 2, TK_SENDONLY},
  {"SP", 2, TK_LOCKSTEP},
  {"SR", 2, TK_SENDRECV},
  {"ST", 2, TK_STREAM},
  {"SV", 2, TK_SERVICES},
  {"SY", 2, TK_SIGNALTYPE},
  {"TE", 2, TK_TEST},
  {"TO", 2, TK_TIMEOUT},
  {"TP", 2, TK_TOPOLOGY},
  {"TS", 2, TK_TERMSTATE},
  {"ADD", 3, TK_ADD},
  {"EGO", 3, TK_EMERGENCYOFF},
  {"IBE", 3, TK_INTBYEVENT},
  {"IBS", 3, TK_INTBYSIGDESCR},
  {"MTP", 3, TK_MTP},
  {"MUX", 3, TK_MUX},
  {"OFF", 3, TK_OFF},
  {"IEPS", 4, TK_IEPS},
  {"MODE", 4, TK_MODE},
  {"MOVE", 4, TK_MOVE},
  {"TEST", 4, TK_TEST},
  {"AUDIT", 5, TK_AUDIT},
  {"BRIEF", 5, TK_BRIEF},
  {"DELAY", 5, TK_DELAY},
  {"EMBED", 5, TK_EMBED},
  {"ERROR", 5, TK_ERROR},
  {"LOCAL", 5, TK_LOCAL},
  {"MEDIA", 5, TK_MEDIA},
  {"MODEM", 5, TK_MODEM},
  {"ONOFF", 5, TK_ONOFF},
  {"REPLY", 5, TK_REPLY},
  {"BUFFER", 6, TK_BUFFER},
  {"EVENTS", 6, TK_EVENTS},
  {"FORCED", 6, TK_FORCED},
  {"MEGACO", 6, TK_MEGACO},
  {"METHOD", 6, TK_METHOD},
  {"MODIFY", 6, TK_MODIFY},
  {"NOTIFY", 6, TK_NOTIFY},
  {"REASON", 6, TK_REASON},
  {"REMOTE", 6, TK_REMOTE},
  {"STREAM", 6, TK_STREAM},
  {"CONTEXT", 7, TK_CONTEXT},
  {"HANDOFF", 7, TK_HANDOFF},
  {"PENDING", 7, TK_PENDING},
  {"PROFILE", 7, TK_PROFILE},
  {"RESTART", 7, TK_RESTART},
  {"SEGMENT", 7, TK_SEGMENTREPLY},
  {"SIGNALS", 7, TK_SIGNALS},
  {"TIMEOUT", 7, TK_TIMEOUT},
  {"VERSION", 7, TK_VERSION},
  {"DIGITMAP", 8, TK_DIGITMAP},
  {"DURATION", 8, TK_DURATION},
  {"FAILOVER", 8, TK_FAILOVER},
  {"GRACEFUL", 8, TK_GRACEFUL},
  {"IEPSCALL", 8, TK_IEPS},
  {"INACTIVE", 8, TK_INACTIVE},
  {"LOCKSTEP", 8, TK_LOCKSTEP},
  {"LOOPBACK", 8, TK_LOOPBACK},
  {"PACKAGES", 8, TK_PACKAGES},
  {"PRIORITY", 8, TK_PRIORITY},
  {"SENDONLY", 8, TK_SENDONLY},
  {"SERVICES", 8, TK_SERVICES},
  {"SUBTRACT", 8, TK_SUBTRACT},
  {"TOPOLOGY", 8, TK_TOPOLOGY},
  {"EMERGENCY", 9, TK_EMERGENCY},
  {"INSERVICE", 9, TK_INSERVICE},
  {"ITERATION", 9, TK_ITERATION},
  {"AUDITVALUE", 10, TK_AUDITVALUE},
  {"INTBYEVENT", 10, TK_INTBYEVENT},
  {"KEEPACTIVE", 10, TK_KEEPACTIVE},
  {"MGCIDTOTRY", 10, TK_MGCIDTOTRY},
  {"SIGNALLIST", 10, TK_SIGNALLIST},
  {"SIGNALTYPE", 10, TK_SIGNALTYPE},
  {"STATISTICS", 10, TK_STATISTICS},
  {"CONTEXTATTR", 11, TK_CONTEXTATTR},
  {"EVENTBUFFER", 11, TK_EVENTBUFFER},
  {"OTHERREASON", 11, TK_OTHERREASON},
  {"RECEIVEONLY", 11, TK_RECVONLY},
  {"SENDRECEIVE", 11, TK_SENDRECV},
  {"TRANSACTION", 11, TK_TRANSACTION},
  {"CONTEXTAUDIT", 12, TK_CONTEXTAUDIT},
  {"DISCONNECTED", 12, TK_DISCONNECTED},
  {"EMERGENCYOFF", 12, TK_EMERGENCYOFF},
  {"LOCALCONTROL", 12, TK_LOCALCONTROL},
  {"OUTOFSERVICE", 12, TK_OUTOFSERVICE},
  {"INTBYSIGDESCR", 13, TK_INTBYSIGDESCR},
  {"RESERVEDGROUP", 13, TK_RESERVEDGROUP},
  {"RESERVEDVALUE", 13, TK_RESERVEDVALUE},
  {"SERVICECHANGE", 13, TK_SERVICECHANGE},
  {"SERVICESTATES", 13, TK_SERVICESTATES},
  {"AUTHENTICATION", 14, TK_AUTH},
  {"IMMACKREQUIRED", 14, TK_IMMACK},
  {"OBSERVEDEVENTS", 14, TK_OBSERVEDEVENTS},
  {"AUDITCAPABILITY", 15, TK_AUDITCAP},
  {"NOTIFYCOMPLETION", 16, TK_NOTIFYCOMPLETION},
  {"TERMINATIONSTATE", 16, TK_TERMSTATE},
  {"SERVICECHANGEADDRESS", 20, TK_SCADDRESS},
  {"TRANSACTIONRESPONSEACK", 22, TK_RESPONSEACK},
};

/* ASCII upper case of each octet (others unchanged): the token hash and
 * compare use it. */
const unsigned char h248__upcase[256] = {
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
  32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
  64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
  80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,
  96, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
  80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 123, 124, 125, 126, 127,
  128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143,
  144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159,
  160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175,
  176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191,
  192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207,
  208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223,
  224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239,
  240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255,
};

/* Character classes (H248__C_* of h248_int.h), ASCII whatever the locale. */
const unsigned char h248__cls[256] = {
  128, 0, 0, 0, 0, 0, 0, 0, 0, 144, 128, 0, 0, 128, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  144, 24, 0, 16, 28, 24, 24, 24, 24, 24, 30, 24, 144, 28, 28, 30,
  63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 16, 144, 16, 16, 16, 24,
  28, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95,
  95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 16, 24, 144, 24, 30,
  24, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95,
  95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 95, 144, 24, 144, 24, 0,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
};

/* Open-addressing hash of toks_sorted (index + 1; 0 = empty slot): slot
 * H248__TOK_SLOT(h) of the hash h248__tok_step() builds over the upper-cased
 * spelling, then the next slots. Made from toks_sorted[] with this
 * script (run it again when a token is added):
 *   h = 0; for c in WORD: h = (h * 41 + ord(c)) & 0xffffffff
 *   k = (h ^ (h >> 5)) & 511; while tab[k]: k = (k + 1) & 511; tab[k] = i + 1
 * At most 2 slots are probed past the first; the codec test looks up every
 * spelling. */
static const unsigned char tok_hash[512] = {
  0, 0, 0, 0, 0, 152, 0, 0, 0, 0, 0, 0, 0, 41, 0, 0, 127, 0, 0, 0, 0, 0, 0, 161,
  0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 90, 0, 0, 40, 0, 0, 0, 0, 92, 0, 0, 155, 0,
  0, 0, 0, 109, 158, 0, 0, 0, 0, 0, 0, 0, 167, 0, 0, 0, 0, 3, 100, 2, 0, 81, 129, 4,
  0, 5, 0, 0, 8, 9, 6, 7, 11, 12, 10, 0, 14, 0, 13, 80, 136, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 38, 0, 39, 0, 0, 0, 0, 0, 88, 0, 0, 0, 91, 0, 0, 0, 0, 0, 113,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 95, 143, 0, 0, 0, 50, 0, 0, 20, 160,
  0, 52, 51, 114, 123, 0, 0, 140, 89, 93, 0, 0, 0, 54, 53, 148, 0, 117, 0, 132, 0, 0, 0, 49,
  0, 0, 86, 22, 0, 0, 0, 0, 0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 45, 137, 124, 0, 0, 0, 0, 48, 141, 130, 0, 46, 0, 47, 0, 0, 120, 151, 0, 0, 0, 0, 121,
  0, 0, 0, 0, 166, 0, 0, 0, 104, 0, 0, 0, 0, 149, 99, 0, 17, 116, 19, 18, 112, 0, 0, 138,
  110, 0, 0, 0, 133, 0, 0, 0, 16, 15, 44, 0, 122, 42, 0, 43, 30, 0, 61, 105, 0, 31, 135, 0,
  0, 106, 0, 0, 60, 119, 29, 59, 94, 98, 101, 63, 0, 28, 108, 0, 0, 0, 0, 0, 150, 0, 62, 0,
  0, 145, 0, 0, 144, 0, 103, 0, 0, 0, 0, 128, 0, 0, 0, 0, 131, 0, 0, 0, 0, 0, 147, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 96, 126, 0, 0, 0, 0, 0, 0, 58, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 115, 0, 23, 0, 0, 84, 0, 0, 0, 0, 0, 0, 82, 0, 0, 0, 0, 134, 0,
  26, 25, 0, 0, 0, 0, 0, 27, 83, 0, 0, 0, 0, 163, 57, 0, 0, 107, 0, 0, 0, 0, 24, 55,
  56, 0, 153, 0, 0, 0, 0, 0, 0, 35, 0, 0, 0, 142, 0, 0, 0, 0, 0, 154, 0, 102, 97, 0,
  0, 0, 0, 0, 0, 0, 0, 125, 37, 0, 0, 0, 0, 0, 0, 0, 0, 79, 78, 0, 0, 36, 77, 85,
  164, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 87, 0, 0, 0, 0, 139,
  159, 75, 0, 0, 74, 0, 0, 0, 0, 0, 0, 0, 76, 0, 0, 0, 0, 33, 0, 0, 0, 157, 32, 146,
  64, 165, 65, 0, 0, 0, 0, 0, 0, 118, 0, 0, 34, 162, 0, 0, 156, 72, 0, 73, 69, 0, 70, 71,
  67, 0, 0, 68, 0, 111, 66, 0,
};

int h248__tok_hashed(const char *text, size_t n, uint32_t h)
{
  if (n == 0 || n > 22)
    return TK_NONE;
  for (uint32_t k = H248__TOK_SLOT(h);; k = (k + 1) & 511) {
    unsigned e = tok_hash[k];
    if (!e)
      return TK_NONE;
    e--;
    if (toks_sorted[e].len != n)
      continue;
    const char *b = toks_sorted[e].up;
    size_t q = 0;
    while (q < n && h248__upcase[(unsigned char)text[q]] == (unsigned char)b[q])
      q++;
    if (q == n)
      return toks_sorted[e].tk;
  }
}

int h248__tok(const char *text, size_t n)
{
  if (n == 0 || n > 22)
    return TK_NONE;
  uint32_t h = 0;
  for (size_t q = 0; q < n; q++)
    h = h248__tok_step(h, (unsigned char)text[q]);
  return h248__tok_hashed(text, n, h);
}

/* toks[] is in enum order: toks[tk - 1].tk == tk (checked by the unit test
 * through every token's round trip; the fallback keeps it correct anyway). */
static size_t tok_index(int tk)
{
  size_t n = sizeof toks / sizeof toks[0];
  if (tk >= 1 && (size_t)tk <= n && toks[tk - 1].tk == tk)
    return (size_t)tk - 1;
  for (size_t i = 0; i < n; i++)
    if (toks[i].tk == tk)
      return i;
  return n;
}

const char *h248__tok_long(int tk)
{
  size_t i = tok_index(tk);
  return i < sizeof toks / sizeof toks[0] ? toks[i].lng : "?";
}

const char *h248__tok_spell_slow(int tk, int compact, size_t *len)
{
  size_t i = tok_index(tk);
  if (i >= sizeof toks / sizeof toks[0]) {
    *len = 1;
    return "?";
  }
  *len = compact ? toks[i].nshrt : toks[i].nlng;
  return compact ? toks[i].shrt : toks[i].lng;
}

const char *h248__tok_short(int tk)
{
  size_t i = tok_index(tk);
  return i < sizeof toks / sizeof toks[0] ? toks[i].shrt : "?";
}

/* ------------------------------------------------------------------- arena */

#define CHUNK_SIZE 4000
/* offset of the first chunk after the arena header (16-aligned) */
#define FIRST_AT ((sizeof(h248__arena_t) + 15) & ~(size_t)15)

h248__arena_t *h248__arena_new_sized(size_t first)
{
  first = (first + 15) & ~(size_t)15;
  if (first < 256 || first > CHUNK_SIZE)
    first = CHUNK_SIZE;
  h248__arena_t *a = malloc(FIRST_AT + sizeof(h248__chunk_t) + first);
  if (!a)
    return NULL;
  h248__chunk_t *c = (h248__chunk_t *)((char *)a + FIRST_AT);
  c->next = NULL;
  c->used = 0;
  c->size = first;
  a->head = c;
  return a;
}

h248__arena_t *h248__arena_new(void)
{
  return h248__arena_new_sized(CHUNK_SIZE);
}

void h248__arena_free(h248__arena_t *a)
{
  if (!a)
    return;
  h248__chunk_t *first = (h248__chunk_t *)((char *)a + FIRST_AT);
  h248__chunk_t *c = a->head;
  while (c) {
    h248__chunk_t *n = c->next;
    if (c != first)
      free(c);
    c = n;
  }
  free(a);
}

/* size is rounded already and does not fit in the head chunk */
void *h248__arena_alloc_slow(h248__arena_t *a, size_t size)
{
  h248__chunk_t *c = a->head;
  size_t cs = size > CHUNK_SIZE ? size : CHUNK_SIZE;
  h248__chunk_t *n = malloc(sizeof(h248__chunk_t) + cs);
  if (!n)
    return NULL;
  n->used = 0;
  n->size = cs;
  if (c && size > CHUNK_SIZE) {
    /* keep the partly used chunk in front for the small allocations */
    n->next = c->next;
    c->next = n;
  } else {
    n->next = c;
    a->head = n;
  }
  n->used = size;
  return n->data;
}

/* ----------------------------------------------------------------- message */

h248_msg_t *h248__msg_new_sized(size_t first)
{
  h248__arena_t *a = h248__arena_new_sized(first);
  if (!a)
    return NULL;
  h248_msg_t *m = h248__arena_alloc(a, sizeof *m);
  if (!m) {
    h248__arena_free(a);
    return NULL;
  }
  m->arena_ = a;
  m->refs_ = 1;
  m->version = H248_IQ_VERSION;
  m->mid.kind = H248_MID_IP4;
  m->mid.name = h248_strdup(m, "0.0.0.0");
  if (!m->mid.name) {
    h248__arena_free(a);
    return NULL;
  }
  return m;
}

h248_msg_t *h248_msg_new(void)
{
  return h248__msg_new_sized(CHUNK_SIZE);
}

h248_msg_t *h248_msg_ref(h248_msg_t *msg)
{
  if (msg)
    msg->refs_++;
  return msg;
}

void h248_msg_free(h248_msg_t *msg)
{
  if (!msg || --msg->refs_ > 0)
    return;
  h248__arena_free(msg->arena_);
}

void *h248_alloc(h248_msg_t *msg, size_t size)
{
  return h248__arena_alloc(msg->arena_, size);
}

char *h248_strndup(h248_msg_t *msg, const char *s, size_t n)
{
  if (!s)
    return NULL;
  char *d = h248__arena_raw(msg->arena_, n + 1);
  if (!d)
    return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *h248_strdup(h248_msg_t *msg, const char *s)
{
  return s ? h248_strndup(msg, s, strlen(s)) : NULL;
}

int h248_msg_set_mid(h248_msg_t *msg, h248_mid_kind_t kind, const char *name, uint16_t port)
{
  if (!msg || !name || !*name)
    return -EINVAL;
  char *n = h248_strdup(msg, name);
  if (!n)
    return -ENOMEM;
  msg->mid.kind = kind;
  msg->mid.name = n;
  msg->mid.port = port;
  return 0;
}

int h248_msg_parse_mid(h248_msg_t *msg, const char *text)
{
  if (!msg || !text)
    return -EINVAL;
  h248_mid_t mid;
  size_t n = strlen(text);
  size_t used = h248__scan_mid(text, n, msg, &mid);
  if (used == 0 || used != n)
    return -EINVAL;
  if (!mid.name)
    return -ENOMEM;
  msg->mid = mid;
  return 0;
}

size_t h248_msg_ntrans(const h248_msg_t *msg)
{
  size_t n = 0;
  for (const h248_trans_t *t = msg ? msg->trans : NULL; t; t = t->next)
    n++;
  return n;
}

/* ------------------------------------------------------- character classes */

static int is_name_part(const char *s, size_t n)
{
  if (n == 1 && s[0] == '*')
    return 1;
  if (n == 0 || n > 64 || !IS_ALPHA((unsigned char)s[0]))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!h248__is_alnum((unsigned char)s[i]) && s[i] != '_')
      return 0;
  return 1;
}

int h248__valid_pkgd(const char *s)
{
  const char *sl = strchr(s, '/');
  if (!sl || strchr(sl + 1, '/'))
    return 0;
  if (!is_name_part(s, (size_t)(sl - s)) || !is_name_part(sl + 1, strlen(sl + 1)))
    return 0;
  if (s[0] == '*' && sl[1] != '*')
    return 0;
  return 1;
}

int h248__valid_pname(const char *s)
{
  if (strchr(s, '/'))
    return h248__valid_pkgd(s);
  return is_name_part(s, strlen(s)) && s[0] != '*';
}

int h248__valid_tid(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > 256)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!h248__is_tidchar((unsigned char)s[i]))
      return 0;
  return 1;
}

int h248__valid_timestamp(const char *s)
{
  if (strlen(s) != 17)
    return 0;
  for (int i = 0; i < 17; i++) {
    if (i == 8) {
      if (s[i] != 'T' && s[i] != 't')
        return 0;
    } else if (!IS_DIGIT((unsigned char)s[i]))
      return 0;
  }
  return 1;
}

/* --------------------------------------------------------------------- mId */

static inline int is_xdigit(unsigned char c)
{
  return IS_DIGIT(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static size_t scan_port(const char *t, size_t n, size_t i, uint16_t *port, int *bad)
{
  *port = 0;
  if (i < n && t[i] == ':' && i + 1 < n && IS_DIGIT((unsigned char)t[i + 1])) {
    unsigned long v = 0;
    size_t j = i + 1, k = 0;
    while (j < n && IS_DIGIT((unsigned char)t[j]) && k < 6) {
      v = v * 10 + (unsigned)(t[j] - '0');
      j++;
      k++;
    }
    if (v > 65535 || k > 5 || (j < n && IS_DIGIT((unsigned char)t[j]))) {
      *bad = 1;
      return i;
    }
    *port = (uint16_t)v;
    return j;
  }
  return i;
}

/* inet_pton(AF_INET, ...) == 1 for t[0..n), without the copy and the call
 * (the mId of every message is checked): four decimal parts 0..255, no
 * leading zero, nothing else. */
int h248__is_ip4(const char *t, size_t n)
{
  unsigned parts = 0, v = 0;
  int digit = 0;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (c >= '0' && c <= '9') {
      if (digit && v == 0)
        return 0; /* a leading zero */
      v = v * 10 + (unsigned)(c - '0');
      if (v > 255)
        return 0;
      if (!digit) {
        if (++parts > 4)
          return 0;
        digit = 1;
      }
    } else if (c == '.' && digit) {
      if (parts == 4)
        return 0;
      v = 0;
      digit = 0;
    } else
      return 0;
  }
  return parts == 4 && digit;
}

/* The end of an mId whose address or name is t[1..close-1] and whose
 * closing bracket is t[close]: the optional ":port", then the name copied
 * into msg (when given). Returns the length scanned, 0 on a bad port. */
static size_t mid_close(const char *t, size_t n, size_t close, h248_msg_t *msg, h248_mid_t *mid)
{
  int bad = 0;
  size_t i = scan_port(t, n, close + 1, &mid->port, &bad);
  if (bad)
    return 0;
  if (msg)
    mid->name = h248_strndup(msg, t + 1, close - 1);
  return i;
}

size_t h248__scan_mid(const char *t, size_t n, h248_msg_t *msg, h248_mid_t *mid)
{
  memset(mid, 0, sizeof *mid);
  if (n == 0)
    return 0;
  if (t[0] == '[') {
    /* the usual case first: a dotted quad (parts of 1-3 digits, no leading
     * zero, <= 255) and "]"; anything else takes the general path below */
    size_t j = 1;
    int ok = 1;
    for (int part = 0; part < 4 && ok; part++) {
      if (part) {
        if (j < n && t[j] == '.')
          j++;
        else
          ok = 0;
      }
      size_t b0 = j;
      unsigned v = 0;
      while (j < n && j < b0 + 3 && t[j] >= '0' && t[j] <= '9')
        v = v * 10 + (unsigned)(t[j++] - '0');
      if (j == b0 || v > 255 || (j - b0 > 1 && t[b0] == '0'))
        ok = 0;
    }
    if (ok && j < n && t[j] == ']') {
      mid->kind = H248_MID_IP4;
      return mid_close(t, n, j, msg, mid);
    }
    j = 1;
    while (j < n && j < 64 && (is_xdigit((unsigned char)t[j]) || t[j] == '.' || t[j] == ':'))
      j++;
    if (j >= n || t[j] != ']' || j == 1)
      return 0;
    unsigned char bin[16];
    if (h248__is_ip4(t + 1, j - 1))
      mid->kind = H248_MID_IP4;
    else {
      char addr[64];
      memcpy(addr, t + 1, j - 1);
      addr[j - 1] = '\0';
      if (inet_pton(AF_INET6, addr, bin) == 1)
        mid->kind = H248_MID_IP6;
      else
        return 0;
    }
    return mid_close(t, n, j, msg, mid);
  }
  if (t[0] == '<') {
    size_t j = 1;
    if (j >= n || !h248__is_alnum((unsigned char)t[j]))
      return 0;
    while (j < n && j < 66 && (h248__is_alnum((unsigned char)t[j]) || t[j] == '-' || t[j] == '.'))
      j++;
    if (j >= n || t[j] != '>')
      return 0;
    mid->kind = H248_MID_DOMAIN;
    return mid_close(t, n, j, msg, mid);
  }
  if (n >= 4 && strncasecmp(t, "MTP", 3) == 0 && t[3] == '{') {
    size_t j = 4;
    while (j < n && is_xdigit((unsigned char)t[j]))
      j++;
    if (j >= n || t[j] != '}' || j - 4 < 4 || j - 4 > 8)
      return 0;
    mid->kind = H248_MID_MTP;
    if (msg)
      mid->name = h248_strndup(msg, t + 4, j - 4);
    return j + 1;
  }
  /* deviceName = pathNAME: starts with a letter (or "*") */
  if (!IS_ALPHA((unsigned char)t[0]) && t[0] != '*')
    return 0;
  size_t j = 0;
  while (j < n && j < 256 && h248__is_tidchar((unsigned char)t[j]))
    j++;
  mid->kind = H248_MID_DEVICE;
  if (msg)
    mid->name = h248_strndup(msg, t, j);
  return j;
}

/* ---------------------------------------------------------------- builders */

#define NEW(msg, T) ((T *)h248__arena_alloc((msg)->arena_, sizeof(T)))
#define APPEND(head, node)                                                         \
  do {                                                                             \
    __typeof__(node) *pp_ = &(head);                                               \
    while (*pp_)                                                                   \
      pp_ = &(*pp_)->next;                                                         \
    *pp_ = (node);                                                                 \
  } while (0)

h248_ctx_id_t h248_ctx_num(uint32_t id) { return (h248_ctx_id_t){H248_CTX_ID, id}; }
h248_ctx_id_t h248_ctx_choose(void) { return (h248_ctx_id_t){H248_CTX_CHOOSE, 0}; }
h248_ctx_id_t h248_ctx_null(void) { return (h248_ctx_id_t){H248_CTX_NULL, 0}; }
h248_ctx_id_t h248_ctx_all(void) { return (h248_ctx_id_t){H248_CTX_ALL, 0}; }

static h248_trans_t *add_trans(h248_msg_t *msg, h248_trans_type_t type, uint32_t id)
{
  h248_trans_t *t = NEW(msg, h248_trans_t);
  if (!t)
    return NULL;
  t->type = type;
  t->id = id;
  APPEND(msg->trans, t);
  return t;
}

h248_trans_t *h248_add_request(h248_msg_t *msg, uint32_t id)
{
  return add_trans(msg, H248_TRANS_REQUEST, id);
}

h248_trans_t *h248_add_reply(h248_msg_t *msg, uint32_t id)
{
  return add_trans(msg, H248_TRANS_REPLY, id);
}

h248_trans_t *h248_add_pending(h248_msg_t *msg, uint32_t id)
{
  return add_trans(msg, H248_TRANS_PENDING, id);
}

h248_trans_t *h248_add_ack(h248_msg_t *msg, uint32_t first, uint32_t last)
{
  if (first > last)
    return NULL;
  h248_trans_t *t = msg->trans;
  while (t && t->type != H248_TRANS_ACK)
    t = t->next;
  if (!t && !(t = add_trans(msg, H248_TRANS_ACK, 0)))
    return NULL;
  h248_ack_range_t *r = h248__arena_alloc(msg->arena_, (t->nacks + 1) * sizeof *r);
  if (!r)
    return NULL;
  if (t->nacks)
    memcpy(r, t->acks, t->nacks * sizeof *r);
  r[t->nacks].first = first;
  r[t->nacks].last = last;
  t->acks = r;
  t->nacks++;
  return t;
}

h248_action_t *h248_add_action(h248_msg_t *msg, h248_trans_t *t, h248_ctx_id_t ctx)
{
  h248_action_t *a = NEW(msg, h248_action_t);
  if (!a)
    return NULL;
  a->ctx = ctx;
  a->priority = -1;
  a->emergency = H248_FLAG_UNSET;
  APPEND(t->actions, a);
  return a;
}

h248_cmd_t *h248_add_cmd(h248_msg_t *msg, h248_action_t *a, h248_cmd_type_t type,
                         const char *tid)
{
  h248_cmd_t *c = NEW(msg, h248_cmd_t);
  if (!c || !tid)
    return NULL;
  c->type = type;
  c->tid = h248__arena_alloc(msg->arena_, sizeof(char *));
  if (!c->tid || !(c->tid[0] = h248_strdup(msg, tid)))
    return NULL;
  c->ntid = 1;
  APPEND(a->cmds, c);
  return c;
}

h248_media_t *h248_cmd_media(h248_msg_t *msg, h248_cmd_t *cmd)
{
  if (!cmd->media)
    cmd->media = NEW(msg, h248_media_t);
  return cmd->media;
}

h248_stream_t *h248_add_stream(h248_msg_t *msg, h248_cmd_t *cmd, uint16_t id)
{
  h248_media_t *m = h248_cmd_media(msg, cmd);
  if (!m)
    return NULL;
  h248_stream_t *s = h248_cmd_stream(cmd, id);
  if (s)
    return s;
  s = NEW(msg, h248_stream_t);
  if (!s)
    return NULL;
  s->id = id;
  APPEND(m->streams, s);
  return s;
}

int h248_stream_set_local(h248_msg_t *msg, h248_stream_t *s, const char *sdp)
{
  if (!sdp) {
    s->local = NULL;
    return 0;
  }
  char *d = h248_strdup(msg, sdp);
  if (!d)
    return -ENOMEM;
  s->local = d;
  return 0;
}

int h248_stream_set_remote(h248_msg_t *msg, h248_stream_t *s, const char *sdp)
{
  if (!sdp) {
    s->remote = NULL;
    return 0;
  }
  char *d = h248_strdup(msg, sdp);
  if (!d)
    return -ENOMEM;
  s->remote = d;
  return 0;
}

h248_local_control_t *h248_stream_lc(h248_msg_t *msg, h248_stream_t *s)
{
  if (!s->lc) {
    s->lc = NEW(msg, h248_local_control_t);
    if (s->lc) {
      s->lc->reserve_group = H248_FLAG_UNSET;
      s->lc->reserve_value = H248_FLAG_UNSET;
    }
  }
  return s->lc;
}

int h248_stream_set_mode(h248_msg_t *msg, h248_stream_t *s, h248_mode_t mode)
{
  h248_local_control_t *lc = h248_stream_lc(msg, s);
  if (!lc)
    return -ENOMEM;
  lc->mode = mode;
  return 0;
}

static int value_needs_quotes(const char *s)
{
  if (!*s)
    return 1;
  for (; *s; s++)
    if (!h248__is_safe((unsigned char)*s))
      return 1;
  return 0;
}

h248_prop_t *h248_prop_add_multi(h248_msg_t *msg, h248_prop_t **list, const char *name,
                                 h248_vkind_t kind, const char *const *values, size_t n,
                                 int quoted)
{
  if (!name || (kind == H248_VAL_RANGE && n != 2) || (kind == H248_VAL_SINGLE && n != 1) ||
      (kind != H248_VAL_NONE && n == 0))
    return NULL;
  h248_prop_t *p = NEW(msg, h248_prop_t);
  if (!p || !(p->name = h248_strdup(msg, name)))
    return NULL;
  p->kind = kind;
  if (kind != H248_VAL_NONE) {
    p->v = h248__arena_alloc(msg->arena_, n * sizeof *p->v);
    if (!p->v)
      return NULL;
    for (size_t i = 0; i < n; i++) {
      if (!values[i] || !(p->v[i].str = h248_strdup(msg, values[i])))
        return NULL;
      p->v[i].quoted = quoted || value_needs_quotes(values[i]);
    }
    p->n = n;
  }
  APPEND(*list, p);
  return p;
}

h248_prop_t *h248_prop_add(h248_msg_t *msg, h248_prop_t **list, const char *name,
                           const char *value)
{
  if (!value)
    return h248_prop_add_multi(msg, list, name, H248_VAL_NONE, NULL, 0, 0);
  return h248_prop_add_multi(msg, list, name, H248_VAL_SINGLE, &value, 1, 0);
}

h248_prop_t *h248_prop_add_uint(h248_msg_t *msg, h248_prop_t **list, const char *name,
                                uint64_t value)
{
  char buf[24];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)value);
  return h248_prop_add(msg, list, name, buf);
}

h248_prop_t *h248_stream_add_prop(h248_msg_t *msg, h248_stream_t *s, const char *name,
                                  const char *value)
{
  h248_local_control_t *lc = h248_stream_lc(msg, s);
  return lc ? h248_prop_add(msg, &lc->props, name, value) : NULL;
}

h248_prop_t *h248_cmd_add_ts_prop(h248_msg_t *msg, h248_cmd_t *cmd, const char *name,
                                  const char *value)
{
  h248_media_t *m = h248_cmd_media(msg, cmd);
  if (!m)
    return NULL;
  if (!m->ts && !(m->ts = NEW(msg, h248_term_state_t)))
    return NULL;
  return h248_prop_add(msg, &m->ts->props, name, value);
}

h248_events_t *h248_cmd_set_events(h248_msg_t *msg, h248_cmd_t *cmd, uint32_t request_id)
{
  h248_events_t *e = NEW(msg, h248_events_t);
  if (!e)
    return NULL;
  e->has_request_id = 1;
  e->request_id = request_id;
  cmd->events = e;
  return e;
}

h248_event_t *h248_events_add(h248_msg_t *msg, h248_events_t *ev, const char *name,
                              uint16_t stream)
{
  h248_event_t *e = NEW(msg, h248_event_t);
  if (!e || !name || !(e->name = h248_strdup(msg, name)))
    return NULL;
  e->stream = stream;
  APPEND(ev->events, e);
  return e;
}

h248_signals_t *h248_cmd_signals(h248_msg_t *msg, h248_cmd_t *cmd)
{
  if (!cmd->signals)
    cmd->signals = NEW(msg, h248_signals_t);
  return cmd->signals;
}

h248_signal_t *h248_cmd_add_signal(h248_msg_t *msg, h248_cmd_t *cmd, const char *name,
                                   uint16_t stream)
{
  h248_signals_t *sg = h248_cmd_signals(msg, cmd);
  if (!sg || !name)
    return NULL;
  h248_signal_t *s = NEW(msg, h248_signal_t);
  if (!s || !(s->name = h248_strdup(msg, name)))
    return NULL;
  s->stream = stream;
  APPEND(sg->signals, s);
  return s;
}

h248_observed_t *h248_cmd_set_observed(h248_msg_t *msg, h248_cmd_t *cmd, uint32_t request_id)
{
  h248_observed_t *o = NEW(msg, h248_observed_t);
  if (!o)
    return NULL;
  o->request_id = request_id;
  cmd->observed = o;
  return o;
}

h248_event_t *h248_observed_add(h248_msg_t *msg, h248_observed_t *obs, const char *timestamp,
                                const char *name, uint16_t stream)
{
  h248_event_t *e = NEW(msg, h248_event_t);
  if (!e || !name || !(e->name = h248_strdup(msg, name)))
    return NULL;
  if (timestamp && !(e->timestamp = h248_strdup(msg, timestamp)))
    return NULL;
  e->stream = stream;
  APPEND(obs->events, e);
  return e;
}

char *h248_timestamp(int64_t unix_sec, unsigned hundredths, char out[18])
{
  time_t t = (time_t)unix_sec;
  struct tm tm;
  gmtime_r(&t, &tm);
  char tmp[80];
  snprintf(tmp, sizeof tmp, "%04d%02d%02dT%02d%02d%02d%02u", (tm.tm_year + 1900) % 10000,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, hundredths % 100);
  memcpy(out, tmp, 17);
  out[17] = '\0';
  return out;
}

h248_audit_t *h248_cmd_audit(h248_msg_t *msg, h248_cmd_t *cmd)
{
  if (!cmd->audit)
    cmd->audit = NEW(msg, h248_audit_t);
  return cmd->audit;
}

int h248_audit_add(h248_msg_t *msg, h248_audit_t *au, const char *item)
{
  if (!item)
    return -EINVAL;
  char **v = h248__arena_alloc(msg->arena_, (au->n + 1) * sizeof *v);
  if (!v)
    return -ENOMEM;
  if (au->n)
    memcpy(v, au->items, au->n * sizeof *v);
  int tk = h248__tok(item, strlen(item));
  v[au->n] = h248_strdup(msg, tk ? h248__tok_long(tk) : item);
  if (!v[au->n])
    return -ENOMEM;
  au->items = v;
  au->n++;
  return 0;
}

h248_prop_t *h248_cmd_add_stat(h248_msg_t *msg, h248_cmd_t *cmd, const char *name,
                               uint64_t value)
{
  cmd->has_stats = 1;
  return h248_prop_add_uint(msg, &cmd->stats, name, value);
}

h248_service_change_t *h248_cmd_svc(h248_msg_t *msg, h248_cmd_t *cmd, const char *method,
                                    const char *reason)
{
  if (!cmd->svc && !(cmd->svc = NEW(msg, h248_service_change_t)))
    return NULL;
  if (method && !(cmd->svc->method = h248_strdup(msg, method)))
    return NULL;
  if (reason && !(cmd->svc->reason = h248_strdup(msg, reason)))
    return NULL;
  return cmd->svc;
}

/* Error texts travel as quotedString: no '"', no control characters. */
static h248_error_t *mk_error(h248_msg_t *msg, int code, const char *text)
{
  h248_error_t *e = NEW(msg, h248_error_t);
  if (!e)
    return NULL;
  e->code = (uint16_t)(code < 0 ? 0 : code > 9999 ? 9999 : code);
  if (text) {
    char *t = h248_strdup(msg, text);
    if (!t)
      return NULL;
    for (char *p = t; *p; p++)
      if (*p == '"')
        *p = '\'';
      else if (!h248__is_qchar((unsigned char)*p))
        *p = ' ';
    e->text = t;
  }
  return e;
}

int h248_msg_set_error(h248_msg_t *msg, int code, const char *text)
{
  return (msg->error = mk_error(msg, code, text)) ? 0 : -ENOMEM;
}

int h248_trans_set_error(h248_msg_t *msg, h248_trans_t *t, int code, const char *text)
{
  return (t->error = mk_error(msg, code, text)) ? 0 : -ENOMEM;
}

int h248_action_set_error(h248_msg_t *msg, h248_action_t *a, int code, const char *text)
{
  return (a->error = mk_error(msg, code, text)) ? 0 : -ENOMEM;
}

int h248_cmd_set_error(h248_msg_t *msg, h248_cmd_t *cmd, int code, const char *text)
{
  return (cmd->error = mk_error(msg, code, text)) ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------------ lookup */

h248_stream_t *h248_cmd_stream(const h248_cmd_t *cmd, uint16_t id)
{
  if (!cmd || !cmd->media)
    return NULL;
  for (h248_stream_t *s = cmd->media->streams; s; s = s->next)
    if (s->id == id)
      return s;
  return NULL;
}

h248_prop_t *h248_prop_find(const h248_prop_t *list, const char *name)
{
  for (; list && name; list = list->next)
    if (strcasecmp(list->name, name) == 0)
      return (h248_prop_t *)list;
  return NULL;
}

const char *h248_prop_value(const h248_prop_t *p)
{
  if (!p)
    return NULL;
  return p->n ? p->v[0].str : "";
}

int h248_value_uint(const char *s, uint64_t *out)
{
  if (!s || !*s)
    return -EINVAL;
  uint64_t v = 0;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s))
      return -EINVAL;
    if (v > (UINT64_MAX - 9) / 10)
      return -EINVAL;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return 0;
}

/* ------------------------------------------------------------------- names */

const char *h248_cmd_name(h248_cmd_type_t type)
{
  static const char *const n[] = {"Add",        "Modify",          "Subtract", "Move",
                                  "AuditValue", "AuditCapability", "Notify",   "ServiceChange"};
  return (unsigned)type < sizeof n / sizeof n[0] ? n[type] : "?";
}

const char *h248_mode_name(h248_mode_t mode)
{
  static const char *const n[] = {"", "SendOnly", "ReceiveOnly", "SendReceive", "Inactive",
                                  "Loopback"};
  return (unsigned)mode < sizeof n / sizeof n[0] ? n[mode] : "";
}

char *h248_ctx_str(h248_ctx_id_t ctx, char out[12])
{
  switch (ctx.kind) {
  case H248_CTX_NULL: strcpy(out, "-"); break;
  case H248_CTX_CHOOSE: strcpy(out, "$"); break;
  case H248_CTX_ALL: strcpy(out, "*"); break;
  default: snprintf(out, 12, "%u", (unsigned)ctx.id); break;
  }
  return out;
}

const char *h248_error_text(int code)
{
  static const struct {
    int code;
    const char *text;
  } t[] = {
    {400, "Syntax error in message"},
    {401, "Protocol Error"},
    {402, "Unauthorized"},
    {403, "Syntax error in transaction request"},
    {406, "Version Not Supported"},
    {410, "Incorrect identifier"},
    {411, "The transaction refers to an unknown ContextId"},
    {412, "No ContextIDs available"},
    {413, "Number of transactions in message exceeds maximum"},
    {421, "Unknown action or illegal combination of actions"},
    {422, "Syntax Error in Action"},
    {430, "Unknown TerminationID"},
    {431, "No TerminationID matched a wildcard"},
    {432, "Out of TerminationIDs or No TerminationID available"},
    {433, "TerminationID is already in a Context"},
    {434, "Max number of Terminations in a Context exceeded"},
    {435, "Termination ID is not in specified Context"},
    {440, "Unsupported or unknown Package"},
    {441, "Missing Remote or Local Descriptor"},
    {442, "Syntax Error in Command"},
    {443, "Unsupported or Unknown Command"},
    {444, "Unsupported or Unknown Descriptor"},
    {445, "Unsupported or Unknown Property"},
    {446, "Unsupported or Unknown Parameter"},
    {447, "Descriptor not legal in this command"},
    {448, "Descriptor appears twice in a command"},
    {449, "Unsupported or Unknown Parameter or Property Value"},
    {450, "No such property in this package"},
    {451, "No such event in this package"},
    {452, "No such signal in this package"},
    {453, "No such statistic in this package"},
    {454, "No such parameter value in this package"},
    {455, "Property illegal in this Descriptor"},
    {456, "Property appears twice in this Descriptor"},
    {457, "Missing parameter in signal or event"},
    {471, "Implied Add for Multiplex failure"},
    {472, "Required Information Missing"},
    {473, "Conflicting Property Values"},
    {474, "Invalid SDP Syntax"},
    {500, "Internal software Failure in MG"},
    {501, "Not Implemented"},
    {502, "Not ready"},
    {503, "Service Unavailable"},
    {504, "Command Received from unauthorized entity"},
    {505, "Transaction Request Received before a Service Change Reply has been received"},
    {506, "Number of Transaction Pendings Exceeded"},
    {510, "Insufficient resources"},
    {511, "Temporarily Busy"},
    {515, "Unsupported Media Type"},
    {526, "Insufficient bandwidth"},
    {529, "Internal hardware failure in MG"},
    {530, "Temporary Network failure"},
    {531, "Permanent Network failure"},
    {532, "Audited Property, Statistic, Event or Signal does not exist"},
    {533, "Response exceeds maximum transport PDU size"},
    {534, "Illegal write or read only property"},
    {542, "Command is not allowed on this termination"},
    {581, "Does Not Exist"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (t[i].code == code)
      return t[i].text;
  return "Unknown error";
}
