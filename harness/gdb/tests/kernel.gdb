# A kernel session on any target (harness/debug --batch): break in a kernel function, a
# backtrace through kmain, a step, a variable, the CPUs as threads, and the helpers.
set pagination off
set confirm off
break vfs_init
python gdb.execute("run" if gdb.selected_inferior().pid == 0 else "continue")
backtrace
next
print boot_info.cmdline
info threads
amphi threads
amphi dmesg
break buddy_alloc
continue
amphi locks
# QEMU may drop the connection as it ends: that is no failure of the session
python
try:
    gdb.execute("kill")
except gdb.error:
    pass
end
