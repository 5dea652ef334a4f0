/*
 * The serial logs QEMU writes on each domain's host, fetched through libvirt's storage API
 * so that a remote host works as the local one: per URI and run, a transient directory
 * pool on <host_log_dir>/<prefix>-u<index of the URI> (libvirt makes the directory), one volume per
 * boot downloaded and deleted when the boot ends, and the pool and its directory removed at the
 * end.
 */
#define _GNU_SOURCE
#include "virt.h"

#include <libvirt/virterror.h>

#include <stdlib.h>
#include <string.h>

/* Appends a downloaded chunk to the memory stream opaque. */
static int virt_log_sink(virStreamPtr st, const char *data, size_t n, void *opaque)
{
	(void)st;
	return fwrite(data, 1, n, opaque) == n ? (int)n : -1;
}

virStoragePoolPtr virt_log_pool_open(virConnectPtr conn, const struct virt_opts *o, int uri)
{
	char *xml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);
	if (!f)
		return NULL;
	fprintf(f, "<pool type='dir'><name>%s-u%d</name><target><path>", o->name_prefix, uri);
	virt_xml_text(f, o->host_log_dir);
	fprintf(f, "/%s-u%d</path></target></pool>", o->name_prefix, uri);
	if (fclose(f) != 0) {
		free(xml);
		return NULL;
	}
	virStoragePoolPtr pool =
	    virStoragePoolCreateXML(conn, xml, VIR_STORAGE_POOL_CREATE_WITH_BUILD);
	free(xml);
	return pool;
}

void virt_log_path(const struct virt_opts *o, int uri, FILE *f, const char *name)
{
	virt_xml_text(f, o->host_log_dir);
	fprintf(f, "/%s-u%d/", o->name_prefix, uri);
	virt_xml_text(f, name);
	fputs(".serial", f);
}

char *virt_log_fetch(virStoragePoolPtr pool, const char *name, size_t *len)
{
	char vol_name[VIRT_NAME_MAX + 8], *data = NULL;
	snprintf(vol_name, sizeof(vol_name), "%s.serial", name);
	if (virStoragePoolRefresh(pool, 0) < 0)
		return NULL;
	virStorageVolPtr vol = virStorageVolLookupByName(pool, vol_name);
	if (!vol)
		return NULL;
	virStreamPtr st = virStreamNew(virStoragePoolGetConnect(pool), 0);
	FILE *f = open_memstream(&data, len);
	bool ok = st && f && virStorageVolDownload(vol, st, 0, 0, 0) == 0 &&
		  virStreamRecvAll(st, virt_log_sink, f) == 0 && virStreamFinish(st) == 0;
	if (st && !ok)
		virStreamAbort(st);
	if (st)
		virStreamFree(st);
	if (f && fclose(f) != 0)
		ok = false;
	virStorageVolDelete(vol, 0);
	virStorageVolFree(vol);
	if (!ok) {
		free(data);
		return NULL;
	}
	return data;
}

void virt_log_pool_close(virStoragePoolPtr pool)
{
	/* A transient pool vanishes when stopped and leaves its directory; defined again, it
	 * can be stopped, deleted (the directory, empty by now) and undefined. */
	char *xml = virStoragePoolGetXMLDesc(pool, 0);
	virStoragePoolPtr defined =
	    xml ? virStoragePoolDefineXML(virStoragePoolGetConnect(pool), xml, 0) : NULL;
	free(xml);
	virStoragePoolDestroy(pool);
	if (defined) {
		if (virStoragePoolDelete(defined, 0) < 0)
			fprintf(stderr, "amphi-virt: cannot remove the serial log directory: %s\n",
				virGetLastErrorMessage());
		virStoragePoolUndefine(defined);
		virStoragePoolFree(defined);
	}
	virStoragePoolFree(pool);
}
