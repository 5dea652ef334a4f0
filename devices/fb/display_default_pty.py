#!/usr/bin/env python3
"""The display's default, with amphi in a pseudo-terminal as at a user's terminal:
  - in a desktop session ($DISPLAY set; SDL's offscreen video driver stands in for the X
    server) the machine opens the window on its own, so Ctrl-A s finds a display;
  - when that window cannot open (a video driver SDL does not have), one line says so and
    the shell runs on, the display offscreen;
  - without $DISPLAY there is no display: Ctrl-A s finds none.
usage: display_default_pty.py AMPHI"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "user", "tests"))
from shell_pty import PROMPT, Terminal  # noqa: E402


def session(amphi, env, expect_boot, expect_shot):
    """Boots amphi with env, checks the boot shows expect_boot (if any) and that Ctrl-A s
    prints expect_shot; returns the shell's exit status."""
    work = tempfile.mkdtemp()
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        os.environ.pop(key, None)
    os.environ.update(env)
    term = Terminal([amphi], cwd=work)
    term.read_until(PROMPT, 0)
    if expect_boot and expect_boot not in term.screen:
        sys.exit("not ok - no %r at boot; screen:\n%s"
                 % (expect_boot, term.screen.decode(errors="replace")))
    term.type_line(b"\x01s", expect_shot)
    os.write(term.fd, b"exit\r")
    code = term.wait()
    shutil.rmtree(work)
    return code


def main():
    amphi = os.path.abspath(sys.argv[1])
    failed = session(amphi, {"DISPLAY": ":99", "SDL_VIDEODRIVER": "offscreen"}, None,
                     b"screenshot written to amphi-screenshot-1.png")
    print("ok 1 - a desktop session gets the window")
    failed |= session(amphi, {"DISPLAY": ":99", "SDL_VIDEODRIVER": "no-such-driver"},
                      b"amphi: no window for the display",
                      b"screenshot written to amphi-screenshot-1.png")
    print("ok 2 - a window that cannot open leaves the display offscreen")
    failed |= session(amphi, {}, None, b"Ctrl-A s: no screenshot")
    print("ok 3 - no desktop, no display")
    if failed:
        sys.exit("not ok - a shell did not exit with status 0")


main()
