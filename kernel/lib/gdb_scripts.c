/* Loads harness/gdb/amphi_gdb.py into GDB with the kernel's symbols, on every target: an
 * inline script in the .debug_gdb_scripts section (GDB's auto-load; the section is not
 * loaded into memory). AMPHI_SOURCE_DIR is the source tree the kernel was built from. */
#define GDB_SCRIPT_INLINE_PYTHON "4" /* the section's entry kind: inline Python text */

__asm__(".pushsection .debug_gdb_scripts, \"MS\", %progbits, 1\n"
	".byte " GDB_SCRIPT_INLINE_PYTHON "\n"
	".ascii \"gdb.inlined-script.amphi\\n\"\n"
	".ascii \"import sys\\n\"\n"
	".ascii \"sys.path.insert(0, '" AMPHI_SOURCE_DIR "/harness/gdb')\\n\"\n"
	".ascii \"import amphi_gdb\\n\"\n"
	".byte 0\n"
	".popsection\n");
