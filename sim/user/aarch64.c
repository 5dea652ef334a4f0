/* The aarch64 guest in Unicorn: register transfer (with the FP/SIMD registers, which an
 * engine shared by processes must not carry from one to the next), the svc trap, and what
 * the CPU model executes. User code runs at the engine's own exception level (EL1, MMU off:
 * the windows are the translation), so only NZCV of PSTATE is the program's. */
#include <stddef.h>

#include <amphi/arch.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "sim.h"
#include "user.h"

/* QEMU's exception numbers, as UC_HOOK_INTR reports them. */
#define A64_EXCP_SWI 2  /* svc */
#define A64_EXCP_UDEF 1 /* an undefined instruction */
#define A64_EXCP_BKPT 7 /* brk */

/* Unicorn register ids in the order of struct user_regs' fields x0-x30, sp, pc, pstate
 * (NZCV only) and tpidr_el0. */
static const int a64_reg_ids[] = {
	UC_ARM64_REG_X0,  UC_ARM64_REG_X1,  UC_ARM64_REG_X2,	UC_ARM64_REG_X3,
	UC_ARM64_REG_X4,  UC_ARM64_REG_X5,  UC_ARM64_REG_X6,	UC_ARM64_REG_X7,
	UC_ARM64_REG_X8,  UC_ARM64_REG_X9,  UC_ARM64_REG_X10,	UC_ARM64_REG_X11,
	UC_ARM64_REG_X12, UC_ARM64_REG_X13, UC_ARM64_REG_X14,	UC_ARM64_REG_X15,
	UC_ARM64_REG_X16, UC_ARM64_REG_X17, UC_ARM64_REG_X18,	UC_ARM64_REG_X19,
	UC_ARM64_REG_X20, UC_ARM64_REG_X21, UC_ARM64_REG_X22,	UC_ARM64_REG_X23,
	UC_ARM64_REG_X24, UC_ARM64_REG_X25, UC_ARM64_REG_X26,	UC_ARM64_REG_X27,
	UC_ARM64_REG_X28, UC_ARM64_REG_X29, UC_ARM64_REG_X30,	UC_ARM64_REG_SP,
	UC_ARM64_REG_PC,  UC_ARM64_REG_NZCV, UC_ARM64_REG_TPIDR_EL0,
};
#define A64_NGPRS (sizeof(a64_reg_ids) / sizeof(a64_reg_ids[0]))
#define A64_NREGS (A64_NGPRS + 32 + 2) /* and v0-v31 (Unicorn's q0-q31), FPSR, FPCR */

_Static_assert(offsetof(struct user_regs, fp_live) == A64_NGPRS * sizeof(uint64_t),
	       "user_regs and a64_reg_ids have the same fields in the same order");

static bool a64_emulate_mrs(uc_engine *uc, uint64_t pc);

/* An exception of user code: svc is a syscall (the engine has already moved past it), brk
 * a breakpoint (SIGTRAP); anything else (undefined instruction, hvc...) is an instruction
 * the program cannot run. */
static void a64_on_exception(uc_engine *uc, uint32_t intno, void *data)
{
	uint64_t pc;

	if (intno == A64_EXCP_SWI) {
		sim_user_syscall(data);
	} else if (intno == A64_EXCP_BKPT) { /* the pc stays at the brk, as Linux reports it */
		uc_reg_read(uc, UC_ARM64_REG_PC, &pc);
		sim_user_trap(data, PLAT_TRAP_BREAKPOINT, pc);
	} else if (intno == A64_EXCP_UDEF && (uc_reg_read(uc, UC_ARM64_REG_PC, &pc), true) &&
		   a64_emulate_mrs(uc, pc)) {
		return;
	} else {
		sim_user_stop(data, PLAT_USER_ILLEGAL);
	}
}

/* The number in x8, the arguments in x0-x5. */
static void a64_syscall_args(uc_engine *uc, unsigned long *nr, unsigned long *args)
{
	static const int ids[7] = {UC_ARM64_REG_X8, UC_ARM64_REG_X0, UC_ARM64_REG_X1,
				   UC_ARM64_REG_X2, UC_ARM64_REG_X3, UC_ARM64_REG_X4,
				   UC_ARM64_REG_X5};
	void *ptrs[7] = {nr, &args[0], &args[1], &args[2], &args[3], &args[4], &args[5]};

	uc_reg_read_batch(uc, (int *)ids, ptrs, 7);
}

/* The result in x0; the pc is past the svc already. */
static void a64_syscall_return(uc_engine *uc, long result)
{
	uc_reg_write(uc, UC_ARM64_REG_X0, &result);
}

/* Reads system register (3, op1, crn, crm, op2) of the engine's CPU model into *val. */
static uc_err a64_sysreg(uc_engine *uc, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
			 uint64_t *val)
{
	uc_arm64_cp_reg reg = {.crn = crn, .crm = crm, .op0 = 3, .op1 = op1, .op2 = op2};
	uc_err err = uc_reg_read(uc, UC_ARM64_REG_CP_REG, &reg);

	*val = reg.val;
	return err;
}

/* Writes system register (3, op1, crn, crm, op2) of the engine's CPU model. */
static uc_err a64_sysreg_write(uc_engine *uc, unsigned op1, unsigned crn, unsigned crm,
			       unsigned op2, uint64_t val)
{
	uc_arm64_cp_reg reg = {.crn = crn, .crm = crm, .op0 = 3, .op1 = op1, .op2 = op2, .val = val};

	return uc_reg_write(uc, UC_ARM64_REG_CP_REG, &reg);
}

#define A64_SETUP_ADDR SIM_USER_LO_END /* a page outside both windows */
#define SCTLR_EL0_ACCESS ((1u << 26) | (1u << 18) | (1u << 16) | (1u << 15) | (1u << 14))
				       /* UCI, nTWE, nTWI, UCT, DZE: what Linux lets EL0 do */
#define CNTKCTL_EL0_COUNTERS 3u	       /* EL0PCTEN, EL0VCTEN */
#define CPACR_FPEN (3u << 20)	       /* FP/SIMD at EL0 and EL1 */

/* Drops the engine's CPU to EL0 for good, where user code runs on Linux, so that a
 * program's access to EL1 system registers is undefined (SIGILL) instead of changing the
 * engine: what EL0 may do on Linux (cache maintenance, counters, DC ZVA, WFI) is allowed
 * first, then an eret to EL0 runs on a page that goes away afterwards. */
static void a64_enter_el0(uc_engine *uc)
{
	static const uint32_t eret = 0xd69f03e0;
	uint64_t sctlr, cntkctl, cpacr;

	if (a64_sysreg(uc, 0, 1, 0, 0, &sctlr) || a64_sysreg(uc, 0, 14, 1, 0, &cntkctl) ||
	    a64_sysreg(uc, 0, 1, 0, 2, &cpacr) ||
	    a64_sysreg_write(uc, 0, 1, 0, 0, sctlr | SCTLR_EL0_ACCESS) ||
	    a64_sysreg_write(uc, 0, 14, 1, 0, cntkctl | CNTKCTL_EL0_COUNTERS) ||
	    a64_sysreg_write(uc, 0, 1, 0, 2, cpacr | CPACR_FPEN) ||
	    a64_sysreg_write(uc, 0, 4, 0, 1, A64_SETUP_ADDR + 4) || /* ELR_EL1 */
	    a64_sysreg_write(uc, 0, 4, 0, 0, 0) ||		    /* SPSR_EL1: EL0t */
	    uc_mem_map(uc, A64_SETUP_ADDR, SIM_PAGE_SIZE, UC_PROT_ALL) ||
	    uc_mem_write(uc, A64_SETUP_ADDR, &eret, sizeof(eret)) ||
	    uc_emu_start(uc, A64_SETUP_ADDR, A64_SETUP_ADDR + 4, 0, 0) ||
	    uc_mem_unmap(uc, A64_SETUP_ADDR, SIM_PAGE_SIZE))
		panic("aarch64 guest: the engine cannot be put at EL0");
}

/* An undefined instruction at pc: an MRS of an ID register (op0 3, op1 0, CRn 0) is
 * emulated as Linux does for EL0 (HWCAP_CPUID), the model's value put in its register
 * and the pc moved on; true then. */
static bool a64_emulate_mrs(uc_engine *uc, uint64_t pc)
{
	uint32_t insn;
	uint64_t val;

	if (uc_mem_read(uc, pc, &insn, sizeof(insn)) != UC_ERR_OK || (insn & 0xfffff000) != 0xd5380000)
		return false;
	unsigned crm = (insn >> 8) & 0xf, op2 = (insn >> 5) & 7, rt = insn & 31;
	if (a64_sysreg(uc, 0, 0, crm, op2, &val) != UC_ERR_OK)
		return false;
	if (rt != 31)
		uc_reg_write(uc, a64_reg_ids[rt], &val); /* x0-x30 come first there */
	pc += 4;
	uc_reg_write(uc, UC_ARM64_REG_PC, &pc);
	return true;
}

static int a64_add_hooks(struct sim_user_cpu *u)
{
	uc_hook h;

	a64_enter_el0(u->uc);

	return uc_hook_add(u->uc, &h, UC_HOOK_INTR, (void *)a64_on_exception, u, 1, 0);
}

/* Fills ids and ptrs with every register of struct user_regs and its field in regs. */
static void a64_fields(struct user_regs *regs, int *ids, void **ptrs)
{
	uint64_t *f = regs->x;
	unsigned n = 0;

	for (; n < A64_NGPRS; n++) {
		ids[n] = a64_reg_ids[n];
		ptrs[n] = &f[n];
	}
	for (unsigned i = 0; i < 32; i++, n++) {
		ids[n] = UC_ARM64_REG_Q0 + (int)i;
		ptrs[n] = &regs->vregs[2 * i];
	}
	ids[n] = UC_ARM64_REG_FPSR; /* 32 bits each */
	ptrs[n++] = &regs->fpsr;
	ids[n] = UC_ARM64_REG_FPCR;
	ptrs[n] = &regs->fpcr;
}

static void a64_load_regs(uc_engine *uc, const struct user_regs *regs)
{
	int ids[A64_NREGS];
	void *ptrs[A64_NREGS];

	a64_fields((struct user_regs *)regs, ids, ptrs);
	uc_reg_write_batch(uc, ids, ptrs, A64_NREGS);
}

static void a64_load(struct sim_user_cpu *u, const struct user_regs *regs)
{
	a64_load_regs(u->uc, regs);
}

static void a64_save(uc_engine *uc, struct user_regs *regs)
{
	int ids[A64_NREGS];
	void *ptrs[A64_NREGS];

	a64_fields(regs, ids, ptrs);
	uc_reg_read_batch(uc, ids, ptrs, A64_NREGS);
}

/* svc has no effect on the registers beyond the pc, which the engine has moved already. */
static void a64_after_syscall(struct user_regs *regs)
{
	(void)regs;
}

/* AT_HWCAP bits (Linux arch/arm64/include/uapi/asm/hwcap.h). */
#define HWCAP_FP (1UL << 0)
#define HWCAP_ASIMD (1UL << 1)
#define HWCAP_AES (1UL << 3)
#define HWCAP_PMULL (1UL << 4)
#define HWCAP_SHA1 (1UL << 5)
#define HWCAP_SHA2 (1UL << 6)
#define HWCAP_CRC32 (1UL << 7)
#define HWCAP_CPUID (1UL << 11)

/* An ID register (op0 3, op1 0, CRn 0) and the AT_HWCAP bit one of its 4-bit fields
 * grants, as Linux maps them (arch/arm64/kernel/cpufeature.c). Only features a program
 * has been seen to execute correctly in the model are listed (user/tests/hwcap.c). */
struct a64_hwcap_field {
	uint8_t crm, op2; /* the register: ID_AA64PFR0_EL1 is CRm 4 op2 0, ISAR0 CRm 6 op2 0 */
	uint8_t shift;
	int8_t min;	  /* the field's lowest signed value that grants bit */
	unsigned long bit;
};

static const struct a64_hwcap_field a64_hwcap_fields[] = {
	{4, 0, 16, 0, HWCAP_FP},    /* ID_AA64PFR0_EL1.FP: 0xf (-1) is none */
	{4, 0, 20, 0, HWCAP_ASIMD}, /* ID_AA64PFR0_EL1.AdvSIMD */
	{6, 0, 4, 1, HWCAP_AES},    /* ID_AA64ISAR0_EL1.AES */
	{6, 0, 4, 2, HWCAP_PMULL},
	{6, 0, 8, 1, HWCAP_SHA1},
	{6, 0, 12, 1, HWCAP_SHA2},
	{6, 0, 16, 1, HWCAP_CRC32},
};

/* Reads ID register (3, 0, 0, crm, op2) of the engine's CPU model. */
static uint64_t a64_id_reg(uc_engine *uc, unsigned crm, unsigned op2)
{
	uc_arm64_cp_reg reg = {.crn = 0, .crm = crm, .op0 = 3, .op1 = 0, .op2 = op2};

	if (uc_reg_read(uc, UC_ARM64_REG_CP_REG, &reg) != UC_ERR_OK)
		panic("aarch64 guest: the CPU model's ID registers cannot be read");
	return reg.val;
}

/* AT_HWCAP from the model's ID registers; no AT_HWCAP2 bit. CPUID: MRS of the ID
 * registers works, since user code runs at EL1. */
static unsigned long a64_probe(uc_engine *uc, unsigned long *hwcap2)
{
	unsigned long hwcap = HWCAP_CPUID;

	for (unsigned i = 0; i < sizeof(a64_hwcap_fields) / sizeof(a64_hwcap_fields[0]); i++) {
		const struct a64_hwcap_field *f = &a64_hwcap_fields[i];
		int field = (int)((a64_id_reg(uc, f->crm, f->op2) >> f->shift) & 0xf);
		if ((field ^ 8) - 8 >= f->min) /* sign-extended, as Linux reads these fields */
			hwcap |= f->bit;
	}
	*hwcap2 = 0;
	return hwcap;
}

const struct sim_user_isa sim_user_isa = {
	.arch = UC_ARCH_ARM64,
	.mode = UC_MODE_ARM,
	.cpu_model = UC_CPU_ARM64_A72, /* ARMv8.0 with crypto and CRC32; no LSE, no SVE */
	.platform = "aarch64",
	.probe = a64_probe,
	.add_hooks = a64_add_hooks,
	.load = a64_load,
	.load_regs = a64_load_regs,
	.save = a64_save,
	.after_syscall = a64_after_syscall,
	.syscall_args = a64_syscall_args,
	.syscall_return = a64_syscall_return,
};
