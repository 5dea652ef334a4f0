#!/usr/bin/env python3
"""Checks the hosted machine's gdbstub at the protocol level, without GDB, against the
program's own ELF file: packet framing (a bad checksum is refused with '-'), the target
description against the 'g' reply's size, the stop at kmain with --gdb-wait, memory reads
(an unmapped address gives an error reply and the stub answers on; a breakpoint's bytes
read as the file's), writes to kernel text and to a register, a breakpoint and a single step at the addresses objdump gives, the
CPUs as threads, Ctrl-C, unsupported watchpoints, kill. Then the follow mode on a running
machine: `monitor follow` for the next connection, a process blocked in a copy (sendfile) shown at
the registers the kernel saved (its pc right after a syscall instruction, read through its
page tables), and a step that completes once the copy returns, with the byte count.

usage: stub_protocol.py path/to/amphi [amphi options...] (e.g. --sched parallel)"""
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

failed = False


def check(ok, what):
    global failed
    print("%s - %s" % ("ok" if ok else "not ok", what))
    failed |= not ok


def elf_symbol(binary, name):
    out = subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[2] == name:
            return int(fields[0], 16)
    raise SystemExit("no symbol %s in %s" % (name, binary))


def elf_bytes(binary, vaddr, n):
    """n bytes of the file at link address vaddr, through its program headers."""
    with open(binary, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= vaddr < p_vaddr + p_filesz:
            off = p_offset + vaddr - p_vaddr
            return data[off:off + n]
    raise SystemExit("%#x is in no segment of %s" % (vaddr, binary))


def next_insn(binary, addr):
    """The address of the instruction after the one at addr, from objdump."""
    out = subprocess.run(["objdump", "-d", "--start-address=%#x" % addr,
                          "--stop-address=%#x" % (addr + 32), binary],
                         capture_output=True, text=True, check=True).stdout
    addrs = [int(m.group(1), 16) for m in re.finditer(r"^\s+([0-9a-f]+):", out, re.M)]
    return addrs[1]


class Stub:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""

    def byte(self):
        while not self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError("the stub closed the connection")
            self.buf += chunk
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def send_raw(self, data):
        self.sock.sendall(data)

    def frame(self, payload, checksum=None):
        if checksum is None:
            checksum = sum(payload.encode()) % 256
        return b"$" + payload.encode() + b"#%02x" % checksum

    def receive(self):
        while self.byte() != b"$":
            pass
        payload = b""
        while (c := self.byte()) != b"#":
            payload += c
        checksum = int(self.byte() + self.byte(), 16)
        if checksum != sum(payload) % 256:
            raise SystemExit("bad checksum from the stub on %r" % payload)
        self.send_raw(b"+")
        return payload.decode("latin-1")

    def ask(self, payload):
        self.send_raw(self.frame(payload))
        ack = self.byte()
        if ack != b"+":
            raise SystemExit("packet %r not acknowledged: %r" % (payload, ack))
        return self.receive()


def register_layout(xml):
    """[(name, bytes)] in the target description's register order."""
    regs = [(r.get("name"), int(r.get("bitsize")) // 8, int(r.get("regnum")))
            for r in ET.fromstring(xml).iter("reg")]
    return [(name, size) for name, size, _ in sorted(regs, key=lambda r: r[2])]


def unescape(binary):
    """A binary reply's bytes: '}' escapes the next byte, xor 0x20."""
    return re.sub(r"\}(.)", lambda m: chr(ord(m.group(1)) ^ 0x20), binary, flags=re.S)


def read_xfer(stub, annex):
    data = ""
    while True:
        reply = stub.ask("qXfer:%s:%x,800" % (annex, len(data)))
        data += unescape(reply[1:])
        if reply[0] == "l":
            return data


def load_offset(stub, binary):
    """Where the program was loaded against its link addresses (0 unless PIE): the entry
    point in the process's auxiliary vector (AT_ENTRY) against the ELF header's."""
    auxv = read_xfer(stub, "auxv:read:").encode("latin-1")
    pairs = struct.iter_unpack("<QQ", auxv[:len(auxv) // 16 * 16])
    at_entry = [value for kind, value in pairs if kind == 9][0]
    with open(binary, "rb") as f:
        e_entry, = struct.unpack_from("<Q", f.read(0x20), 0x18)
    return at_entry - e_entry


def register(stub, layout, name):
    index = [n for n, _ in layout].index(name)
    return int.from_bytes(bytes.fromhex(stub.ask("p%x" % index)), "little")


def start(binary, args, sock):
    """amphi with args, stdin a pipe kept open, once its stub listens on sock."""
    machine = subprocess.Popen([binary] + args, stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while not os.path.exists(sock):
        if machine.poll() is not None:
            raise SystemExit("amphi ended: " + machine.stderr.read().decode())
        os.sched_yield()
    return machine


def follow_running(binary, tmp, options):
    """The follow mode, chosen by a monitor command, on a process blocked in the kernel."""
    sock = os.path.join(tmp, "gdb-follow")
    machine = start(binary, ["exec", "--gdb", "unix:" + sock] + options + ["busybox", "cat"],
                    sock)
    try:
        stub = Stub(sock)
        stub.ask("?")
        offset = load_offset(stub, binary)
        # busybox cat copies with sendfile: once it is there, it stays in the kernel until
        # its standard input has data
        sendfile = elf_symbol(binary, "sys_sendfile") + offset
        check(stub.ask("Z0,%x,1" % sendfile) == "OK", "breakpoint in sys_sendfile")
        stop = stub.ask("vCont;c")
        check(re.match(r"T05thread:1;.*swbreak", stop) is not None, "cat in sendfile: " + stop)
        check(stub.ask("z0,%x,1" % sendfile) == "OK", "breakpoint removed")
        reply = bytes.fromhex(stub.ask("qRcmd," + b"follow busybox".hex())).decode()
        check("from the next connection" in reply, "monitor follow: " + reply.strip())
        check(stub.ask("D") == "OK", "detached")
        stub.sock.close()
        stub = Stub(sock)
        stop = stub.ask("?")
        check(stop.startswith("T05thread:1;"), "the followed process, stopped: " + stop)
        layout = register_layout(read_xfer(stub, "features:read:target.xml"))
        check(stub.ask("qfThreadInfo") == "m1", "one thread: the process")
        rip = register(stub, layout, "rip")
        check(stub.ask("m%x,2" % (rip - 2)) == "0f05",
              "blocked in the kernel: its pc follows a syscall instruction")
        stub.send_raw(stub.frame("vCont;s:1"))
        check(stub.byte() == b"+", "step acknowledged")
        machine.stdin.write(b"hello\n")
        machine.stdin.close()  # sendfile copies until the end of its input
        stop = stub.receive()
        check(stop.startswith("T05thread:1;"), "the step ends when the copy returns: " + stop)
        check(register(stub, layout, "rax") == 6, "the copy returned 6 bytes")
        stub.send_raw(stub.frame("k"))
        check(machine.wait() == 128 + 9, "killed")
    finally:
        if machine.poll() is None:
            machine.kill()
            machine.wait()


def main():
    binary, options = sys.argv[1], sys.argv[2:]
    kmain, vfs_init = elf_symbol(binary, "kmain"), elf_symbol(binary, "vfs_init")
    tmp = tempfile.mkdtemp(prefix="amphi-stub-")
    sock = os.path.join(tmp, "gdb")
    # the kernel monitor waits on the open stdin pipe, so the machine keeps running
    machine = start(binary, ["--cpus", "2", "--gdb", "unix:" + sock, "--gdb-wait"] + options +
                    ["--", "gdbtest"], sock)
    try:
        stub = Stub(sock)

        stub.send_raw(stub.frame("qSupported", checksum=0))
        check(stub.byte() == b"-", "a packet with a bad checksum is refused")
        supported = stub.ask("qSupported:swbreak+")
        check("PacketSize=" in supported and "qXfer:features:read+" in supported,
              "qSupported: " + supported)

        xml = read_xfer(stub, "features:read:target.xml")
        check("<architecture>i386:x86-64</architecture>" in xml, "target.xml is i386:x86-64")
        layout = register_layout(xml)
        offset = load_offset(stub, binary)
        stop = stub.ask("?")
        check(stop.startswith("T05thread:1;"), "stopped at start: " + stop)
        g = stub.ask("g")
        check(len(g) == 2 * sum(size for _, size in layout),
              "g gives %d hex digits for %d registers" % (len(g), len(layout)))
        check(register(stub, layout, "rip") == kmain + offset, "--gdb-wait stops at kmain")

        check(re.fullmatch(r"E[0-9a-f]{2}", stub.ask("m0,8")) is not None,
              "reading address 0 gives an error reply")
        check(stub.ask("m%x,4" % (kmain + offset)) == elf_bytes(binary, kmain, 4).hex(),
              "memory at kmain reads as the file's bytes")

        patch = vfs_init + offset + 8  # not run before vfs_init is reached
        check(stub.ask("M%x,4:deadbeef" % patch) == "OK" and stub.ask("m%x,4" % patch) ==
              "deadbeef", "kernel text written (read-only pages) and read back")
        check(stub.ask("M%x,4:%s" % (patch, elf_bytes(binary, patch - offset, 4).hex())) == "OK"
              and stub.ask("m%x,4" % patch) == elf_bytes(binary, patch - offset, 4).hex(),
              "kernel text restored")
        rax = stub.ask("p0")
        check(stub.ask("P0=8877665544332211") == "OK" and stub.ask("p0") == "8877665544332211"
              and stub.ask("P0=" + rax) == "OK", "a register written, read back and restored")
        check(stub.ask("Z0,%x,1" % (vfs_init + offset)) == "OK", "breakpoint at vfs_init inserted")
        check(stub.ask("m%x,8" % (vfs_init + offset)) == elf_bytes(binary, vfs_init, 8).hex(),
              "a breakpoint's bytes read as the file's")
        stop = stub.ask("vCont;c")
        check(re.match(r"T05thread:1;.*swbreak", stop) is not None, "breakpoint hit: " + stop)
        check(register(stub, layout, "rip") == vfs_init + offset, "stopped at vfs_init")
        check(stub.ask("z0,%x,1" % (vfs_init + offset)) == "OK", "breakpoint removed")
        stop = stub.ask("vCont;s:1")
        check(stop.startswith("T05thread:1;"), "single step: " + stop)
        check(register(stub, layout, "rip") == next_insn(binary, vfs_init) + offset,
              "one step moves to the next instruction")
        check(stub.ask("Z2,%x,8" % (kmain + offset)) == "", "watchpoints are reported unsupported")

        stub.send_raw(stub.frame("vCont;c"))
        check(stub.byte() == b"+", "continue acknowledged")
        stub.send_raw(b"\x03")
        stop = stub.receive()
        check(stop.startswith("T02thread:"), "Ctrl-C stops the machine: " + stop)
        threads = stub.ask("qfThreadInfo")
        check(threads == "m1,2" and stub.ask("qsThreadInfo") == "l", "threads: " + threads)
        check("name=\"cpu1\"" in read_xfer(stub, "threads:read:"), "CPU 1 is named cpu1")
        check(stub.ask("Hg2") == "OK" and len(stub.ask("g")) == len(g), "cpu1's registers")
        check(stub.ask("Hg3") == "E01", "no thread 3 with 2 CPUs")

        stub.send_raw(stub.frame("k"))
        status = machine.wait()
        check(status == 128 + 9, "kill ends the machine (status %d)" % status)
        follow_running(binary, tmp, options)
    finally:
        if machine.poll() is None:
            machine.kill()
            machine.wait()
        for name in ("gdb", "gdb-follow"):
            if os.path.exists(os.path.join(tmp, name)):
                os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    sys.exit(1 if failed else 0)


main()
