# A user program through the gdbstub's follow mode (harness/debug --batch FILE --follow
# hosted*-stub, AMPHI_SIM_ARGS="exec gdbuser"): stopped at its first instruction, a
# breakpoint in main, one instruction stepped (checked against the disassembler), a step
# into add, the backtrace through it, its arguments, a software watchpoint, memory through
# the process's page tables, the value it returns, its exit.
set pagination off
set confirm off
info threads
break main
continue
python
pc = int(gdb.parse_and_eval("$pc"))
arch = gdb.selected_frame().architecture()
want = pc + arch.disassemble(pc)[0]["length"]
gdb.execute("stepi")
got = int(gdb.parse_and_eval("$pc"))
print("STEPI-CHECK ok" if got == want else "STEPI-CHECK pc %#x, want %#x" % (got, want))
end
step
backtrace
print a
print b
# a software watchpoint: GDB steps the process and compares (the stub has no hardware ones;
# harness/debug starts GDB with can-use-hw-watchpoints 0 for it, so a plain watch works)
watch calls
continue
delete
finish
print argv[0]
print calls
# to its end: the machine powers off with the program's status, which the stub reports
continue
