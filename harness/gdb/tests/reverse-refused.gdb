# Reverse execution where the stub must refuse it with a reason: in parallel mode it is not
# offered at all (GDB's own error); in deterministic mode reverse-stepi after a continue is
# refused, and so is everything once GDB wrote a register (a change no replay repeats; r11 is
# scratch at a function's entry).
set pagination off
set confirm off
monitor reverse
break kmalloc
continue
python
for command in ("reverse-stepi", "set var $r11 = $r11 + 1", "reverse-continue"):
    try:
        gdb.execute(command)
    except gdb.error as e:
        print("REVERSE-REFUSED %s: %s" % (command, e))
end
monitor reverse
delete
continue
