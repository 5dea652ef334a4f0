/*
 * kprintf and the formatter under it. The formatter writes through a small output
 * object that either fills a caller's buffer (ksnprintf) or flushes a stack buffer to the
 * console when it fills (kprintf), so console output never needs an allocator and is
 * never truncated. Output matches glibc's printf for the supported subset.
 */
#include <amphi/console.h>
#include <amphi/kprintf.h>
#include <amphi/plat.h>
#include <amphi/string.h>

/* Where formatted bytes go. When flush is NULL, bytes past cap - 1 are counted, not kept. */
struct fmt_out {
	char *buf;
	size_t cap;
	size_t len;   /* bytes held in buf */
	size_t total; /* bytes produced so far */
	void (*flush)(struct fmt_out *out);
	bool log_only; /* console_flush: to the kernel log, not the console */
};

/* One parsed conversion specification. */
struct fmt_spec {
	bool left, plus, space, alt, zero;
	int width;
	int precision; /* -1 when absent */
	char length;   /* 0, 'H' (hh), 'h', 'l', 'L' (ll), 'z', 't', 'j' */
	char conv;
};

/* Appends one byte to out. */
static void fmt_putc(struct fmt_out *out, char c)
{
	if (out->flush) {
		if (out->len == out->cap)
			out->flush(out);
		out->buf[out->len++] = c;
	} else if (out->len + 1 < out->cap) {
		out->buf[out->len++] = c;
	}
	out->total++;
}

/* Appends n bytes of s to out. */
static void fmt_write(struct fmt_out *out, const char *s, size_t n)
{
	while (n--)
		fmt_putc(out, *s++);
}

/* Appends n copies of c to out (nothing when n <= 0). */
static void fmt_pad(struct fmt_out *out, char c, long n)
{
	while (n-- > 0)
		fmt_putc(out, c);
}

/* Writes s (n bytes) padded with spaces to the field width. */
static void fmt_field(struct fmt_out *out, const struct fmt_spec *sp, const char *s, size_t n)
{
	long pad = (long)sp->width - (long)n;

	if (!sp->left)
		fmt_pad(out, ' ', pad);
	fmt_write(out, s, n);
	if (sp->left)
		fmt_pad(out, ' ', pad);
}

/* Writes the digits of v in base into the end of buf; returns the first digit. */
static char *fmt_digits(unsigned long long v, unsigned base, bool upper, char *end)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = end;

	while (v) {
		*--p = set[v % base];
		v /= base;
	}
	return p;
}

/* Number base of an integer conversion. */
static unsigned fmt_base(char conv)
{
	if (conv == 'o')
		return 8;
	if (conv == 'x' || conv == 'X' || conv == 'p')
		return 16;
	return 10;
}

/* Formats one integer conversion: sign or prefix, precision zeros, width padding. */
static void fmt_integer(struct fmt_out *out, const struct fmt_spec *sp, unsigned long long v,
			bool negative)
{
	char digits_buf[24];
	char *end = digits_buf + sizeof(digits_buf);
	unsigned base = fmt_base(sp->conv);
	char *digits = fmt_digits(v, base, sp->conv == 'X', end);
	long ndigits = end - digits;
	char prefix[2];
	long nprefix = 0;
	long precision = sp->precision;

	if (negative)
		prefix[nprefix++] = '-';
	else if (sp->plus && (sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p'))
		prefix[nprefix++] = '+';
	else if (sp->space && (sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p'))
		prefix[nprefix++] = ' ';

	if (precision < 0)
		precision = 1; /* one digit by default: 0 prints as "0" */
	long zeros = precision > ndigits ? precision - ndigits : 0;

	if (sp->alt && sp->conv == 'o' && zeros == 0 && (ndigits == 0 || digits[0] != '0'))
		zeros = 1; /* '#' makes the first octal digit a 0 */
	bool hex = base == 16;
	bool hex_prefix = sp->alt && hex && v != 0;
	long body = nprefix + (hex_prefix ? 2 : 0) + zeros + ndigits;
	long pad = sp->width > body ? sp->width - body : 0;

	if (sp->zero && !sp->left && sp->precision < 0) {
		zeros += pad; /* zero padding goes between the prefix and the digits */
		pad = 0;
	}
	if (!sp->left)
		fmt_pad(out, ' ', pad);
	fmt_write(out, prefix, (size_t)nprefix);
	if (hex_prefix)
		fmt_write(out, sp->conv == 'X' ? "0X" : "0x", 2);
	fmt_pad(out, '0', zeros);
	fmt_write(out, digits, (size_t)ndigits);
	if (sp->left)
		fmt_pad(out, ' ', pad);
}

/* Reads a signed argument of the spec's length, widened. */
static long long fmt_arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	case 'z':
		return (long long)(ptrdiff_t)va_arg(*ap, size_t);
	case 't':
		return va_arg(*ap, ptrdiff_t);
	case 'j':
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

/* Reads an unsigned argument of the spec's length, widened. */
static unsigned long long fmt_arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned int);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned int);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'z':
		return va_arg(*ap, size_t);
	case 't':
		return (size_t)va_arg(*ap, ptrdiff_t);
	case 'j':
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Formats %s: NULL prints "(null)", or nothing when the precision cuts it (as glibc). */
static void fmt_string(struct fmt_out *out, const struct fmt_spec *sp, const char *s)
{
	if (!s)
		s = (sp->precision < 0 || sp->precision >= 6) ? "(null)" : "";
	size_t n = sp->precision < 0 ? strlen(s) : strnlen(s, (size_t)sp->precision);
	fmt_field(out, sp, s, n);
}

/* Formats %p: "(nil)" for NULL, otherwise like %#lx. */
static void fmt_pointer(struct fmt_out *out, struct fmt_spec *sp, const void *p)
{
	if (!p) {
		fmt_field(out, sp, "(nil)", 5);
		return;
	}
	sp->alt = true;
	fmt_integer(out, sp, (uintptr_t)p, false);
}

/* Formats the conversion sp with its argument from ap. */
static void fmt_convert(struct fmt_out *out, struct fmt_spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case 'd':
	case 'i': {
		long long v = fmt_arg_signed(sp, ap);
		unsigned long long mag =
		    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
		fmt_integer(out, sp, mag, v < 0);
		break;
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		fmt_integer(out, sp, fmt_arg_unsigned(sp, ap), false);
		break;
	case 'c': {
		char c = (char)va_arg(*ap, int);
		fmt_field(out, sp, &c, 1);
		break;
	}
	case 's':
		fmt_string(out, sp, va_arg(*ap, const char *));
		break;
	case 'p':
		fmt_pointer(out, sp, va_arg(*ap, const void *));
		break;
	default:
		fmt_putc(out, '%');
		break;
	}
}

/* Parses a decimal number at *p, saturating well below INT_MAX. */
static int fmt_number(const char **p)
{
	int n = 0;

	while (**p >= '0' && **p <= '9') {
		if (n < 100000000)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n;
}

/* Parses flags, width, precision and length after a '%'; leaves *p on the conversion. */
static void fmt_parse_spec(const char **p, struct fmt_spec *sp, va_list *ap)
{
	*sp = (struct fmt_spec){.precision = -1};
	for (;; (*p)++) {
		switch (**p) {
		case '-':
			sp->left = true;
			continue;
		case '+':
			sp->plus = true;
			continue;
		case ' ':
			sp->space = true;
			continue;
		case '#':
			sp->alt = true;
			continue;
		case '0':
			sp->zero = true;
			continue;
		}
		break;
	}
	if (**p == '*') {
		int w = va_arg(*ap, int);
		(*p)++;
		if (w < 0) {
			sp->left = true;
			w = w == -2147483647 - 1 ? 2147483647 : -w;
		}
		sp->width = w;
	} else {
		sp->width = fmt_number(p);
	}
	if (**p == '.') {
		(*p)++;
		if (**p == '*') {
			int prec = va_arg(*ap, int);
			(*p)++;
			sp->precision = prec < 0 ? -1 : prec;
		} else {
			sp->precision = fmt_number(p);
		}
	}
	switch (**p) {
	case 'h':
		(*p)++;
		sp->length = 'h';
		if (**p == 'h') {
			(*p)++;
			sp->length = 'H';
		}
		break;
	case 'l':
		(*p)++;
		sp->length = 'l';
		if (**p == 'l') {
			(*p)++;
			sp->length = 'L';
		}
		break;
	case 'z':
	case 't':
	case 'j':
		sp->length = *(*p)++;
		break;
	}
	sp->conv = **p;
}

/* Formats fmt with ap into out; returns the total length produced. */
static int fmt_format(struct fmt_out *out, const char *fmt, va_list ap)
{
	va_list args;
	struct fmt_spec sp;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			fmt_putc(out, *fmt++);
			continue;
		}
		const char *start = fmt++;
		fmt_parse_spec(&fmt, &sp, &args);
		if (sp.conv == '%') {
			fmt_putc(out, '%');
			fmt++;
		} else if (sp.conv && strchr("diuxXocsp", sp.conv)) {
			fmt_convert(out, &sp, &args);
			fmt++;
		} else {
			/* unknown conversion: print the specification as written */
			fmt_write(out, start, (size_t)(fmt - start));
			if (*fmt)
				fmt_putc(out, *fmt++);
		}
	}
	va_end(args);
	return out->total > 0x7fffffff ? 0x7fffffff : (int)out->total;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out out = {.buf = buf, .cap = size};
	int n = fmt_format(&out, fmt, ap);

	if (size > 0)
		buf[out.len] = '\0';
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* The kernel log: the last KLOG_SIZE bytes the kernel printed, quiet or not (console lock).
 * klog_end counts every byte ever logged, so the ring holds [klog_end - KLOG_SIZE, klog_end)
 * once it has wrapped. harness/gdb reads these two by name. */
static char klog_buf[KLOG_SIZE];
static uint64_t klog_end;
static uint64_t klog_start; /* where the log begins after a klog_clear */

/* Console lock held: appends n bytes of s to the kernel log. */
static void klog_append(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		klog_buf[(klog_end + i) % KLOG_SIZE] = s[i];
	klog_end += n;
}

static bool kprintf_quiet;

/* Console lock held: logs the buffered bytes and sends them to the console unless
 * out->log_only. */
static void console_flush(struct fmt_out *out)
{
	if (out->len) {
		klog_append(out->buf, out->len);
		if (!out->log_only)
			console_write(out->buf, out->len);
	}
	out->len = 0;
}

void kprintf_set_quiet(bool quiet)
{
	kprintf_quiet = quiet;
}

/* Formats into the kernel log, and to the console unless log_only. */
static int kvprintf_to(bool log_only, const char *fmt, va_list ap)
{
	char chunk[128];
	struct fmt_out out = {
	    .buf = chunk, .cap = sizeof(chunk), .flush = console_flush, .log_only = log_only};
	irqflags_t flags = console_lock();
	int n = fmt_format(&out, fmt, ap);

	console_flush(&out);
	console_unlock(flags);
	return n;
}

void klog_clear(void)
{
	irqflags_t flags = console_lock();

	klog_start = klog_end;
	console_unlock(flags);
}

/* Formats to the console, quiet or not. */
static int kvprintf_always(const char *fmt, va_list ap)
{
	return kvprintf_to(false, fmt, ap);
}

size_t klog_read(char *dst, size_t cap)
{
	irqflags_t flags = console_lock();
	uint64_t held = klog_end - klog_start < KLOG_SIZE ? klog_end - klog_start : KLOG_SIZE;
	size_t n = held < cap ? (size_t)held : cap;

	for (size_t i = 0; dst && i < n; i++)
		dst[i] = klog_buf[(klog_end - n + i) % KLOG_SIZE];
	console_unlock(flags);
	return n;
}

int kvprintf(const char *fmt, va_list ap)
{
	int n = kvprintf_to(kprintf_quiet, fmt, ap);

	return kprintf_quiet ? 0 : n;
}

int kprintf_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvprintf_always(fmt, ap);
	va_end(ap);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

void kputs(const char *s)
{
	irqflags_t flags = console_lock();

	klog_append(s, strlen(s));
	console_write(s, strlen(s));
	console_unlock(flags);
}
