#!/usr/bin/env python3
"""The busybox shell on the hosted console as a terminal: amphi runs in a pseudo-terminal,
each command is typed once the prompt shows, and the screen must show what a Linux
terminal shows: job control (a background job listed, killed, reported), ^C interrupting
the foreground job (status 130), the window size, and the shell's exit status as amphi's.
usage: shell_pty.py AMPHI"""
import os
import pty
import select
import sys
import time

PROMPT = b"/ # "
LIMIT_S = 60  # for the whole session: a hang fails instead of blocking the suite


def main():
    amphi = sys.argv[1]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(amphi, [amphi])
    screen = b""
    deadline = time.monotonic() + LIMIT_S

    def read_until(mark, start):
        nonlocal screen
        while screen.find(mark, start) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                sys.exit("not ok - timed out waiting for %r; screen:\n%s" % (mark, screen.decode(errors="replace")))
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    return
                screen += data

    def type_line(text, expect=PROMPT):
        start = len(screen)
        os.write(fd, text)
        read_until(expect, start)
        return screen[start:]

    read_until(PROMPT, 0)
    checks = [
        (b"sleep 100 &\r", None),
        (b"jobs\r", b"Running"),
        (b"kill %1\r", None),
        (b"echo after\r", b"Terminated"),
        (b"stty size\r", b"24 80"),
        (b"echo started; sleep 100\r", None),
    ]
    failed = 0
    for text, want in checks:
        if text.startswith(b"echo started"):
            type_line(text, b"\nstarted")  # the job runs: ^C now interrupts it
            out = type_line(b"\x03")
        else:
            out = type_line(text)
        ok = want is None or want in out
        failed |= not ok
        print("%s - %s" % ("ok" if ok else "not ok", text.decode().strip()))
    out = type_line(b"echo status $?\r")
    ok = b"status 130" in out
    failed |= not ok
    print("%s - ^C ended the foreground job with SIGINT (130)" % ("ok" if ok else "not ok"))
    os.write(fd, b"exit 3\r")
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    ok = code == 3
    failed |= not ok
    print("%s - amphi exits with the shell's status (%d)" % ("ok" if ok else "not ok", code))
    if failed:
        print(screen.decode(errors="replace"))
    sys.exit(1 if failed else 0)


main()
