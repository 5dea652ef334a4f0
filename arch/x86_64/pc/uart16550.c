/* 16550 UART on COM1 (I/O port 0x3f8): the PC console. Polled, no interrupts. */
#include <amphi/errno.h>
#include <amphi/plat.h>
#include <amphi/serial.h>

#include "io.h"
#include "pc.h"

#define COM1 0x3f8
#define UART_DATA 0 /* RBR/THR, or divisor low with DLAB */
#define UART_IER 1  /* interrupt enable, or divisor high with DLAB */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LSR_ABSENT 0xff /* an empty ISA bus reads all ones */

/* Polls before giving up on a byte, so a PC without COM1 still boots (silently). */
#define UART_TX_SPINS 100000

/* A byte that arrived before uart16550_init(): enabling the FIFOs would discard it. */
static int uart16550_early_byte = -EAGAIN;

/* Programs COM1 for 115200 8N1 with FIFOs on. */
void uart16550_init(void)
{
	uart16550_early_byte = uart16550_getc();
	io_out8(COM1 + UART_IER, 0);
	io_out8(COM1 + UART_LCR, LCR_DLAB);
	io_out8(COM1 + UART_DATA, 1); /* divisor 1: 115200 baud */
	io_out8(COM1 + UART_IER, 0);
	io_out8(COM1 + UART_LCR, LCR_8N1);
	io_out8(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	io_out8(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

/* Sends one byte once the transmitter has room, or drops it when it never does. */
static void uart16550_putc(char c)
{
	for (unsigned spins = 0; spins < UART_TX_SPINS; spins++) {
		if (io_in8(COM1 + UART_LSR) & LSR_THR_EMPTY) {
			io_out8(COM1 + UART_DATA, (uint8_t)c);
			return;
		}
		__asm__ volatile("pause");
	}
}

/* Writes n bytes, turning "\n" into "\r\n" for serial terminals. */
void uart16550_write(const char *buf, size_t n)
{
	serial_write(buf, n, uart16550_putc);
}

/* Next received byte, or -EAGAIN when none is waiting. */
int uart16550_getc(void)
{
	if (uart16550_early_byte >= 0) {
		int c = uart16550_early_byte;
		uart16550_early_byte = -EAGAIN;
		return c;
	}
	uint8_t lsr = io_in8(COM1 + UART_LSR);
	if (lsr == LSR_ABSENT || !(lsr & LSR_DATA_READY))
		return -EAGAIN;
	return io_in8(COM1 + UART_DATA);
}
