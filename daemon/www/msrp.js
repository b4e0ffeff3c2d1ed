/* msrp.js -- MSRP (RFC 4975) framing for the demo page, as RFC 8873 uses it on
 * a WebRTC data channel: one MSRP message per data-channel message. No I/O:
 * build() and parse() turn messages into bytes and back; the page sends and
 * receives them. Loaded by index.html as a plain script (window.WicMsrp) and by
 * Node (module.exports) for tests. */
(function (root) {
  'use strict';

  const enc = new TextEncoder();
  const dec = new TextDecoder('utf-8', { fatal: false });
  const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

  function randomId(n) {
    const b = new Uint8Array(n);
    crypto.getRandomValues(b);
    let s = '';
    for (let i = 0; i < n; i++) s += ALNUM[b[i] % ALNUM.length];
    return s;
  }

  /* RFC 8873: the MSRP URI of a data-channel endpoint, msrp://HOST:9/SESSION;dc
   * (the host is not used for routing: a random name under .invalid). */
  function newPath() {
    return 'msrp://' + randomId(10).toLowerCase() + '.invalid:9/' + randomId(16) + ';dc';
  }

  function concat(parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  function indexOf(hay, needle, from) {
    outer: for (let i = from || 0; i + needle.length <= hay.length; i++) {
      for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  /* A complete SEND (one chunk, Byte-Range 1-N/N) with a body of bytes or text.
   * The transaction id is chosen so that the body cannot contain the end-line. */
  function buildSend(opts) {
    const body = typeof opts.body === 'string' ? enc.encode(opts.body) : opts.body || new Uint8Array(0);
    let tid;
    do tid = randomId(12);
    while (indexOf(body, enc.encode('-------' + tid)) >= 0);
    const messageId = opts.messageId || randomId(16);
    let head =
      'MSRP ' + tid + ' SEND\r\n' +
      'To-Path: ' + opts.toPath + '\r\n' +
      'From-Path: ' + opts.fromPath + '\r\n' +
      'Message-ID: ' + messageId + '\r\n' +
      'Byte-Range: 1-' + body.length + '/' + body.length + '\r\n';
    const parts = [];
    if (body.length) {
      head += 'Content-Type: ' + (opts.contentType || 'text/plain') + '\r\n\r\n';
      parts.push(enc.encode(head), body, enc.encode('\r\n-------' + tid + '$\r\n'));
    } else {
      parts.push(enc.encode(head + '-------' + tid + '$\r\n'));
    }
    return { tid, messageId, bytes: concat(parts) };
  }

  /* A response to a request: To-Path is the first URI of the request's
   * From-Path, From-Path is our own URI (RFC 4975 section 7.2). */
  function buildResponse(req, code, comment, ownPath) {
    const to = (req.headers['from-path'] || '').split(/\s+/)[0];
    const text =
      'MSRP ' + req.tid + ' ' + code + (comment ? ' ' + comment : '') + '\r\n' +
      'To-Path: ' + to + '\r\n' +
      'From-Path: ' + ownPath + '\r\n' +
      '-------' + req.tid + '$\r\n';
    return enc.encode(text);
  }

  /* Parses one MSRP message. Returns {kind:'request'|'response', tid, method,
   * code, comment, headers (lower-case names), body (Uint8Array), flag ('$',
   * '+' or '#')} or throws an Error naming what is wrong. */
  function parse(data) {
    const b = data instanceof Uint8Array ? data : typeof data === 'string' ? enc.encode(data) : new Uint8Array(data);
    const eol = indexOf(b, [13, 10]);
    if (eol < 0) throw new Error('no CRLF after the start line');
    const start = dec.decode(b.subarray(0, eol));
    let m = /^MSRP ([A-Za-z0-9][A-Za-z0-9.+%=-]{2,31}) ([A-Z]+)$/.exec(start);
    const msg = { tid: null, headers: {}, body: new Uint8Array(0), flag: '$' };
    if (m) {
      msg.kind = 'request';
      msg.tid = m[1];
      msg.method = m[2];
    } else {
      m = /^MSRP ([A-Za-z0-9][A-Za-z0-9.+%=-]{2,31}) ([0-9]{3})(?: (.*))?$/.exec(start);
      if (!m) throw new Error('bad MSRP start line: ' + JSON.stringify(start.slice(0, 80)));
      msg.kind = 'response';
      msg.tid = m[1];
      msg.code = parseInt(m[2], 10);
      msg.comment = m[3] || '';
    }
    const endLine = enc.encode('-------' + msg.tid);
    let p = eol + 2;
    for (;;) {
      // the end-line right after the headers: no body
      if (indexOf(b, endLine, p) === p) {
        msg.flag = String.fromCharCode(b[p + endLine.length]);
        break;
      }
      const e = indexOf(b, [13, 10], p);
      if (e < 0) throw new Error('message ends inside the headers');
      if (e === p) {
        // blank line: the body runs to CRLF + end-line
        const bodyStart = p + 2;
        let q = bodyStart;
        let at = -1;
        for (;;) {
          at = indexOf(b, endLine, q);
          if (at < 0) throw new Error('no end-line "-------' + msg.tid + '" after the body');
          const f = b[at + endLine.length];
          if (at >= bodyStart + 2 && b[at - 2] === 13 && b[at - 1] === 10 && (f === 36 || f === 43 || f === 35)) break;
          q = at + 1;
        }
        msg.body = b.slice(bodyStart, at - 2);
        msg.flag = String.fromCharCode(b[at + endLine.length]);
        break;
      }
      const line = dec.decode(b.subarray(p, e));
      const c = line.indexOf(':');
      if (c <= 0 || !/^[A-Za-z0-9-]+$/.test(line.slice(0, c)))
        throw new Error('bad header line: ' + JSON.stringify(line.slice(0, 80)));
      msg.headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
      p = e + 2;
    }
    if ('$+#'.indexOf(msg.flag) < 0) throw new Error('bad end-line flag ' + JSON.stringify(msg.flag));
    return msg;
  }

  /* The text a person reads from a received body: text/plain as it is, the
   * inner part of message/cpim (RFC 3862), otherwise a size and type. */
  function bodyText(msg) {
    const type = (msg.headers['content-type'] || '').toLowerCase().split(';')[0].trim();
    if (type === 'text/plain' || type === '') return dec.decode(msg.body);
    if (type === 'message/cpim') {
      const t = dec.decode(msg.body);
      const parts = t.split('\r\n\r\n');
      if (parts.length >= 3) return parts.slice(2).join('\r\n\r\n');
    }
    return '[' + msg.body.length + ' bytes of ' + type + ']';
  }

  /* Reassembles chunked SENDs (Byte-Range, '+' continuation, '#' abort).
   * add() returns the whole message when its last chunk came, else null. */
  function Reassembler() {
    this.parts = new Map();
  }
  Reassembler.prototype.add = function (msg) {
    const id = msg.headers['message-id'] || '';
    const br = /^(\d+)-(\d+|\*)\/(\d+|\*)$/.exec(msg.headers['byte-range'] || '1-*/*');
    const startByte = br ? parseInt(br[1], 10) : 1;
    if (msg.flag === '#') {
      this.parts.delete(id);
      return null;
    }
    if (startByte === 1 && msg.flag === '$') return msg;
    const acc = this.parts.get(id) || { first: msg, chunks: [] };
    acc.chunks.push({ at: startByte - 1, body: msg.body });
    this.parts.set(id, acc);
    if (msg.flag !== '$') return null;
    this.parts.delete(id);
    let n = 0;
    for (const ch of acc.chunks) n = Math.max(n, ch.at + ch.body.length);
    const body = new Uint8Array(n);
    for (const ch of acc.chunks) body.set(ch.body, ch.at);
    return Object.assign({}, acc.first, { body, flag: '$' });
  };

  const api = { newPath, buildSend, buildResponse, parse, bodyText, Reassembler, randomId };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.WicMsrp = api;
})(typeof window !== 'undefined' ? window : globalThis);
