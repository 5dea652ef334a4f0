/*
 * aarch64 signal frames, laid out as Linux's rt_sigframe (arch/arm64/kernel/signal.c):
 * the siginfo, then a ucontext whose sigcontext holds x0-x30, sp, pc, pstate and, in its
 * reserved area, an fpsimd_context record and the end marker; a frame record {x29, x30}
 * sits above it. Portable C: the hosted build compiles it for an aarch64 guest.
 */
#include <amphi/arch.h>
#include <amphi/errno.h>
#include <amphi/string.h>
#include <amphi/vm.h>

#define SA_RESTORER 0x04000000u
#define A64_FPSIMD_MAGIC 0x46508001u
#define A64_PSTATE_USER_MASK 0xf0000000u /* NZCV: all a handler's return may set */

struct a64_ctx_head {
	uint32_t magic, size;
};

struct a64_fpsimd_context {
	struct a64_ctx_head head;
	uint32_t fpsr, fpcr;
	uint64_t vregs[64];
};

struct a64_sigcontext {
	uint64_t fault_address;
	uint64_t regs[31];
	uint64_t sp, pc, pstate;
	uint8_t reserved[4096] __attribute__((aligned(16)));
};

struct a64_ucontext {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	uint64_t sigmask;
	uint8_t unused[120];
	struct a64_sigcontext mc __attribute__((aligned(16)));
};

struct a64_rt_sigframe {
	uint8_t info[ARCH_SIGINFO_SIZE];
	struct a64_ucontext uc;
};

_Static_assert(sizeof(struct a64_fpsimd_context) == 528, "fpsimd_context is 528 bytes");
_Static_assert(offsetof(struct a64_ucontext, mc) == 176, "uc_mcontext at 176");
_Static_assert(sizeof(struct a64_rt_sigframe) == 4688, "rt_sigframe is 4688 bytes");

int arch_signal_push(struct vm_space *vm, struct user_regs *r, const struct arch_sigframe *f)
{
	static struct a64_rt_sigframe frame; /* too large for a kernel stack */
	static struct spinlock frame_lock = SPINLOCK_INIT("a64_sigframe");
	struct a64_fpsimd_context fp = {{A64_FPSIMD_MAGIC, sizeof(fp)}, r->fpsr, r->fpcr, {0}};

	uint64_t ret = (f->flags & SA_RESTORER) ? f->restorer : vm->sigreturn;

	if (!ret)
		return -EFAULT;
	uintptr_t record = ALIGN_DOWN(f->sp - 16, 16);
	uintptr_t at = record - sizeof(frame);
	uint64_t rec[2] = {r->x[29], r->x[30]};
	memcpy(fp.vregs, r->vregs, sizeof(fp.vregs));
	irqflags_t flags = spin_lock_irqsave(&frame_lock);
	memset(&frame, 0, sizeof(frame));
	memcpy(frame.info, f->siginfo, ARCH_SIGINFO_SIZE);
	frame.uc.ss_sp = f->ss_sp;
	frame.uc.ss_flags = f->ss_flags;
	frame.uc.ss_size = f->ss_size;
	frame.uc.sigmask = f->mask;
	memcpy(frame.uc.mc.regs, r->x, sizeof(r->x));
	frame.uc.mc.sp = r->sp;
	frame.uc.mc.pc = r->pc;
	frame.uc.mc.pstate = r->pstate;
	frame.uc.mc.fault_address = f->fault_access ? f->fault_addr : 0;
	memcpy(frame.uc.mc.reserved, &fp, sizeof(fp)); /* the end marker follows: zeros */
	int err = vm_copy_to_user(vm, at, &frame, sizeof(frame));
	spin_unlock_irqrestore(&frame_lock, flags);
	if (err || vm_copy_to_user(vm, record, rec, sizeof(rec)) < 0)
		return -EFAULT;
	r->x[0] = (uint64_t)f->signo;
	r->x[1] = at + offsetof(struct a64_rt_sigframe, info);
	r->x[2] = at + offsetof(struct a64_rt_sigframe, uc);
	r->x[29] = record;
	r->x[30] = ret;
	r->sp = at;
	r->pc = f->handler;
	return 0;
}

int arch_signal_pop(struct vm_space *vm, struct user_regs *r, uint64_t *mask)
{
	uintptr_t uc = r->sp + offsetof(struct a64_rt_sigframe, uc);
	uintptr_t mc = uc + offsetof(struct a64_ucontext, mc);
	uint64_t gprs[34]; /* x0-x30, sp, pc, pstate */
	struct a64_fpsimd_context fp;

	if ((r->sp & 15) || vm_copy_from_user(vm, mask, uc + offsetof(struct a64_ucontext, sigmask),
					      sizeof(*mask)) < 0 ||
	    vm_copy_from_user(vm, gprs, mc + offsetof(struct a64_sigcontext, regs),
			      sizeof(gprs)) < 0 ||
	    vm_copy_from_user(vm, &fp, mc + offsetof(struct a64_sigcontext, reserved),
			      sizeof(fp)) < 0)
		return -EFAULT;
	if (fp.head.magic != A64_FPSIMD_MAGIC || fp.head.size != sizeof(fp) ||
	    (gprs[33] & ~(uint64_t)A64_PSTATE_USER_MASK))
		return -EFAULT; /* Linux refuses a frame without its FP record or with EL1 set */
	memcpy(r->x, gprs, sizeof(r->x));
	r->sp = gprs[31];
	r->pc = gprs[32];
	r->pstate = gprs[33];
	memcpy(r->vregs, fp.vregs, sizeof(r->vregs));
	r->fpsr = fp.fpsr;
	r->fpcr = fp.fpcr;
	return 0;
}
