/*
 * plat.h: the platform contract. kernel/ reaches firmware, RAM layout, CPUs, interrupts,
 * time, the console and power control only through these calls. Each platform
 * (arch/x86_64/pc, arch/aarch64/virt, sim/) implements all of them. Results are 0 or a
 * negative errno; void calls cannot fail. One header per area:
 */
#pragma once

#include <amphi/plat/boot.h>	 /* plat_init, struct boot_info */
#include <amphi/plat/console.h>	 /* console write and read */
#include <amphi/plat/cpu.h>	 /* CPU count and id, start, idle, park, scheduling points */
#include <amphi/plat/ctx.h>	 /* kernel stacks and context switch */
#include <amphi/plat/debug.h>	 /* symbols for backtraces */
#include <amphi/plat/dma.h>	 /* bus addresses of memory devices reach */
#include <amphi/plat/hostcall.h> /* syscalls issued by the host (hosted library) */
#include <amphi/plat/io.h>	 /* mapping device registers */
#include <amphi/plat/irq.h>	 /* interrupt masking */
#include <amphi/plat/mem.h>	 /* the direct map */
#include <amphi/plat/mmu.h>	 /* translation caches of user address spaces */
#include <amphi/plat/memcheck.h> /* memory-checker hooks */
#include <amphi/plat/power.h>	 /* power off, halt */
#include <amphi/plat/time.h>	 /* monotonic clock, one-shot timer */
#include <amphi/plat/user.h>	 /* running user code */
