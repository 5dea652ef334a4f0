# GDB helpers for the Amphi kernel, on every target: the hosted build (gdb on
# build/hosted/amphi) and the metal kernels under QEMU's gdbstub (gdb-multiarch on
# amphi.elf). They read the kernel's own data structures by name:
#   amphi threads            kernel threads: id, state, CPU, wait channel, user task
#   amphi ps                 processes: pid, parent, state, threads, name, program
#   amphi pt SPACE VA        walks SPACE's page table (a struct vm_space * expression, or
#                            pid:N for process N's) for the user address VA, level by level
#   amphi dmesg              the kernel log (kprintf's ring buffer)
#   amphi locks              the locks each thread holds (lock debugging builds)
# Loaded automatically through the .debug_gdb_scripts section of the kernel (see
# harness/gdb/README.md), or by hand: source harness/gdb/amphi_gdb.py
import gdb

PAGE_SHIFT = 12
PT_LEVELS = 4
PT_ENTRIES = 512
SIM_RAM_BASE = 0x40000000           # sim/sim.h
X86_DIRECT_MAP_BASE = 0xffff800000000000  # arch/x86_64/pc/layout.h


def _symbol(name):
    """The kernel variable name's symbol, file-static ones included, or None."""
    return gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)


def _static(name):
    """The value of a kernel variable, file-static ones included."""
    sym = _symbol(name)
    if sym is None:
        raise gdb.GdbError("amphi: no symbol %s in this kernel" % name)
    return sym.value()


def _container_of(node_ptr, typename, field):
    """The struct typename * whose member field is at node_ptr."""
    t = gdb.lookup_type(typename)
    offset = [f for f in t.fields() if f.name == field][0].bitpos // 8
    addr = int(node_ptr.cast(gdb.lookup_type("unsigned long"))) - offset
    return gdb.Value(addr).cast(t.pointer())


def _list_entries(head, typename, field):
    """The entries of a struct list_node list headed by head (a value, not a pointer)."""
    head_addr = int(head.address)
    node = head["next"]
    seen = 0
    while int(node) != head_addr:
        yield _container_of(node, typename, field)
        node = node["next"]
        seen += 1
        if seen > 1000000:
            raise gdb.GdbError("amphi: list at %#x does not end" % head_addr)


def _enum_name(value, prefix):
    return str(value).replace(prefix, "").lower()


def _cstr(arr):
    try:
        return arr.string()
    except gdb.error:
        return "?"


def _lock_name(lock_debug_ptr):
    if int(lock_debug_ptr) == 0:
        return "-"
    try:
        return lock_debug_ptr["name"].string()
    except gdb.error:
        return "%#x" % int(lock_debug_ptr)


def _has_field(typename, field):
    return any(f.name == field for f in gdb.lookup_type(typename).fields())


def _symbol_at(pc):
    block_fn = gdb.block_for_pc(pc)
    while block_fn is not None and block_fn.function is None:
        block_fn = block_fn.superblock
    if block_fn is None:
        return "%#x" % pc
    sal = gdb.find_pc_line(pc)
    where = "%s:%d" % (sal.symtab.filename.split("/")[-1], sal.line) if sal.symtab else ""
    return "%s (%s)" % (block_fn.function.name, where) if where else block_fn.function.name


def threads():
    """Every kernel thread, from the scheduler's list of all threads."""
    return list(_list_entries(_static("all_threads"), "struct thread", "all_node"))


class AmphiPrefix(gdb.Command):
    """Amphi kernel helpers: amphi threads | ps | pt SPACE VA | dmesg | locks."""

    def __init__(self):
        super().__init__("amphi", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class AmphiThreads(gdb.Command):
    """List the kernel threads: id, name, state, CPU, wait channel, user task."""

    def __init__(self):
        super().__init__("amphi threads", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        wchan_known = _has_field("struct thread", "wchan")
        print("%4s %-16s %-9s %3s %-24s %s" % ("id", "name", "state", "cpu", "wait channel", "task"))
        for t in threads():
            state = _enum_name(t["state"], "THREAD_")
            if state == "runnable" and bool(t["on_cpu"]):
                state = "running"
            wchan = "-"
            if wchan_known and int(t["wchan"]) != 0:
                wq = t["wchan"]
                wchan = _lock_name(wq["lock"]["dbg"].address) if _has_field(
                    "struct spinlock", "dbg") else "%#x" % int(wq)
            task = "-"
            if int(t["task"]) != 0:
                task = "pid %d tid %d" % (int(t["task"]["proc"]["pid"]), int(t["task"]["tid"]))
            print("%4d %-16s %-9s %3d %-24s %s" % (int(t["id"]), _cstr(t["name"]), state,
                                                 int(t["cpu"]), wchan, task))


class AmphiPs(gdb.Command):
    """List the processes: pid, parent pid, state, live threads, name, program."""

    def __init__(self):
        super().__init__("amphi ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        table = _static("proc_table")
        procs = []
        for i in range(table.type.range()[1] + 1):
            procs.extend(_list_entries(table[i], "struct process", "hash"))
        procs.sort(key=lambda p: int(p["pid"]))
        print("%5s %5s %-7s %7s %-16s %s" % ("pid", "ppid", "state", "threads", "name", "program"))
        for p in procs:
            ppid = int(p["parent"]["pid"]) if int(p["parent"]) != 0 else 0
            print("%5d %5d %-7s %7d %-16s %s" % (int(p["pid"]), ppid,
                                                 _enum_name(p["state"], "PROC_"),
                                                 int(p["live_tasks"]), _cstr(p["comm"]),
                                                 _cstr(p["exe"])))


def _guest_isa():
    """x86_64 or aarch64: the page-table format, from the user register frame's layout."""
    return "x86_64" if _has_field("struct user_regs", "fxsave") else "aarch64"


def _phys_to_virt(pa):
    """The kernel virtual address of physical address pa, as plat_phys_to_virt gives it."""
    if _symbol("sim_ram") is not None:  # the hosted machine: RAM is a host mapping
        return int(_static("sim_ram")["va"]) + pa - SIM_RAM_BASE
    if _symbol("virt_offset") is not None:  # aarch64 virt
        return pa + int(_static("virt_offset"))
    return X86_DIRECT_MAP_BASE + pa


def _read_u64(addr):
    mem = gdb.selected_inferior().read_memory(addr, 8)
    return int.from_bytes(bytes(mem), "little")


def _pte_decode(isa, e, level):
    """(valid, is_table, address, flags text) of page-table entry e at level."""
    if isa == "x86_64":
        valid = bool(e & 1)
        table = valid and level > 0 and not (e & (1 << 7))
        flags = "".join(c for c, bit in (("W", 1), ("U", 2), ("A", 5), ("D", 6)) if e & (1 << bit))
        flags += "" if e & (1 << 63) else "X"
        return valid, table, e & 0x000ffffffffff000, flags
    valid = bool(e & 1)
    table = valid and level > 0 and bool(e & 2)
    flags = "R" + ("" if e & (1 << 7) else "W") + ("U" if e & (1 << 6) else "")
    flags += "A" if e & (1 << 10) else ""
    xn = (1 << 54) if e & (1 << 6) else (1 << 53)
    flags += "" if e & xn else "X"
    return valid, table, e & 0x0000fffffffff000, flags


def _space_of(spec):
    if spec.startswith("pid:"):
        pid = int(spec[4:], 0)
        table = _static("proc_table")
        for i in range(table.type.range()[1] + 1):
            for p in _list_entries(table[i], "struct process", "hash"):
                if int(p["pid"]) == pid:
                    return p["vm"]
        raise gdb.GdbError("amphi pt: no process %d" % pid)
    return gdb.parse_and_eval(spec).cast(gdb.lookup_type("struct vm_space").pointer())


class AmphiPt(gdb.Command):
    """Walk an address space's page table for a user address.
Usage: amphi pt SPACE VA   (SPACE: a struct vm_space * expression, or pid:N)"""

    def __init__(self):
        super().__init__("amphi pt", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if len(args) != 2:
            raise gdb.GdbError("usage: amphi pt SPACE VA")
        space = _space_of(args[0])
        va = int(gdb.parse_and_eval(args[1]))
        isa = _guest_isa()
        table_pa = int(space["root"])
        print("space %#x (%s tables), root %#x, va %#x" % (int(space), isa, table_pa, va))
        for level in range(PT_LEVELS - 1, -1, -1):
            index = (va >> (PAGE_SHIFT + 9 * level)) & (PT_ENTRIES - 1)
            entry_va = _phys_to_virt(table_pa) + 8 * index
            e = _read_u64(entry_va)
            valid, is_table, addr, flags = _pte_decode(isa, e, level)
            print("  level %d [%3d] = %#018x" % (level, index, e), end="")
            if not valid:
                print("  not present")
                return
            if is_table:
                print("  table at %#x" % addr)
                table_pa = addr
                continue
            size = 1 << (PAGE_SHIFT + 9 * level)
            pa = addr + (va & (size - 1))
            print("  page %#x %s" % (addr, flags))
            print("va %#x -> pa %#x" % (va, pa))
            return


class AmphiDmesg(gdb.Command):
    """Print the kernel log (what kprintf printed, quiet or not)."""

    def __init__(self):
        super().__init__("amphi dmesg", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        buf = _static("klog_buf")
        size = buf.type.sizeof
        end = int(_static("klog_end"))
        start = max(int(_static("klog_start")), end - size)
        if end == start:
            return
        base = int(buf.address)
        mem = gdb.selected_inferior().read_memory(base, size)
        data = bytes(mem)
        text = bytes(data[(start + i) % size] for i in range(end - start))
        gdb.write(text.decode("utf-8", "replace"))


class AmphiLocks(gdb.Command):
    """List the locks each thread holds, innermost last, with where each was taken."""

    def __init__(self):
        super().__init__("amphi locks", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if not _has_field("struct thread", "held"):
            raise gdb.GdbError("amphi locks: this kernel has no lock debugging "
                               "(AMPHI_LOCK_DEBUG=0)")
        any_held = False
        for t in threads():
            n = int(t["held_count"])
            for i in range(n):
                h = t["held"][i]
                print("%4d %-16s %-24s taken at %s" % (int(t["id"]), _cstr(t["name"]),
                                                       _lock_name(h["lock"]),
                                                       _symbol_at(int(h["taken_at"]))))
                any_held = True
        if not any_held:
            print("no thread holds a lock")


def _hosted_setup():
    """The hosted machine: its own signals pass straight through. SIGSEGV and SIGBUS are how
    user pages are filled in and user faults reported (a kernel fault still stops: the sim
    reports it and aborts), SIGUSR1 carries interrupts in parallel mode, SIGUSR2 is the
    watchdog's sample."""
    if _symbol("sim_ram") is None:
        return
    for sig in ("SIGSEGV", "SIGBUS", "SIGUSR1", "SIGUSR2"):
        gdb.execute("handle %s nostop noprint pass" % sig, to_string=True)


_hosted_setup()
AmphiPrefix()
AmphiThreads()
AmphiPs()
AmphiPt()
AmphiDmesg()
AmphiLocks()
