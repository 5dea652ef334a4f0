# Register writes in follow mode (harness/debug --batch FILE --follow hosted*-stub,
# AMPHI_SIM_ARGS="exec gdbuser"): stopped in add, GDB's `return 99` writes the result
# register, the stack pointer and the pc of the followed process; the program goes on in
# main with add's calls++ never run and 99 as the sum, so it prints that and exits with 1.
set pagination off
set confirm off
break add
continue
return 99
python
frame = gdb.selected_frame()
print("RETURN-CHECK ok" if frame.name() == "main" else "RETURN-CHECK in %s" % frame.name())
end
continue
