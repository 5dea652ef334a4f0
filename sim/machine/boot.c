/*
 * Boot: the sim writes a device tree into the top of RAM, as a boot loader would, and
 * enters the kernel on a fresh stack. plat_init then discovers the machine through the
 * kernel's own FDT parser, the same code that runs on aarch64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <amphi/fdt.h>
#include <amphi/gic_v2.h>
#include <amphi/init.h>
#include <amphi/panic.h>
#include <amphi/plat.h>

#include "sim.h"

/* The kernel boot stack. Generous under ASan, whose redzones roughly triple frames. */
#define SIM_BOOT_STACK_SIZE ((SIM_ASAN ? 256 : 64) * 1024)

/* Where the DTB was placed: physical address and the page-rounded size reserved for it. */
static struct {
	uint64_t pa;
	uint64_t reserved;
} sim_dtb;

/* Places the initial RAM disk of opts below top and records it, with the program of
 * `amphi exec` if there is one, in desc. */
/* Fills desc with the program amphi exec or --init runs: its path, argv and envp (the
 * host's environment, as qemu-user passes it). */
static void boot_exec_args(const struct sim_options *opts, struct sim_dt_desc *desc)
{
	if (!opts->exec_argv && opts->init_path) { /* a program of the RAM disk, its path argv[0] */
		char *path = (char *)opts->init_path;
		desc->exec_path = path;
		desc->exec_argv = sim_string_list(&path, 1, &desc->exec_argv_len);
		return;
	}
	if (!opts->exec_argv)
		return;
	int envc = 0;
	while (environ[envc])
		envc++;
	desc->exec_argv = sim_string_list(opts->exec_argv, opts->exec_argc, &desc->exec_argv_len);
	desc->exec_envp = sim_string_list(environ, envc, &desc->exec_envp_len);
	static char path[4096];
	snprintf(path, sizeof(path), "/%s", sim_exec_name(opts));
	desc->exec_path = path;
}

/* Places the initial RAM disk below top and notes where in desc. */
static void boot_place_initrd(const struct sim_options *opts, struct sim_dt_desc *desc,
			      uint64_t top)
{
	uint64_t start, size = sim_initrd_place(opts, top, &start);

	desc->initrd_start = start;
	desc->initrd_end = start + size;
}

/* argv and envp of the first program: what the kernel's exec takes (kernel/proc/exec.c) */
#define SIM_EXEC_ARGS_MAX (256u << 10)

void *sim_boot_place_dtb(const struct sim_options *opts)
{
	struct sim_dt_desc desc = {
	    .ram_base = SIM_RAM_BASE,
	    .ram_size = sim_ram_size(),
	    .bootargs = opts->cmdline,
	    .cpus = opts->cpus,
	    .gicd_base = SIM_GICD_BASE,
	    .gicd_size = SIM_GIC_REGION_SIZE,
	    .gicc_base = SIM_GICC_BASE,
	    .gicc_size = SIM_GIC_REGION_SIZE,
	    .timer_irq = SIM_TIMER_INTID,
	    .virtio_count = sim_virtio_count(),
	    .virtio_base = SIM_VIRTIO_BASE,
	    .virtio_first_spi = SIM_VIRTIO_FIRST_SPI,
	};
	boot_exec_args(opts, &desc);
	size_t cap = 4096 + 64 * opts->cpus + 160 * desc.virtio_count + strlen(opts->cmdline) +
		     desc.exec_argv_len +
		     desc.exec_envp_len +
		     (desc.exec_path ? strlen(desc.exec_path) : 0);
	if (desc.exec_argv_len + desc.exec_envp_len > SIM_EXEC_ARGS_MAX) {
		fprintf(stderr,
			"amphi: the program's arguments and environment (%zu bytes) are too long "
			"(at most %u)\n",
			desc.exec_argv_len + desc.exec_envp_len, SIM_EXEC_ARGS_MAX);
		exit(SIM_EXIT_USAGE);
	}
	/* the DTB takes the top of RAM, its size bounded by cap; the RAM disk goes below */
	uint64_t reserve = ((uint64_t)cap + SIM_PAGE_SIZE - 1) & ~(SIM_PAGE_SIZE - 1);
	boot_place_initrd(opts, &desc, SIM_RAM_BASE + sim_ram_size() - reserve);
	void *buf = malloc(cap);
	int size;

	if (!buf) {
		perror("amphi: device tree");
		exit(SIM_EXIT_HOST);
	}
	size = sim_fdt_build(buf, cap, &desc);
	free((void *)desc.exec_argv);
	free((void *)desc.exec_envp);
	if (size < 0) { /* a bug in fdt_gen.c, not bad input: the buffer is sized to fit */
		fprintf(stderr, "amphi: cannot build the device tree: %s\n",
			sim_fdt_strerror(size));
		exit(SIM_EXIT_HOST);
	}
	sim_dtb.reserved = ((uint64_t)size + SIM_PAGE_SIZE - 1) & ~(SIM_PAGE_SIZE - 1);
	sim_dtb.pa = SIM_RAM_BASE + sim_ram_size() - sim_dtb.reserved;
	void *dst = sim_ram_ptr(sim_dtb.pa, sim_dtb.reserved);
	memcpy(dst, buf, (size_t)size);
	free(buf);
	return dst;
}

/* First function on the boot stack: finishes the switch and enters the kernel. */
static SIM_NORETURN void sim_boot_entry(void *bootinfo)
{
	sim_stack_entered();
	kmain(bootinfo);
}

void sim_boot_start(void *bootinfo)
{
	static struct sim_stack boot_stack;
	int err = sim_stack_create(&boot_stack, SIM_BOOT_STACK_SIZE);

	if (err) {
		fprintf(stderr, "amphi: cannot map the boot stack: %s\n", strerror(-err));
		exit(SIM_EXIT_HOST);
	}
	sim_stack_enter(&boot_stack, sim_boot_entry, bootinfo);
}

/* Finds the interrupt controller the device tree describes and makes its driver the
 * machine's: registered with the kernel, and its entry called by interrupt delivery. */
static void boot_interrupt_controller(const struct fdt *fdt)
{
	const struct irq_chip *chip;
	int err = gic_v2_probe(fdt, &chip);

	if (err)
		panic("plat_init: the generated device tree has no usable GICv2 (%d)", err);
	irq_chip_register(chip);
	sim_irq_set_entry(gic_v2_handle_irqs);
}

/* bootinfo is the DTB that sim_boot_place_dtb wrote into RAM. */
void plat_init(void *bootinfo, struct boot_info *info)
{
	struct fdt fdt;
	int err = fdt_open(&fdt, bootinfo, sim_dtb.reserved);

	if (err)
		panic("plat_init: the generated device tree does not open (%d)", err);
	err = fdt_fill_boot_info(&fdt, info);
	if (err)
		panic("plat_init: the generated device tree is unusable (%d)", err);
	boot_info_add_reserved(info, sim_dtb.pa, sim_dtb.reserved); /* the blob lives in RAM */
	info->fdt = bootinfo;
	info->name = "hosted";
	boot_interrupt_controller(&fdt);
}
