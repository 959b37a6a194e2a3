#!/usr/bin/env node
// A test SMSC for wxdesk's SMPP channel: the npm `smpp` 0.5.1 server on 127.0.0.1, port 0.
// Prints its port as the first line of stdout. Behaviour from the environment:
//   SMSC_LOG=path           append every submit_sm received as one JSON line (with `at`, the
//                           Unix time in ms its answer was made)
//   SMSC_THROTTLE=N         answer ESME_RTHROTTLED (0x58) above N submit_sm in one second
//   SMSC_UNDELIV=a,b        receipts for these destinations say UNDELIV (others DELIVRD)
//   SMSC_DROP_AFTER=N       destroy the link on the Nth submit_sm, unanswered (once)
//   SMSC_REFUSE_NTH=N:S     answer the Nth submit_sm with command_status S (e.g. 2:0x58)
//   SMSC_SYSTEM_ID / SMSC_PASSWORD   the only credentials accepted (default: accept any)
// Like a real SMSC it keeps a receipt until its deliver_sm is answered with status 0: one
// answered with an error is offered again 500 ms later; one whose link closed unanswered is
// delivered again when an ESME binds again.
// Commands on stdin, one a line: `mo <from> <text>` sends a mobile-originated UCS-2
// deliver_sm to every bound session.
'use strict';
const fs = require('fs');
const readline = require('readline');
const smpp = require('smpp');
const { performance } = require('perf_hooks');

const env = process.env;
const logPath = env.SMSC_LOG || '';
const throttle = Number(env.SMSC_THROTTLE || 0);
const undeliv = new Set((env.SMSC_UNDELIV || '').split(',').filter(Boolean));
const dropAfter = Number(env.SMSC_DROP_AFTER || 0);
const [refuseNth, refuseStatus] = (env.SMSC_REFUSE_NTH || '0:0').split(':').map(Number);

// Keep each PDU's raw bytes: the log shows short_message exactly as it arrived.
const originalFromBuffer = smpp.PDU.prototype.fromBuffer;
smpp.PDU.prototype.fromBuffer = function (buffer) {
  this.raw = Buffer.from(buffer);
  return originalFromBuffer.call(this, buffer);
};

// The submit_sm body's short_message, read from the raw bytes (SMPP 3.4 §4.4.1).
function rawShortMessage(raw) {
  let at = 16;
  const cstring = () => { while (raw[at] !== 0) at += 1; at += 1; };
  cstring(); at += 2; cstring(); at += 2; cstring(); // service_type, source, destination
  at += 3; cstring(); cstring(); at += 4; // esm, pid, priority, schedule, validity, 4 flags
  const length = raw[at];
  return raw.subarray(at + 1, at + 1 + length);
}

let nextId = 1;
let submits = 0;
let second = 0;
let inSecond = 0;
const bound = new Set();

function throttled() {
  if (!throttle) return false;
  const now = Math.floor(Date.now() / 1000);
  if (now !== second) { second = now; inSecond = 0; }
  inSecond += 1;
  return inSecond > throttle;
}

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
    p(d.getUTCHours()) + p(d.getUTCMinutes());
}

// Receipts not yet answered with status 0, by the session they wait on; and those whose
// session closed first, for the next bind.
const unanswered = new Map();
const undelivered = [];

function offer(session, options) {
  if (!bound.has(session)) { undelivered.push(options); return; }
  const waiting = unanswered.get(session);
  waiting.add(options);
  session.deliver_sm(options, (resp) => {
    if (!waiting.delete(options)) return;
    if (resp.command_status !== 0) setTimeout(() => offer(anyBound() || session, options), 500);
  });
}

function anyBound() {
  return bound.values().next().value;
}

function onBound(session) {
  bound.add(session);
  unanswered.set(session, new Set());
  for (const options of undelivered.splice(0)) offer(session, options);
}

function onClose(session) {
  bound.delete(session);
  const waiting = unanswered.get(session);
  unanswered.delete(session);
  if (waiting) undelivered.push(...waiting);
  const next = anyBound();
  if (next) for (const options of undelivered.splice(0)) offer(next, options);
}

function receipt(session, pdu, id) {
  const failed = undeliv.has(pdu.destination_addr);
  const now = stamp(new Date());
  const text = `id:${id} sub:001 dlvrd:${failed ? '000' : '001'} submit date:${now} ` +
    `done date:${now} stat:${failed ? 'UNDELIV' : 'DELIVRD'} err:${failed ? '005' : '000'} text:`;
  offer(session, {
    source_addr: pdu.destination_addr, source_addr_ton: 1, source_addr_npi: 1,
    destination_addr: pdu.source_addr, esm_class: 0x04, data_coding: 0,
    short_message: Buffer.from(text, 'ascii'),
  });
}

function onSubmit(session, pdu) {
  submits += 1;
  const hex = rawShortMessage(pdu.raw).toString('hex');
  const dropping = dropAfter && submits === dropAfter;
  const refused = submits === refuseNth ? refuseStatus : 0;
  const busy = !dropping && !refused && throttled();
  const id = dropping || busy || refused ? null : String(nextId++);
  if (logPath) {
    fs.appendFileSync(logPath, JSON.stringify({
      message_id: id, destination: pdu.destination_addr, short_message: hex,
      esm_class: pdu.esm_class, data_coding: pdu.data_coding,
      status: dropping ? 'dropped' : busy ? 'throttled' : refused ? 'refused' : 'accepted',
      at: performance.timeOrigin + performance.now(),
    }) + '\n');
  }
  if (dropping) { session.destroy(); return; }
  if (busy || refused) {
    session.send(pdu.response({ command_status: refused || 0x58 }));
    return;
  }
  session.send(pdu.response({ message_id: id }), () => {
    if (pdu.registered_delivery & 1) receipt(session, pdu, id);
  });
}

const server = smpp.createServer((session) => {
  session.on('error', () => {});
  session.on('bind_transceiver', (pdu) => {
    const ok = (!env.SMSC_SYSTEM_ID || pdu.system_id === env.SMSC_SYSTEM_ID) &&
      (!env.SMSC_PASSWORD || pdu.password === env.SMSC_PASSWORD);
    session.send(pdu.response({ command_status: ok ? 0 : 0x0e, system_id: 'SMSC' }));
    if (ok) onBound(session); else session.close();
  });
  session.on('close', () => onClose(session));
  session.on('submit_sm', (pdu) => onSubmit(session, pdu));
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
  session.on('deliver_sm_resp', () => {});
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, from, ...words] = line.trim().split(' ');
  if (command !== 'mo') return;
  for (const session of bound) {
    offer(session, {
      source_addr: from, source_addr_ton: 1, source_addr_npi: 1, destination_addr: '106900001',
      esm_class: 0, data_coding: 8, short_message: Buffer.from(words.join(' '), 'utf16le').swap16(),
    });
  }
});
process.stdin.on('end', () => process.exit(0));
