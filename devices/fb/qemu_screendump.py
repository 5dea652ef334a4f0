#!/usr/bin/env python3
"""Boots a QEMU target through harness/boot with QEMU's monitor (QMP) on a unix socket and
QEMU kept up at the guest's power-off, waits for the kernel's power-off line on the
console, then has QEMU write its screendump (PPM) and quit. The console output goes to
stdout. The kernel draws a line on its display before it prints it on the console and
stops drawing after the power-off line, so the screendump is the display's final state.

usage: qemu_screendump.py --out FILE.ppm [--timeout S] -- harness/boot TARGET CMDLINE...
  (AMPHI_QEMU_ARGS must hold -qmp unix:$AMPHI_QMP_SOCKET,server=on,wait=off; the caller
  sets it, AMPHI_QMP_SOCKET and the rest of the environment)
Exits 0 once the screendump is written; 1 with a message when the power-off line does not
come within the timeout (default 120 s) or QEMU refuses a command.
"""
import argparse
import json
import os
import select
import socket
import subprocess
import sys
import time

POWEROFF = b"amphi: power off, status "


def fail(msg, proc=None):
    print(f"qemu_screendump: {msg}", file=sys.stderr)
    if proc and proc.poll() is None:
        proc.kill()
    sys.exit(1)


def wait_for_poweroff(proc, deadline):
    """Copies the console to stdout until the power-off line is complete."""
    seen = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            fail("no power-off line in time", proc)
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if not ready:
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            fail(f"QEMU ended (status {proc.wait()}) before the power-off line")
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        seen += chunk
        at = seen.find(POWEROFF)
        if at >= 0 and b"\n" in seen[at:]:
            return


class Qmp:
    """A QMP session: commands and their answers, events skipped."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")
        self.read()  # the greeting
        self.command("qmp_capabilities")

    def read(self):
        line = self.file.readline()
        if not line:
            raise EOFError("QMP closed")
        return json.loads(line)

    def command(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.file.flush()
        while True:
            msg = self.read()
            if "event" in msg:
                continue
            if "error" in msg:
                raise RuntimeError(f"{name}: {msg['error'].get('desc')}")
            return msg.get("return")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    sock_path = os.environ.get("AMPHI_QMP_SOCKET")
    if not sock_path:
        fail("AMPHI_QMP_SOCKET is not set")
    deadline = time.monotonic() + args.timeout
    proc = subprocess.Popen(args.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    wait_for_poweroff(proc, deadline)
    try:
        qmp = Qmp(sock_path)
        qmp.command("screendump", filename=os.path.abspath(args.out))
        qmp.command("quit")
    except (OSError, EOFError, RuntimeError, ValueError) as e:
        fail(f"QMP: {e}", proc)
    try:
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        fail("QEMU did not quit", proc)


if __name__ == "__main__":
    main()
