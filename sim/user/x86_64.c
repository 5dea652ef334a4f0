/* The x86_64 guest in Unicorn: register transfer, the syscall trap, and what the CPU
 * model executes. */
#include <errno.h>
#include <string.h>

#include <amphi/arch.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "sim.h"
#include "user.h"

/* Unicorn register ids in the order of struct user_regs' first 18 fields. */
static const int x86_gpr_ids[] = {
	UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
	UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8,	UC_X86_REG_R9,
	UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
	UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_EFLAGS, UC_X86_REG_FS_BASE,
};
#define X86_NREGS (sizeof(x86_gpr_ids) / sizeof(x86_gpr_ids[0]))
#define X86_MSR_GS_BASE 0xc0000101
#define X86_SYSCALL_LEN 2 /* 0f 05 */

static void x86_on_syscall(uc_engine *uc, void *data)
{
	(void)uc;
	sim_user_syscall(data);
}

/* The number in rax, the arguments in rdi, rsi, rdx, r10, r8, r9. */
static void x86_syscall_args(uc_engine *uc, unsigned long *nr, unsigned long *args)
{
	static const int ids[7] = {UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
				   UC_X86_REG_R10, UC_X86_REG_R8,  UC_X86_REG_R9};
	void *ptrs[7] = {nr, &args[0], &args[1], &args[2], &args[3], &args[4], &args[5]};

	uc_reg_read_batch(uc, (int *)ids, ptrs, 7);
}

/* The result in rax; rcx and r11 hold the return address and rflags, as after sysret.
 * Inside the hook rip still points at the 2-byte syscall instruction. */
static void x86_syscall_return(uc_engine *uc, long result)
{
	uint64_t rip, rflags;

	uc_reg_read(uc, UC_X86_REG_RIP, &rip);
	uc_reg_read(uc, UC_X86_REG_EFLAGS, &rflags);
	/* computed from the lazily kept condition codes, whose unused fields Valgrind sees
	 * as undefined though the computation drops them (the value is what a stop reads) */
	tool_make_defined(&rflags, sizeof(rflags));
	rip += X86_SYSCALL_LEN;
	uc_reg_write(uc, UC_X86_REG_RAX, &result);
	uc_reg_write(uc, UC_X86_REG_RCX, &rip);
	uc_reg_write(uc, UC_X86_REG_R11, &rflags);
}

/* x86 exception vectors, as UC_HOOK_INTR reports them. */
#define X86_VECTOR_DE 0
#define X86_VECTOR_BP 3
#define X86_VECTOR_TS 10
#define X86_VECTOR_NP 11
#define X86_VECTOR_SS 12
#define X86_VECTOR_GP 13
#define X86_VECTOR_MF 16
#define X86_VECTOR_AC 17
#define X86_VECTOR_XM 19

/* An exception of user code: the traps Linux gives SIGFPE, SIGTRAP or SIGBUS; anything
 * else (#UD...) is an instruction the program cannot run. */
static void x86_on_exception(uc_engine *uc, uint32_t intno, void *data)
{
	struct sim_user_cpu *u = data;
	uint64_t rip;

	u->eng->exception_taken = true;
	uc_reg_read(uc, UC_X86_REG_RIP, &rip);
	switch (intno) {
	case X86_VECTOR_TS:
	case X86_VECTOR_NP:
	case X86_VECTOR_SS:
	case X86_VECTOR_GP: /* a privileged instruction, a bad selector: SIGSEGV, as metal */
		sim_user_trap(data, PLAT_TRAP_PROTECTION, 0);
		break;
	case X86_VECTOR_DE:
		sim_user_trap(data, PLAT_TRAP_DIVIDE, rip);
		break;
	case X86_VECTOR_BP: /* a trap: rip is past the int3 already; Linux gives no address */
		sim_user_trap(data, PLAT_TRAP_BREAKPOINT, 0);
		break;
	case X86_VECTOR_MF:
	case X86_VECTOR_XM:
		sim_user_trap(data, PLAT_TRAP_FP, rip);
		break;
	case X86_VECTOR_AC:
		sim_user_trap(data, PLAT_TRAP_ALIGN, rip);
		break;
	default:
		sim_user_stop(data, PLAT_USER_ILLEGAL);
	}
}

/* in and out from ring 3 with IOPL 0: Unicorn runs them through these hooks instead of
 * raising #GP, so they fault here, as on metal (SIGSEGV). The stop lands on the
 * instruction, as #GP's would. */
static uint32_t x86_on_in(uc_engine *uc, uint32_t port, int size, void *data)
{
	(void)uc, (void)port, (void)size;
	sim_user_trap(data, PLAT_TRAP_PROTECTION, 0);
	return 0;
}

static void x86_on_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *data)
{
	(void)uc, (void)port, (void)size, (void)value;
	sim_user_trap(data, PLAT_TRAP_PROTECTION, 0);
}

#define X86_SETUP_ADDR SIM_USER_LO_END /* a page outside both windows, as the probe's */
#define X86_SETUP_FRAME 0x100	       /* where on it: iretq's frame, */
#define X86_SETUP_GDT 0x200	       /* the GDT, */
#define X86_SETUP_TARGET 0x10	       /* and where iretq returns (never run) */
#define X86_USER_CS 0x33	       /* Linux's user selectors: GDT entries 6 and 5, RPL 3 */
#define X86_USER_SS 0x2b

/* Drops the engine's CPU to ring 3 for good, where user code runs on Linux, so that a
 * privileged instruction (hlt, mov to cr0, wrmsr...) faults instead of changing the
 * engine: an iretq to ring 3 through a GDT holding Linux's user descriptors, on a page
 * that goes away afterwards (the segment caches keep what iretq loaded; an empty GDT
 * makes any later selector load fault). Then saves the clean state. */
static void x86_enter_ring3(struct sim_user_cpu *u)
{
	static const uint64_t gdt[7] = {[5] = 0x00cff3000000ffffULL, /* data, DPL 3 */
					[6] = 0x00affb000000ffffULL}; /* 64-bit code, DPL 3 */
	static const uint8_t iretq[] = {0x48, 0xcf};
	const uint64_t frame[5] = {X86_SETUP_ADDR + X86_SETUP_TARGET, X86_USER_CS, 0x2,
				   X86_SETUP_ADDR + SIM_PAGE_SIZE, X86_USER_SS};
	uc_x86_mmr gdtr = {0, X86_SETUP_ADDR + X86_SETUP_GDT, sizeof(gdt) - 1, 0};
	uc_x86_mmr no_gdt = {0, 0, 0, 0};
	uint64_t rsp = X86_SETUP_ADDR + X86_SETUP_FRAME, cs = 0;
	uc_engine *uc = u->uc;

	if (uc_mem_map(uc, X86_SETUP_ADDR, SIM_PAGE_SIZE, UC_PROT_ALL) ||
	    uc_mem_write(uc, X86_SETUP_ADDR, iretq, sizeof(iretq)) ||
	    uc_mem_write(uc, rsp, frame, sizeof(frame)) ||
	    uc_mem_write(uc, gdtr.base, gdt, sizeof(gdt)) || uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr) ||
	    uc_reg_write(uc, UC_X86_REG_RSP, &rsp) ||
	    uc_emu_start(uc, X86_SETUP_ADDR, X86_SETUP_ADDR + X86_SETUP_TARGET, 0, 0) ||
	    uc_reg_read(uc, UC_X86_REG_CS, &cs) || cs != X86_USER_CS ||
	    uc_reg_write(uc, UC_X86_REG_GDTR, &no_gdt) ||
	    uc_mem_unmap(uc, X86_SETUP_ADDR, SIM_PAGE_SIZE) || uc_context_alloc(uc, &u->eng->clean) ||
	    uc_context_save(uc, u->eng->clean))
		panic("x86_64 guest: the engine cannot be put in ring 3 (cs %#lx)", (unsigned long)cs);
}

static int x86_add_hooks(struct sim_user_cpu *u)
{
	uc_hook h;

	x86_enter_ring3(u);
	uc_err err = uc_hook_add(u->uc, &h, UC_HOOK_INSN, (void *)x86_on_syscall, u, 1, 0,
				 UC_X86_INS_SYSCALL);

	if (err == UC_ERR_OK)
		err = uc_hook_add(u->uc, &h, UC_HOOK_INTR, (void *)x86_on_exception, u, 1, 0);
	if (err == UC_ERR_OK)
		err = uc_hook_add(u->uc, &h, UC_HOOK_INSN, (void *)x86_on_in, u, 1, 0, UC_X86_INS_IN);
	if (err == UC_ERR_OK)
		err = uc_hook_add(u->uc, &h, UC_HOOK_INSN, (void *)x86_on_out, u, 1, 0,
				  UC_X86_INS_OUT);
	return (int)err;
}

/* The FP/SSE registers: FXSAVE offsets of the x87 stack (10 of 16 bytes each) and the
 * XMM registers (16 bytes each). */
#define X86_FX_ST 32
#define X86_FX_XMM 160
#define X86_FX_FSW 2
#define X86_FX_FTW 4
#define X86_NFP 26 /* ST0-7, XMM0-15, FPCW, MXCSR */

/* Unicorn ids and FXSAVE locations of the FP registers kept as they are. */
static void x86_fp_fields(struct user_regs *regs, int *ids, void **ptrs)
{
	for (int i = 0; i < 8; i++) {
		ids[i] = UC_X86_REG_ST0 + i;
		ptrs[i] = &regs->fxsave[X86_FX_ST + 16 * i];
	}
	for (int i = 0; i < 16; i++) {
		ids[8 + i] = UC_X86_REG_XMM0 + i;
		ptrs[8 + i] = &regs->fxsave[X86_FX_XMM + 16 * i];
	}
	ids[24] = UC_X86_REG_FPCW;
	ptrs[24] = &regs->fxsave[X86_FXSAVE_FCW];
	ids[25] = UC_X86_REG_MXCSR;
	ptrs[25] = &regs->fxsave[X86_FXSAVE_MXCSR];
}

/* Loads the FP state of regs: the status word and the tag word (FXSAVE keeps the abridged
 * one: a bit per register, set when not empty) besides the plain registers. */
static void x86_fp_load(uc_engine *uc, const struct user_regs *regs)
{
	int ids[X86_NFP];
	void *ptrs[X86_NFP];
	uint16_t fsw, ftw = 0;

	x86_fp_fields((struct user_regs *)regs, ids, ptrs);
	uc_reg_write_batch(uc, ids, ptrs, X86_NFP);
	memcpy(&fsw, &regs->fxsave[X86_FX_FSW], sizeof(fsw));
	for (int i = 0; i < 8; i++)
		ftw |= (regs->fxsave[X86_FX_FTW] & (1 << i)) ? 0 : 3 << (2 * i);
	uc_reg_write(uc, UC_X86_REG_FPSW, &fsw);
	uc_reg_write(uc, UC_X86_REG_FPTAG, &ftw);
}

static void x86_fp_save(uc_engine *uc, struct user_regs *regs)
{
	int ids[X86_NFP];
	void *ptrs[X86_NFP];
	uint16_t fsw = 0, ftw = 0;
	uint8_t abridged = 0;

	x86_fp_fields(regs, ids, ptrs);
	uc_reg_read_batch(uc, ids, ptrs, X86_NFP);
	uc_reg_read(uc, UC_X86_REG_FPSW, &fsw);
	uc_reg_read(uc, UC_X86_REG_FPTAG, &ftw);
	for (int i = 0; i < 8; i++)
		abridged |= ((ftw >> (2 * i)) & 3) != 3 ? 1 << i : 0;
	memcpy(&regs->fxsave[X86_FX_FSW], &fsw, sizeof(fsw));
	regs->fxsave[X86_FX_FTW] = abridged;
}

/* Pointers to the fields of regs in x86_gpr_ids order. */
static void x86_fields(struct user_regs *regs, void **ptrs)
{
	uint64_t *f = &regs->rax;

	for (unsigned i = 0; i < X86_NREGS; i++)
		ptrs[i] = &f[i];
}

static void x86_load_regs(uc_engine *uc, const struct user_regs *regs)
{
	void *ptrs[X86_NREGS];
	uc_x86_msr gs = {.rid = X86_MSR_GS_BASE, .value = regs->gs_base};

	x86_fields((struct user_regs *)regs, ptrs);
	uc_reg_write_batch(uc, (int *)x86_gpr_ids, ptrs, X86_NREGS);
	uc_reg_write(uc, UC_X86_REG_MSR, &gs);
	x86_fp_load(uc, regs);
}

static void x86_load(struct sim_user_cpu *u, const struct user_regs *regs)
{
	/* an exception the hook took was never delivered, so the CPU model still counts it
	 * as in progress: a second one would become a double fault */
	if (u->eng->exception_taken && uc_context_restore(u->uc, u->eng->clean) != UC_ERR_OK)
		panic("x86_64 guest: the engine's clean state cannot be restored");
	u->eng->exception_taken = false;
	x86_load_regs(u->uc, regs);
}

static void x86_save(uc_engine *uc, struct user_regs *regs)
{
	void *ptrs[X86_NREGS];
	uc_x86_msr gs = {.rid = X86_MSR_GS_BASE};

	x86_fields(regs, ptrs);
	uc_reg_read_batch(uc, (int *)x86_gpr_ids, ptrs, X86_NREGS);
	uc_reg_read(uc, UC_X86_REG_MSR, &gs);
	regs->gs_base = gs.value;
	x86_fp_save(uc, regs);
}

/* syscall puts the return address in rcx and rflags in r11, as the kernel will see them. */
static void x86_after_syscall(struct user_regs *regs)
{
	regs->rcx = regs->rip;
	regs->r11 = regs->rflags;
}

#define X86_PROBE_ADDR SIM_USER_LO_END /* outside both windows */

/* CPUID leaf 1 EDX of the CPU model, which Linux puts in AT_HWCAP on x86_64 (Unicorn 2.0.1
 * executes every instruction those bits name); run on a page mapped for the purpose. */
static unsigned long x86_probe(uc_engine *uc, unsigned long *hwcap2)
{
	static const uint8_t code[] = {0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
				       0x31, 0xc9,		      /* xor ecx, ecx */
				       0x0f, 0xa2};		      /* cpuid */
	uint64_t edx = 0;

	if (uc_mem_map(uc, X86_PROBE_ADDR, SIM_PAGE_SIZE, UC_PROT_READ | UC_PROT_EXEC) ||
	    uc_mem_write(uc, X86_PROBE_ADDR, code, sizeof(code)) ||
	    uc_emu_start(uc, X86_PROBE_ADDR, X86_PROBE_ADDR + sizeof(code), 0, 0) ||
	    uc_reg_read(uc, UC_X86_REG_RDX, &edx) || uc_mem_unmap(uc, X86_PROBE_ADDR, SIM_PAGE_SIZE))
		panic("x86_64 guest: the CPU model's cpuid cannot be read");
	*hwcap2 = 0;
	return (uint32_t)edx;
}

const struct sim_user_isa sim_user_isa = {
	.arch = UC_ARCH_X86,
	.mode = UC_MODE_64,
	.cpu_model = UC_CPU_X86_QEMU64,
	.platform = "x86_64",
	.probe = x86_probe,
	.add_hooks = x86_add_hooks,
	.load = x86_load,
	.load_regs = x86_load_regs,
	.save = x86_save,
	.after_syscall = x86_after_syscall,
	.syscall_args = x86_syscall_args,
	.syscall_return = x86_syscall_return,
};
