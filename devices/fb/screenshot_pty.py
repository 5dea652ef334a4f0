#!/usr/bin/env python3
"""Ctrl-A s on the hosted console: amphi runs with a display in a pseudo-terminal, the
shell clears the screen and echoes a word, then Ctrl-A s must write
amphi-screenshot-1.png (in a scratch directory) showing exactly the prompt, the command
and its output (screenshot_check.py, against the console font); then the shell exits.
usage: screenshot_pty.py AMPHI FONT"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "user", "tests"))
from shell_pty import PROMPT, Terminal  # noqa: E402


def main():
    amphi, font = os.path.abspath(sys.argv[1]), sys.argv[2]
    work = tempfile.mkdtemp()
    term = Terminal([amphi, "--display", "offscreen", "--resolution", "400x96"], cwd=work)
    term.read_until(PROMPT, 0)
    term.type_line(b"clear\r")
    term.type_line(b"echo marker\r", b"\nmarker")
    term.read_until(PROMPT, term.screen.rfind(b"\nmarker"))
    term.type_line(b"\x01s", b"screenshot written to amphi-screenshot-1.png")
    os.write(term.fd, b"exit\r")
    code = term.wait()
    print(term.screen.decode(errors="replace"))
    with open(os.path.join(work, "expect.txt"), "w") as f:
        f.write("/ # echo marker\nmarker\n/ # \n")
    shot = os.path.join(work, "amphi-screenshot-1.png")
    result = subprocess.run([sys.executable, os.path.join(HERE, "screenshot_check.py"), shot,
                             "--text", os.path.join(work, "expect.txt"), "--font", font])
    shutil.rmtree(work)
    if result.returncode or code:
        sys.exit("not ok - Ctrl-A s screenshot")
    print("ok - Ctrl-A s wrote the screen")


main()
