# Reverse execution where the stub must refuse it with a reason: in parallel mode it is not
# offered at all (GDB's own error). In deterministic mode reverse-stepi after the continue
# over the whole boot (more instructions than it steps through) is refused where it was
# asked, and everything is refused once GDB wrote a register (a change no replay repeats;
# r11 is scratch at a function's entry).
set pagination off
set confirm off
monitor reverse
break kmalloc_every_class
continue
python
for command in ("reverse-stepi", "set var $r11 = $r11 + 1", "reverse-continue"):
    try:
        gdb.execute(command)
    except gdb.error as e:
        print("REVERSE-REFUSED %s: %s" % (command, e))
    where = gdb.selected_frame().name()
    print("REVERSE-REFUSED-CHECK %s after %s" % ("ok" if where == "kmalloc_every_class"
                                                else "moved to " + str(where), command))
end
monitor reverse
delete
continue
