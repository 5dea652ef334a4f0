# Reverse execution of the kernel while a user program runs in Unicorn (harness/debug
# --batch FILE hosted-stub, AMPHI_SIM_ARGS="exec busybox uname"): five system calls, then
# two reverse-continue must find the third again, with the same task and registers.
set pagination off
set confirm off
break syscall_dispatch
continue
continue
continue
set $third_nr = t->regs.rax
set $third_task = (unsigned long)t
set $third_sp = $sp
continue
continue
printf "fifth system call: %lu\n", t->regs.rax
reverse-continue
reverse-continue
python
same = all(int(gdb.parse_and_eval(a)) == int(gdb.parse_and_eval(b)) for a, b in
           (("t->regs.rax", "$third_nr"), ("(unsigned long)t", "$third_task"),
            ("$sp", "$third_sp")))
print("REVERSE-USER-CHECK %s: system call %d" % ("ok" if same else "differs",
                                                 int(gdb.parse_and_eval("t->regs.rax"))))
end
delete
continue
