#!/usr/bin/env python3
"""Ctrl-A s on the hosted console: amphi runs with a display in a pseudo-terminal, the
shell clears the screen and echoes a word, then Ctrl-A s must write
amphi-screenshot-1.png (in a scratch directory) showing exactly the prompt, the command
and its output (screenshot_check.py, against the console font); then the shell exits.
usage: screenshot_pty.py AMPHI FONT"""
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import time

PROMPT = b"/ # "
LIMIT_S = 60  # for the whole session: a hang fails instead of blocking the suite
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    amphi, font = os.path.abspath(sys.argv[1]), sys.argv[2]
    work = tempfile.mkdtemp()
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(work)
        os.execv(amphi, [amphi, "--display", "offscreen", "--resolution", "400x96"])
    screen = b""
    deadline = time.monotonic() + LIMIT_S

    def read_until(mark, start):
        nonlocal screen
        while screen.find(mark, start) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                sys.exit("not ok - timed out waiting for %r; screen:\n%s"
                         % (mark, screen.decode(errors="replace")))
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    sys.exit("not ok - amphi ended early; screen:\n%s"
                             % screen.decode(errors="replace"))
                screen += data

    def send(text, expect):
        start = len(screen)
        os.write(fd, text)
        read_until(expect, start)

    read_until(PROMPT, 0)
    send(b"clear\r", PROMPT)
    send(b"echo marker\r", b"\nmarker")
    read_until(PROMPT, screen.rfind(b"\nmarker"))
    send(b"\x01s", b"screenshot written to amphi-screenshot-1.png")
    os.write(fd, b"exit\r")
    _, status = os.waitpid(pid, 0)
    print(screen.decode(errors="replace"))
    with open(os.path.join(work, "expect.txt"), "w") as f:
        f.write("/ # echo marker\nmarker\n/ # \n")
    shot = os.path.join(work, "amphi-screenshot-1.png")
    result = subprocess.run([sys.executable, os.path.join(HERE, "screenshot_check.py"), shot,
                             "--text", os.path.join(work, "expect.txt"), "--font", font])
    shutil.rmtree(work)
    if result.returncode or os.waitstatus_to_exitcode(status):
        sys.exit("not ok - Ctrl-A s screenshot")
    print("ok - Ctrl-A s wrote the screen")


main()
