#!/bin/bash
# The framebuffer console on the hosted machine's virtio GPU: a shell clears the screen and
# prints known lines, the machine powers off, and the --screenshot PNG must equal, pixel for
# pixel, both the checked-in reference (devices/fb/testdata/fbcon_text.png) and the same
# text drawn independently from the console font by screenshot_check.py. The checker must
# also reject a text with one character changed (a planted mismatch).
#
#   screenshot_test.sh COMMAND...   COMMAND runs the hosted kernel (maybe under memcheck)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
font="${AMPHI_FBCON_FONT:-/usr/share/consolefonts/Lat15-VGA16.psf.gz}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
check=(python3 "$here/screenshot_check.py")

cat >"$dir/expect.txt" <<'TEXT'
Amphi framebuffer console
0123456789 !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
The quick brown fox jumps over the lazy dog
amphi: power off, status 0
TEXT
# The shell prints the first three lines after clearing the screen; the kernel the last.
{
	printf '%s\n' "printf '\\033[H\\033[2J'"
	head -3 "$dir/expect.txt" | sed "s/'/'\\\\''/g; s/.*/echo '&'/"
} >"$dir/cmds.sh"
"$@" --resolution 400x96 --screenshot "$dir/shot.png" --init /bin/sh <"$dir/cmds.sh" \
	>"$dir/out.txt" 2>&1 || {
	cat "$dir/out.txt"
	echo "not ok - the kernel did not power off cleanly"
	exit 1
}
cat "$dir/out.txt"
"${check[@]}" "$dir/shot.png" --reference "$here/testdata/fbcon_text.png"
"${check[@]}" "$dir/shot.png" --text "$dir/expect.txt" --font "$font"
sed '2s/5/6/' "$dir/expect.txt" >"$dir/planted.txt"
if "${check[@]}" "$dir/shot.png" --text "$dir/planted.txt" --font "$font" >"$dir/planted.out"; then
	echo "not ok - the checker took a text with one character changed"
	exit 1
fi
echo "ok - the checker rejects a changed character: $(cat "$dir/planted.out")"
echo "ok - fbcon screenshot"
