/*
 * aarch64 guest part of the gdbstub: a followed process's registers (its struct user_regs)
 * as GDB's aarch64 core feature numbers them: x0-x30, sp, pc, cpsr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amphi/arch.h>

#include "sim.h"

#define A64_GDB_SP 31
#define A64_GDB_PC 32
#define A64_GDB_CPSR 33
#define A64_GDB_REGS 34

const char *sim_gdb_guest_xml(void)
{
	static char xml[4096];
	size_t len;

	if (xml[0])
		return xml;
	len = (size_t)snprintf(
	    xml, sizeof(xml),
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	    "<target version=\"1.0\">\n<architecture>aarch64</architecture>\n"
	    "<feature name=\"org.gnu.gdb.aarch64.core\">\n");
	for (unsigned n = 0; n < 31 && len < sizeof(xml); n++)
		len += (size_t)snprintf(
		    xml + len, sizeof(xml) - len,
		    "<reg name=\"x%u\" bitsize=\"64\" type=\"int\" regnum=\"%u\"/>\n", n, n);
	if (len < sizeof(xml))
		len += (size_t)snprintf(
		    xml + len, sizeof(xml) - len,
		    "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"%d\"/>\n"
		    "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"%d\"/>\n"
		    "<reg name=\"cpsr\" bitsize=\"32\" type=\"int\" regnum=\"%d\"/>\n"
		    "</feature>\n</target>\n",
		    A64_GDB_SP, A64_GDB_PC, A64_GDB_CPSR);
	if (len >= sizeof(xml))
		abort(); /* the description is fixed: a bigger one needs a bigger buffer */
	return xml;
}

unsigned sim_gdb_guest_reg_count(void)
{
	return A64_GDB_REGS;
}

unsigned sim_gdb_guest_reg_size(unsigned n)
{
	return n < A64_GDB_CPSR ? 8 : n == A64_GDB_CPSR ? 4 : 0;
}

int sim_gdb_guest_reg_get(const void *user_regs, unsigned n, uint8_t *buf)
{
	const struct user_regs *r = user_regs;
	uint64_t v;
	uint32_t cpsr;

	if (n >= A64_GDB_REGS)
		return -1;
	if (n == A64_GDB_CPSR) {
		cpsr = (uint32_t)r->pstate;
		memcpy(buf, &cpsr, 4);
		return 4;
	}
	v = n < 31 ? r->x[n] : n == A64_GDB_SP ? r->sp : r->pc;
	memcpy(buf, &v, 8); /* little-endian */
	return 8;
}

/* The condition flags (NZCV) of pstate: the only bits user code changes itself, so the
 * rest of a GDB write to cpsr is ignored, as ptrace does. */
#define A64_PSTATE_NZCV 0xf0000000ul

int sim_gdb_guest_reg_set(void *user_regs, unsigned n, const uint8_t *buf)
{
	struct user_regs *r = user_regs;
	uint64_t v = 0;

	if (n >= A64_GDB_REGS)
		return -1;
	if (n == A64_GDB_CPSR) {
		uint32_t cpsr;
		memcpy(&cpsr, buf, 4);
		r->pstate = (r->pstate & ~A64_PSTATE_NZCV) | (cpsr & A64_PSTATE_NZCV);
		return 0;
	}
	memcpy(&v, buf, 8); /* little-endian */
	if (n < 31)
		r->x[n] = v;
	else if (n == A64_GDB_SP)
		r->sp = v;
	else
		r->pc = v;
	return 0;
}
