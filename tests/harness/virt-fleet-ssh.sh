#!/usr/bin/env bash
# Boots both kernels through libvirt's ssh transport, over a real ssh connection to this
# machine, and checks amphi-virt's verdicts and cleanup:
#
#   virt-fleet-ssh.sh AMPHI_VIRT X86_64_ELF AARCH64_IMAGE
#
# Starts a private sshd on a free port of 127.0.0.1 (a generated host key, a generated client
# key authorized for the current user, no PAM) and a libvirtd when none answers, then:
# 1. ktest=vfs, 4 boots on qemu+ssh://USER@127.0.0.1:PORT/system and qemu:///system, both
#    arches on each: every boot must pass, the ssh URI's through sshd (its log must show the
#    client key accepted), exit status 0.
# 2. A qemu+ssh URI to a port where nothing listens, with qemu:///system: the ssh URI must be
#    reported unusable once, its 2 boots must fail with ssh's "Connection refused", the local
#    URI's 2 boots must still pass, exit status 1.
# No domain and no serial log pool of either run may be left. The host key is checked for
# real (StrictHostKeyChecking yes against a known_hosts file of the scratch directory, through
# the URI's command= parameter naming an ssh wrapper), so the user's ~/.ssh is left alone.
# Exits 77 (CTest's skip) with the reason when it cannot be done (no sshd, not root).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=virt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/virt-lib.sh" "$@"

# Prints a TCP port of 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Writes the keys, sshd's config, the client's known_hosts and config, and the ssh wrapper
# the URI names, all in $work/ssh, for an sshd on port $1.
ssh_setup() {
	local port=$1 dir=$work/ssh
	mkdir -p "$dir"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
	cp "$dir/client_key.pub" "$dir/authorized_keys"
	cat >"$dir/sshd_config" <<-END
		ListenAddress 127.0.0.1
		Port $port
		HostKey $dir/host_key
		AuthorizedKeysFile $dir/authorized_keys
		PidFile none
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		AllowUsers $(id -un)
		StrictModes no
	END
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_key.pub")" \
		>"$dir/known_hosts"
	cat >"$dir/ssh_config" <<-END
		UserKnownHostsFile $dir/known_hosts
		GlobalKnownHostsFile /dev/null
		StrictHostKeyChecking yes
	END
	printf '#!/bin/sh\nexec ssh -F %s/ssh_config "$@"\n' "$dir" >"$dir/ssh"
	chmod 755 "$dir/ssh"
}

# The libvirt URI of this machine's libvirtd through ssh to port $1.
ssh_uri() {
	echo "qemu+ssh://$(id -un)@127.0.0.1:$1/system?keyfile=$work/ssh/client_key&no_tty=1&command=$work/ssh/ssh"
}

# Starts sshd on port $1 in the background (recorded for cleanup) and waits until it accepts
# a session with the client key.
start_sshd() {
	local port=$1 dir=$work/ssh
	/usr/sbin/sshd -t -f "$dir/sshd_config" || skip_test "sshd rejects the test's config"
	/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$dir/sshd.log" &
	started_pids+=($!)
	for _ in $(seq 50); do
		"$dir/ssh" -p "$port" -i "$dir/client_key" -o BatchMode=yes -T "$(id -un)@127.0.0.1" \
			true 2>/dev/null && return
		sleep 0.2
	done
	cat "$dir/sshd.log"
	fail "sshd on port $port never accepted the client key"
}

[ "$(id -u)" -eq 0 ] || skip_test "not root: sshd cannot log in as another user without it"
[ -x /usr/sbin/sshd ] || skip_test "sshd not installed (openssh-server, scripts/setup-deps.sh)"
command -v ssh >/dev/null || skip_test "ssh not installed (openssh-client, scripts/setup-deps.sh)"
virt_test_setup
# sshd refuses to start without its privilege separation directory.
mkdir -p /run/sshd
port=$(free_port)
ssh_setup "$port"
start_sshd "$port"
remote=$(ssh_uri "$port")
prefix="amphi-virt-ssh-$$"
key_hash=$(ssh-keygen -lf "$work/ssh/client_key.pub" | cut -d' ' -f2)
sshd_lines=$(wc -l <"$work/ssh/sshd.log")

echo "== ktest=vfs, 4 boots on $remote and $uri, both arches on each"
status=0
run_virt_on ssh -n 4 -j 1 --arch both --cmdline ktest=vfs --timeout 120 --name "$prefix-a" \
	--uri "$remote" --uri "$uri" || status=$?
cat "$work/ssh.out"
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
for u in "$remote" "$uri"; do
	for arch in x86_64 aarch64; do
		expect_lines "$work/ssh.out" 1 "PASS  .*($arch on $u): .* 0 failed"
	done
done
expect_lines "$work/ssh.out" 1 "4 boots on 2 URIs: 4 passed, 0 failed"
tail -n "+$((sshd_lines + 1))" "$work/ssh/sshd.log" >"$work/sessions.log"
expect_lines "$work/sessions.log" 1 "Accepted publickey for $(id -un) from 127.0.0.1.*$key_hash"
expect_nothing_left "$prefix-a"

echo "== a qemu+ssh URI where nothing listens, with $uri"
dead=$(ssh_uri "$(free_port)")
status=0
run_virt_on dead -n 4 -j 1 --arch both --cmdline ktest=vfs --timeout 120 --name "$prefix-b" \
	--uri "$dead" --uri "$uri" || status=$?
cat "$work/dead.out"
[ "$status" -eq 1 ] || fail "exit status $status, expected 1"
expect_lines "$work/dead.out" 1 "URI $dead unusable, its boots fail: cannot connect: .*Connection refused"
expect_lines "$work/dead.out" 2 "FAIL  .*(.* on $dead): cannot connect: .*Connection refused"
expect_lines "$work/dead.out" 2 "PASS  .*(.* on $uri): .* 0 failed"
expect_lines "$work/dead.out" 1 "4 boots on 2 URIs: 2 passed, 2 failed"
expect_nothing_left "$prefix-b"
echo "PASS: both arches booted over ssh, the dead URI reported, no domain left"
