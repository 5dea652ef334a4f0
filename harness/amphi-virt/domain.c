/*
 * The transient domain of one boot, as harness/boot runs QEMU: TCG, direct kernel boot,
 * 1 CPU, the serial port into a file on the domain's host (<host_log_dir>/<prefix>/
 * <name>.serial, fetched when the domain stopped). Not a pty read through libvirt's console
 * stream: when QEMU exits through isa-debug-exit the pty hangs up and drops the last lines
 * before libvirt read them. x86_64 runs on microvm with the PVH entry and gets
 * isa-debug-exit through the QEMU command-line passthrough (libvirt has no element for it);
 * aarch64 runs on virt with a GICv2 and a Cortex-A72 and powers off through PSCI. No USB
 * controller or balloon (microvm has no PCI bus for them), and no DAC relabelling: libvirt
 * leaves the images' owners alone, so they must be readable by the QEMU user.
 */
#define _GNU_SOURCE
#include "virt.h"

#include <stdio.h>
#include <stdlib.h>

void virt_xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* The <os> element: machine, kernel and command line. */
static void virt_xml_os(FILE *f, const struct virt_opts *o, enum virt_arch arch)
{
	fprintf(f, "  <os>\n    <type arch='%s' machine='%s'>hvm</type>\n    <kernel>",
		virt_arch_name(arch), arch == VIRT_X86_64 ? "microvm" : "virt");
	virt_xml_text(f, o->kernel[arch]);
	fputs("</kernel>\n    <cmdline>", f);
	virt_xml_text(f, o->cmdline);
	fputs("</cmdline>\n  </os>\n", f);
}

/* The machine's features, CPU model and the QEMU options libvirt has no element for. */
static void virt_xml_machine(FILE *f, enum virt_arch arch)
{
	if (arch == VIRT_X86_64) {
		/* ACPI gives the kernel its MADT, as under harness/boot. */
		fputs("  <features><acpi/></features>\n", f);
		return;
	}
	fputs("  <features><gic version='2'/></features>\n"
	      "  <cpu mode='custom' match='exact'><model fallback='forbid'>cortex-a72</model>"
	      "</cpu>\n",
	      f);
}

/* The QEMU command-line passthrough: isa-debug-exit on x86_64. */
static void virt_xml_passthrough(FILE *f, enum virt_arch arch)
{
	if (arch != VIRT_X86_64)
		return;
	fputs("  <qemu:commandline>\n"
	      "    <qemu:arg value='-device'/>\n"
	      "    <qemu:arg value='isa-debug-exit,iobase=0xf4,iosize=4'/>\n"
	      "  </qemu:commandline>\n",
	      f);
}

char *virt_domain_xml(const struct virt_opts *o, enum virt_arch arch, const char *name, int uri)
{
	char *xml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);
	if (!f)
		return NULL;
	fputs("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
	      "  <name>",
	      f);
	virt_xml_text(f, name);
	fprintf(f, "</name>\n  <memory unit='MiB'>%d</memory>\n  <vcpu>1</vcpu>\n", o->mem_mib);
	virt_xml_os(f, o, arch);
	virt_xml_machine(f, arch);
	fputs("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n"
	      "  <devices>\n    <serial type='file'><source append='off' path='",
	      f);
	virt_log_path(o, uri, f, name);
	fputs("'/></serial>\n    <controller type='usb' model='none'/>\n"
	      "    <memballoon model='none'/>\n  </devices>\n"
	      "  <seclabel type='none' model='dac'/>\n",
	      f);
	virt_xml_passthrough(f, arch);
	fputs("</domain>\n", f);
	if (fclose(f) != 0) {
		free(xml);
		return NULL;
	}
	return xml;
}
