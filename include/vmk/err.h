/* The one error space of vmk: every boundary (hypercall, ioctl, library call)
 * returns 0 or a negative value from this enum.  Values are ABI: append only. */
#ifndef VMK_ERR_H
#define VMK_ERR_H

enum vmk_err {
	VMK_OK = 0,
	VMK_EINVAL = -1,    /* an argument is malformed or out of range */
	VMK_ENOMEM = -2,    /* no memory for the request */
	VMK_EFAULT = -3,    /* a pointer does not name memory the caller owns */
	VMK_ENOSYS = -4,    /* unknown operation number */
	VMK_EBUSY = -5,     /* the object is in use / already in that state */
	VMK_ENODEV = -6,    /* required hardware feature is absent */
	VMK_EBADIMG = -7,   /* image header, size or checksum is wrong */
	VMK_EVERSION = -8,  /* ABI version mismatch */
	VMK_ERANGE = -9,    /* a length or index exceeds its bound */
	VMK_ENOSPC = -10,   /* a fixed-size table or ring is full */
	VMK_EPERM = -11,    /* the caller may not do this */
	VMK_ENOENT = -12,   /* no such object */
	VMK_EAGAIN = -13,   /* transient: try again */
	VMK_EIO = -14,      /* the device or backing store failed */
	VMK_ETIMEDOUT = -15,/* a bounded wait ran out (e.g. a CPU did not answer) */
};

#define VMK_ERR_COUNT 16

/* Short, stable names for logs and the CLI. */
static inline const char *vmk_strerror(int err)
{
	static const char *const names[VMK_ERR_COUNT] = {
		"ok", "invalid argument", "out of memory", "bad address",
		"unknown operation", "busy", "hardware feature missing",
		"bad image", "ABI version mismatch", "out of range",
		"table full", "not permitted", "no such object",
		"try again", "I/O error", "timed out",
	};
	if (err > 0 || err <= -VMK_ERR_COUNT)
		return "unknown error";
	return names[-err];
}
#endif
