"""An independent reader for wxdesk's interop tests: a plain pymodbus TCP client.

    client.py --port PORT --unit UNIT --coils START COUNT

Prints the coils it read as a JSON list of booleans.
"""

import argparse
import json

from pymodbus.client import ModbusTcpClient


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--unit", type=int, required=True)
    parser.add_argument("--coils", type=int, nargs=2, required=True)
    args = parser.parse_args()
    start, count = args.coils
    client = ModbusTcpClient("127.0.0.1", port=args.port, timeout=5)
    if not client.connect():
        raise SystemExit("cannot connect")
    reply = client.read_coils(start, count=count, slave=args.unit)
    client.close()
    if reply.isError():
        raise SystemExit(f"error: {reply}")
    print(json.dumps(reply.bits[:count]))


if __name__ == "__main__":
    main()
