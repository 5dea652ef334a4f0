# A user program's syscall in the hosted kernel (harness/debug --batch hosted*, with
# AMPHI_SIM_ARGS="exec busybox uname"): the process list, and the helper's page-table walk
# of the syscall's buffer against the kernel's own (pt_lookup).
set pagination off
set confirm off
break sys_uname
python gdb.execute("run" if gdb.selected_inferior().pid == 0 else "continue")
amphi ps
amphi pt pid:1 0x10
python
import amphi_gdb
walk = gdb.execute("amphi pt pid:1 a[0]", to_string=True)
print(walk, end="")
va = int(gdb.parse_and_eval("a[0]"))
pte = int(gdb.parse_and_eval("pt_lookup(p->vm->root, a[0])"))
mask = 0x000ffffffffff000 if amphi_gdb._guest_isa() == "x86_64" else 0x0000fffffffff000
want = "-> pa %#x" % ((pte & mask) | (va & 0xfff))
print("PT-CHECK ok" if want in walk else "PT-CHECK mismatch: want '%s'" % want)
end
# QEMU may drop the connection as it ends: that is no failure of the session
python
try:
    gdb.execute("kill")
except gdb.error:
    pass
end
