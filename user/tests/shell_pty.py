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


class Terminal:
    """A program in a pseudo-terminal and everything it printed so far (screen)."""

    def __init__(self, argv, cwd=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            if cwd:
                os.chdir(cwd)
            os.execv(argv[0], argv)
        self.screen = b""
        self.deadline = time.monotonic() + LIMIT_S

    def read_until(self, mark, start):
        """Reads until mark shows at or after start, or the program ends; exits on time out."""
        while self.screen.find(mark, start) < 0:
            left = self.deadline - time.monotonic()
            if left <= 0:
                sys.exit("not ok - timed out waiting for %r; screen:\n%s"
                         % (mark, self.screen.decode(errors="replace")))
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    return
                self.screen += data

    def type_line(self, text, expect=PROMPT):
        """Types text and reads until expect; returns what came meanwhile."""
        start = len(self.screen)
        os.write(self.fd, text)
        self.read_until(expect, start)
        return self.screen[start:]

    def wait(self):
        """The program's exit status, once it ended."""
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def main():
    amphi = sys.argv[1]
    term = Terminal([amphi, "--display", "none"])  # the terminal alone, on a desktop too
    read_until, type_line = term.read_until, term.type_line

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
    os.write(term.fd, b"exit 3\r")
    code = term.wait()
    ok = code == 3
    failed |= not ok
    print("%s - amphi exits with the shell's status (%d)" % ("ok" if ok else "not ok", code))
    if failed:
        print(term.screen.decode(errors="replace"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
