// fuzz_phone.cpp: libFuzzer harness for src/core/phone_shim.cpp (the libphonenumber shim).
// First input byte picks a default region (some bad on purpose), the rest is the raw text.
// Checks: no crash/exception escapes; a normalized number is "+" and 2..20 digits (country code + up to 17 national digits) and is a
// fixed point (normalizing it again with region ZZ gives it back); describe() strings are
// NUL-terminated within their buffers.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include "phone.h"

static const char *const regions[] = {"US", "GB", "DE", "ZZ", "AU", "IN", "BR", "it",
                                      "", "X1", "USA", "001", "JP", "CN", "FR", "RU"};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *region = regions[data[0] % (sizeof(regions) / sizeof(regions[0]))];
	const char *raw = (const char *) data + 1;
	size_t len = size - 1;
	char out[PHONE_E164_SIZE];
	PhoneStatus st = phone_normalize(raw, len, region, out, sizeof(out));

	if (st == PHONE_ERR_INTERNAL || st == PHONE_ERR_NO_MEMORY)
		abort();
	if (st == PHONE_OK)
	{
		size_t n = strlen(out);
		if (n < 3 || n > 21 || out[0] != '+' || strspn(out + 1, "0123456789") != n - 1)
			abort();
		char again[PHONE_E164_SIZE];
		if (phone_normalize(out, n, "ZZ", again, sizeof(again)) != PHONE_OK || strcmp(out, again) != 0)
			abort();
	}
	PhoneInfo info;
	st = phone_describe(raw, len, region, &info);
	if (st == PHONE_ERR_INTERNAL || st == PHONE_ERR_NO_MEMORY)
		abort();
	if (memchr(info.e164, 0, sizeof(info.e164)) == NULL ||
		memchr(info.region, 0, sizeof(info.region)) == NULL ||
		memchr(info.national_format, 0, sizeof(info.national_format)) == NULL)
		abort();
	(void) phone_type_name(info.number_type);
	(void) phone_line_type_name(info.number_type);
	(void) phone_status_detail(st);
	return 0;
}
