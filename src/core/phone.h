/*-------------------------------------------------------------------------
 *
 * phone.h
 *	  The C interface to libphonenumber (implemented in phone_shim.cpp).
 *
 * This is the only door between textseq's C code and C++.  Every function
 * here is noexcept in practice: the shim catches every exception and turns
 * it into a PhoneStatus.  Nothing here allocates through palloc or calls
 * ereport; results go into caller-owned buffers and structs, and the glue
 * (phone.c) turns statuses into SQL errors.
 *
 * Input strings are UTF-8 with an explicit length (no NUL needed); region
 * codes are ISO 3166 two-letter codes in any case, or "ZZ" for "no default
 * region" (then only numbers written with + or an IDD prefix parse).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_PHONE_H
#define TEXTSEQ_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C"
{
#endif

/* Why a number was refused (or PHONE_OK); phone_status_detail() explains each. */
typedef enum PhoneStatus
{
	PHONE_OK = 0,
	PHONE_ERR_BAD_REGION,		/* the default region is not a known region code */
	PHONE_ERR_NOT_A_NUMBER,		/* no phone number in the text at all */
	PHONE_ERR_INVALID_COUNTRY_CODE, /* missing or unknown country calling code */
	PHONE_ERR_TOO_SHORT,		/* fewer digits than any number of the region */
	PHONE_ERR_TOO_LONG,			/* more digits than any number of the region */
	PHONE_ERR_NOT_POSSIBLE,		/* a length between, but not one the region uses */
	PHONE_ERR_LOCAL_ONLY,		/* a subscriber number without its area code */
	PHONE_ERR_NO_MEMORY,		/* std::bad_alloc inside libphonenumber */
	PHONE_ERR_INTERNAL			/* any other exception, or a result that did not fit */
} PhoneStatus;

/* libphonenumber's PhoneNumberType, in the same order; phone_type_name() spells them. */
typedef enum PhoneType
{
	PHONE_TYPE_FIXED_LINE = 0,
	PHONE_TYPE_MOBILE,
	PHONE_TYPE_FIXED_LINE_OR_MOBILE,
	PHONE_TYPE_TOLL_FREE,
	PHONE_TYPE_PREMIUM_RATE,
	PHONE_TYPE_SHARED_COST,
	PHONE_TYPE_VOIP,
	PHONE_TYPE_PERSONAL_NUMBER,
	PHONE_TYPE_PAGER,
	PHONE_TYPE_UAN,
	PHONE_TYPE_VOICEMAIL,
	PHONE_TYPE_UNKNOWN
} PhoneType;

/* "+" and at most 17 national digits after a 3-digit country code fit easily. */
#define PHONE_E164_SIZE		32
#define PHONE_REGION_SIZE	8
#define PHONE_NATIONAL_SIZE 96

/* Everything phone_describe() learns about one number. */
typedef struct PhoneInfo
{
	char		e164[PHONE_E164_SIZE];	/* "+14155552671" */
	bool		valid;			/* matches a number range of its region */
	bool		possible;		/* has a length the region uses */
	PhoneType	number_type;	/* PHONE_TYPE_UNKNOWN when not valid */
	char		region[PHONE_REGION_SIZE];	/* "US", "001" (non-geographic), "ZZ" */
	int			country_code;	/* 1, 44, ... */
	char		national_format[PHONE_NATIONAL_SIZE];	/* "(415) 555-2671" */
} PhoneInfo;

/*
 * Parse raw[0..len) with default_region and write its E.164 form into
 * out (size outsz, NUL-terminated).  Refuses numbers that do not parse and
 * numbers that are not possible (IsPossibleNumberWithReason != IS_POSSIBLE).
 * Extensions ("x123", "ext. 4") are accepted and dropped.
 */
extern PhoneStatus phone_normalize(const char *raw, size_t len, const char *default_region,
								   char *out, size_t outsz);

/*
 * Parse raw[0..len) with default_region and describe it.  Only a parse
 * failure is an error: an impossible or invalid number is described with
 * possible/valid false.
 */
extern PhoneStatus phone_describe(const char *raw, size_t len, const char *default_region,
								  PhoneInfo *info);

/* A full-sentence explanation of a status, for errdetail. */
extern const char *phone_status_detail(PhoneStatus status);

/* The SQL spelling of a number type: "mobile", "fixed_line", ... "unknown". */
extern const char *phone_type_name(PhoneType type);

/* The coarse line type used for sending decisions: mobile/landline/voip/toll_free/unknown. */
extern const char *phone_line_type_name(PhoneType type);

#ifdef __cplusplus
}
#endif

#endif							/* TEXTSEQ_PHONE_H */
