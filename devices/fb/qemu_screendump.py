#!/usr/bin/env python3
"""Boots a QEMU target through harness/boot with QEMU's monitor (QMP) on a unix socket and
QEMU kept up at the guest's power-off, waits for the kernel's power-off line on the
console, then has QEMU write its screendump (PPM) and quit. The console output goes to
stdout. The kernel draws a line on its display before it prints it on the console and
stops drawing after the power-off line, so the screendump is the display's final state.

With --type TEXT --after MARK, once MARK is on the console QEMU's keyboard types TEXT
(letters, digits, space, Enter for \\n, and the shifted characters of the digit row and
of , . / ; ' - =) through QMP's send-key, one key (chord) at a time.

usage: qemu_screendump.py [--out FILE.ppm] [--type TEXT --after MARK] [--timeout S]
                          -- harness/boot TARGET CMDLINE...
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


SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8",
           "(": "9", ")": "0", "<": ",", ">": ".", "?": "/", ":": ";", '"': "'", "_": "-",
           "+": "="}
QCODES = {" ": "spc", "\n": "ret", ",": "comma", ".": "dot", "/": "slash", ";": "semicolon",
          "'": "apostrophe", "-": "minus", "=": "equal"}


def key_chord(ch):
    """The QEMU qcodes that type character ch on a US keyboard."""
    if ch in SHIFTED:
        return ["shift"] + key_chord(SHIFTED[ch])
    if ch.isupper():
        return ["shift", ch.lower()]
    if ch.isalnum():
        return [ch]
    if ch in QCODES:
        return [QCODES[ch]]
    fail(f"no key types {ch!r}")


def wait_for(proc, deadline, mark, seen=b""):
    """Copies the console to stdout until mark and the end of its line came; returns what
    came so far."""
    while True:
        at = seen.find(mark)
        if at >= 0 and b"\n" in seen[at:]:
            return seen
        left = deadline - time.monotonic()
        if left <= 0:
            fail(f"no {mark.decode()!r} line in time", proc)
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if not ready:
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            fail(f"QEMU ended (status {proc.wait()}) before a {mark.decode()!r} line")
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        seen += chunk


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
    ap.add_argument("--out")
    ap.add_argument("--type")
    ap.add_argument("--after")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    sock_path = os.environ.get("AMPHI_QMP_SOCKET")
    if not sock_path:
        fail("AMPHI_QMP_SOCKET is not set")
    deadline = time.monotonic() + args.timeout
    proc = subprocess.Popen(args.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        seen = b""
        if args.type:
            seen = wait_for(proc, deadline, args.after.encode())
            seen = seen[seen.find(args.after.encode()) + len(args.after):]
            qmp = Qmp(sock_path)
            for ch in args.type:
                keys = [{"type": "qcode", "data": k} for k in key_chord(ch)]
                qmp.command("send-key", keys=keys)
        wait_for(proc, deadline, POWEROFF, seen)
        if not args.type:
            qmp = Qmp(sock_path)
        if args.out:
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
