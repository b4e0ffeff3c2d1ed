// browser-msrp.js -- the demo page's MSRP framing (daemon/www/msrp.js, RFC
// 4975 as RFC 8873 uses it) on its own, in Node: what the page sends parses
// back byte for byte, what it receives is taken apart right (bodies that
// contain CRLF and end-line look-alikes, body-less SENDs, responses, chunks),
// and malformed input is refused with a reason. Run by browser-msrp.sh.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const M = require(path.join(process.env.top_srcdir || path.join(__dirname, '../..'), 'daemon/www/msrp.js'));

const enc = new TextEncoder();
const dec = new TextDecoder();
const TO = 'msrp://127.0.0.1:2855/abc;tcp';
const FROM = 'msrp://xyz.invalid:9/def;dc';

test('a SEND the page builds parses back byte for byte', () => {
  const body = 'Hello IMS — héllo ✓ <&>\r\n-------notatid$\r\nline 3';
  const m = M.buildSend({ toPath: TO, fromPath: FROM, body });
  const text = dec.decode(m.bytes);
  const n = enc.encode(body).length;
  assert.match(text, new RegExp('^MSRP ' + m.tid + ' SEND\r\nTo-Path: ' + TO.replace(/[.]/g, '\\.') + '\r\n'));
  assert.ok(text.includes('\r\nByte-Range: 1-' + n + '/' + n + '\r\n'));
  assert.ok(text.includes('\r\nContent-Type: text/plain\r\n\r\n'));
  assert.ok(text.endsWith('\r\n-------' + m.tid + '$\r\n'));
  const p = M.parse(m.bytes);
  assert.equal(p.kind, 'request');
  assert.equal(p.method, 'SEND');
  assert.equal(p.tid, m.tid);
  assert.equal(p.flag, '$');
  assert.equal(p.headers['from-path'], FROM);
  assert.equal(p.headers['message-id'], m.messageId);
  assert.deepEqual(Array.from(p.body), Array.from(enc.encode(body)));
  assert.equal(M.bodyText(p), body);
});

test('binary bodies with every byte value survive', () => {
  const body = new Uint8Array(512);
  for (let i = 0; i < body.length; i++) body[i] = i & 255;
  const m = M.buildSend({ toPath: TO, fromPath: FROM, body, contentType: 'application/octet-stream' });
  assert.deepEqual(Array.from(M.parse(m.bytes).body), Array.from(body));
});

test('the transaction id never occurs in the body', () => {
  for (let i = 0; i < 200; i++) {
    const m = M.buildSend({ toPath: TO, fromPath: FROM, body: 'x' });
    assert.match(m.tid, /^[A-Za-z0-9]{12}$/);
  }
});

test('a body-less SEND (the active end binding the session)', () => {
  const m = M.buildSend({ toPath: TO, fromPath: FROM, body: '' });
  const text = dec.decode(m.bytes);
  assert.ok(text.includes('Byte-Range: 1-0/0\r\n-------' + m.tid + '$\r\n'));
  assert.ok(!text.includes('Content-Type'));
  const wire = 'MSRP a786hjs2 SEND\r\nTo-Path: ' + FROM + '\r\nFrom-Path: ' + TO + '\r\nMessage-ID: 87652\r\nByte-Range: 1-0/0\r\n-------a786hjs2$\r\n';
  const p = M.parse(wire);
  assert.equal(p.kind, 'request');
  assert.equal(p.body.length, 0);
  assert.equal(p.flag, '$');
});

test('responses, and the response the page sends to a SEND', () => {
  let p = M.parse('MSRP d93kswow 200 OK\r\nTo-Path: ' + FROM + '\r\nFrom-Path: ' + TO + '\r\n-------d93kswow$\r\n');
  assert.equal(p.kind, 'response');
  assert.equal(p.code, 200);
  assert.equal(p.comment, 'OK');
  p = M.parse('MSRP d93kswow 413\r\nTo-Path: ' + FROM + '\r\nFrom-Path: ' + TO + '\r\n-------d93kswow$\r\n');
  assert.equal(p.code, 413);
  assert.equal(p.comment, '');
  const req = M.parse('MSRP t1t1t1 SEND\r\nTo-Path: ' + FROM + '\r\nFrom-Path: msrp://relay:1/r;tcp ' + TO + '\r\nMessage-ID: 1\r\nByte-Range: 1-0/0\r\n-------t1t1t1$\r\n');
  const r = dec.decode(M.buildResponse(req, 200, 'OK', FROM));
  assert.equal(r, 'MSRP t1t1t1 200 OK\r\nTo-Path: msrp://relay:1/r;tcp\r\nFrom-Path: ' + FROM + '\r\n-------t1t1t1$\r\n');
});

test('chunks are put together; an aborted message is dropped', () => {
  const chunk = (tid, range, body, flag) =>
    'MSRP ' + tid + ' SEND\r\nTo-Path: ' + FROM + '\r\nFrom-Path: ' + TO + '\r\nMessage-ID: m1\r\nByte-Range: ' + range +
    '\r\nContent-Type: text/plain\r\n\r\n' + body + '\r\n-------' + tid + flag + '\r\n';
  const R = new M.Reassembler();
  assert.equal(R.add(M.parse(chunk('aaa1', '1-5/10', 'Hello', '+'))), null);
  const whole = R.add(M.parse(chunk('aaa2', '6-10/10', 'World', '$')));
  assert.equal(M.bodyText(whole), 'HelloWorld');
  assert.equal(R.add(M.parse(chunk('aaa3', '1-5/10', 'Hello', '+'))), null);
  assert.equal(R.add(M.parse(chunk('aaa4', '6-10/10', 'World', '#'))), null);
});

test('message/cpim shows its inner text; other types their size', () => {
  const cpim = 'From: <sip:a@b>\r\nTo: <sip:c@d>\r\nDateTime: 2026-12-05T15:00:00Z\r\n\r\nContent-Type: text/plain\r\n\r\nHi there';
  const m = M.buildSend({ toPath: TO, fromPath: FROM, body: cpim, contentType: 'message/cpim' });
  assert.equal(M.bodyText(M.parse(m.bytes)), 'Hi there');
  const b = M.buildSend({ toPath: TO, fromPath: FROM, body: new Uint8Array(7), contentType: 'image/png' });
  assert.equal(M.bodyText(M.parse(b.bytes)), '[7 bytes of image/png]');
});

test('malformed messages are refused with a reason', () => {
  const bad = [
    ['MSRP abcd SEND', /no CRLF/],
    ['HTTP/1.1 200 OK\r\n\r\n', /bad MSRP start line/],
    ['MSRP ab SEND\r\n-------ab$\r\n', /bad MSRP start line/],
    ['MSRP abcd SEND\r\nTo-Path ' + TO + '\r\n-------abcd$\r\n', /bad header line/],
    ['MSRP abcd SEND\r\nTo-Path: ' + TO + '\r\n', /ends inside the headers/],
    ['MSRP abcd SEND\r\nTo-Path: ' + TO + '\r\n\r\nbody\r\n-------abce$\r\n', /no end-line/],
    ['MSRP abcd SEND\r\nTo-Path: ' + TO + '\r\n-------abcd!\r\n', /bad end-line flag/],
  ];
  for (const [wire, re] of bad) assert.throws(() => M.parse(wire), re, JSON.stringify(wire));
});

test('the page\'s own MSRP URI (RFC 8873 dc transport)', () => {
  const a = M.newPath();
  assert.match(a, /^msrp:\/\/[a-z0-9]{10}\.invalid:9\/[A-Za-z0-9]{16};dc$/);
  assert.notEqual(a, M.newPath());
});
