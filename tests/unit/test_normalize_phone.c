/* PHONE for Meta: E.164 digits. International prefixes per country, trunk prefixes removed,
 * calling code added from the profile's country or the destination default. */
#include "tests/unit/norm_cases.h"

#define FB SGX_DEST_FACEBOOK
#define PH SGX_KEY_PHONE
/* in, profile country, default country, expected digits */
#define OK(in, c, d, out) {FB, PH, B(in), c, d, SGX_DROP_NONE, out, 0}
#define BAD(in, c, d, why) {FB, PH, B(in), c, d, why, NULL, 0}

#include "tests/unit/norm_phone_examples.h"

static const norm_case_t documented[] = {
    OK("020 7946 0958", "gb", NULL, "442079460958"),
    OK("(415) 555-2671", "us", NULL, "14155552671"),
    OK("06 12 34 56 78", "fr", NULL, "33612345678"),
    OK("+44 20 7946 0958", NULL, NULL, "442079460958"),
    OK("+1 (415) 555-2671", NULL, NULL, "14155552671"),
    OK("+33 6 12 34 56 78", NULL, NULL, "33612345678"),
    OK("+14155552671", NULL, NULL, "14155552671"),
    OK("1-415-555-2671", "us", NULL, "14155552671"),
    OK("415.555.2671", "us", NULL, "14155552671"),
    OK("14155552671", "us", NULL, "14155552671"),
    OK("4155552671", "ca", NULL, "14155552671"),
};

static const norm_case_t prefixes[] = {
    OK("+44 (0)20 7946 0958", NULL, NULL, "442079460958"),
    OK("+44 (0) 7700 900123", NULL, NULL, "447700900123"),
    OK("+49 (0)30 1234567", NULL, NULL, "49301234567"),
    OK("0044 20 7946 0958", "gb", NULL, "442079460958"),
    OK("0044 20 7946 0958", NULL, NULL, "442079460958"), /* 00 without a country */
    OK("0033 6 12 34 56 78", "de", NULL, "33612345678"),
    OK("011 44 20 7946 0958", "us", NULL, "442079460958"),
    OK("011 33 6 12 34 56 78", "ca", NULL, "33612345678"),
    BAD("011 44 20 7946 0958", NULL, NULL, SGX_DROP_NO_COUNTRY),
    OK("810 49 30 1234567", "ru", NULL, "49301234567"),
    OK("0011 44 20 7946 0958", "au", NULL, "442079460958"),
    OK("0015 1 415 555 2671", "au", NULL, "14155552671"),
    OK("010 1 415 555 2671", "jp", NULL, "14155552671"),
    OK("001 1 415 555 2671", "kr", NULL, "14155552671"),
    OK("0021 1 415 555 2671", "br", NULL, "14155552671"), /* carrier code 21 */
    OK("00 1 415 555 2671", "it", NULL, "14155552671"),
    OK("0161 44 20 7946 0958", "nz", NULL, "442079460958"),
    OK("009 44 20 7946 0958", "ng", NULL, "442079460958"),
    OK("000 44 20 7946 0958", "ke", NULL, "442079460958"),
    OK("002 1 415 555 2671", "tw", NULL, "14155552671"),
    OK("+354 551 1234", NULL, NULL, "3545511234"), /* outside the table: length only */
    OK("00354 551 1234", "de", NULL, "3545511234"),
};

static const norm_case_t national[] = {
    OK("07700 900123", "gb", NULL, "447700900123"),
    OK("030 1234567", "de", NULL, "49301234567"),
    OK("0151 23456789", "de", NULL, "4915123456789"),
    OK("06 1234 5678", "it", NULL, "390612345678"), /* Italy keeps its 0 */
    OK("+39 06 1234 5678", NULL, NULL, "390612345678"),
    OK("312 345 6789", "it", NULL, "393123456789"),
    OK("612 34 56 78", "es", NULL, "34612345678"),
    OK("912 345 678", "pt", NULL, "351912345678"),
    OK("06-12345678", "nl", NULL, "31612345678"),
    OK("0470 12 34 56", "be", NULL, "32470123456"),
    OK("079 123 45 67", "ch", NULL, "41791234567"),
    OK("0664 1234567", "at", NULL, "436641234567"),
    OK("070-123 45 67", "se", NULL, "46701234567"),
    OK("412 34 567", "no", NULL, "4741234567"),
    OK("20 12 34 56", "dk", NULL, "4520123456"),
    OK("040 1234567", "fi", NULL, "358401234567"),
    OK("512 345 678", "pl", NULL, "48512345678"),
    OK("087 123 4567", "ie", NULL, "353871234567"),
    OK("8 (912) 345-67-89", "ru", NULL, "79123456789"),
    OK("+7 912 345 67 89", NULL, NULL, "79123456789"),
    OK("0532 123 45 67", "tr", NULL, "905321234567"),
    OK("090-1234-5678", "jp", NULL, "819012345678"),
    OK("03-1234-5678", "jp", NULL, "81312345678"),
    OK("010-1234-5678", "kr", NULL, "821012345678"),
    OK("02-312-3456", "kr", NULL, "8223123456"),
    OK("138 0013 8000", "cn", NULL, "8613800138000"),
    OK("010 1234 5678", "cn", NULL, "861012345678"),
    OK("09876 543210", "in", NULL, "919876543210"),
    OK("98765 43210", "in", NULL, "919876543210"),
    OK("919876543210", "in", NULL, "919876543210"), /* calling code without '+' */
    OK("442079460958", "gb", NULL, "442079460958"),
    OK("(11) 98765-4321", "br", NULL, "5511987654321"),
    OK("0 21 11 98765 4321", "br", NULL, "5511987654321"), /* trunk + carrier code */
    OK("011 98765 4321", "br", NULL, "5511987654321"),
    OK("55 1234 5678", "mx", NULL, "525512345678"),
    BAD("044 55 1234 5678", "mx", NULL, SGX_DROP_INVALID_PHONE), /* no 044 since 2019 */
    OK("0412 345 678", "au", NULL, "61412345678"),
    OK("02 9876 5432", "au", NULL, "61298765432"),
    OK("021 123 4567", "nz", NULL, "64211234567"),
    OK("9123 4567", "sg", NULL, "6591234567"),
    OK("9123 4567", "hk", NULL, "85291234567"),
    OK("0912 345 678", "tw", NULL, "886912345678"),
    OK("081 234 5678", "th", NULL, "66812345678"),
    OK("012-345 6789", "my", NULL, "60123456789"),
    OK("0917 123 4567", "ph", NULL, "639171234567"),
    OK("091 234 56 78", "vn", NULL, "84912345678"),
    OK("0812-3456-7890", "id", NULL, "6281234567890"),
    OK("050 123 4567", "ae", NULL, "971501234567"),
    OK("050 123 4567", "sa", NULL, "966501234567"),
    OK("082 123 4567", "za", NULL, "27821234567"),
    OK("011 2345-6789", "ar", NULL, "541123456789"),
    OK("050-123-4567", "il", NULL, "972501234567"),
    OK("9 6123 4567", "cl", NULL, "56961234567"),
    OK("321 1234567", "co", NULL, "573211234567"),
    OK("0100 123 4567", "eg", NULL, "201001234567"),
    OK("0803 123 4567", "ng", NULL, "2348031234567"),
    OK("06 30 123 4567", "hu", NULL, "36301234567"),
    OK("0300 1234567", "pk", NULL, "923001234567"),
};

static const norm_case_t countries[] = {
    OK("4155552671", NULL, "us", "14155552671"),
    OK("4155552671", "United States", NULL, "14155552671"),
    OK("4155552671", "USA", NULL, "14155552671"),
    OK("4155552671", "U.S.A.", NULL, "14155552671"),
    OK("4155552671", "united states of america", NULL, "14155552671"),
    OK("020 7946 0958", "United Kingdom", "us", "442079460958"), /* profile wins */
    OK("020 7946 0958", "UK", NULL, "442079460958"),
    OK("020 7946 0958", "GBR", NULL, "442079460958"),
    OK("020 7946 0958", "Great Britain", NULL, "442079460958"),
    OK("06 12 34 56 78", "France", NULL, "33612345678"),
    OK("06 12 34 56 78", "FRA", NULL, "33612345678"),
    OK("030 1234567", "Deutschland", NULL, "49301234567"),
    OK("4155552671", "Narnia", "us", "14155552671"), /* unknown profile country: default */
    OK("4155552671", "", "us", "14155552671"),
    BAD("4155552671", NULL, NULL, SGX_DROP_NO_COUNTRY),
    BAD("020 7946 0958", "Narnia", NULL, SGX_DROP_NO_COUNTRY),
    BAD("551 1234", "Iceland", NULL, SGX_DROP_NO_COUNTRY), /* no trunk data for IS */
    BAD("551 1234", NULL, "zz", SGX_DROP_NO_COUNTRY),
};

static const norm_case_t invalid[] = {
    BAD("555-2671", "us", NULL, SGX_DROP_INVALID_PHONE),       /* 7 digits for a 10-digit plan */
    BAD("415 555 26710", "us", NULL, SGX_DROP_INVALID_PHONE),  /* 11, no trunk 1 */
    BAD("1-800-FLOWERS", "us", NULL, SGX_DROP_INVALID_PHONE),
    BAD("call me", "us", NULL, SGX_DROP_INVALID_PHONE),
    BAD("n/a", "us", NULL, SGX_DROP_INVALID_PHONE),
    BAD("+", NULL, NULL, SGX_DROP_INVALID_PHONE),
    BAD("+123456", NULL, NULL, SGX_DROP_INVALID_PHONE),        /* 6 digits */
    BAD("+1234567890123456", NULL, NULL, SGX_DROP_INVALID_PHONE), /* 16 digits */
    BAD("+0 20 7946 0958", NULL, NULL, SGX_DROP_INVALID_PHONE),
    BAD("+44 20 7946 0958 +1", NULL, NULL, SGX_DROP_INVALID_PHONE),
    BAD("++44 20 7946 0958", NULL, NULL, SGX_DROP_INVALID_PHONE),
    BAD("44+20 7946 0958", "gb", NULL, SGX_DROP_INVALID_PHONE),
    BAD("+44 20 7946 0958 1234", NULL, NULL, SGX_DROP_INVALID_PHONE),
    BAD("+1 415 555 267", NULL, NULL, SGX_DROP_INVALID_PHONE),
    BAD("12345678901234567890123456789", "us", NULL, SGX_DROP_INVALID_PHONE),
    BAD("415*555*2671", "us", NULL, SGX_DROP_INVALID_PHONE),
    BAD("x123", "us", NULL, SGX_DROP_INVALID_PHONE),
    BAD("", "us", NULL, SGX_DROP_EMPTY),
    BAD("  ", "us", NULL, SGX_DROP_EMPTY),
    BAD("---", "us", NULL, SGX_DROP_EMPTY),
    BAD("( )", "us", NULL, SGX_DROP_EMPTY),
};

static const norm_case_t hostile[] = {
    OK("415 555 2671 x123", "us", NULL, "14155552671"),
    OK("415-555-2671 ext. 12", "us", NULL, "14155552671"),
    OK("415-555-2671;ext=12", "us", NULL, "14155552671"),
    OK("415-555-2671#12", "us", NULL, "14155552671"),
    OK("020\xe2\x80\x93" "7946\xe2\x80\x93" "0958", "gb", NULL, "442079460958"), /* en dash */
    OK("020\xe2\x80\x8b" "7946 0958", "gb", NULL, "442079460958"),              /* ZWSP */
    OK("\xe2\x80\xaa+44 20 7946 0958\xe2\x80\xac", NULL, NULL, "442079460958"), /* LRE..PDF */
    OK("\xe2\x81\xa8+44 20 7946 0958\xe2\x81\xa9", NULL, NULL, "442079460958"), /* FSI..PDI */
    OK("\xe2\x80\x8f+44 20 7946 0958", NULL, NULL, "442079460958"),             /* RLM */
    OK("\xef\xbb\xbf+44 20 7946 0958", NULL, NULL, "442079460958"),             /* BOM */
    OK("\xc2\xa0+44\xc2\xa0" "20 7946 0958", NULL, NULL, "442079460958"),       /* NBSP */
    /* full-width digits: ０２０ ７９４６ ０９５８ */
    OK("\xef\xbc\x90\xef\xbc\x92\xef\xbc\x90 \xef\xbc\x97\xef\xbc\x99\xef\xbc\x94\xef\xbc\x96 "
       "\xef\xbc\x90\xef\xbc\x99\xef\xbc\x95\xef\xbc\x98",
       "gb", NULL, "442079460958"),
    /* ＋４４ ２０ ７９４６ ０９５８ */
    OK("\xef\xbc\x8b\xef\xbc\x94\xef\xbc\x94 \xef\xbc\x92\xef\xbc\x90 "
       "\xef\xbc\x97\xef\xbc\x99\xef\xbc\x94\xef\xbc\x96 \xef\xbc\x90\xef\xbc\x99\xef\xbc\x95"
       "\xef\xbc\x98",
       NULL, NULL, "442079460958"),
    /* ０９０－１２３４－５６７８ (full-width hyphen minus) */
    OK("\xef\xbc\x90\xef\xbc\x99\xef\xbc\x90\xef\xbc\x8d\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93"
       "\xef\xbc\x94\xef\xbc\x8d\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97\xef\xbc\x98",
       "jp", NULL, "819012345678"),
    BAD("020 7946\0 0958", "gb", NULL, SGX_DROP_CONTROL_CHAR),
    BAD("020 7946 0958\0", "gb", NULL, SGX_DROP_CONTROL_CHAR),
    BAD("020\x07" "7946 0958", "gb", NULL, SGX_DROP_CONTROL_CHAR),
    BAD("020 7946 0958\xff", "gb", NULL, SGX_DROP_INVALID_UTF8),
    BAD("\xc0\xb0" "20 7946 0958", "gb", NULL, SGX_DROP_INVALID_UTF8), /* overlong '0' */
    BAD("\xe0\x80\xb0" "20 7946 0958", "gb", NULL, SGX_DROP_INVALID_UTF8),
    BAD("\xd9\xa0\xd9\xa2", "eg", NULL, SGX_DROP_INVALID_PHONE), /* Arabic-Indic: not folded */
    /* already hashed: checked before digits are extracted */
    {FB, PH, B("35E206E5DEC4C89B9E8B71B8C32724A5BB518483AC5A20C6617D738375B3B823"), NULL, NULL,
     SGX_DROP_NONE, "35e206e5dec4c89b9e8b71b8c32724a5bb518483ac5a20c6617d738375b3b823", 1},
    {FB, PH, B("1234567890123456789012345678901234567890123456789012345678901234"), NULL, NULL,
     SGX_DROP_NONE, "1234567890123456789012345678901234567890123456789012345678901234", 1},
    BAD("35e206e5dec4c89b9e8b71b8c32724a5bb518483ac5a20c6617d738375b3b82", NULL, NULL,
        SGX_DROP_INVALID_PHONE), /* 63 hex */
};

/* Rules that changed when phone_data.c was checked against the metadata (see its header). */
static const norm_case_t metadata_fixes[] = {
    BAD("0412 345 6789", "au", NULL, SGX_DROP_INVALID_PHONE),  /* AU: 9 digits only, not 10 */
    OK("1411 0011 44 20 7946 0958", "au", NULL, "442079460958"), /* 14xx 0011 */
    OK("1831 2 9876 5432", "au", NULL, "61298765432"),         /* caller-id block 1831 */
    BAD("020 7946 09", "gb", NULL, SGX_DROP_INVALID_PHONE),    /* GB: 9 or 10 digits */
    OK("001 44 20 7946 0958", "hk", NULL, "442079460958"),     /* HK carrier IDD 001 */
    OK("008 44 20 7946 0958", "id", NULL, "442079460958"),     /* ID: 00[89] */
    BAD("001 44 20 7946 0958", "id", NULL, SGX_DROP_INVALID_PHONE),
    OK("0105 44 20 7946 0958", "il", NULL, "442079460958"),
    OK("00700 44 20 7946 0958", "kr", NULL, "442079460958"),
    OK("00365 44 20 7946 0958", "kr", NULL, "442079460958"),
    OK("0 15 11 98765 4321", "br", NULL, "5511987654321"),     /* carrier 15 */
    OK("90 21 11 98765 4321", "br", NULL, "5511987654321"),    /* collect call, carrier 21 */
    OK("0 3 321 123 4567", "co", NULL, "573211234567"),        /* CO trunk + carrier digit */
    OK("601 234 5678", "co", NULL, "576012345678"),
    OK("99511 44 20 7946 0958", "fi", NULL, "442079460958"),
    OK("1911 00 44 20 7946 0958", "pe", NULL, "442079460958"),
    OK("011 15-2345-6789", "ar", NULL, "5491123456789"),      /* AR mobile "15" */
    OK("0351 15-123-4567", "ar", NULL, "5493511234567"),       /* Córdoba, 3-digit area */
    OK("02966 15-12-3456", "ar", NULL, "5492966123456"),       /* Río Gallegos, 4-digit area */
};

#define TABLE_TEST(name)                                                                       \
    static void test_##name(void **state)                                                      \
    {                                                                                          \
        (void)state;                                                                           \
        RUN_TABLE(name);                                                                       \
    }

TABLE_TEST(documented)
TABLE_TEST(prefixes)
TABLE_TEST(national)
TABLE_TEST(countries)
TABLE_TEST(invalid)
TABLE_TEST(hostile)
TABLE_TEST(metadata_examples)
TABLE_TEST(metadata_fixes)

/* Every accepted output is 7..15 ASCII digits and normalizing it with '+' gives it back. */
static void test_outputs_are_e164(void **state)
{
    (void)state;
    const norm_case_t *tabs[] = {documented, prefixes, national, countries};
    size_t counts[] = {sizeof documented / sizeof documented[0],
                       sizeof prefixes / sizeof prefixes[0], sizeof national / sizeof national[0],
                       sizeof countries / sizeof countries[0]};
    for (size_t t = 0; t < 4; t++) {
        for (size_t i = 0; i < counts[t]; i++) {
            const char *o = tabs[t][i].out;
            char in[32], again[SGX_NORM_MAX + 1];
            size_t n;
            if (!o) {
                continue;
            }
            assert_in_range(strlen(o), 7, 15);
            assert_int_equal(strspn(o, "0123456789"), strlen(o));
            snprintf(in, sizeof in, "+%s", o);
            assert_int_equal(sgx_normalize(FB, PH, in, strlen(in), NULL, again, sizeof again, &n,
                                           NULL),
                             SGX_DROP_NONE);
            assert_string_equal(again, o);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented), cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_national),   cmocka_unit_test(test_countries),
        cmocka_unit_test(test_invalid),    cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_metadata_examples),
        cmocka_unit_test(test_metadata_fixes), cmocka_unit_test(test_outputs_are_e164),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
