/*
 * x86_64 part of the gdbstub: the registers of a stopped CPU thread as GDB's i386:x86-64
 * target description numbers them (the general registers, the x87 and SSE state, orig_rax),
 * read from and written into the signal context the thread is parked in, and the trap flag
 * that single-steps it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "sim.h"

#define X86_EFLAGS_TF 0x100UL

/* How one register is kept in the context. */
enum reg_kind {
	REG_KIND_GREG,
	REG_KIND_SEG,
	REG_KIND_ST,
	REG_KIND_FPCTL,
	REG_KIND_XMM,
	REG_KIND_MXCSR,
	REG_KIND_ORIG
};

struct gdb_reg {
	const char *name;
	unsigned bits;
	const char *type;
	const char *group;
	enum reg_kind kind;
	int index; /* gregs[] index, segment shift, st/xmm number or control word */
};

/* Control words of the x87 unit, in GDB's order. */
enum { FP_FCTRL, FP_FSTAT, FP_FTAG, FP_FISEG, FP_FIOFF, FP_FOSEG, FP_FOOFF, FP_FOP };

#define GREG(n, r, t)                                 \
	{                                             \
		n, 64, t, "general", REG_KIND_GREG, r \
	}
#define SEG(n, i)                                          \
	{                                                  \
		n, 32, "int32", "general", REG_KIND_SEG, i \
	}
#define ST(i)                                                    \
	{                                                        \
		"st" #i, 80, "i387_ext", "float", REG_KIND_ST, i \
	}
#define FPCTL(n, i)                                      \
	{                                                \
		n, 32, "int", "float", REG_KIND_FPCTL, i \
	}
#define XMM(i)                                                     \
	{                                                          \
		"xmm" #i, 128, "vec128", "vector", REG_KIND_XMM, i \
	}

static const struct gdb_reg gdb_regs[] = {
    GREG("rax", REG_RAX, "int64"),
    GREG("rbx", REG_RBX, "int64"),
    GREG("rcx", REG_RCX, "int64"),
    GREG("rdx", REG_RDX, "int64"),
    GREG("rsi", REG_RSI, "int64"),
    GREG("rdi", REG_RDI, "int64"),
    GREG("rbp", REG_RBP, "data_ptr"),
    GREG("rsp", REG_RSP, "data_ptr"),
    GREG("r8", REG_R8, "int64"),
    GREG("r9", REG_R9, "int64"),
    GREG("r10", REG_R10, "int64"),
    GREG("r11", REG_R11, "int64"),
    GREG("r12", REG_R12, "int64"),
    GREG("r13", REG_R13, "int64"),
    GREG("r14", REG_R14, "int64"),
    GREG("r15", REG_R15, "int64"),
    GREG("rip", REG_RIP, "code_ptr"),
    {"eflags", 32, "i386_eflags", "general", REG_KIND_GREG, REG_EFL},
    /* REG_CSGSFS packs cs, gs and fs (16 bits each); ss, ds and es are not saved */
    SEG("cs", 0),
    SEG("ss", -1),
    SEG("ds", -1),
    SEG("es", -1),
    SEG("fs", 32),
    SEG("gs", 16),
    ST(0),
    ST(1),
    ST(2),
    ST(3),
    ST(4),
    ST(5),
    ST(6),
    ST(7),
    FPCTL("fctrl", FP_FCTRL),
    FPCTL("fstat", FP_FSTAT),
    FPCTL("ftag", FP_FTAG),
    FPCTL("fiseg", FP_FISEG),
    FPCTL("fioff", FP_FIOFF),
    FPCTL("foseg", FP_FOSEG),
    FPCTL("fooff", FP_FOOFF),
    FPCTL("fop", FP_FOP),
    XMM(0),
    XMM(1),
    XMM(2),
    XMM(3),
    XMM(4),
    XMM(5),
    XMM(6),
    XMM(7),
    XMM(8),
    XMM(9),
    XMM(10),
    XMM(11),
    XMM(12),
    XMM(13),
    XMM(14),
    XMM(15),
    {"mxcsr", 32, "int", "vector", REG_KIND_MXCSR, 0},
    {"orig_rax", 64, "int", "system", REG_KIND_ORIG, 0},
};

#define GDB_REG_COUNT (sizeof(gdb_regs) / sizeof(gdb_regs[0]))
#define GDB_FIRST_ST 24	 /* st0's number */
#define GDB_FIRST_XMM 40 /* xmm0's number */
#define GDB_MXCSR 56	 /* after the xmm registers */

unsigned sim_gdb_reg_count(void)
{
	return GDB_REG_COUNT;
}

unsigned sim_gdb_reg_size(unsigned n)
{
	return n < GDB_REG_COUNT ? gdb_regs[n].bits / 8 : 0;
}

/* Appends the <reg> elements of registers [first, end) to buf at *len. */
static void xml_regs(char *buf, size_t cap, size_t *len, unsigned first, unsigned end)
{
	for (unsigned n = first; n < end && *len < cap; n++)
		*len += (size_t)snprintf(buf + *len, cap - *len,
					 "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\""
					 " group=\"%s\"/>\n",
					 gdb_regs[n].name, gdb_regs[n].bits, gdb_regs[n].type, n,
					 gdb_regs[n].group);
}

const char *sim_gdb_target_xml(void)
{
	static char xml[8192];
	size_t len = 0;

	if (xml[0])
		return xml;
	len += (size_t)snprintf(
	    xml, sizeof(xml),
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	    "<target version=\"1.0\">\n<architecture>i386:x86-64</architecture>\n"
	    "<osabi>GNU/Linux</osabi>\n<feature name=\"org.gnu.gdb.i386.core\">\n"
	    "<flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" end=\"0\"/>"
	    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
	    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
	    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
	    "<field name=\"DF\" start=\"10\" end=\"10\"/>"
	    "<field name=\"OF\" start=\"11\" end=\"11\"/></flags>\n");
	xml_regs(xml, sizeof(xml), &len, 0, GDB_FIRST_XMM);
	len += (size_t)snprintf(
	    xml + len, sizeof(xml) - len,
	    "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n"
	    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
	    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
	    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
	    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
	    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
	    "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
	    "<field name=\"v2_int64\" type=\"v2i64\"/>"
	    "<field name=\"uint128\" type=\"uint128\"/></union>\n");
	xml_regs(xml, sizeof(xml), &len, GDB_FIRST_XMM, GDB_MXCSR + 1);
	len += (size_t)snprintf(xml + len, sizeof(xml) - len,
				"</feature>\n<feature name=\"org.gnu.gdb.i386.linux\">\n");
	xml_regs(xml, sizeof(xml), &len, GDB_MXCSR + 1, GDB_REG_COUNT);
	if (len < sizeof(xml))
		snprintf(xml + len, sizeof(xml) - len, "</feature>\n</target>\n");
	if (len >= sizeof(xml))
		abort(); /* the description is fixed: a bigger one needs a bigger buffer */
	return xml;
}

/* The x87 tag of physical register r (0 valid, 1 zero, 2 special, 3 empty) from the
 * abridged FXSAVE tag and the register's contents. */
static unsigned fp_tag(const struct _libc_fpstate *fp, unsigned r)
{
	unsigned top = (fp->swd >> 11) & 7, st = (r - top) & 7;
	const struct _libc_fpxreg *v = &fp->_st[st];
	unsigned exponent = v->exponent & 0x7fff;
	uint64_t mantissa;

	if (!(fp->ftw & (1u << r)))
		return 3;
	memcpy(&mantissa, v->significand, sizeof(mantissa));
	if (exponent == 0x7fff)
		return 2;
	if (exponent == 0)
		return mantissa ? 2 : 1;
	return mantissa >> 63 ? 0 : 2;
}

/* The value of x87 control register which. */
static uint32_t fp_control(const struct _libc_fpstate *fp, int which)
{
	uint32_t tags = 0;

	switch (which) {
	case FP_FCTRL:
		return fp->cwd;
	case FP_FSTAT:
		return fp->swd;
	case FP_FTAG:
		for (unsigned r = 0; r < 8; r++)
			tags |= fp_tag(fp, r) << (2 * r);
		return tags;
	case FP_FIOFF:
		return (uint32_t)fp->rip;
	case FP_FOOFF:
		return (uint32_t)fp->rdp;
	case FP_FOP:
		return fp->fop;
	default: /* the segments, which 64-bit FXSAVE does not keep */
		return 0;
	}
}

/* True when register r lives in the FXSAVE area (which a context may lack). */
static bool reg_in_fpstate(const struct gdb_reg *r)
{
	return r->kind == REG_KIND_ST || r->kind == REG_KIND_FPCTL || r->kind == REG_KIND_XMM ||
	       r->kind == REG_KIND_MXCSR;
}

int sim_gdb_reg_get(const void *ucontext, unsigned n, uint8_t *buf)
{
	const ucontext_t *uc = ucontext;
	const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	const struct gdb_reg *r = &gdb_regs[n];
	uint64_t v = 0;
	uint32_t w;

	if (n >= GDB_REG_COUNT || (reg_in_fpstate(r) && !fp))
		return -1;
	switch (r->kind) {
	case REG_KIND_GREG:
		v = (uint64_t)uc->uc_mcontext.gregs[r->index];
		break;
	case REG_KIND_SEG:
		if (r->index >= 0)
			v = ((uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS] >> r->index) & 0xffff;
		break;
	case REG_KIND_ST:
		memcpy(buf, &fp->_st[r->index], 10);
		return 10;
	case REG_KIND_FPCTL:
		v = fp_control(fp, r->index);
		break;
	case REG_KIND_XMM:
		memcpy(buf, &fp->_xmm[r->index], 16);
		return 16;
	case REG_KIND_MXCSR:
		v = fp->mxcsr;
		break;
	case REG_KIND_ORIG:
		v = UINT64_MAX; /* no system call is being restarted */
		break;
	}
	w = (uint32_t)v;
	memcpy(buf, r->bits == 64 ? (void *)&v : (void *)&w, r->bits / 8); /* little-endian */
	return (int)(r->bits / 8);
}

bool sim_gdb_reg_in_fpstate(unsigned n)
{
	return n < GDB_REG_COUNT && reg_in_fpstate(&gdb_regs[n]);
}

int sim_gdb_reg_set(void *ucontext, unsigned n, const uint8_t *buf)
{
	ucontext_t *uc = ucontext;
	struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	const struct gdb_reg *r = &gdb_regs[n];
	uint64_t v = 0;

	if (n >= GDB_REG_COUNT || (reg_in_fpstate(r) && !fp))
		return -1;
	memcpy(&v, buf, r->bits <= 64 ? r->bits / 8 : 8);
	switch (r->kind) {
	case REG_KIND_GREG:
		uc->uc_mcontext.gregs[r->index] = (greg_t)(r->bits == 32 ? (uint32_t)v : v);
		break;
	case REG_KIND_ST:
		memcpy(&fp->_st[r->index], buf, 10);
		break;
	case REG_KIND_XMM:
		memcpy(&fp->_xmm[r->index], buf, 16);
		break;
	case REG_KIND_MXCSR:
		fp->mxcsr = (uint32_t)v;
		break;
	case REG_KIND_FPCTL:
		if (r->index == FP_FCTRL)
			fp->cwd = (uint16_t)v;
		else if (r->index == FP_FSTAT)
			fp->swd = (uint16_t)v;
		break; /* the others are derived, or not kept */
	default:       /* segments and orig_rax cannot change in a signal context */
		break;
	}
	return 0;
}

uintptr_t sim_gdb_pc(const void *ucontext)
{
	return (uintptr_t)((const ucontext_t *)ucontext)->uc_mcontext.gregs[REG_RIP];
}

uintptr_t sim_gdb_sp(const void *ucontext)
{
	return (uintptr_t)((const ucontext_t *)ucontext)->uc_mcontext.gregs[REG_RSP];
}

void sim_gdb_set_pc(void *ucontext, uintptr_t pc)
{
	((ucontext_t *)ucontext)->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
}

void sim_gdb_set_step(void *ucontext, bool step)
{
	greg_t *flags = &((ucontext_t *)ucontext)->uc_mcontext.gregs[REG_EFL];

	*flags = step ? (greg_t)((unsigned long)*flags | X86_EFLAGS_TF)
		      : (greg_t)((unsigned long)*flags & ~X86_EFLAGS_TF);
}

bool sim_gdb_trap_is_step(const siginfo_t *si)
{
	return si->si_code == TRAP_TRACE;
}

uintptr_t sim_gdb_break_addr(const void *ucontext)
{
	return sim_gdb_pc(ucontext) - 1; /* the trap leaves the pc past the int3 */
}

const uint8_t sim_gdb_break_insn[] = {0xcc}; /* int3 */
const unsigned sim_gdb_break_len = sizeof(sim_gdb_break_insn);
