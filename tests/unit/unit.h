/*
 * Shared pieces of the CUnit unit tests: each test program defines unit_register() to add
 * its suites, and unit_main.c runs them and prints KTAP, so amphi-run judges unit tests
 * and kernel boots alike. Kernel code linked into a test calls the stubs in stubs.c.
 */
#pragma once

#include <CUnit/CUnit.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Adds the program's suites to the CUnit registry. Returns 0, or -1 on a CUnit error. */
int unit_register(void);

/* Adds one suite of tests (an array ended by CU_TEST_INFO_NULL); -1 on a CUnit error. */
int unit_add_suite(const char *name, CU_TestInfo *tests);

/* Where the stub panic() jumps while a UNIT_EXPECT_PANIC is running, else NULL (a panic
 * outside one fails the program). */
extern jmp_buf *unit_panic_target;

/* Message of the last panic() call. */
extern char unit_panic_message[512];

/* Bytes the stub console has received since unit_console_reset(). */
extern char unit_console[65536];
extern size_t unit_console_len;

/* Empties the captured console output. */
void unit_console_reset(void);

/* Reads the file at path into a new buffer of exactly its size (freed with free()) and sets
 * *len. Returns NULL when it cannot be read. */
uint8_t *unit_read_file(const char *path, size_t *len);

/* Next value of the xorshift64 generator whose (non-zero) state is *state. */
uint64_t unit_random(uint64_t *state);

/* Runs stmt and checks that it panics; msg_part must appear in the panic message. */
#define UNIT_EXPECT_PANIC(stmt, msg_part)                                       \
	do {                                                                    \
		jmp_buf unit_jb_;                                               \
		volatile bool unit_panicked_ = false;                           \
		unit_panic_message[0] = '\0';                                   \
		if (setjmp(unit_jb_) == 0) {                                    \
			unit_panic_target = &unit_jb_;                          \
			stmt;                                                   \
		} else {                                                        \
			unit_panicked_ = true;                                  \
		}                                                               \
		unit_panic_target = NULL;                                       \
		CU_ASSERT(unit_panicked_);                                      \
		CU_ASSERT_PTR_NOT_NULL(strstr(unit_panic_message, (msg_part))); \
	} while (0)
