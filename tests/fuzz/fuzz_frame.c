/*
 * fuzz_frame.c: libFuzzer target for the peer link's frame decoder.
 *
 * The input is treated as a byte stream from an authenticated peer: frames are
 * decoded one after another as the link does; every frame that decodes is
 * encoded again and must decode to the same number of records.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reflector/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(const struct frame *f)
{
	static uint8_t buf[FRAME_MAX];
	struct frame again;
	size_t taken = 0;
	int n = -1;

	switch (f->type) {
	case FRAME_RECORDS:
		if (f->nrr)
			n = frame_encode_records(buf, sizeof(buf), f->site, f->hops,
						 (const ldns_rr *const *)f->rrs, f->nrr, &taken);
		break;
	case FRAME_WITHDRAW:
		if (f->nrr)
			n = frame_encode_withdraw(buf, sizeof(buf), f->site,
						  (const ldns_rr *const *)f->rrs, f->nrr, &taken);
		break;
	case FRAME_QUESTIONS:
		if (f->nrr)
			n = frame_encode_questions(buf, sizeof(buf), (const ldns_rr *const *)f->rrs,
						   f->nrr, &taken);
		break;
	default:
		break;
	}
	if (n <= 0)
		return;
	if (frame_decode_one(buf, (size_t)n, &again) == 0) {
		if (again.nrr != taken)
			abort();
		frame_clear(&again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		struct frame f;
		size_t used = 0;
		int rc = frame_decode(data + off, size - off, &used, &f);
		if (rc != 1)
			break;
		if (used == 0 || used > size - off)
			abort();
		reencode(&f);
		frame_clear(&f);
		off += used;
	}
	return 0;
}
