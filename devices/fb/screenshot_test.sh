#!/bin/bash
# The framebuffer console on a virtio GPU: a shell clears the screen and prints known
# lines, the machine powers off, and the picture of the display must equal, pixel for
# pixel, both the checked-in reference (devices/fb/testdata/fbcon_text.png) and the same
# text drawn independently from the console font by screenshot_check.py. The checker must
# also reject a text with one character changed (a planted mismatch).
#
#   screenshot_test.sh hosted COMMAND...        COMMAND runs the hosted kernel (maybe under
#                                               memcheck); the picture is its --screenshot
#   screenshot_test.sh sdl COMMAND...           as hosted, with the display also in a window
#                                               (--display sdl) on SDL's offscreen video
#                                               driver, so no X server is needed
#   screenshot_test.sh keys COMMAND...          the hosted kernel's keyboard (--keys) types
#                                               commands, with Shift and Ctrl, for the shell
#                                               (no tty: standard input is not a terminal);
#                                               the screenshot must show their output
#   screenshot_test.sh fbdev COMMAND... FBTEST  the hosted kernel runs user/tests/fbtest
#                                               (`exec`), which draws a pattern through
#                                               /dev/fb0; the screenshot must be exactly it
#   screenshot_test.sh qemu-keys TARGET BUSYBOX under QEMU with virtio-keyboard-device: once
#                                               the shell waits for a line, QEMU's keyboard
#                                               types one (QMP send-key, Shift included) and
#                                               the shell must echo it back
#   screenshot_test.sh qemu TARGET BUSYBOX HOSTED
#                                               under QEMU (TARGET's busybox in the folder
#                                               BUSYBOX) with virtio-gpu-device; the picture
#                                               is QEMU's screendump after the power-off
#                                               line, which must also equal the screenshot
#                                               of the hosted binary HOSTED
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
font="${AMPHI_FBCON_FONT:-/usr/share/consolefonts/Lat15-VGA16.psf.gz}"
width=400
height=96
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
check=(python3 "$here/screenshot_check.py")
mode="$1"
shift
display_args=()
if [ "$mode" = sdl ]; then
	export SDL_VIDEODRIVER=offscreen SDL_RENDER_DRIVER=software
	display_args=(--display sdl)
fi

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
} >"$dir/fbtext.sh"

# Runs the hosted kernel COMMAND... on the script, its screenshot in FILE.
hosted_shot() {
	local file="$1"
	shift
	"$@" "${display_args[@]}" --resolution "${width}x$height" --screenshot "$file" --init /bin/sh \
		<"$dir/fbtext.sh" >"$dir/out.txt" 2>&1 || {
		cat "$dir/out.txt"
		echo "not ok - the kernel did not power off cleanly"
		exit 1
	}
	cat "$dir/out.txt"
}

# Boots QEMU TARGET with busybox from the folder BUSYBOX running the script; the
# screendump in FILE.
qemu_shot() {
	local target="$1" busybox="$2" file="$3" qemu_args
	qemu_args="-global virtio-mmio.force-legacy=false -no-shutdown"
	qemu_args+=" -device virtio-gpu-device,xres=$width,yres=$height"
	qemu_args+=" -qmp unix:$dir/qmp,server=on,wait=off"
	"$root/harness/mkinitrd.sh" "$dir/initrd" "$busybox/busybox" "$dir/fbtext.sh"
	AMPHI_QMP_SOCKET="$dir/qmp" AMPHI_INITRD="$dir/initrd" AMPHI_X86_EXIT_DEVICE=0 \
		AMPHI_QEMU_ARGS="$qemu_args" python3 "$here/qemu_screendump.py" --out "$file" -- \
		"$root/harness/boot" "$target" "rdinit=/bin/busybox -- sh /bin/fbtext.sh" \
		| tr -d '\r'
}

# The keyboard: the screen (5 rows) ends with the three commands' output and the
# power-off line; Shift types the capitals and symbols, Ctrl-A and Ctrl-Z bytes 01 and 1a.
if [ "$mode" = keys ]; then
	keys="echo 'Typed: Hello, World!'\\necho '~!@#\$%\\^&*()_+{}|:\"<>?'\\n"
	keys+="echo ^A^Z | od -An -tx1\\n"
	printf '%s\n' 'Typed: Hello, World!' '~!@#$%^&*()_+{}|:"<>?' ' 01 1a 0a' \
		'amphi: power off, status 0' >"$dir/keys.txt"
	"$@" --resolution 400x80 --screenshot "$dir/keys.png" --keys "$keys" </dev/null
	"${check[@]}" "$dir/keys.png" --text "$dir/keys.txt" --font "$font"
	sed '3s/1a/1b/' "$dir/keys.txt" >"$dir/planted.txt"
	if "${check[@]}" "$dir/keys.png" --text "$dir/planted.txt" --font "$font" >/dev/null; then
		echo "not ok - the checker took a changed text"
		exit 1
	fi
	echo "ok - the keyboard typed the commands"
	exit 0
fi

# /dev/fb0: fbtest's pattern and nothing else (exec is quiet: no console text is drawn).
if [ "$mode" = fbdev ]; then
	fbtest="${*: -1}"
	set -- "${@:1:$#-1}"
	"$@" exec --resolution 320x200 --screenshot "$dir/fb.png" "$fbtest"
	"${check[@]}" "$dir/fb.png" --pattern
	if "${check[@]}" "$dir/fb.png" --pattern --flip 100,50 >/dev/null; then
		echo "not ok - the checker took a screenshot with a pixel changed"
		exit 1
	fi
	echo "ok - fbtest's pattern through /dev/fb0"
	exit 0
fi

# QEMU's keyboard: the line it types comes back from the shell.
if [ "$mode" = qemu-keys ]; then
	typed='Hello, World! 42 <"x">'
	printf '%s\n' 'echo ready' 'read line' 'echo "typed: $line"' >"$dir/fbkeys.sh"
	qemu_args="-global virtio-mmio.force-legacy=false -no-shutdown"
	qemu_args+=" -device virtio-keyboard-device -qmp unix:$dir/qmp,server=on,wait=off"
	"$root/harness/mkinitrd.sh" "$dir/initrd" "$2/busybox" "$dir/fbkeys.sh"
	AMPHI_QMP_SOCKET="$dir/qmp" AMPHI_INITRD="$dir/initrd" AMPHI_X86_EXIT_DEVICE=0 \
		AMPHI_QEMU_ARGS="$qemu_args" python3 "$here/qemu_screendump.py" \
		--after ready --type "$typed"$'\n' -- \
		"$root/harness/boot" "$1" "rdinit=/bin/busybox -- sh /bin/fbkeys.sh" |
		tr -d '\r' >"$dir/out.txt"
	cat "$dir/out.txt"
	if ! grep -qxF "typed: $typed" "$dir/out.txt"; then
		echo "not ok - the shell did not read the typed line"
		exit 1
	fi
	echo "ok - QEMU's keyboard typed the line"
	exit 0
fi

if [ "$mode" = hosted ] || [ "$mode" = sdl ]; then
	shot="$dir/shot.png"
	hosted_shot "$shot" "$@"
else
	shot="$dir/shot.ppm"
	qemu_shot "$1" "$2" "$shot"
	hosted_shot "$dir/hosted.png" "$3"
	"${check[@]}" "$shot" --reference "$dir/hosted.png"
fi
"${check[@]}" "$shot" --reference "$here/testdata/fbcon_text.png"
"${check[@]}" "$shot" --text "$dir/expect.txt" --font "$font"
sed '2s/5/6/' "$dir/expect.txt" >"$dir/planted.txt"
if "${check[@]}" "$shot" --text "$dir/planted.txt" --font "$font" >"$dir/planted.out"; then
	echo "not ok - the checker took a text with one character changed"
	exit 1
fi
echo "ok - the checker rejects a changed character: $(cat "$dir/planted.out")"
echo "ok - fbcon screenshot"
