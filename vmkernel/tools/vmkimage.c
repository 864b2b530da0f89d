/* vmkimage IN OUT: stamp the checksum into a linked vmkernel binary and
 * check the result as the loader will. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vmk/err.h>
#include <vmk/image.h>

static unsigned char *slurp(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (*len = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)*len)) &&
	    fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct vmk_image_header *h;
	const char *why = "";
	unsigned char *buf;
	long len = 0;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: vmkimage IN OUT\n");
		return 2;
	}
	buf = slurp(argv[1], &len);
	if (!buf || (size_t)len < sizeof(*h)) {
		fprintf(stderr, "vmkimage: cannot read %s\n", argv[1]);
		return 1;
	}
	h = (struct vmk_image_header *)buf;
	h->checksum = vmk_image_crc(buf, (uint64_t)len);
	if (vmk_image_check(buf, (uint64_t)len, NULL, &why) != VMK_OK) {
		fprintf(stderr, "vmkimage: %s: %s\n", argv[1], why);
		return 1;
	}
	out = fopen(argv[2], "wb");
	if (!out || fwrite(buf, 1, (size_t)len, out) != (size_t)len || fclose(out)) {
		fprintf(stderr, "vmkimage: cannot write %s\n", argv[2]);
		return 1;
	}
	free(buf);
	return 0;
}
