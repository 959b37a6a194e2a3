#!/usr/bin/env node
// The SMSC measured alone: a client of the same npm `smpp` 0.5.1 binds to the SMSC at
// 127.0.0.1:PORT and sends TOTAL submit_sm of a UCS-2 part with a UDH (140 bytes, as wxdesk
// sends), WINDOW outstanding at once, answering every receipt. Prints one JSON line:
// {"submits": N, "seconds": S, "per_second": R}.
//   node blast.js PORT TOTAL WINDOW
'use strict';
const smpp = require('smpp');

const [port, total, window] = process.argv.slice(2).map(Number);
const part = Buffer.concat([Buffer.from([5, 0, 3, 7, 2, 1]), Buffer.alloc(134, 0x4e)]);
const session = smpp.connect(`smpp://127.0.0.1:${port}`);
session.on('error', (e) => { console.error(e.message); process.exit(1); });
session.on('deliver_sm', (pdu) => session.send(pdu.response()));

let sent = 0;
let answered = 0;
let started = 0n;

function next() {
  if (sent >= total) return;
  sent += 1;
  session.submit_sm({
    source_addr: '106900001',
    destination_addr: `86139${String(sent).padStart(8, '0')}`,
    esm_class: 0x40, data_coding: 8, registered_delivery: 1, short_message: part,
  }, () => {
    answered += 1;
    if (answered === total) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      process.stdout.write(JSON.stringify({ submits: total, seconds, per_second: total / seconds }) + '\n');
      session.close();
      process.exit(0);
    }
    next();
  });
}

session.bind_transceiver({ system_id: 'blast', password: 'blast' }, (pdu) => {
  if (pdu.command_status !== 0) { console.error('bind refused'); process.exit(1); }
  started = process.hrtime.bigint();
  for (let i = 0; i < window; i += 1) next();
});
