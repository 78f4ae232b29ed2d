/*-------------------------------------------------------------------------
 *
 * phone_shim.cpp
 *	  The extern "C" face of libphonenumber's PhoneNumberUtil (see phone.h).
 *
 * This is textseq's only C++ file.  It must not let an exception cross into
 * C (every entry point catches everything), must not include postgres.h,
 * palloc or ereport (the server's longjmp would skip C++ destructors), and
 * must not keep state beyond libphonenumber's own singleton.  Results go
 * into caller buffers; statuses say what went wrong.
 *
 *-------------------------------------------------------------------------
 */
#include "phone.h"

#include <cctype>
#include <cstring>
#include <new>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

/* describe_impl casts PhoneNumberType to PhoneType: the two enums must agree. */
#define PHONE_SAME_TYPE(ours, theirs) \
	static_assert((int) (ours) == (int) PhoneNumberUtil::theirs, #ours " mirrors " #theirs)
PHONE_SAME_TYPE(PHONE_TYPE_FIXED_LINE, FIXED_LINE);
PHONE_SAME_TYPE(PHONE_TYPE_MOBILE, MOBILE);
PHONE_SAME_TYPE(PHONE_TYPE_FIXED_LINE_OR_MOBILE, FIXED_LINE_OR_MOBILE);
PHONE_SAME_TYPE(PHONE_TYPE_TOLL_FREE, TOLL_FREE);
PHONE_SAME_TYPE(PHONE_TYPE_PREMIUM_RATE, PREMIUM_RATE);
PHONE_SAME_TYPE(PHONE_TYPE_SHARED_COST, SHARED_COST);
PHONE_SAME_TYPE(PHONE_TYPE_VOIP, VOIP);
PHONE_SAME_TYPE(PHONE_TYPE_PERSONAL_NUMBER, PERSONAL_NUMBER);
PHONE_SAME_TYPE(PHONE_TYPE_PAGER, PAGER);
PHONE_SAME_TYPE(PHONE_TYPE_UAN, UAN);
PHONE_SAME_TYPE(PHONE_TYPE_VOICEMAIL, VOICEMAIL);
PHONE_SAME_TYPE(PHONE_TYPE_UNKNOWN, UNKNOWN);

namespace
{

/* The region code that means "no default region" to libphonenumber. */
const char kNoRegion[] = "ZZ";

/* More rounds than an E.164 number has digits: settle_e164 never needs them all. */
const int	kMaxSettleRounds = 20;

/* Map a libphonenumber parse error to our status. */
PhoneStatus
status_from_parse(PhoneNumberUtil::ErrorType err)
{
	switch (err)
	{
		case PhoneNumberUtil::NO_PARSING_ERROR:
			return PHONE_OK;
		case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
			return PHONE_ERR_INVALID_COUNTRY_CODE;
		case PhoneNumberUtil::NOT_A_NUMBER:
			return PHONE_ERR_NOT_A_NUMBER;
		case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
		case PhoneNumberUtil::TOO_SHORT_NSN:
			return PHONE_ERR_TOO_SHORT;
		case PhoneNumberUtil::TOO_LONG_NSN:
			return PHONE_ERR_TOO_LONG;
	}
	return PHONE_ERR_INTERNAL;
}

/* Map a possibility check to our status; only IS_POSSIBLE is good enough for E.164. */
PhoneStatus
status_from_possibility(PhoneNumberUtil::ValidationResult res)
{
	switch (res)
	{
		case PhoneNumberUtil::IS_POSSIBLE:
			return PHONE_OK;
		case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
			return PHONE_ERR_LOCAL_ONLY;
		case PhoneNumberUtil::INVALID_COUNTRY_CODE:
			return PHONE_ERR_INVALID_COUNTRY_CODE;
		case PhoneNumberUtil::TOO_SHORT:
			return PHONE_ERR_TOO_SHORT;
		case PhoneNumberUtil::INVALID_LENGTH:
			return PHONE_ERR_NOT_POSSIBLE;
		case PhoneNumberUtil::TOO_LONG:
			return PHONE_ERR_TOO_LONG;
	}
	return PHONE_ERR_INTERNAL;
}

/* Upper-case a region code and check libphonenumber knows it ("ZZ" = none). */
PhoneStatus
canonical_region(const PhoneNumberUtil &util, const char *in, std::string *out)
{
	out->clear();
	for (const char *p = in; *p; p++)
	{
		if (out->size() >= 3 || !isalpha((unsigned char) *p))
			return PHONE_ERR_BAD_REGION;
		out->push_back((char) toupper((unsigned char) *p));
	}
	if (*out == kNoRegion)
		return PHONE_OK;
	/* 0 means "not a region with metadata" (covers "", "001" and unknown codes). */
	return util.GetCountryCodeForRegion(*out) != 0 ? PHONE_OK : PHONE_ERR_BAD_REGION;
}

/* Copy s into a C buffer; false (and an empty buffer) if it does not fit. */
bool
copy_out(const std::string &s, char *out, size_t outsz)
{
	if (outsz == 0)
		return false;
	if (s.size() >= outsz)
	{
		out[0] = '\0';
		return false;
	}
	memcpy(out, s.data(), s.size());
	out[s.size()] = '\0';
	return true;
}

/* Check the region, then parse; on success *num holds the number. */
PhoneStatus
parse_number(const PhoneNumberUtil &util, const char *raw, size_t len,
			 const char *default_region, PhoneNumber *num)
{
	std::string region;
	PhoneStatus st = canonical_region(util, default_region, &region);

	if (st != PHONE_OK)
		return st;
	return status_from_parse(util.Parse(std::string(raw, len), region, num));
}

/*
 * Re-parse an E.164 string until formatting it again changes nothing.
 * Leading zeros kept from national input ("0 0 09546 0479" in DE gives
 * +490095460479) lose one national prefix per round trip; without this,
 * normalize_phone(normalize_phone(x)) could differ from normalize_phone(x)
 * and per-phone state keyed by E.164 would split.  Each round drops a
 * digit, so the loop is short; a non-possible step is refused.
 */
PhoneStatus
settle_e164(const PhoneNumberUtil &util, std::string *e164)
{
	for (int round = 0; round < kMaxSettleRounds; round++)
	{
		PhoneNumber num;
		std::string again;
		PhoneStatus st = status_from_parse(util.Parse(*e164, kNoRegion, &num));

		if (st == PHONE_OK)
			st = status_from_possibility(util.IsPossibleNumberWithReason(num));
		if (st != PHONE_OK)
			return st;
		util.Format(num, PhoneNumberUtil::E164, &again);
		if (again == *e164)
			return PHONE_OK;
		e164->swap(again);
	}
	return PHONE_ERR_NOT_POSSIBLE;
}

/* phone_normalize's body, free to throw. */
PhoneStatus
normalize_impl(const char *raw, size_t len, const char *default_region,
			   char *out, size_t outsz)
{
	const PhoneNumberUtil &util = *PhoneNumberUtil::GetInstance();
	PhoneNumber num;
	PhoneStatus st = parse_number(util, raw, len, default_region, &num);

	if (st != PHONE_OK)
		return st;
	st = status_from_possibility(util.IsPossibleNumberWithReason(num));
	if (st != PHONE_OK)
		return st;

	/* E164 format never carries the extension, which is how it is dropped. */
	std::string e164;

	util.Format(num, PhoneNumberUtil::E164, &e164);
	st = settle_e164(util, &e164);
	if (st != PHONE_OK)
		return st;
	return copy_out(e164, out, outsz) ? PHONE_OK : PHONE_ERR_INTERNAL;
}

/* phone_describe's body, free to throw. */
PhoneStatus
describe_impl(const char *raw, size_t len, const char *default_region, PhoneInfo *info)
{
	const PhoneNumberUtil &util = *PhoneNumberUtil::GetInstance();
	PhoneNumber num;
	PhoneStatus st = parse_number(util, raw, len, default_region, &num);

	if (st != PHONE_OK)
		return st;
	num.clear_extension();		/* describe the line, not the desk */

	std::string e164, region, national;

	util.Format(num, PhoneNumberUtil::E164, &e164);
	util.Format(num, PhoneNumberUtil::NATIONAL, &national);
	util.GetRegionCodeForNumber(num, &region);
	info->valid = util.IsValidNumber(num);
	info->possible = util.IsPossibleNumber(num);
	info->number_type = (PhoneType) util.GetNumberType(num);
	info->country_code = num.country_code();
	if (!copy_out(e164, info->e164, sizeof(info->e164)) ||
		!copy_out(region, info->region, sizeof(info->region)) ||
		!copy_out(national, info->national_format, sizeof(info->national_format)))
		return PHONE_ERR_INTERNAL;
	return PHONE_OK;
}

}								/* namespace */

/* Parse and format as E.164; see phone.h. */
extern "C" PhoneStatus
phone_normalize(const char *raw, size_t len, const char *default_region,
				char *out, size_t outsz)
{
	if (outsz > 0)
		out[0] = '\0';
	try
	{
		return normalize_impl(raw, len, default_region, out, outsz);
	}
	catch (const std::bad_alloc &)
	{
		return PHONE_ERR_NO_MEMORY;
	}
	catch (...)
	{
		return PHONE_ERR_INTERNAL;
	}
}

/* Parse and describe; see phone.h. */
extern "C" PhoneStatus
phone_describe(const char *raw, size_t len, const char *default_region, PhoneInfo *info)
{
	memset(info, 0, sizeof(*info));
	info->number_type = PHONE_TYPE_UNKNOWN;
	try
	{
		return describe_impl(raw, len, default_region, info);
	}
	catch (const std::bad_alloc &)
	{
		return PHONE_ERR_NO_MEMORY;
	}
	catch (...)
	{
		return PHONE_ERR_INTERNAL;
	}
}

/* errdetail text for each status. */
extern "C" const char *
phone_status_detail(PhoneStatus status)
{
	switch (status)
	{
		case PHONE_OK:
			return "The number is fine.";
		case PHONE_ERR_BAD_REGION:
			return "The default region is not a region code libphonenumber knows.";
		case PHONE_ERR_NOT_A_NUMBER:
			return "The text does not contain a phone number.";
		case PHONE_ERR_INVALID_COUNTRY_CODE:
			return "The country calling code is missing or unknown.";
		case PHONE_ERR_TOO_SHORT:
			return "The number is too short.";
		case PHONE_ERR_TOO_LONG:
			return "The number is too long.";
		case PHONE_ERR_NOT_POSSIBLE:
			return "The number's length is not possible for its region.";
		case PHONE_ERR_LOCAL_ONLY:
			return "The number is too short: it is only dialable locally, without its area code.";
		case PHONE_ERR_NO_MEMORY:
			return "libphonenumber ran out of memory.";
		case PHONE_ERR_INTERNAL:
			break;
	}
	return "libphonenumber failed unexpectedly.";
}

/* SQL spelling of libphonenumber's PhoneNumberType. */
extern "C" const char *
phone_type_name(PhoneType type)
{
	static const char *const names[] = {
		"fixed_line", "mobile", "fixed_line_or_mobile", "toll_free",
		"premium_rate", "shared_cost", "voip", "personal_number", "pager",
		"uan", "voicemail", "unknown"
	};

	static_assert(sizeof(names) / sizeof(names[0]) == PHONE_TYPE_UNKNOWN + 1,
				  "one name per PhoneType");
	if ((int) type < 0 || type > PHONE_TYPE_UNKNOWN)
		return "unknown";
	return names[type];
}

/* Coarse line type: NANP's fixed_line_or_mobile cannot tell, so it is unknown. */
extern "C" const char *
phone_line_type_name(PhoneType type)
{
	switch (type)
	{
		case PHONE_TYPE_MOBILE:
			return "mobile";
		case PHONE_TYPE_FIXED_LINE:
			return "landline";
		case PHONE_TYPE_VOIP:
			return "voip";
		case PHONE_TYPE_TOLL_FREE:
			return "toll_free";
		default:
			return "unknown";
	}
}
