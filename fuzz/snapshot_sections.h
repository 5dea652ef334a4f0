/*
 * Forced into every kernel, driver and machine file of the fuzz build (clang): their
 * globals go to two sections of their own, amphi_kdata and amphi_kbss, whose bounds the
 * linker defines (__start_amphi_kdata...), so the snapshot (sim/snap/snapshot.c) saves and
 * puts back exactly the machine's state and nothing of libFuzzer's, ASan's or libc's.
 * The snapshot's own file is left out (AMPHI_SNAPSHOT_OUTSIDE): it must survive a reset.
 */
#ifndef AMPHI_SNAPSHOT_OUTSIDE
#pragma clang section bss = "amphi_kbss" data = "amphi_kdata"
#endif
