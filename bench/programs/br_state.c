/*
 * Branches: a tokenizer's state machine over n pseudo-random 7-bit characters
 * (an LCG), counting words, numbers, decimal fractions and quoted strings.
 */
#include "bench.h"

enum { SPACE, WORD, NUMBER, STRING, FRACTION, ESCAPE };

BENCH_ENTRY(br_state)
{
	u32 x = (u32)in->seed, state = SPACE;
	u64 words = 0, numbers = 0, fractions = 0, strings = 0, n = in->n;

	for (u64 i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		u32 c = (x >> 16) & 0x7f;
		u32 lower = c | 32;

		switch (state) {
		case SPACE:
			if (c >= '0' && c <= '9') {
				state = NUMBER;
				numbers++;
			} else if (lower >= 'a' && lower <= 'z') {
				state = WORD;
				words++;
			} else if (c == '"') {
				state = STRING;
			}
			break;
		case WORD:
			if (c == '"')
				state = STRING;
			else if (!(lower >= 'a' && lower <= 'z') && !(c >= '0' && c <= '9') && c != '_')
				state = SPACE;
			break;
		case NUMBER:
			if (c == '.')
				state = FRACTION;
			else if (c < '0' || c > '9')
				state = SPACE;
			break;
		case FRACTION:
			if (c < '0' || c > '9') {
				fractions++;
				state = SPACE;
			}
			break;
		case STRING:
			if (c == '"') {
				strings++;
				state = SPACE;
			} else if (c == '\\') {
				state = ESCAPE;
			}
			break;
		default: /* ESCAPE */
			state = STRING;
			break;
		}
	}
	return words + numbers * 3 + fractions * 7 + strings * 13 + state;
}
