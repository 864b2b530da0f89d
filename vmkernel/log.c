/* The vmkernel log: a byte ring the COS reads with VMK_HC_LOG_READ.  Offsets
 * count every byte ever written, so a reader can tell what it missed. */
#include "vmk_core.h"
#include "spinlock.h"

static char log_buf[VMK_LOG_SIZE];
static uint64_t log_total;
static spinlock_t log_lock;

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, int neg,
		    int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

static uint64_t get_arg(va_list *ap, int longs, int is_signed, int *neg)
{
	int64_t s;

	*neg = 0;
	if (!is_signed)
		return longs ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned int);
	s = longs ? va_arg(*ap, long) : va_arg(*ap, int);
	if (s < 0) {
		*neg = 1;
		return (uint64_t)0 - (uint64_t)s;
	}
	return (uint64_t)s;
}

static void format(struct out *o, const char *f, va_list args)
{
	va_list ap;

	/* A local copy: &ap of a parameter is not a va_list * on x86-64. */
	va_copy(ap, args);
	for (; *f; f++) {
		int longs = 0, width = 0, neg;
		char pad = ' ';
		uint64_t v;

		if (*f != '%') {
			put(o, *f);
			continue;
		}
		if (*++f == '0')
			pad = '0';
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		while (*f == 'l')
			longs++, f++;
		if (!*f)
			break;
		switch (*f) {
		case 'd': case 'i':
			v = get_arg(&ap, longs, 1, &neg);
			put_num(o, v, 10, neg, width, pad);
			break;
		case 'u': case 'x':
			v = get_arg(&ap, longs, 0, &neg);
			put_num(o, v, *f == 'x' ? 16 : 10, 0, width, pad);
			break;
		case 'p':
			put(o, '0'), put(o, 'x');
			put_num(o, (uint64_t)va_arg(ap, void *), 16, 0, 16, '0');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				put(o, *s);
			break;
		}
		case 'c':
			put(o, (char)va_arg(ap, int));
			break;
		default:
			put(o, *f);
		}
	}
	va_end(ap);
}

int vmk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	struct out o = { buf, size, 0 };
	va_list ap;

	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

void vmk_vlog(const char *fmt, va_list ap)
{
	char line[256];
	struct out o = { line, sizeof(line), 0 };
	size_t n;

	format(&o, fmt, ap);
	n = o.len < sizeof(line) - 1 ? o.len : sizeof(line) - 1;
	spin_lock(&log_lock);
	for (size_t i = 0; i < n; i++)
		log_buf[(log_total + i) % VMK_LOG_SIZE] = line[i];
	log_total += n;
	spin_unlock(&log_lock);
}

void vmk_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmk_vlog(fmt, ap);
	va_end(ap);
}

uint64_t vmk_log_total(void)
{
	return __atomic_load_n(&log_total, __ATOMIC_RELAXED);
}

uint64_t vmk_log_oldest(void)
{
	uint64_t t = vmk_log_total();

	return t > VMK_LOG_SIZE ? t - VMK_LOG_SIZE : 0;
}

/* Copy log bytes from absolute @offset (clamped to what the ring still
 * holds) into @dst; returns the count. */
uint64_t vmk_log_copy(char *dst, uint64_t len, uint64_t offset)
{
	uint64_t n = 0;

	spin_lock(&log_lock);
	if (log_total > VMK_LOG_SIZE && offset < log_total - VMK_LOG_SIZE)
		offset = log_total - VMK_LOG_SIZE;
	for (; n < len && offset + n < log_total; n++)
		dst[n] = log_buf[(offset + n) % VMK_LOG_SIZE];
	spin_unlock(&log_lock);
	return n;
}
