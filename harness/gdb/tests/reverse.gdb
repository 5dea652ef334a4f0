# Reverse execution through the hosted gdbstub (harness/debug --batch FILE hosted-stub
# ktest=kmalloc, deterministic). kmalloc_every_class calls kmalloc with 1, 15, 16...
# bytes: after its first three calls, reverse-continue must stop at the second with the
# same argument and stack (reverse-stepi at the third hit finds the call instruction
# before it); three stepi then three reverse-stepi must find each instruction's registers
# again; reverse-finish and reverse-next work; reverse-continue goes back to the first call, to
# kmalloc_every_class, then to a kmalloc call of the boot that the forward run never
# stopped at (no breakpoint was in kmalloc then), and with no breakpoint to the start of the
# history (kmain). Then the run goes forward to its end.
set pagination off
set confirm off
monitor reverse
break kmalloc_every_class
continue
break kmalloc
continue
continue
set $second_size = size
set $second_sp = $sp
continue
printf "third call: size %lu\n", size
# the instruction before a breakpoint's hit: the call in kmalloc_every_class, which returns
# to the address the hit found on the stack; one stepi forward is the hit again
python
ret = int(gdb.parse_and_eval("*(unsigned long *)$sp"))
gdb.execute("reverse-stepi")
pc = int(gdb.parse_and_eval("$pc"))
insn = gdb.selected_frame().architecture().disassemble(pc)[0]
gdb.execute("stepi")
back = int(gdb.parse_and_eval("size")) == 16 and gdb.selected_frame().name() == "kmalloc"
ok = insn["asm"].startswith("call") and pc + insn["length"] == ret and back
print("REVERSE-STEPI-CALL-CHECK %s: %s" % ("ok" if ok else "wrong", insn["asm"]))
end
reverse-continue
python
same = (int(gdb.parse_and_eval("size")) == int(gdb.parse_and_eval("$second_size")) and
        int(gdb.parse_and_eval("$sp")) == int(gdb.parse_and_eval("$second_sp")))
print("REVERSE-CONTINUE-CHECK %s: size %d" % ("ok" if same else "differs",
                                              int(gdb.parse_and_eval("size"))))
end
python
def regs():
    return [int(gdb.parse_and_eval("$" + r)) for r in ("pc", "sp", "rbp", "rdi", "rsi", "rdx")]
frames = []
for _ in range(3):
    frames.append(regs())
    gdb.execute("stepi")
ok = True
for want in reversed(frames):
    gdb.execute("reverse-stepi")
    got = regs()
    if got != want:
        ok = False
        print("REVERSE-STEPI-CHECK differs: %s, want %s" % ([hex(v) for v in got], [hex(v) for v in want]))
print("REVERSE-STEPI-CHECK %s" % ("ok" if ok else "failed"))
end
# GDB's reverse-finish and reverse-next, made of the same packets: out of kmalloc back to
# its call (line 40), then two lines forward and one back (with kmalloc's breakpoint
# disabled, where reverse-finish would stop first)
disable 2
next
next
reverse-finish
python
line = gdb.find_pc_line(int(gdb.parse_and_eval("$pc"))).line
print("REVERSE-FINISH-CHECK %s: %s line %d" % (
    "ok" if gdb.selected_frame().name() == "kmalloc_every_class" and line == 40 else "wrong",
    gdb.selected_frame().name(), line))
end
next
next
next
reverse-next
python
line = gdb.find_pc_line(int(gdb.parse_and_eval("$pc"))).line
print("REVERSE-NEXT-CHECK %s: line %d" % ("ok" if line == 42 else "wrong", line))
end
# the call of kmalloc(15) again, then the first
enable 2
reverse-continue
printf "second call again: size %lu\n", size
reverse-continue
printf "first call: size %lu\n", size
reverse-continue
reverse-continue
python
caller = gdb.selected_frame().older().name()
print("REVERSE-BOOT-CHECK %s: kmalloc(%d) from %s" % (
    "ok" if gdb.selected_frame().name() == "kmalloc" and caller != "kmalloc_every_class"
    else "wrong", int(gdb.parse_and_eval("size")), caller))
end
delete
reverse-continue
python
at_kmain = int(gdb.parse_and_eval("$pc")) == int(gdb.parse_and_eval("(unsigned long)&kmain"))
print("REVERSE-START-CHECK %s" % ("ok" if at_kmain else "not at kmain"))
end
monitor reverse
# and forward again, to the end: the console shows the suite passing and the trace hash
continue
