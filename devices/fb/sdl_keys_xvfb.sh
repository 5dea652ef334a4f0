#!/bin/sh
# The SDL window's keyboard, in a real X server (Xvfb): amphi --display sdl opens its window
# there, xdotool types a shell command into it (Shift for the capitals and the dash), and
# the shell must run it; then it types exit, and the machine must power off with status 0.
# Run by hand (README, Tests): not in make test, where it once found no window.
# usage: sdl_keys_xvfb.sh AMPHI   (exit 77, skipped, without Xvfb or xdotool)
amphi=${1:?usage: sdl_keys_xvfb.sh AMPHI}
for tool in Xvfb xdotool; do
	command -v $tool >/dev/null || { echo "SKIP: no $tool (scripts/setup-deps.sh installs it)"; exit 77; }
done
work=$(mktemp -d)
xvfb_pid= sleep_pid=
cleanup() {
	[ -z "$sleep_pid" ] || kill "$sleep_pid" 2>/dev/null
	[ -z "$xvfb_pid" ] || kill "$xvfb_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# -displayfd: the server picks a free display and writes its number when it is ready
Xvfb -displayfd 3 -screen 0 800x600x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!
# wait_for WHAT COMMAND...: runs COMMAND until it succeeds (up to 30 s of tries)
wait_for() {
	what=$1
	shift
	for _ in $(seq 300); do
		"$@" && return 0
		sleep 0.1
	done
	echo "not ok - no $what"
	cat "$work/xvfb.log" "$work/out" 2>/dev/null
	exit 1
}
wait_for "X display" test -s "$work/display"
DISPLAY=:$(cat "$work/display")
export DISPLAY
# the shell reads the console (an open pipe that never brings input) and the keyboard
mkfifo "$work/in"
sleep 600 >"$work/in" &
sleep_pid=$!
"$amphi" --display sdl --resolution 400x96 <"$work/in" >"$work/out" 2>&1 &
amphi_pid=$!
wait_for "window" sh -c 'xdotool search --name "^Amphi$" >/dev/null 2>&1'
wait_for "keyboard driver" grep -q "virtio-input keyboard" "$work/out"
window=$(xdotool search --name "^Amphi$" | head -n 1)
xdotool windowfocus --sync "$window"
xdotool type --delay 20 "echo Hello-XY"
xdotool key Return
xdotool type --delay 20 "exit"
xdotool key Return
wait "$amphi_pid"
status=$?
cat "$work/out"
if grep -qx "Hello-XY" "$work/out" && [ $status -eq 0 ]; then
	echo "ok - keys typed into the window ran in the shell"
else
	echo "not ok - the window's keys did not reach the shell (status $status)"
	exit 1
fi
