#!/usr/bin/env python3
"""Writes the seed inputs of programs with several served tasks (fuzz/syscall/corpus/tasks-*).

The bytes follow the decoder of fuzz/syscall/prog.c: a call byte is the index of the call's
description in desc.c (read here, so the seeds follow the table), a byte from 0xf8 on
before it names its task (0xf8 + k: the k-th live task, task 0 first), and each argument
takes the bytes its kind decodes. Usage: make_task_seeds.py [CORPUS_DIR]
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TASK = 0xF8
NO_ADDR = 0xC0  # an address argument: wild value 0 (the program mapped nothing)


def call_indices():
    """Description index by syscall name, in desc_calls' order."""
    text = open(os.path.join(HERE, "desc.c")).read()
    table = text[text.index("const struct call_desc desc_calls[] = {"):]
    names = re.findall(r"^\s+CALL\((\w+),", table, re.M)
    return {name: i for i, name in enumerate(names)}


IDX = call_indices()


def call(name, *args, task=0):
    """The bytes of one call: its task byte (when not task 0), its index, its arguments."""
    out = [TASK + task] if task else []
    return bytes(out + [IDX[name]] + [b for a in args for b in a])


def fd(k):  # the k-th descriptor the program holds
    return [k]


def flags(pick):  # an OR of the set's members whose bits pick has
    return [pick & 0xFF, pick >> 8]


def buf_in(data):
    return [len(data)] + list(data)


def buf_out(n):
    return [n]


def small(v):  # an integer argument below 32
    return [v << 3]


PTHREAD = 1  # the first member of S_CLONE: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM
VFORK = 1 << 6  # S_CLONE's CLONE_VFORK

SEEDS = {
    # a thread blocks in read on an empty pipe; the first task's write wakes it: both end,
    # the read with the 5 bytes
    "tasks-thread-pipe": call("pipe2", flags(0))
    + call("clone", flags(PTHREAD), [NO_ADDR], [NO_ADDR], [NO_ADDR], [NO_ADDR])
    + call("read", fd(0), buf_out(16), task=1)
    + call("write", fd(1), buf_in(b"hello")),
    # a thread blocks in read; the first task closes the pipe's write end: the read ends
    # at once with end of file
    "tasks-thread-pipe-eof": call("pipe2", flags(0))
    + call("clone", flags(PTHREAD), *[[NO_ADDR]] * 4)
    + call("read", fd(0), buf_out(16), task=1)
    + call("close", fd(1)),
    # a forked child closes its copy of the write end: its write fails, the parent's
    # write works, the child reads it, exits with 3, and the parent reaps it
    "tasks-fork-fds": call("pipe2", flags(0))
    + call("fork")
    + call("close", fd(1), task=1)
    + call("write", fd(1), buf_in(b"nope"), task=1)
    + call("write", fd(1), buf_in(b"hello"))
    + call("read", fd(0), buf_out(16), task=1)
    + call("exit", small(3), task=1)
    + call("wait4", [0], flags(0)),
    # vfork's parent waits until its child exits
    "tasks-vfork-exit": call("vfork")
    + call("getppid", task=1)
    + call("exit", small(7), task=1)
    + call("wait4", [1], flags(0)),  # pids: getppid's 1, then vfork's child
    # clone(CLONE_VFORK) of a thread: the parent waits until the thread exits (it waited
    # for its whole process to end, so for ever: found by the syscall target)
    "regress-clone-vfork-thread": call("clone", flags(PTHREAD | VFORK), *[[NO_ADDR]] * 4)
    + call("gettid", task=1)
    + call("exit", small(0), task=1),
}


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    for name, data in SEEDS.items():
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
