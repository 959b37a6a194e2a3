"""A Modbus board for wxdesk's interop tests: pymodbus serving the units of a JSON config.

    server.py --port PORT --config JSON [--framer socket|rtu] [--exit-on-write]

JSON: {"UNIT": {"coils": [0/1...], "discrete": [...], "holding": [...], "input": [...]}}
with wire address 0 at index 0 of every table. Prints the port it listens on (PORT 0: one the
system chose) as the first line of stdout, then serves until killed or stdin closes.
--exit-on-write: the process ends the moment a coil is written, before it answers (a board
losing power as it switches): the client sees its link cut mid-exchange.
"""

import argparse
import asyncio
import json
import os
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.framer import FramerType
from pymodbus.server import ModbusTcpServer


class DyingBlock(ModbusSequentialDataBlock):
    """A coil table whose board dies as soon as it is written."""

    def setValues(self, address, values):
        super().setValues(address, values)
        os._exit(0)


def block(values, kind=ModbusSequentialDataBlock):
    # pymodbus 3.8's slave context adds 1 to every wire address: a block starting at 1 puts
    # wire address 0 at index 0. An empty table still answers "illegal address".
    return kind(1, [int(v) for v in values] or [0])


def context(units, coil_block=ModbusSequentialDataBlock):
    slaves = {
        int(unit): ModbusSlaveContext(
            co=block(tables.get("coils", []), coil_block),
            di=block(tables.get("discrete", [])),
            hr=block(tables.get("holding", [])),
            ir=block(tables.get("input", [])),
        )
        for unit, tables in units.items()
    }
    return ModbusServerContext(slaves=slaves, single=False)


async def serve(units, port, framer, announce=True, coil_block=ModbusSequentialDataBlock):
    """Starts a server; returns it and the port it listens on."""
    server = ModbusTcpServer(
        context(units, coil_block), framer=framer, address=("127.0.0.1", port)
    )
    await server.serve_forever(background=True)
    chosen = server.transport.sockets[0].getsockname()[1]
    if announce:
        print(chosen, flush=True)
    return server, chosen


async def until_stdin_closes():
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", required=True)
    parser.add_argument("--framer", choices=["socket", "rtu"], default="socket")
    parser.add_argument("--exit-on-write", action="store_true")
    args = parser.parse_args()
    framer = FramerType.RTU if args.framer == "rtu" else FramerType.SOCKET
    coil_block = DyingBlock if args.exit_on_write else ModbusSequentialDataBlock
    server, _ = await serve(json.loads(args.config), args.port, framer, coil_block=coil_block)
    await until_stdin_closes()
    await server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
