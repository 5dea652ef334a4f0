/*
 * x86_64 signal frames, laid out as Linux's rt_sigframe (arch/x86/include/asm/sigframe.h):
 * the return address (sa_restorer), a ucontext whose sigcontext holds the general
 * registers and a pointer to the FXSAVE-format FP state saved above the frame, then the
 * siginfo. Portable C: the hosted build compiles it for an x86_64 guest on any host.
 */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define SA_RESTORER 0x04000000u
#define X86_RED_ZONE 128
#define X86_FPSTATE_SIZE 512
#define X86_FPSTATE_ALIGN 64
#define X86_UC_FLAGS 6 /* UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS; no XSAVE state */
#define X86_USER_CS 0x33
#define X86_USER_SS 0x2b
/* rflags bits a signal handler's return may change (Linux's FIX_EFLAGS) */
#define X86_FIX_FLAGS 0x40dd5u /* AC OF DF TF SF ZF AF PF CF RF NT */
#define X86_DF_TF 0x500u
#define X86_TRAP_PF 14 /* the page-fault vector */

/* The x86 vector Linux puts in trapno for trap (a plat_user_trap; 0 for none: trapno 0,
 * as for a divide error). #MF and #XM share PLAT_TRAP_FP: SSE's #XM, what compilers emit. */
static uint64_t x86_trap_vector(unsigned trap)
{
	switch (trap) {
	case PLAT_TRAP_BREAKPOINT:
		return 3;
	case PLAT_TRAP_PROTECTION:
		return 13;
	case PLAT_TRAP_ALIGN:
		return 17;
	case PLAT_TRAP_FP:
		return 19;
	default:
		return 0;
	}
}
#define X86_PF_PROT 1u /* page-fault error code: the page was present */
#define X86_PF_WRITE 2u
#define X86_PF_USER 4u
#define X86_PF_INSTR 16u

/* struct sigcontext_64: the registers in Linux's order, then fpstate. */
struct x86_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct x86_ucontext {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct x86_sigcontext mc;
	uint64_t sigmask;
};

struct x86_rt_sigframe {
	uint64_t pretcode;
	struct x86_ucontext uc;
	uint8_t info[ARCH_SIGINFO_SIZE];
};

_Static_assert(sizeof(struct x86_sigcontext) == 256, "sigcontext_64 is 256 bytes");
_Static_assert(sizeof(struct x86_ucontext) == 304, "the kernel's ucontext is 304 bytes");
_Static_assert(sizeof(struct x86_rt_sigframe) == 440, "rt_sigframe is 440 bytes");

/* The sigcontext of r. */
static void x86_sigcontext_fill(struct x86_sigcontext *mc, const struct user_regs *r)
{
	*mc = (struct x86_sigcontext){
	    .r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11, .r12 = r->r12,
	    .r13 = r->r13, .r14 = r->r14, .r15 = r->r15, .rdi = r->rdi, .rsi = r->rsi,
	    .rbp = r->rbp, .rbx = r->rbx, .rdx = r->rdx, .rax = r->rax, .rcx = r->rcx,
	    .rsp = r->rsp, .rip = r->rip, .eflags = r->rflags, .cs = X86_USER_CS,
	    .ss = X86_USER_SS};
}

int arch_signal_push(struct vm_space *vm, struct user_regs *r, const struct arch_sigframe *f)
{
	struct x86_rt_sigframe frame;
	uintptr_t sp = f->on_altstack ? f->sp : f->sp - X86_RED_ZONE;

	if (!(f->flags & SA_RESTORER))
		return -EFAULT; /* x86_64 has no return trampoline of its own (no vDSO) */
	uintptr_t fp = ALIGN_DOWN(sp - X86_FPSTATE_SIZE, X86_FPSTATE_ALIGN);
	uintptr_t at = ALIGN_DOWN(fp - sizeof(frame), 16) - 8; /* as after a call */
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = f->restorer;
	frame.uc.uc_flags = X86_UC_FLAGS;
	frame.uc.ss_sp = f->ss_sp;
	frame.uc.ss_flags = f->ss_flags;
	frame.uc.ss_size = f->ss_size;
	x86_sigcontext_fill(&frame.uc.mc, r);
	frame.uc.mc.fpstate = fp;
	frame.uc.mc.oldmask = f->mask;
	frame.uc.mc.trapno = x86_trap_vector(f->fault_trap);
	if (f->fault_access) { /* as the CPU reported the page fault to Linux */
		frame.uc.mc.trapno = X86_TRAP_PF;
		frame.uc.mc.cr2 = f->fault_addr;
		frame.uc.mc.err = X86_PF_USER | (f->fault_mapped ? X86_PF_PROT : 0) |
				  ((f->fault_access & VM_WRITE) ? X86_PF_WRITE : 0) |
				  ((f->fault_access & VM_EXEC) ? X86_PF_INSTR : 0);
	}
	frame.uc.sigmask = f->mask;
	memcpy(frame.info, f->siginfo, ARCH_SIGINFO_SIZE);
	if (vm_copy_to_user(vm, fp, r->fxsave, X86_FPSTATE_SIZE) < 0 ||
	    vm_copy_to_user(vm, at, &frame, sizeof(frame)) < 0)
		return -EFAULT;
	r->rdi = (uint64_t)f->signo;
	r->rsi = at + offsetof(struct x86_rt_sigframe, info);
	r->rdx = at + offsetof(struct x86_rt_sigframe, uc);
	r->rax = 0;
	r->rsp = at;
	r->rip = f->handler;
	r->rflags &= ~(uint64_t)X86_DF_TF;
	return 0;
}

int arch_signal_pop(struct vm_space *vm, struct user_regs *r, uint64_t *mask)
{
	struct x86_ucontext uc;
	uint8_t fx[X86_FPSTATE_SIZE];
	uintptr_t at = r->rsp - 8; /* the handler's ret popped pretcode */

	if (vm_copy_from_user(vm, &uc, at + offsetof(struct x86_rt_sigframe, uc), sizeof(uc)) < 0)
		return -EFAULT;
	if (uc.mc.fpstate && vm_copy_from_user(vm, fx, uc.mc.fpstate, sizeof(fx)) < 0)
		return -EFAULT;
	const struct x86_sigcontext *mc = &uc.mc;
	r->r8 = mc->r8, r->r9 = mc->r9, r->r10 = mc->r10, r->r11 = mc->r11;
	r->r12 = mc->r12, r->r13 = mc->r13, r->r14 = mc->r14, r->r15 = mc->r15;
	r->rdi = mc->rdi, r->rsi = mc->rsi, r->rbp = mc->rbp, r->rbx = mc->rbx;
	r->rdx = mc->rdx, r->rax = mc->rax, r->rcx = mc->rcx, r->rsp = mc->rsp;
	r->rip = mc->rip;
	r->rflags = (r->rflags & ~(uint64_t)X86_FIX_FLAGS) | (mc->eflags & X86_FIX_FLAGS);
	if (uc.mc.fpstate) {
		uint32_t mxcsr;
		memcpy(&mxcsr, &fx[X86_FXSAVE_MXCSR], sizeof(mxcsr));
		mxcsr &= 0xffff; /* reserved bits would fault on the real CPU */
		memcpy(&fx[X86_FXSAVE_MXCSR], &mxcsr, sizeof(mxcsr));
		memcpy(r->fxsave, fx, sizeof(fx));
	} else {
		arch_user_regs_init_fp(r);
	}
	*mask = uc.sigmask;
	return 0;
}
