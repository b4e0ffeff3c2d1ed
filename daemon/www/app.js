/* app.js -- wicgate's demo WIC: JsSIP over WebSocket to the eP-CSCF, one
 * SDP-negotiated WebRTC data channel (RFC 8864 dcmap/dcsa, RFC 8873 MSRP), a
 * chat. No framework, no build step. Query-string overrides: ws, uri, target,
 * password, dc (stream id), debug=1 (JsSIP's log in the console). */
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  const host = location.hostname || '127.0.0.1';
  const defaults = {
    ws: (location.protocol === 'https:' ? 'wss://' : 'ws://') + (location.host || '127.0.0.1:8080') + '/',
    uri: 'sip:wic-a@' + host,
    target: 'sip:ue-b@' + host,
  };
  $('ws').value = q.get('ws') || defaults.ws;
  $('uri').value = q.get('uri') || defaults.uri;
  $('target').value = q.get('target') || defaults.target;
  $('password').value = q.get('password') || '';
  const DC_ID = parseInt(q.get('dc') || '1', 10);
  if (q.get('debug') === '1') JsSIP.debug.enable('JsSIP:*');
  else JsSIP.debug.disable();

  let ua = null;
  let session = null;
  let dc = null;
  let ownPath = null;
  let peerPath = null;
  const pending = new Map(); // tid -> the log line of a SEND waiting for its response
  let reasm = new WicMsrp.Reassembler();
  let dcErrorTimer = null;

  /* ------------------------------------------------------------ the log */

  function line(cls, text, who) {
    const d = document.createElement('div');
    d.className = 'line ' + cls;
    if (who) {
      const w = document.createElement('span');
      w.className = 'who';
      w.textContent = who + ' · ' + new Date().toLocaleTimeString();
      d.appendChild(w);
    }
    const t = document.createElement('span');
    t.className = 'text';
    t.textContent = text;
    d.appendChild(t);
    $('log').appendChild(d);
    $('log').scrollTop = $('log').scrollHeight;
    return d;
  }
  const sys = (text) => line('sys', text);
  const err = (text) => {
    console.warn('wicgate demo: ' + text);
    return line('err', text);
  };

  function setState(state, text) {
    $('state').dataset.state = state;
    $('state').textContent = text;
    const registered = ua && ua.isRegistered();
    $('register').textContent = registered ? 'Unregister' : 'Register';
    $('call').disabled = !registered || !!session;
    $('hangup').disabled = !session;
    const chat = !!(dc && dc.readyState === 'open' && peerPath);
    $('send').disabled = !chat;
    $('text').disabled = !chat;
    document.body.dataset.state = state;
  }

  /* ------------------------------------------------------------ registration */

  function register() {
    if (ua && ua.isRegistered()) {
      ua.unregister();
      return;
    }
    if (ua) ua.stop();
    let socket;
    try {
      socket = new JsSIP.WebSocketInterface($('ws').value.trim());
    } catch (e) {
      err('bad WebSocket URL: ' + e.message);
      return;
    }
    const cfg = {
      sockets: [socket],
      uri: $('uri').value.trim(),
      register: false,
      session_timers: false,
      register_expires: 600,
      user_agent: 'wicgate-demo (JsSIP ' + JsSIP.version + ')',
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 30,
    };
    if ($('password').value) cfg.password = $('password').value;
    try {
      ua = new JsSIP.UA(cfg);
    } catch (e) {
      err('cannot start SIP: ' + e.message + (e.parameter ? ' (' + e.parameter + ')' : ''));
      ua = null;
      return;
    }
    ua.on('connecting', () => setState('connecting', 'connecting to ' + $('ws').value));
    ua.on('connected', () => {
      sys('WebSocket connected to ' + $('ws').value);
      setState('connected', 'connected, registering');
      ua.register();
    });
    ua.on('disconnected', (e) => {
      if (e.error) err('WebSocket to ' + $('ws').value + ' failed or closed' + (e.code ? ' (code ' + e.code + ')' : ''));
      setState('error', 'not connected');
    });
    ua.on('registered', (e) => {
      const exp = e.response.getHeader('Expires') || (e.response.parseHeader('contact') || {}).getParam?.('expires');
      sys('registered as ' + $('uri').value + (exp ? ' for ' + exp + ' s' : ''));
      setState('registered', 'registered');
    });
    ua.on('unregistered', () => {
      sys('unregistered');
      setState('idle', 'not registered');
    });
    ua.on('registrationFailed', (e) => {
      const r = e.response;
      err('registration failed: ' + (r ? r.status_code + ' ' + r.reason_phrase + warning(r) : e.cause));
      setState('error', 'registration failed');
    });
    ua.on('newRTCSession', (e) => {
      if (e.originator !== 'remote') return;
      sys('incoming call from ' + e.request.from.uri.toString() + ': refused (this page only calls)');
      e.session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
    });
    ua.start();
  }

  function warning(resp) {
    const w = resp && resp.getHeader && resp.getHeader('Warning');
    return w ? ' (' + w + ')' : '';
  }

  /* ------------------------------------------------------------ SDP */

  /* RFC 8864/8873: what the browser cannot write itself. Added at the end of
   * the (only) m=application section of the browser's offer. */
  function addDcLines(sdp) {
    if (!/^m=application [0-9]+ UDP\/DTLS\/SCTP webrtc-datachannel/m.test(sdp))
      throw new Error('the browser offered no UDP/DTLS/SCTP data channel');
    const lines = [
      'a=dcmap:' + DC_ID + ' label="msrp";subprotocol="MSRP";ordered=true',
      'a=dcsa:' + DC_ID + ' setup:actpass',
      'a=dcsa:' + DC_ID + ' accept-types:message/cpim text/plain',
      'a=dcsa:' + DC_ID + ' path:' + ownPath,
    ];
    const body = sdp.replace(/\r\n$/, '');
    return body + '\r\n' + lines.join('\r\n') + '\r\n';
  }

  function dcsa(sdp, name) {
    const re = new RegExp('^a=dcsa:' + DC_ID + ' ' + name + ':(.*)$', 'm');
    const m = re.exec(sdp);
    return m ? m[1].trim() : null;
  }

  /* ------------------------------------------------------------ the call */

  function call() {
    if (!ua || session) return;
    ownPath = WicMsrp.newPath();
    peerPath = null;
    reasm = new WicMsrp.Reassembler();
    $('ownpath').textContent = ownPath;
    $('peerpath').textContent = '-';
    $('dcinfo').textContent = '-';
    const target = $('target').value.trim();
    sys('calling ' + target);
    let gatherTimer = null;
    const handlers = {
      peerconnection: (e) => {
        const pc = e.peerconnection;
        dc = pc.createDataChannel('msrp', { negotiated: true, id: DC_ID, ordered: true, protocol: 'msrp' });
        dc.binaryType = 'arraybuffer';
        dc.onopen = () => {
          $('dcinfo').textContent = 'stream ' + DC_ID + ' open';
          sys('data channel ' + DC_ID + ' open (DTLS + SCTP up)');
          setState('chat', 'in a call: chat open');
          $('text').focus();
        };
        dc.onclose = () => {
          $('dcinfo').textContent = 'stream ' + DC_ID + ' closed';
          if (session) sys('data channel closed');
          setState(session ? 'call' : 'registered', session ? 'in a call (no channel)' : 'registered');
        };
        dc.onerror = (ev) => {
          // An SCTP abort also comes when the call ends (either side's BYE
          // makes the gateway release the association, possibly before the
          // BYE reaches us): report it only if the call does not end soon.
          const what = 'data channel error: ' + ((ev.error && ev.error.message) || 'unknown');
          clearTimeout(dcErrorTimer);
          dcErrorTimer = setTimeout(() => err(what), 2000);
        };
        dc.onmessage = (ev) => onMsrp(ev.data);
        pc.addEventListener('connectionstatechange', () => {
          if (pc.connectionState === 'failed') err('ICE/DTLS to the gateway failed');
        });
      },
      icecandidate: (e) => {
        // The gateway is ICE-lite and SIP has no trickle here: wait for the
        // end of gathering; only if it hangs, go on with what we have.
        if (!gatherTimer)
          gatherTimer = setTimeout(() => {
            sys('ICE gathering still running after 5 s: sending the offer with the candidates gathered');
            e.ready();
          }, 5000);
      },
      sdp: (e) => {
        if (e.originator === 'local' && e.type === 'offer') {
          clearTimeout(gatherTimer);
          e.sdp = addDcLines(e.sdp);
        } else if (e.originator === 'remote' && e.type === 'answer') {
          peerPath = dcsa(e.sdp, 'path');
          if (!peerPath) {
            err('the answer has no a=dcsa:' + DC_ID + ' path: the MSRP channel was not accepted');
          } else {
            $('peerpath').textContent = peerPath;
            sys('answer: MSRP peer ' + peerPath);
          }
        }
      },
      progress: (e) => {
        if (e.originator === 'remote' && e.response) sys(e.response.status_code + ' ' + e.response.reason_phrase);
        setState('calling', 'calling');
      },
      accepted: () => {
        sys('call answered');
        setState('call', 'in a call, opening the data channel');
        if (!peerPath) session.terminate();
      },
      confirmed: () => setState(dc && dc.readyState === 'open' ? 'chat' : 'call', 'in a call'),
      ended: (e) => endCall('call ended by ' + (e.originator === 'local' ? 'me' : 'the other side') + causeText(e)),
      failed: (e) => {
        const r = e.message && e.message.status_code ? e.message : null;
        const why = r ? r.status_code + ' ' + r.reason_phrase + warning(r) : e.cause;
        if (e.originator === 'local' && e.cause === JsSIP.C.causes.CANCELED) endCall('call cancelled');
        else {
          err('call failed: ' + why);
          endCall(null);
        }
      },
    };
    try {
      session = ua.call(target, {
        eventHandlers: handlers,
        mediaConstraints: { audio: false, video: false },
        rtcOfferConstraints: { offerToReceiveAudio: false, offerToReceiveVideo: false },
        pcConfig: { iceServers: [], bundlePolicy: 'balanced', rtcpMuxPolicy: 'require' },
        sessionTimersExpires: 1800,
      });
    } catch (e) {
      err('cannot call ' + target + ': ' + e.message);
      endCall(null);
      return;
    }
    setState('calling', 'calling');
  }

  function causeText(e) {
    return e.cause && e.cause !== JsSIP.C.causes.BYE ? ' (' + e.cause + ')' : '';
  }

  function endCall(text) {
    if (text) sys(text);
    clearTimeout(dcErrorTimer);
    if (dc) {
      dc.onerror = dc.onclose = dc.onmessage = null;
      $('dcinfo').textContent = 'stream ' + DC_ID + ' closed';
      try {
        dc.close();
      } catch (e) {
        /* already closed */
      }
    }
    dc = null;
    session = null;
    for (const [, l] of pending) mark(l, 'bad', 'not answered');
    pending.clear();
    setState(ua && ua.isRegistered() ? 'registered' : 'idle', ua && ua.isRegistered() ? 'registered' : 'not registered');
  }

  function hangup() {
    if (session) session.terminate();
  }

  /* ------------------------------------------------------------ MSRP */

  function mark(l, cls, text) {
    let s = l.querySelector('.ok, .bad');
    if (!s) {
      s = document.createElement('span');
      l.appendChild(s);
    }
    s.className = cls;
    s.textContent = text;
  }

  function send(text) {
    if (!dc || dc.readyState !== 'open' || !peerPath) return;
    const m = WicMsrp.buildSend({ toPath: peerPath, fromPath: ownPath, body: text });
    try {
      dc.send(m.bytes);
    } catch (e) {
      err('cannot send on the data channel: ' + e.message);
      return;
    }
    const l = line('out', text, 'me');
    l.dataset.tid = m.tid;
    mark(l, 'ok pending', 'sent');
    pending.set(m.tid, l);
  }

  function onMsrp(data) {
    let msg;
    try {
      msg = WicMsrp.parse(data);
    } catch (e) {
      err('bad MSRP message from the gateway: ' + e.message);
      return;
    }
    if (msg.kind === 'response') {
      const l = pending.get(msg.tid);
      pending.delete(msg.tid);
      if (!l) return;
      if (msg.code === 200) mark(l, 'ok', '✓ delivered');
      else {
        mark(l, 'bad', '✗ ' + msg.code + ' ' + msg.comment);
        err('MSRP ' + msg.code + ' ' + msg.comment + ' for "' + l.querySelector('.text').textContent + '"');
      }
      return;
    }
    const noReport = (msg.headers['failure-report'] || '').toLowerCase() === 'no';
    const reply = (code, comment) => {
      if (!noReport || code !== 200) dc.send(WicMsrp.buildResponse(msg, code, comment, ownPath));
    };
    if (msg.method !== 'SEND') {
      // REPORT and unknown methods: RFC 4975 answers 501 to unknown requests
      if (msg.method !== 'REPORT') reply(501, 'Not Implemented');
      return;
    }
    const toPath = (msg.headers['to-path'] || '').split(/\s+/)[0];
    if (toPath !== ownPath) {
      reply(481, 'Session Does Not Exist');
      err('MSRP SEND for ' + toPath + ', not this session (' + ownPath + '): answered 481');
      return;
    }
    reply(200, 'OK');
    const whole = reasm.add(msg);
    if (!whole) return;
    if (!whole.body.length) {
      sys('MSRP session bound by ' + (msg.headers['from-path'] || 'the peer'));
      return;
    }
    line('in', WicMsrp.bodyText(whole), $('target').value.replace(/^sips?:/, ''));
  }

  /* ------------------------------------------------------------ wiring */

  $('register').addEventListener('click', register);
  $('call').addEventListener('click', call);
  $('hangup').addEventListener('click', hangup);
  $('compose').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('text').value;
    if (!t) return;
    send(t);
    $('text').value = '';
  });
  window.addEventListener('beforeunload', () => {
    if (session) session.terminate();
    if (ua) ua.stop();
  });
  setState('idle', 'not registered');
  sys('JsSIP ' + JsSIP.version + '; data channel stream ' + DC_ID + '; press Register');
})();
