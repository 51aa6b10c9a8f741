/* PHONE cases derived from libphonenumber's metadata (PhoneNumberMetadata.xml, v9.0.43): for
 * each country of codecs/phone_data.c, the exampleNumber of its fixedLine and mobile elements
 * written the ways libphonenumber itself formats them (INTERNATIONAL, NATIONAL, dialled from
 * the US), plus the US example dialled with each country's international prefix. Expected
 * digits are libphonenumber's E.164 for the same input. Generated; do not edit by hand.
 * Included by test_normalize_phone.c only. */
#ifndef SGX_TEST_NORM_PHONE_EXAMPLES_H
#define SGX_TEST_NORM_PHONE_EXAMPLES_H

static const norm_case_t metadata_examples[] = {
    OK("+971 2 234 5678", NULL, NULL, "97122345678"), /* ae fixed international */
    OK("02 234 5678", "ae", NULL, "97122345678"), /* ae fixed national */
    OK("011 971 2 234 5678", "us", NULL, "97122345678"), /* ae fixed dialled from us */
    OK("+971 50 123 4567", NULL, NULL, "971501234567"), /* ae mobile international */
    OK("050 123 4567", "ae", NULL, "971501234567"), /* ae mobile national */
    OK("011 971 50 123 4567", "us", NULL, "971501234567"), /* ae mobile dialled from us */
    OK("00 1 201-555-0123", "ae", NULL, "12015550123"), /* ae international prefix */
    OK("+54 11 2345-6789", NULL, NULL, "541123456789"), /* ar fixed international */
    OK("011 2345-6789", "ar", NULL, "541123456789"), /* ar fixed national */
    OK("011 54 11 2345-6789", "us", NULL, "541123456789"), /* ar fixed dialled from us */
    OK("+54 9 11 2345-6789", NULL, NULL, "5491123456789"), /* ar mobile international */
    OK("011 15-2345-6789", "ar", NULL, "5491123456789"), /* ar mobile national */
    OK("011 54 9 11 2345-6789", "us", NULL, "5491123456789"), /* ar mobile dialled from us */
    OK("00 1 201-555-0123", "ar", NULL, "12015550123"), /* ar international prefix */
    OK("+43 1 234567890", NULL, NULL, "431234567890"), /* at fixed international */
    OK("01 234567890", "at", NULL, "431234567890"), /* at fixed national */
    OK("011 43 1 234567890", "us", NULL, "431234567890"), /* at fixed dialled from us */
    OK("+43 664 123456", NULL, NULL, "43664123456"), /* at mobile international */
    OK("0664 123456", "at", NULL, "43664123456"), /* at mobile national */
    OK("011 43 664 123456", "us", NULL, "43664123456"), /* at mobile dialled from us */
    OK("00 1 201-555-0123", "at", NULL, "12015550123"), /* at international prefix */
    OK("+61 2 1234 5678", NULL, NULL, "61212345678"), /* au fixed international */
    OK("(02) 1234 5678", "au", NULL, "61212345678"), /* au fixed national */
    OK("011 61 2 1234 5678", "us", NULL, "61212345678"), /* au fixed dialled from us */
    OK("+61 412 345 678", NULL, NULL, "61412345678"), /* au mobile international */
    OK("0412 345 678", "au", NULL, "61412345678"), /* au mobile national */
    OK("011 61 412 345 678", "us", NULL, "61412345678"), /* au mobile dialled from us */
    OK("0011 1 201-555-0123", "au", NULL, "12015550123"), /* au international prefix */
    OK("+880 2-7111234", NULL, NULL, "88027111234"), /* bd fixed international */
    OK("02-7111234", "bd", NULL, "88027111234"), /* bd fixed national */
    OK("011 880 2-7111234", "us", NULL, "88027111234"), /* bd fixed dialled from us */
    OK("+880 1812-345678", NULL, NULL, "8801812345678"), /* bd mobile international */
    OK("01812-345678", "bd", NULL, "8801812345678"), /* bd mobile national */
    OK("011 880 1812-345678", "us", NULL, "8801812345678"), /* bd mobile dialled from us */
    OK("00 1 201-555-0123", "bd", NULL, "12015550123"), /* bd international prefix */
    OK("+32 12 34 56 78", NULL, NULL, "3212345678"), /* be fixed international */
    OK("012 34 56 78", "be", NULL, "3212345678"), /* be fixed national */
    OK("011 32 12 34 56 78", "us", NULL, "3212345678"), /* be fixed dialled from us */
    OK("+32 450 00 12 34", NULL, NULL, "32450001234"), /* be mobile international */
    OK("0450 00 12 34", "be", NULL, "32450001234"), /* be mobile national */
    OK("011 32 450 00 12 34", "us", NULL, "32450001234"), /* be mobile dialled from us */
    OK("00 1 201-555-0123", "be", NULL, "12015550123"), /* be international prefix */
    OK("+55 11 2345-6789", NULL, NULL, "551123456789"), /* br fixed international */
    OK("(11) 2345-6789", "br", NULL, "551123456789"), /* br fixed national */
    OK("011 55 11 2345-6789", "us", NULL, "551123456789"), /* br fixed dialled from us */
    OK("+55 11 96123-4567", NULL, NULL, "5511961234567"), /* br mobile international */
    OK("(11) 96123-4567", "br", NULL, "5511961234567"), /* br mobile national */
    OK("011 55 11 96123-4567", "us", NULL, "5511961234567"), /* br mobile dialled from us */
    OK("+1 201-555-0123", "br", NULL, "12015550123"), /* br international prefix */
    OK("+1 506-234-5678", NULL, NULL, "15062345678"), /* ca fixed international */
    OK("(506) 234-5678", "ca", NULL, "15062345678"), /* ca fixed national */
    OK("1 (506) 234-5678", "us", NULL, "15062345678"), /* ca fixed dialled from us */
    OK("+1 506-234-5678", NULL, NULL, "15062345678"), /* ca mobile international */
    OK("(506) 234-5678", "ca", NULL, "15062345678"), /* ca mobile national */
    OK("1 (506) 234-5678", "us", NULL, "15062345678"), /* ca mobile dialled from us */
    OK("+41 21 234 56 78", NULL, NULL, "41212345678"), /* ch fixed international */
    OK("021 234 56 78", "ch", NULL, "41212345678"), /* ch fixed national */
    OK("011 41 21 234 56 78", "us", NULL, "41212345678"), /* ch fixed dialled from us */
    OK("+41 78 123 45 67", NULL, NULL, "41781234567"), /* ch mobile international */
    OK("078 123 45 67", "ch", NULL, "41781234567"), /* ch mobile national */
    OK("011 41 78 123 45 67", "us", NULL, "41781234567"), /* ch mobile dialled from us */
    OK("00 1 201-555-0123", "ch", NULL, "12015550123"), /* ch international prefix */
    OK("+56 600 123 456", NULL, NULL, "56600123456"), /* cl fixed international */
    OK("600 123 456", "cl", NULL, "56600123456"), /* cl fixed national */
    OK("011 56 600 123 456", "us", NULL, "56600123456"), /* cl fixed dialled from us */
    OK("+56 2 2123 4567", NULL, NULL, "56221234567"), /* cl mobile international */
    OK("(2) 2123 4567", "cl", NULL, "56221234567"), /* cl mobile national */
    OK("011 56 2 2123 4567", "us", NULL, "56221234567"), /* cl mobile dialled from us */
    OK("+1 201-555-0123", "cl", NULL, "12015550123"), /* cl international prefix */
    OK("+86 10 1234 5678", NULL, NULL, "861012345678"), /* cn fixed international */
    OK("010 1234 5678", "cn", NULL, "861012345678"), /* cn fixed national */
    OK("011 86 10 1234 5678", "us", NULL, "861012345678"), /* cn fixed dialled from us */
    OK("+86 131 2345 6789", NULL, NULL, "8613123456789"), /* cn mobile international */
    OK("131 2345 6789", "cn", NULL, "8613123456789"), /* cn mobile national */
    OK("011 86 131 2345 6789", "us", NULL, "8613123456789"), /* cn mobile dialled from us */
    OK("00 1 201-555-0123", "cn", NULL, "12015550123"), /* cn international prefix */
    OK("+57 601 2345678", NULL, NULL, "576012345678"), /* co fixed international */
    OK("(601) 2345678", "co", NULL, "576012345678"), /* co fixed national */
    OK("011 57 601 2345678", "us", NULL, "576012345678"), /* co fixed dialled from us */
    OK("+57 321 1234567", NULL, NULL, "573211234567"), /* co mobile international */
    OK("321 1234567", "co", NULL, "573211234567"), /* co mobile national */
    OK("011 57 321 1234567", "us", NULL, "573211234567"), /* co mobile dialled from us */
    OK("+1 201-555-0123", "co", NULL, "12015550123"), /* co international prefix */
    OK("+420 212 345 678", NULL, NULL, "420212345678"), /* cz fixed international */
    OK("212 345 678", "cz", NULL, "420212345678"), /* cz fixed national */
    OK("011 420 212 345 678", "us", NULL, "420212345678"), /* cz fixed dialled from us */
    OK("+420 601 123 456", NULL, NULL, "420601123456"), /* cz mobile international */
    OK("601 123 456", "cz", NULL, "420601123456"), /* cz mobile national */
    OK("011 420 601 123 456", "us", NULL, "420601123456"), /* cz mobile dialled from us */
    OK("00 1 201-555-0123", "cz", NULL, "12015550123"), /* cz international prefix */
    OK("+49 30 123456", NULL, NULL, "4930123456"), /* de fixed international */
    OK("030 123456", "de", NULL, "4930123456"), /* de fixed national */
    OK("011 49 30 123456", "us", NULL, "4930123456"), /* de fixed dialled from us */
    OK("+49 1512 3456789", NULL, NULL, "4915123456789"), /* de mobile international */
    OK("01512 3456789", "de", NULL, "4915123456789"), /* de mobile national */
    OK("011 49 1512 3456789", "us", NULL, "4915123456789"), /* de mobile dialled from us */
    OK("00 1 201-555-0123", "de", NULL, "12015550123"), /* de international prefix */
    OK("+45 32 12 34 56", NULL, NULL, "4532123456"), /* dk fixed international */
    OK("32 12 34 56", "dk", NULL, "4532123456"), /* dk fixed national */
    OK("011 45 32 12 34 56", "us", NULL, "4532123456"), /* dk fixed dialled from us */
    OK("+45 34 41 23 45", NULL, NULL, "4534412345"), /* dk mobile international */
    OK("34 41 23 45", "dk", NULL, "4534412345"), /* dk mobile national */
    OK("011 45 34 41 23 45", "us", NULL, "4534412345"), /* dk mobile dialled from us */
    OK("00 1 201-555-0123", "dk", NULL, "12015550123"), /* dk international prefix */
    OK("+20 2 34567890", NULL, NULL, "20234567890"), /* eg fixed international */
    OK("02 34567890", "eg", NULL, "20234567890"), /* eg fixed national */
    OK("011 20 2 34567890", "us", NULL, "20234567890"), /* eg fixed dialled from us */
    OK("+20 10 01234567", NULL, NULL, "201001234567"), /* eg mobile international */
    OK("010 01234567", "eg", NULL, "201001234567"), /* eg mobile national */
    OK("011 20 10 01234567", "us", NULL, "201001234567"), /* eg mobile dialled from us */
    OK("00 1 201-555-0123", "eg", NULL, "12015550123"), /* eg international prefix */
    OK("+34 810 12 34 56", NULL, NULL, "34810123456"), /* es fixed international */
    OK("810 12 34 56", "es", NULL, "34810123456"), /* es fixed national */
    OK("011 34 810 12 34 56", "us", NULL, "34810123456"), /* es fixed dialled from us */
    OK("+34 612 34 56 78", NULL, NULL, "34612345678"), /* es mobile international */
    OK("612 34 56 78", "es", NULL, "34612345678"), /* es mobile national */
    OK("011 34 612 34 56 78", "us", NULL, "34612345678"), /* es mobile dialled from us */
    OK("00 1 201-555-0123", "es", NULL, "12015550123"), /* es international prefix */
    OK("+358 13 1234567", NULL, NULL, "358131234567"), /* fi fixed international */
    OK("013 1234567", "fi", NULL, "358131234567"), /* fi fixed national */
    OK("011 358 13 1234567", "us", NULL, "358131234567"), /* fi fixed dialled from us */
    OK("+358 41 2345678", NULL, NULL, "358412345678"), /* fi mobile international */
    OK("041 2345678", "fi", NULL, "358412345678"), /* fi mobile national */
    OK("011 358 41 2345678", "us", NULL, "358412345678"), /* fi mobile dialled from us */
    OK("00 1 201-555-0123", "fi", NULL, "12015550123"), /* fi international prefix */
    OK("+33 1 23 45 67 89", NULL, NULL, "33123456789"), /* fr fixed international */
    OK("01 23 45 67 89", "fr", NULL, "33123456789"), /* fr fixed national */
    OK("011 33 1 23 45 67 89", "us", NULL, "33123456789"), /* fr fixed dialled from us */
    OK("+33 6 12 34 56 78", NULL, NULL, "33612345678"), /* fr mobile international */
    OK("06 12 34 56 78", "fr", NULL, "33612345678"), /* fr mobile national */
    OK("011 33 6 12 34 56 78", "us", NULL, "33612345678"), /* fr mobile dialled from us */
    OK("00 1 201-555-0123", "fr", NULL, "12015550123"), /* fr international prefix */
    OK("+44 121 234 5678", NULL, NULL, "441212345678"), /* gb fixed international */
    OK("0121 234 5678", "gb", NULL, "441212345678"), /* gb fixed national */
    OK("011 44 121 234 5678", "us", NULL, "441212345678"), /* gb fixed dialled from us */
    OK("+44 7400 123456", NULL, NULL, "447400123456"), /* gb mobile international */
    OK("07400 123456", "gb", NULL, "447400123456"), /* gb mobile national */
    OK("011 44 7400 123456", "us", NULL, "447400123456"), /* gb mobile dialled from us */
    OK("00 1 201-555-0123", "gb", NULL, "12015550123"), /* gb international prefix */
    OK("+30 21 2345 6789", NULL, NULL, "302123456789"), /* gr fixed international */
    OK("21 2345 6789", "gr", NULL, "302123456789"), /* gr fixed national */
    OK("011 30 21 2345 6789", "us", NULL, "302123456789"), /* gr fixed dialled from us */
    OK("+30 691 234 5678", NULL, NULL, "306912345678"), /* gr mobile international */
    OK("691 234 5678", "gr", NULL, "306912345678"), /* gr mobile national */
    OK("011 30 691 234 5678", "us", NULL, "306912345678"), /* gr mobile dialled from us */
    OK("00 1 201-555-0123", "gr", NULL, "12015550123"), /* gr international prefix */
    OK("+852 2123 4567", NULL, NULL, "85221234567"), /* hk fixed international */
    OK("2123 4567", "hk", NULL, "85221234567"), /* hk fixed national */
    OK("011 852 2123 4567", "us", NULL, "85221234567"), /* hk fixed dialled from us */
    OK("+852 5123 4567", NULL, NULL, "85251234567"), /* hk mobile international */
    OK("5123 4567", "hk", NULL, "85251234567"), /* hk mobile national */
    OK("011 852 5123 4567", "us", NULL, "85251234567"), /* hk mobile dialled from us */
    OK("00 1 201-555-0123", "hk", NULL, "2015550123"), /* hk international prefix (libphonenumber parses it as +2015550123: the IDD 001 swallows the 1) */
    OK("+36 1 234 5678", NULL, NULL, "3612345678"), /* hu fixed international */
    OK("(06 1) 234 5678", "hu", NULL, "3612345678"), /* hu fixed national */
    OK("011 36 1 234 5678", "us", NULL, "3612345678"), /* hu fixed dialled from us */
    OK("+36 20 123 4567", NULL, NULL, "36201234567"), /* hu mobile international */
    OK("06 20 123 4567", "hu", NULL, "36201234567"), /* hu mobile national */
    OK("011 36 20 123 4567", "us", NULL, "36201234567"), /* hu mobile dialled from us */
    OK("00 1 201-555-0123", "hu", NULL, "12015550123"), /* hu international prefix */
    OK("+62 21 8350123", NULL, NULL, "62218350123"), /* id fixed international */
    OK("(021) 8350123", "id", NULL, "62218350123"), /* id fixed national */
    OK("011 62 21 8350123", "us", NULL, "62218350123"), /* id fixed dialled from us */
    OK("+62 812-345-678", NULL, NULL, "62812345678"), /* id mobile international */
    OK("0812-345-678", "id", NULL, "62812345678"), /* id mobile national */
    OK("011 62 812-345-678", "us", NULL, "62812345678"), /* id mobile dialled from us */
    OK("+1 201-555-0123", "id", NULL, "12015550123"), /* id international prefix */
    OK("+353 22 12345", NULL, NULL, "3532212345"), /* ie fixed international */
    OK("(022) 12345", "ie", NULL, "3532212345"), /* ie fixed national */
    OK("011 353 22 12345", "us", NULL, "3532212345"), /* ie fixed dialled from us */
    OK("+353 85 012 3456", NULL, NULL, "353850123456"), /* ie mobile international */
    OK("085 012 3456", "ie", NULL, "353850123456"), /* ie mobile national */
    OK("011 353 85 012 3456", "us", NULL, "353850123456"), /* ie mobile dialled from us */
    OK("00 1 201-555-0123", "ie", NULL, "12015550123"), /* ie international prefix */
    OK("+972 2-123-4567", NULL, NULL, "97221234567"), /* il fixed international */
    OK("02-123-4567", "il", NULL, "97221234567"), /* il fixed national */
    OK("011 972 2-123-4567", "us", NULL, "97221234567"), /* il fixed dialled from us */
    OK("+972 50-234-5678", NULL, NULL, "972502345678"), /* il mobile international */
    OK("050-234-5678", "il", NULL, "972502345678"), /* il mobile national */
    OK("011 972 50-234-5678", "us", NULL, "972502345678"), /* il mobile dialled from us */
    OK("+1 201-555-0123", "il", NULL, "12015550123"), /* il international prefix */
    OK("+91 74104 10123", NULL, NULL, "917410410123"), /* in fixed international */
    OK("074104 10123", "in", NULL, "917410410123"), /* in fixed national */
    OK("011 91 74104 10123", "us", NULL, "917410410123"), /* in fixed dialled from us */
    OK("+91 81234 56789", NULL, NULL, "918123456789"), /* in mobile international */
    OK("081234 56789", "in", NULL, "918123456789"), /* in mobile national */
    OK("011 91 81234 56789", "us", NULL, "918123456789"), /* in mobile dialled from us */
    OK("00 1 201-555-0123", "in", NULL, "12015550123"), /* in international prefix */
    OK("+39 02 1234 5678", NULL, NULL, "390212345678"), /* it fixed international */
    OK("02 1234 5678", "it", NULL, "390212345678"), /* it fixed national */
    OK("011 39 02 1234 5678", "us", NULL, "390212345678"), /* it fixed dialled from us */
    OK("+39 312 345 6789", NULL, NULL, "393123456789"), /* it mobile international */
    OK("312 345 6789", "it", NULL, "393123456789"), /* it mobile national */
    OK("011 39 312 345 6789", "us", NULL, "393123456789"), /* it mobile dialled from us */
    OK("00 1 201-555-0123", "it", NULL, "12015550123"), /* it international prefix */
    OK("+81 3-1234-5678", NULL, NULL, "81312345678"), /* jp fixed international */
    OK("03-1234-5678", "jp", NULL, "81312345678"), /* jp fixed national */
    OK("011 81 3-1234-5678", "us", NULL, "81312345678"), /* jp fixed dialled from us */
    OK("+81 90-1234-5678", NULL, NULL, "819012345678"), /* jp mobile international */
    OK("090-1234-5678", "jp", NULL, "819012345678"), /* jp mobile national */
    OK("011 81 90-1234-5678", "us", NULL, "819012345678"), /* jp mobile dialled from us */
    OK("010 1 201-555-0123", "jp", NULL, "12015550123"), /* jp international prefix */
    OK("+254 20 2012345", NULL, NULL, "254202012345"), /* ke fixed international */
    OK("020 2012345", "ke", NULL, "254202012345"), /* ke fixed national */
    OK("011 254 20 2012345", "us", NULL, "254202012345"), /* ke fixed dialled from us */
    OK("+254 712 123456", NULL, NULL, "254712123456"), /* ke mobile international */
    OK("0712 123456", "ke", NULL, "254712123456"), /* ke mobile national */
    OK("011 254 712 123456", "us", NULL, "254712123456"), /* ke mobile dialled from us */
    OK("000 1 201-555-0123", "ke", NULL, "12015550123"), /* ke international prefix */
    OK("+82 2-212-3456", NULL, NULL, "8222123456"), /* kr fixed international */
    OK("02-212-3456", "kr", NULL, "8222123456"), /* kr fixed national */
    OK("011 82 2-212-3456", "us", NULL, "8222123456"), /* kr fixed dialled from us */
    OK("+82 10-2000-0000", NULL, NULL, "821020000000"), /* kr mobile international */
    OK("010-2000-0000", "kr", NULL, "821020000000"), /* kr mobile national */
    OK("011 82 10-2000-0000", "us", NULL, "821020000000"), /* kr mobile dialled from us */
    OK("+1 201-555-0123", "kr", NULL, "12015550123"), /* kr international prefix */
    OK("+965 2234 5678", NULL, NULL, "96522345678"), /* kw fixed international */
    OK("2234 5678", "kw", NULL, "96522345678"), /* kw fixed national */
    OK("011 965 2234 5678", "us", NULL, "96522345678"), /* kw fixed dialled from us */
    OK("+965 500 12345", NULL, NULL, "96550012345"), /* kw mobile international */
    OK("500 12345", "kw", NULL, "96550012345"), /* kw mobile national */
    OK("011 965 500 12345", "us", NULL, "96550012345"), /* kw mobile dialled from us */
    OK("00 1 201-555-0123", "kw", NULL, "12015550123"), /* kw international prefix */
    OK("+352 27 12 34 56", NULL, NULL, "35227123456"), /* lu fixed international */
    OK("27 12 34 56", "lu", NULL, "35227123456"), /* lu fixed national */
    OK("011 352 27 12 34 56", "us", NULL, "35227123456"), /* lu fixed dialled from us */
    OK("+352 628 123 456", NULL, NULL, "352628123456"), /* lu mobile international */
    OK("628 123 456", "lu", NULL, "352628123456"), /* lu mobile national */
    OK("011 352 628 123 456", "us", NULL, "352628123456"), /* lu mobile dialled from us */
    OK("00 1 201-555-0123", "lu", NULL, "12015550123"), /* lu international prefix */
    OK("+212 5 20 12 34 56", NULL, NULL, "212520123456"), /* ma fixed international */
    OK("05 20 12 34 56", "ma", NULL, "212520123456"), /* ma fixed national */
    OK("011 212 5 20 12 34 56", "us", NULL, "212520123456"), /* ma fixed dialled from us */
    OK("+212 6 50 12 34 56", NULL, NULL, "212650123456"), /* ma mobile international */
    OK("06 50 12 34 56", "ma", NULL, "212650123456"), /* ma mobile national */
    OK("011 212 6 50 12 34 56", "us", NULL, "212650123456"), /* ma mobile dialled from us */
    OK("00 1 201-555-0123", "ma", NULL, "12015550123"), /* ma international prefix */
    OK("+52 200 123 4567", NULL, NULL, "522001234567"), /* mx fixed international */
    OK("200 123 4567", "mx", NULL, "522001234567"), /* mx fixed national */
    OK("011 52 200 123 4567", "us", NULL, "522001234567"), /* mx fixed dialled from us */
    OK("+52 222 123 4567", NULL, NULL, "522221234567"), /* mx mobile international */
    OK("222 123 4567", "mx", NULL, "522221234567"), /* mx mobile national */
    OK("011 52 222 123 4567", "us", NULL, "522221234567"), /* mx mobile dialled from us */
    OK("00 1 201-555-0123", "mx", NULL, "12015550123"), /* mx international prefix */
    OK("+60 3-2385 6789", NULL, NULL, "60323856789"), /* my fixed international */
    OK("03-2385 6789", "my", NULL, "60323856789"), /* my fixed national */
    OK("011 60 3-2385 6789", "us", NULL, "60323856789"), /* my fixed dialled from us */
    OK("+60 12-345 6789", NULL, NULL, "60123456789"), /* my mobile international */
    OK("012-345 6789", "my", NULL, "60123456789"), /* my mobile national */
    OK("011 60 12-345 6789", "us", NULL, "60123456789"), /* my mobile dialled from us */
    OK("00 1 201-555-0123", "my", NULL, "12015550123"), /* my international prefix */
    OK("+234 2033 12 3456", NULL, NULL, "2342033123456"), /* ng fixed international */
    OK("02033 12 3456", "ng", NULL, "2342033123456"), /* ng fixed national */
    OK("011 234 2033 12 3456", "us", NULL, "2342033123456"), /* ng fixed dialled from us */
    OK("+234 802 123 4567", NULL, NULL, "2348021234567"), /* ng mobile international */
    OK("0802 123 4567", "ng", NULL, "2348021234567"), /* ng mobile national */
    OK("011 234 802 123 4567", "us", NULL, "2348021234567"), /* ng mobile dialled from us */
    OK("009 1 201-555-0123", "ng", NULL, "12015550123"), /* ng international prefix */
    OK("+31 10 123 4567", NULL, NULL, "31101234567"), /* nl fixed international */
    OK("010 123 4567", "nl", NULL, "31101234567"), /* nl fixed national */
    OK("011 31 10 123 4567", "us", NULL, "31101234567"), /* nl fixed dialled from us */
    OK("+31 6 12345678", NULL, NULL, "31612345678"), /* nl mobile international */
    OK("06 12345678", "nl", NULL, "31612345678"), /* nl mobile national */
    OK("011 31 6 12345678", "us", NULL, "31612345678"), /* nl mobile dialled from us */
    OK("00 1 201-555-0123", "nl", NULL, "12015550123"), /* nl international prefix */
    OK("+47 21 23 45 67", NULL, NULL, "4721234567"), /* no fixed international */
    OK("21 23 45 67", "no", NULL, "4721234567"), /* no fixed national */
    OK("011 47 21 23 45 67", "us", NULL, "4721234567"), /* no fixed dialled from us */
    OK("+47 40 61 23 45", NULL, NULL, "4740612345"), /* no mobile international */
    OK("40 61 23 45", "no", NULL, "4740612345"), /* no mobile national */
    OK("011 47 40 61 23 45", "us", NULL, "4740612345"), /* no mobile dialled from us */
    OK("00 1 201-555-0123", "no", NULL, "12015550123"), /* no international prefix */
    OK("+64 3 234 5678", NULL, NULL, "6432345678"), /* nz fixed international */
    OK("03 234 5678", "nz", NULL, "6432345678"), /* nz fixed national */
    OK("011 64 3 234 5678", "us", NULL, "6432345678"), /* nz fixed dialled from us */
    OK("+64 21 123 4567", NULL, NULL, "64211234567"), /* nz mobile international */
    OK("021 123 4567", "nz", NULL, "64211234567"), /* nz mobile national */
    OK("011 64 21 123 4567", "us", NULL, "64211234567"), /* nz mobile dialled from us */
    OK("00 1 201-555-0123", "nz", NULL, "12015550123"), /* nz international prefix */
    OK("+51 1 1234567", NULL, NULL, "5111234567"), /* pe fixed international */
    OK("(01) 1234567", "pe", NULL, "5111234567"), /* pe fixed national */
    OK("011 51 1 1234567", "us", NULL, "5111234567"), /* pe fixed dialled from us */
    OK("+51 912 345 678", NULL, NULL, "51912345678"), /* pe mobile international */
    OK("912 345 678", "pe", NULL, "51912345678"), /* pe mobile national */
    OK("011 51 912 345 678", "us", NULL, "51912345678"), /* pe mobile dialled from us */
    OK("00 1 201-555-0123", "pe", NULL, "12015550123"), /* pe international prefix */
    OK("+63 2 3234 5678", NULL, NULL, "63232345678"), /* ph fixed international */
    OK("(02) 3234 5678", "ph", NULL, "63232345678"), /* ph fixed national */
    OK("011 63 2 3234 5678", "us", NULL, "63232345678"), /* ph fixed dialled from us */
    OK("+63 905 123 4567", NULL, NULL, "639051234567"), /* ph mobile international */
    OK("0905 123 4567", "ph", NULL, "639051234567"), /* ph mobile national */
    OK("011 63 905 123 4567", "us", NULL, "639051234567"), /* ph mobile dialled from us */
    OK("00 1 201-555-0123", "ph", NULL, "12015550123"), /* ph international prefix */
    OK("+92 21 23456789", NULL, NULL, "922123456789"), /* pk fixed international */
    OK("(021) 23456789", "pk", NULL, "922123456789"), /* pk fixed national */
    OK("011 92 21 23456789", "us", NULL, "922123456789"), /* pk fixed dialled from us */
    OK("+92 301 2345678", NULL, NULL, "923012345678"), /* pk mobile international */
    OK("0301 2345678", "pk", NULL, "923012345678"), /* pk mobile national */
    OK("011 92 301 2345678", "us", NULL, "923012345678"), /* pk mobile dialled from us */
    OK("00 1 201-555-0123", "pk", NULL, "12015550123"), /* pk international prefix */
    OK("+48 12 345 67 89", NULL, NULL, "48123456789"), /* pl fixed international */
    OK("12 345 67 89", "pl", NULL, "48123456789"), /* pl fixed national */
    OK("011 48 12 345 67 89", "us", NULL, "48123456789"), /* pl fixed dialled from us */
    OK("+48 512 345 678", NULL, NULL, "48512345678"), /* pl mobile international */
    OK("512 345 678", "pl", NULL, "48512345678"), /* pl mobile national */
    OK("011 48 512 345 678", "us", NULL, "48512345678"), /* pl mobile dialled from us */
    OK("00 1 201-555-0123", "pl", NULL, "12015550123"), /* pl international prefix */
    OK("+351 21 234 5678", NULL, NULL, "351212345678"), /* pt fixed international */
    OK("21 234 5678", "pt", NULL, "351212345678"), /* pt fixed national */
    OK("011 351 21 234 5678", "us", NULL, "351212345678"), /* pt fixed dialled from us */
    OK("+351 912 345 678", NULL, NULL, "351912345678"), /* pt mobile international */
    OK("912 345 678", "pt", NULL, "351912345678"), /* pt mobile national */
    OK("011 351 912 345 678", "us", NULL, "351912345678"), /* pt mobile dialled from us */
    OK("00 1 201-555-0123", "pt", NULL, "12015550123"), /* pt international prefix */
    OK("+974 4412 3456", NULL, NULL, "97444123456"), /* qa fixed international */
    OK("4412 3456", "qa", NULL, "97444123456"), /* qa fixed national */
    OK("011 974 4412 3456", "us", NULL, "97444123456"), /* qa fixed dialled from us */
    OK("+974 3312 3456", NULL, NULL, "97433123456"), /* qa mobile international */
    OK("3312 3456", "qa", NULL, "97433123456"), /* qa mobile national */
    OK("011 974 3312 3456", "us", NULL, "97433123456"), /* qa mobile dialled from us */
    OK("00 1 201-555-0123", "qa", NULL, "12015550123"), /* qa international prefix */
    OK("+40 21 123 4567", NULL, NULL, "40211234567"), /* ro fixed international */
    OK("021 123 4567", "ro", NULL, "40211234567"), /* ro fixed national */
    OK("011 40 21 123 4567", "us", NULL, "40211234567"), /* ro fixed dialled from us */
    OK("+40 712 034 567", NULL, NULL, "40712034567"), /* ro mobile international */
    OK("0712 034 567", "ro", NULL, "40712034567"), /* ro mobile national */
    OK("011 40 712 034 567", "us", NULL, "40712034567"), /* ro mobile dialled from us */
    OK("00 1 201-555-0123", "ro", NULL, "12015550123"), /* ro international prefix */
    OK("+7 301 123-45-67", NULL, NULL, "73011234567"), /* ru fixed international */
    OK("8 (301) 123-45-67", "ru", NULL, "73011234567"), /* ru fixed national */
    OK("011 7 301 123-45-67", "us", NULL, "73011234567"), /* ru fixed dialled from us */
    OK("+7 912 345-67-89", NULL, NULL, "79123456789"), /* ru mobile international */
    OK("8 (912) 345-67-89", "ru", NULL, "79123456789"), /* ru mobile national */
    OK("011 7 912 345-67-89", "us", NULL, "79123456789"), /* ru mobile dialled from us */
    OK("810 1 201-555-0123", "ru", NULL, "12015550123"), /* ru international prefix */
    OK("+966 11 234 5678", NULL, NULL, "966112345678"), /* sa fixed international */
    OK("011 234 5678", "sa", NULL, "966112345678"), /* sa fixed national */
    OK("011 966 11 234 5678", "us", NULL, "966112345678"), /* sa fixed dialled from us */
    OK("+966 51 234 5678", NULL, NULL, "966512345678"), /* sa mobile international */
    OK("051 234 5678", "sa", NULL, "966512345678"), /* sa mobile national */
    OK("011 966 51 234 5678", "us", NULL, "966512345678"), /* sa mobile dialled from us */
    OK("00 1 201-555-0123", "sa", NULL, "12015550123"), /* sa international prefix */
    OK("+46 8 12 34 56", NULL, NULL, "468123456"), /* se fixed international */
    OK("08-12 34 56", "se", NULL, "468123456"), /* se fixed national */
    OK("011 46 8 12 34 56", "us", NULL, "468123456"), /* se fixed dialled from us */
    OK("+46 70 123 45 67", NULL, NULL, "46701234567"), /* se mobile international */
    OK("070-123 45 67", "se", NULL, "46701234567"), /* se mobile national */
    OK("011 46 70 123 45 67", "us", NULL, "46701234567"), /* se mobile dialled from us */
    OK("00 1 201-555-0123", "se", NULL, "12015550123"), /* se international prefix */
    OK("+65 6123 4567", NULL, NULL, "6561234567"), /* sg fixed international */
    OK("6123 4567", "sg", NULL, "6561234567"), /* sg fixed national */
    OK("011 65 6123 4567", "us", NULL, "6561234567"), /* sg fixed dialled from us */
    OK("+65 8123 4567", NULL, NULL, "6581234567"), /* sg mobile international */
    OK("8123 4567", "sg", NULL, "6581234567"), /* sg mobile national */
    OK("011 65 8123 4567", "us", NULL, "6581234567"), /* sg mobile dialled from us */
    OK("+1 201-555-0123", "sg", NULL, "12015550123"), /* sg international prefix */
    OK("+66 2 123 4567", NULL, NULL, "6621234567"), /* th fixed international */
    OK("02 123 4567", "th", NULL, "6621234567"), /* th fixed national */
    OK("011 66 2 123 4567", "us", NULL, "6621234567"), /* th fixed dialled from us */
    OK("+66 81 234 5678", NULL, NULL, "66812345678"), /* th mobile international */
    OK("081 234 5678", "th", NULL, "66812345678"), /* th mobile national */
    OK("011 66 81 234 5678", "us", NULL, "66812345678"), /* th mobile dialled from us */
    OK("+1 201-555-0123", "th", NULL, "12015550123"), /* th international prefix */
    OK("+90 212 345 67 89", NULL, NULL, "902123456789"), /* tr fixed international */
    OK("(0212) 345 67 89", "tr", NULL, "902123456789"), /* tr fixed national */
    OK("011 90 212 345 67 89", "us", NULL, "902123456789"), /* tr fixed dialled from us */
    OK("+90 501 234 56 78", NULL, NULL, "905012345678"), /* tr mobile international */
    OK("0501 234 56 78", "tr", NULL, "905012345678"), /* tr mobile national */
    OK("011 90 501 234 56 78", "us", NULL, "905012345678"), /* tr mobile dialled from us */
    OK("00 1 201-555-0123", "tr", NULL, "12015550123"), /* tr international prefix */
    OK("+886 2 2123 4567", NULL, NULL, "886221234567"), /* tw fixed international */
    OK("02 2123 4567", "tw", NULL, "886221234567"), /* tw fixed national */
    OK("011 886 2 2123 4567", "us", NULL, "886221234567"), /* tw fixed dialled from us */
    OK("+886 912 345 678", NULL, NULL, "886912345678"), /* tw mobile international */
    OK("0912 345 678", "tw", NULL, "886912345678"), /* tw mobile national */
    OK("011 886 912 345 678", "us", NULL, "886912345678"), /* tw mobile dialled from us */
    OK("+1 201-555-0123", "tw", NULL, "12015550123"), /* tw international prefix */
    OK("+380 3112 34567", NULL, NULL, "380311234567"), /* ua fixed international */
    OK("03112 34567", "ua", NULL, "380311234567"), /* ua fixed national */
    OK("011 380 3112 34567", "us", NULL, "380311234567"), /* ua fixed dialled from us */
    OK("+380 50 123 4567", NULL, NULL, "380501234567"), /* ua mobile international */
    OK("050 123 4567", "ua", NULL, "380501234567"), /* ua mobile national */
    OK("011 380 50 123 4567", "us", NULL, "380501234567"), /* ua mobile dialled from us */
    OK("00 1 201-555-0123", "ua", NULL, "12015550123"), /* ua international prefix */
    OK("+1 201-555-0123", NULL, NULL, "12015550123"), /* us fixed international */
    OK("(201) 555-0123", "us", NULL, "12015550123"), /* us fixed national */
    OK("+1 201-555-0123", NULL, NULL, "12015550123"), /* us mobile international */
    OK("(201) 555-0123", "us", NULL, "12015550123"), /* us mobile national */
    OK("+84 210 1234 567", NULL, NULL, "842101234567"), /* vn fixed international */
    OK("0210 1234 567", "vn", NULL, "842101234567"), /* vn fixed national */
    OK("011 84 210 1234 567", "us", NULL, "842101234567"), /* vn fixed dialled from us */
    OK("+84 912 345 678", NULL, NULL, "84912345678"), /* vn mobile international */
    OK("0912 345 678", "vn", NULL, "84912345678"), /* vn mobile national */
    OK("011 84 912 345 678", "us", NULL, "84912345678"), /* vn mobile dialled from us */
    OK("00 1 201-555-0123", "vn", NULL, "12015550123"), /* vn international prefix */
    OK("+27 10 123 4567", NULL, NULL, "27101234567"), /* za fixed international */
    OK("010 123 4567", "za", NULL, "27101234567"), /* za fixed national */
    OK("011 27 10 123 4567", "us", NULL, "27101234567"), /* za fixed dialled from us */
    OK("+27 71 123 4567", NULL, NULL, "27711234567"), /* za mobile international */
    OK("071 123 4567", "za", NULL, "27711234567"), /* za mobile national */
    OK("011 27 71 123 4567", "us", NULL, "27711234567"), /* za mobile dialled from us */
    OK("00 1 201-555-0123", "za", NULL, "12015550123"), /* za international prefix */
};

#endif
