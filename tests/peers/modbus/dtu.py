"""A test 4G DTU for wxdesk's interop tests.

    dtu.py --central HOST:PORT --registration HEX --heartbeat HEX --heartbeat-interval S
           --config JSON [--heartbeat-reply HEX] [--heartbeat-before-response]
           [--response-delay S] [--hang-up-on-write]

Like a real DTU it dials the central, sends its registration packet, then heartbeats every
interval, and passes RTU frames between the central and its serial bus. The bus is a pymodbus
server with RTU framing (the units of --config, as server.py takes them) that it reaches over
a local TCP socket. Requests are taken from the central as they arrive and answered one at a
time after --response-delay, so a central that sends a second request before the first is
answered shows as two outstanding. Each event is a JSON line on stdout:
{"event": "dialled"}, {"event": "request", "unit": U, "outstanding": N},
{"event": "response", "unit": U, "max_outstanding": N}, {"event": "no_answer", "unit": U}
(no unit answered within --bus-timeout), {"event": "heartbeat_reply"},
{"event": "closed"}. With --hang-up-on-write the DTU passes the first coil write to its bus
(the coil changes) and then drops its link to the central without the answer, as a DTU losing
its cellular link mid-command: {"event": "hung_up", "unit": U}.
"""

import argparse
import asyncio
import json
import sys

from pymodbus.framer import FramerType

from server import serve


def say(**event):
    print(json.dumps(event), flush=True)


def request_length(buffer):
    """The length of the RTU request at the start of `buffer`, or None if not all there."""
    if len(buffer) < 7:
        return None
    if buffer[1] in (15, 16):
        return 9 + buffer[6]
    return 8


def response_length(buffer):
    """The length of the RTU response at the start of `buffer`, or None if not all there."""
    if len(buffer) < 3:
        return None
    if buffer[1] & 0x80:
        return 5
    if buffer[1] in (1, 2, 3, 4):
        return 5 + buffer[2]
    return 8


async def read_frame(reader, length_of):
    buffer = b""
    while True:
        length = length_of(buffer)
        if length is not None and len(buffer) >= length:
            return buffer[:length]
        chunk = await reader.read(1)
        if not chunk:
            return None
        buffer += chunk


class Dtu:
    def __init__(self, args, bus_reader, bus_writer, central_writer):
        self.args = args
        self.bus_reader = bus_reader
        self.bus_writer = bus_writer
        self.central = central_writer
        self.queue = asyncio.Queue()
        self.outstanding = 0
        self.max_outstanding = 0
        self.units = {int(unit) for unit in json.loads(args.config)}

    async def from_central(self, reader):
        reply = bytes.fromhex(self.args.heartbeat_reply or "")
        buffer = b""
        while True:
            chunk = await reader.read(256)
            if not chunk:
                return
            buffer += chunk
            while buffer:
                if reply and buffer.startswith(reply):
                    buffer = buffer[len(reply):]
                    say(event="heartbeat_reply")
                    continue
                length = request_length(buffer)
                if length is None or len(buffer) < length:
                    break
                frame, buffer = buffer[:length], buffer[length:]
                self.outstanding += 1
                self.max_outstanding = max(self.max_outstanding, self.outstanding)
                say(event="request", unit=frame[0], outstanding=self.outstanding)
                await self.queue.put(frame)

    async def bus(self):
        heartbeat = bytes.fromhex(self.args.heartbeat)
        while True:
            frame = await self.queue.get()
            if frame[0] not in self.units:
                # Nobody with that address on the bus: silence, as on a real RS-485 line
                # (pymodbus would answer for the missing unit itself).
                await asyncio.sleep(self.args.bus_timeout)
                self.outstanding -= 1
                say(event="no_answer", unit=frame[0])
                continue
            self.bus_writer.write(frame)
            await self.bus_writer.drain()
            try:
                response = await asyncio.wait_for(
                    read_frame(self.bus_reader, response_length), self.args.bus_timeout
                )
            except asyncio.TimeoutError:
                # Nobody on the bus answered (a unit that is not there): like a real DTU,
                # pass nothing back, and take the next request.
                self.outstanding -= 1
                say(event="no_answer", unit=frame[0])
                continue
            if response is None:
                return
            if self.args.hang_up_on_write and frame[1] in (5, 15):
                say(event="hung_up", unit=frame[0])
                self.central.close()
                return
            await asyncio.sleep(self.args.response_delay)
            if self.args.heartbeat_before_response:
                # In one write with the response, so the central reads them together.
                response = heartbeat + response
            self.central.write(response)
            await self.central.drain()
            self.outstanding -= 1
            say(event="response", unit=frame[0], max_outstanding=self.max_outstanding)

    async def heartbeats(self):
        heartbeat = bytes.fromhex(self.args.heartbeat)
        while True:
            await asyncio.sleep(self.args.heartbeat_interval)
            self.central.write(heartbeat)
            await self.central.drain()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--central", required=True)
    parser.add_argument("--registration", required=True, help="hex")
    parser.add_argument("--heartbeat", required=True, help="hex")
    parser.add_argument("--heartbeat-reply", default="", help="hex")
    parser.add_argument("--heartbeat-interval", type=float, default=1.0)
    parser.add_argument("--heartbeat-before-response", action="store_true")
    parser.add_argument("--response-delay", type=float, default=0.05)
    parser.add_argument("--bus-timeout", type=float, default=1.0)
    parser.add_argument("--hang-up-on-write", action="store_true")
    parser.add_argument("--config", required=True)
    args = parser.parse_args()

    server, port = await serve(json.loads(args.config), 0, FramerType.RTU, announce=False)
    bus_reader, bus_writer = await asyncio.open_connection("127.0.0.1", port)
    host, central_port = args.central.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(central_port))
    writer.write(bytes.fromhex(args.registration))
    await writer.drain()
    say(event="dialled")

    dtu = Dtu(args, bus_reader, bus_writer, writer)
    tasks = [asyncio.create_task(t) for t in (dtu.bus(), dtu.heartbeats())]
    await dtu.from_central(reader)
    say(event="closed")
    for task in tasks:
        task.cancel()
    await server.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    asyncio.run(main())
