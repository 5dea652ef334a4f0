/*
 * The wall clock from the PC's CMOS real-time clock (MC146818: ports 0x70/0x71), read once
 * at boot. Fields are BCD or binary and the hour 12- or 24-hour as status register B says;
 * a read is repeated until two in a row agree, so an update in between cannot tear it.
 */
#include <amphi/kprintf.h>
#include <amphi/plat.h>

#include "io.h"
#include "pc.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_OFF 0x80
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32 /* where PCs and QEMU keep it (the ACPI FADT may say otherwise) */
#define RTC_A_UPDATING 0x80
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_HOUR_PM 0x80
#define RTC_READS_MAX 100

static uint64_t rtc_epoch_ns; /* the wall clock at plat_time_ns() == 0; 0: unknown */

/* Register reg of the CMOS RTC. */
static uint8_t rtc_read(uint8_t reg)
{
	io_out8(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return io_in8(CMOS_DATA);
}

/* The date and time registers, when no update is under way: false when one always is. */
static bool rtc_read_fields(uint8_t f[7])
{
	static const uint8_t regs[7] = {RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY,
					RTC_MONTH,   RTC_YEAR,	  RTC_CENTURY};

	for (int i = 0; i < RTC_READS_MAX; i++) {
		if (rtc_read(RTC_STATUS_A) & RTC_A_UPDATING)
			continue;
		for (int r = 0; r < 7; r++)
			f[r] = rtc_read(regs[r]);
		return true;
	}
	return false;
}

/* A BCD or binary register value as binary. */
static unsigned rtc_value(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10u + (v & 0xf);
}

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian). */
static int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Seconds since 1970 from the registers f (order of rtc_read_fields), or 0 when they make
 * no date. */
static uint64_t rtc_seconds(const uint8_t f[7], uint8_t status_b)
{
	bool bin = status_b & RTC_B_BINARY;
	unsigned sec = rtc_value(f[0], bin), min = rtc_value(f[1], bin);
	unsigned hour = rtc_value(f[2] & ~RTC_HOUR_PM, bin), day = rtc_value(f[3], bin);
	unsigned month = rtc_value(f[4], bin), year = rtc_value(f[5], bin);
	unsigned century = rtc_value(f[6], bin);

	if (!(status_b & RTC_B_24H) && (f[2] & RTC_HOUR_PM))
		hour = hour % 12 + 12;
	else if (!(status_b & RTC_B_24H) && hour == 12)
		hour = 0;
	year += (century >= 19 && century <= 99 ? century : 20) * 100;
	if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12)
		return 0;
	int64_t days = rtc_days_from_civil(year, month, day);
	return days < 0 ? 0 : (uint64_t)days * 86400 + hour * 3600 + min * 60 + sec;
}

void rtc_init(void)
{
	uint8_t a[7], b[7];
	uint8_t status_b = rtc_read(RTC_STATUS_B);
	bool same = false;

	for (int i = 0; i < RTC_READS_MAX && !same; i++) {
		if (!rtc_read_fields(a) || !rtc_read_fields(b))
			break;
		same = true;
		for (int r = 0; r < 7; r++)
			same = same && a[r] == b[r];
	}
	uint64_t secs = same ? rtc_seconds(a, status_b) : 0;
	if (!secs) {
		kprintf("pc: no usable CMOS real-time clock; the wall clock starts at 1970\n");
		return;
	}
	rtc_epoch_ns = secs * 1000000000ULL - plat_time_ns();
}

uint64_t plat_time_epoch_ns(void)
{
	return rtc_epoch_ns;
}
