# Register writes in follow mode (harness/debug --batch FILE --follow hosted*-stub,
# AMPHI_SIM_ARGS="exec gdbuser"): stopped in add, GDB's `return 99` writes the result
# register, the stack pointer and the pc of the followed process; the program goes on in
# main with add's calls++ never run and 99 as the sum, so it prints that and exits with 1.
# Before that, writes to the flags keep what user code cannot change, and on x86_64 a
# segment register refuses a write, by P and by G.
set pagination off
set confirm off
break add
continue
# the flags: a carry is the process's to set, a trap flag or a privilege level is not
python
x86 = gdb.selected_frame().architecture().name().startswith("i386")
flags = "$eflags" if x86 else "$cpsr"
carry, kept = (0x1, 0x100) if x86 else (0x20000000, 0x3cf)
before = int(gdb.parse_and_eval(flags))
gdb.execute("set var %s = %d" % (flags, before | carry | kept))
gdb.execute("maint flush register-cache")
after = int(gdb.parse_and_eval(flags))
ok = after & carry and (after & kept) == (before & kept)
print("FLAGS-CHECK ok" if ok else "FLAGS-CHECK %#x -> %#x" % (before, after))
gdb.execute("set var %s = %d" % (flags, before))
if x86:
    try:
        gdb.execute("set var $cs = 0x2b")
        print("SEGMENT-CHECK written")
    except gdb.error:
        print("SEGMENT-CHECK refused")
    # G (every register at once): the same values are taken, a changed cs is refused
    def reply(packet):
        out = gdb.execute("maint packet " + packet, to_string=True)
        return out.split("received: ")[1].strip().strip('"')
    regs = reply("g")
    cs = (16 * 8 + 8 + 4) * 2  # rax..r15, rip, eflags: cs's offset in hex digits
    same, changed = reply("G" + regs), reply("G" + regs[:cs] + "2b000000" + regs[cs + 8:])
    gdb.execute("maint flush register-cache")
    ok = same == "OK" and changed == "E01" and reply("g") == regs
    print("G-CHECK ok" if ok else "G-CHECK same %s changed %s" % (same, changed))
else:
    print("G-CHECK ok") # aarch64 has no register that refuses
    print("SEGMENT-CHECK refused") # aarch64 has none
end
return 99
python
frame = gdb.selected_frame()
print("RETURN-CHECK ok" if frame.name() == "main" else "RETURN-CHECK in %s" % frame.name())
end
continue
