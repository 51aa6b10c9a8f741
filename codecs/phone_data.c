/* Telephone numbering data for the largest advertising markets.
 *
 * Source: libphonenumber's resources/PhoneNumberMetadata.xml (territory attributes countryCode,
 * internationalPrefix, nationalPrefix / nationalPrefixForParsing, and the national
 * possibleLengths of the fixed-line and mobile descriptions), transcribed by hand. The metadata
 * uses regular expressions; here they are reduced to literal prefixes in which 'D' stands for
 * any digit (e.g. Brazil's carrier-selecting "00(?:1[245]|2[1-35]|...)" becomes "00DD"), and the
 * length ranges cover fixed-line and mobile numbers only (no short codes or premium ranges), so
 * that a national number that already carries its calling code can be told apart.
 * Countries without a trunk prefix (IT, ES, PT, DK, NO, PL, SG, HK, CL, GR, CZ, QA, KW, LU)
 * keep a leading 0 as part of the number: Italy's "06 ..." is "+39 06 ...".
 * Keep the table sorted by cc: lookups are binary searches. */
#include <string.h>

#include "codecs/norm_internal.h"

#define P(...) {__VA_ARGS__, NULL}
#define NONE {NULL}

static const sgx_phone_country_t countries[] = {
    {"ae", "971", P("00"), P("0"), 8, 9},
    {"ar", "54", P("00"), P("0"), 10, 11}, /* mobile "15" rewriting not modelled */
    {"at", "43", P("00"), P("0"), 6, 13},
    {"au", "61", P("0011", "0014", "0015", "0016", "0018", "0019"), P("0"), 9, 10},
    {"bd", "880", P("00"), P("0"), 10, 10},
    {"be", "32", P("00"), P("0"), 8, 9},
    {"br", "55", P("00DD"), P("0DD", "0"), 10, 11}, /* 0 + carrier code, or 0 alone */
    {"ca", "1", P("011"), P("1"), 10, 10},
    {"ch", "41", P("00"), P("0"), 9, 9},
    {"cl", "56", P("1DD0", "00"), NONE, 9, 9},
    {"cn", "86", P("00"), P("0"), 7, 12},
    {"co", "57", P("00444", "00414", "00456", "005", "007", "009"), P("0"), 10, 10},
    {"cz", "420", P("00"), NONE, 9, 9},
    {"de", "49", P("00"), P("0"), 6, 13},
    {"dk", "45", P("00"), NONE, 8, 8},
    {"eg", "20", P("00"), P("0"), 8, 10},
    {"es", "34", P("00"), NONE, 9, 9},
    {"fi", "358", P("00", "990", "991", "994", "996", "999"), P("0"), 6, 10},
    {"fr", "33", P("00"), P("0"), 9, 9},
    {"gb", "44", P("00"), P("0"), 7, 10},
    {"gr", "30", P("00"), NONE, 10, 10},
    {"hk", "852", P("00"), NONE, 8, 8},
    {"hu", "36", P("00"), P("06"), 8, 9},
    {"id", "62", P("001", "007", "008", "009"), P("0"), 8, 12},
    {"ie", "353", P("00"), P("0"), 7, 9},
    {"il", "972", P("01D", "00"), P("0"), 8, 9},
    {"in", "91", P("00"), P("0"), 10, 10},
    {"it", "39", P("00"), NONE, 6, 11},
    {"jp", "81", P("010"), P("0"), 9, 10},
    {"ke", "254", P("000"), P("0"), 9, 9},
    {"kr", "82", P("001", "002", "005", "006", "008", "00700"), P("0"), 8, 10},
    {"kw", "965", P("00"), NONE, 8, 8},
    {"lu", "352", P("00"), NONE, 6, 11},
    {"ma", "212", P("00"), P("0"), 9, 9},
    {"mx", "52", P("00", "09"), P("044", "045", "01", "02", "1"), 10, 10},
    {"my", "60", P("00"), P("0"), 8, 10},
    {"ng", "234", P("009"), P("0"), 8, 10},
    {"nl", "31", P("00"), P("0"), 9, 9},
    {"no", "47", P("00"), NONE, 8, 8},
    {"nz", "64", P("0161", "00"), P("0"), 8, 10},
    {"pe", "51", P("00"), P("0"), 8, 9},
    {"ph", "63", P("00"), P("0"), 8, 10},
    {"pk", "92", P("00"), P("0"), 9, 10},
    {"pl", "48", P("00"), NONE, 9, 9},
    {"pt", "351", P("00"), NONE, 9, 9},
    {"qa", "974", P("00"), NONE, 8, 8},
    {"ro", "40", P("00"), P("0"), 9, 9},
    {"ru", "7", P("810"), P("8"), 10, 10},
    {"sa", "966", P("00"), P("0"), 8, 9},
    {"se", "46", P("00"), P("0"), 7, 10},
    {"sg", "65", P("00D", "01D", "02D", "03D"), NONE, 8, 8},
    {"th", "66", P("00D"), P("0"), 8, 9},
    {"tr", "90", P("00"), P("0"), 10, 10},
    {"tw", "886", P("002", "005", "006", "007", "009", "019"), P("0"), 8, 9},
    {"ua", "380", P("00"), P("0"), 9, 9},
    {"us", "1", P("011"), P("1"), 10, 10},
    {"vn", "84", P("00"), P("0"), 9, 10},
    {"za", "27", P("00"), P("0"), 9, 9},
};

#define N_COUNTRIES (sizeof countries / sizeof countries[0])

const sgx_phone_country_t *sgx_phone_country(const char *cc)
{
    size_t lo = 0, hi = N_COUNTRIES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cc, countries[mid].cc);
        if (c == 0) {
            return &countries[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

size_t sgx_phone_prefix_match(const char *pattern, const char *digits, size_t n)
{
    size_t i = 0;
    for (; pattern[i]; i++) {
        if (i >= n || (pattern[i] != 'D' && pattern[i] != digits[i])) {
            return 0;
        }
    }
    return i;
}

const sgx_phone_country_t *sgx_phone_by_calling_code(const char *digits, size_t n)
{
    const sgx_phone_country_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < N_COUNTRIES; i++) {
        size_t k = sgx_phone_prefix_match(countries[i].calling_code, digits, n);
        /* strictly longer: for the shared +1 the first entry (ca) wins; ca and us share rules */
        if (k > best_len) {
            best = &countries[i];
            best_len = k;
        }
    }
    return best;
}
