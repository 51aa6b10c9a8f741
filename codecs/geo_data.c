/* Country and US-state tables, generated once from ISO 3166-1 (all 249 officially assigned
 * alpha-2 / alpha-3 codes with their English short names) plus common aliases and local names
 * ("USA", "UK", "Great Britain", "Deutschland", "Ivory Coast"...), and the USPS state list (50
 * states, DC, territories, armed-forces codes). Names are stored squashed (lowercase a-z only,
 * accents stripped) and every array is sorted, so lookups are binary searches.
 * "uk" is not an ISO code but is what people write for the United Kingdom; it maps to gb. */
#include <stdlib.h>
#include <string.h>

#include "codecs/norm_internal.h"

typedef struct {
    const char *key;
    const char *code;
} geo_pair_t;

static const char *const alpha2[] = {
    "ad", "ae", "af", "ag", "ai", "al", "am", "ao", "aq", "ar", "as", "at", "au", "aw", "ax",
    "az", "ba", "bb", "bd", "be", "bf", "bg", "bh", "bi", "bj", "bl", "bm", "bn", "bo", "bq",
    "br", "bs", "bt", "bv", "bw", "by", "bz", "ca", "cc", "cd", "cf", "cg", "ch", "ci", "ck",
    "cl", "cm", "cn", "co", "cr", "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm",
    "do", "dz", "ec", "ee", "eg", "eh", "er", "es", "et", "fi", "fj", "fk", "fm", "fo", "fr",
    "ga", "gb", "gd", "ge", "gf", "gg", "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs",
    "gt", "gu", "gw", "gy", "hk", "hm", "hn", "hr", "ht", "hu", "id", "ie", "il", "im", "in",
    "io", "iq", "ir", "is", "it", "je", "jm", "jo", "jp", "ke", "kg", "kh", "ki", "km", "kn",
    "kp", "kr", "kw", "ky", "kz", "la", "lb", "lc", "li", "lk", "lr", "ls", "lt", "lu", "lv",
    "ly", "ma", "mc", "md", "me", "mf", "mg", "mh", "mk", "ml", "mm", "mn", "mo", "mp", "mq",
    "mr", "ms", "mt", "mu", "mv", "mw", "mx", "my", "mz", "na", "nc", "ne", "nf", "ng", "ni",
    "nl", "no", "np", "nr", "nu", "nz", "om", "pa", "pe", "pf", "pg", "ph", "pk", "pl", "pm",
    "pn", "pr", "ps", "pt", "pw", "py", "qa", "re", "ro", "rs", "ru", "rw", "sa", "sb", "sc",
    "sd", "se", "sg", "sh", "si", "sj", "sk", "sl", "sm", "sn", "so", "sr", "ss", "st", "sv",
    "sx", "sy", "sz", "tc", "td", "tf", "tg", "th", "tj", "tk", "tl", "tm", "tn", "to", "tr",
    "tt", "tv", "tw", "tz", "ua", "ug", "um", "us", "uy", "uz", "va", "vc", "ve", "vg", "vi",
    "vn", "vu", "wf", "ws", "ye", "yt", "za", "zm", "zw",
};

static const geo_pair_t alpha2_alias[] = {
    {"uk", "gb"},
};

static const geo_pair_t alpha3[] = {
    {"abw", "aw"}, {"afg", "af"}, {"ago", "ao"}, {"aia", "ai"}, {"ala", "ax"}, {"alb", "al"},
    {"and", "ad"}, {"are", "ae"}, {"arg", "ar"}, {"arm", "am"}, {"asm", "as"}, {"ata", "aq"},
    {"atf", "tf"}, {"atg", "ag"}, {"aus", "au"}, {"aut", "at"}, {"aze", "az"}, {"bdi", "bi"},
    {"bel", "be"}, {"ben", "bj"}, {"bes", "bq"}, {"bfa", "bf"}, {"bgd", "bd"}, {"bgr", "bg"},
    {"bhr", "bh"}, {"bhs", "bs"}, {"bih", "ba"}, {"blm", "bl"}, {"blr", "by"}, {"blz", "bz"},
    {"bmu", "bm"}, {"bol", "bo"}, {"bra", "br"}, {"brb", "bb"}, {"brn", "bn"}, {"btn", "bt"},
    {"bvt", "bv"}, {"bwa", "bw"}, {"caf", "cf"}, {"can", "ca"}, {"cck", "cc"}, {"che", "ch"},
    {"chl", "cl"}, {"chn", "cn"}, {"civ", "ci"}, {"cmr", "cm"}, {"cod", "cd"}, {"cog", "cg"},
    {"cok", "ck"}, {"col", "co"}, {"com", "km"}, {"cpv", "cv"}, {"cri", "cr"}, {"cub", "cu"},
    {"cuw", "cw"}, {"cxr", "cx"}, {"cym", "ky"}, {"cyp", "cy"}, {"cze", "cz"}, {"deu", "de"},
    {"dji", "dj"}, {"dma", "dm"}, {"dnk", "dk"}, {"dom", "do"}, {"drc", "cd"}, {"dza", "dz"},
    {"ecu", "ec"}, {"egy", "eg"}, {"eri", "er"}, {"esh", "eh"}, {"esp", "es"}, {"est", "ee"},
    {"eth", "et"}, {"fin", "fi"}, {"fji", "fj"}, {"flk", "fk"}, {"fra", "fr"}, {"fro", "fo"},
    {"fsm", "fm"}, {"gab", "ga"}, {"gbr", "gb"}, {"geo", "ge"}, {"ggy", "gg"}, {"gha", "gh"},
    {"gib", "gi"}, {"gin", "gn"}, {"glp", "gp"}, {"gmb", "gm"}, {"gnb", "gw"}, {"gnq", "gq"},
    {"grc", "gr"}, {"grd", "gd"}, {"grl", "gl"}, {"gtm", "gt"}, {"guf", "gf"}, {"gum", "gu"},
    {"guy", "gy"}, {"hkg", "hk"}, {"hmd", "hm"}, {"hnd", "hn"}, {"hrv", "hr"}, {"hti", "ht"},
    {"hun", "hu"}, {"idn", "id"}, {"imn", "im"}, {"ind", "in"}, {"iot", "io"}, {"irl", "ie"},
    {"irn", "ir"}, {"irq", "iq"}, {"isl", "is"}, {"isr", "il"}, {"ita", "it"}, {"jam", "jm"},
    {"jey", "je"}, {"jor", "jo"}, {"jpn", "jp"}, {"kaz", "kz"}, {"ken", "ke"}, {"kgz", "kg"},
    {"khm", "kh"}, {"kir", "ki"}, {"kna", "kn"}, {"kor", "kr"}, {"ksa", "sa"}, {"kwt", "kw"},
    {"lao", "la"}, {"lbn", "lb"}, {"lbr", "lr"}, {"lby", "ly"}, {"lca", "lc"}, {"lie", "li"},
    {"lka", "lk"}, {"lso", "ls"}, {"ltu", "lt"}, {"lux", "lu"}, {"lva", "lv"}, {"mac", "mo"},
    {"maf", "mf"}, {"mar", "ma"}, {"mco", "mc"}, {"mda", "md"}, {"mdg", "mg"}, {"mdv", "mv"},
    {"mex", "mx"}, {"mhl", "mh"}, {"mkd", "mk"}, {"mli", "ml"}, {"mlt", "mt"}, {"mmr", "mm"},
    {"mne", "me"}, {"mng", "mn"}, {"mnp", "mp"}, {"moz", "mz"}, {"mrt", "mr"}, {"msr", "ms"},
    {"mtq", "mq"}, {"mus", "mu"}, {"mwi", "mw"}, {"mys", "my"}, {"myt", "yt"}, {"nam", "na"},
    {"ncl", "nc"}, {"ner", "ne"}, {"nfk", "nf"}, {"nga", "ng"}, {"nic", "ni"}, {"niu", "nu"},
    {"nld", "nl"}, {"nor", "no"}, {"npl", "np"}, {"nru", "nr"}, {"nzl", "nz"}, {"omn", "om"},
    {"pak", "pk"}, {"pan", "pa"}, {"pcn", "pn"}, {"per", "pe"}, {"phl", "ph"}, {"plw", "pw"},
    {"png", "pg"}, {"pol", "pl"}, {"pri", "pr"}, {"prk", "kp"}, {"prt", "pt"}, {"pry", "py"},
    {"pse", "ps"}, {"pyf", "pf"}, {"qat", "qa"}, {"reu", "re"}, {"rou", "ro"}, {"rsa", "za"},
    {"rus", "ru"}, {"rwa", "rw"}, {"sau", "sa"}, {"sdn", "sd"}, {"sen", "sn"}, {"sgp", "sg"},
    {"sgs", "gs"}, {"shn", "sh"}, {"sjm", "sj"}, {"slb", "sb"}, {"sle", "sl"}, {"slv", "sv"},
    {"smr", "sm"}, {"som", "so"}, {"spm", "pm"}, {"srb", "rs"}, {"ssd", "ss"}, {"stp", "st"},
    {"sur", "sr"}, {"svk", "sk"}, {"svn", "si"}, {"swe", "se"}, {"swz", "sz"}, {"sxm", "sx"},
    {"syc", "sc"}, {"syr", "sy"}, {"tca", "tc"}, {"tcd", "td"}, {"tgo", "tg"}, {"tha", "th"},
    {"tjk", "tj"}, {"tkl", "tk"}, {"tkm", "tm"}, {"tls", "tl"}, {"ton", "to"}, {"tto", "tt"},
    {"tun", "tn"}, {"tur", "tr"}, {"tuv", "tv"}, {"twn", "tw"}, {"tza", "tz"}, {"uae", "ae"},
    {"uga", "ug"}, {"ukr", "ua"}, {"umi", "um"}, {"ury", "uy"}, {"usa", "us"}, {"uzb", "uz"},
    {"vat", "va"}, {"vct", "vc"}, {"ven", "ve"}, {"vgb", "vg"}, {"vir", "vi"}, {"vnm", "vn"},
    {"vut", "vu"}, {"wlf", "wf"}, {"wsm", "ws"}, {"yem", "ye"}, {"zaf", "za"}, {"zmb", "zm"},
    {"zwe", "zw"},
};

static const geo_pair_t names[] = {
    {"afghanistan", "af"}, {"alandislands", "ax"}, {"albania", "al"}, {"algeria", "dz"},
    {"america", "us"}, {"americansamoa", "as"}, {"andorra", "ad"}, {"angola", "ao"},
    {"anguilla", "ai"}, {"antarctica", "aq"}, {"antiguaandbarbuda", "ag"}, {"aotearoa", "nz"},
    {"argentina", "ar"}, {"armenia", "am"}, {"aruba", "aw"}, {"australia", "au"},
    {"austria", "at"}, {"azerbaijan", "az"}, {"bahamas", "bs"}, {"bahrain", "bh"},
    {"bangladesh", "bd"}, {"barbados", "bb"}, {"belarus", "by"}, {"belgie", "be"},
    {"belgique", "be"}, {"belgium", "be"}, {"belize", "bz"}, {"benin", "bj"}, {"bermuda", "bm"},
    {"bhutan", "bt"}, {"bolivia", "bo"}, {"boliviaplurinationalstateof", "bo"},
    {"bonairesinteustatiusandsaba", "bq"}, {"bosniaandherzegovina", "ba"}, {"botswana", "bw"},
    {"bouvetisland", "bv"}, {"brasil", "br"}, {"brazil", "br"}, {"britain", "gb"},
    {"britishindianoceanterritory", "io"}, {"britishvirginislands", "vg"}, {"brunei", "bn"},
    {"bruneidarussalam", "bn"}, {"bulgaria", "bg"}, {"burkinafaso", "bf"}, {"burma", "mm"},
    {"burundi", "bi"}, {"caboverde", "cv"}, {"cambodia", "kh"}, {"cameroon", "cm"},
    {"canada", "ca"}, {"capeverde", "cv"}, {"caribbeannetherlands", "bq"},
    {"caymanislands", "ky"}, {"centralafricanrepublic", "cf"}, {"chad", "td"}, {"chile", "cl"},
    {"china", "cn"}, {"christmasisland", "cx"}, {"cocosislands", "cc"},
    {"cocoskeelingislands", "cc"}, {"colombia", "co"}, {"comoros", "km"}, {"congo", "cg"},
    {"congobrazzaville", "cg"}, {"congodemocraticrepublicofthe", "cd"}, {"congokinshasa", "cd"},
    {"cookislands", "ck"}, {"costarica", "cr"}, {"cotedivoire", "ci"}, {"croatia", "hr"},
    {"cuba", "cu"}, {"curacao", "cw"}, {"cyprus", "cy"}, {"czechia", "cz"},
    {"czechrepublic", "cz"}, {"danmark", "dk"}, {"democraticpeoplesrepublicofkorea", "kp"},
    {"democraticrepublicofthecongo", "cd"}, {"denmark", "dk"}, {"deutschland", "de"},
    {"djibouti", "dj"}, {"dominica", "dm"}, {"dominicanrepublic", "do"}, {"drcongo", "cd"},
    {"easttimor", "tl"}, {"ecuador", "ec"}, {"egypt", "eg"}, {"eire", "ie"}, {"elsalvador", "sv"},
    {"emirates", "ae"}, {"england", "gb"}, {"equatorialguinea", "gq"}, {"eritrea", "er"},
    {"espana", "es"}, {"estonia", "ee"}, {"eswatini", "sz"}, {"ethiopia", "et"},
    {"falklandislands", "fk"}, {"falklandislandsmalvinas", "fk"}, {"faroeislands", "fo"},
    {"fiji", "fj"}, {"finland", "fi"}, {"france", "fr"}, {"frenchguiana", "gf"},
    {"frenchpolynesia", "pf"}, {"frenchsouthernterritories", "tf"}, {"gabon", "ga"},
    {"gambia", "gm"}, {"georgia", "ge"}, {"germany", "de"}, {"ghana", "gh"}, {"gibraltar", "gi"},
    {"greatbritain", "gb"}, {"greece", "gr"}, {"greenland", "gl"}, {"grenada", "gd"},
    {"guadeloupe", "gp"}, {"guam", "gu"}, {"guatemala", "gt"}, {"guernsey", "gg"},
    {"guinea", "gn"}, {"guineabissau", "gw"}, {"guyana", "gy"}, {"haiti", "ht"},
    {"heardislandandmcdonaldislands", "hm"}, {"hellas", "gr"}, {"holland", "nl"},
    {"holysee", "va"}, {"holyseevaticancitystate", "va"}, {"honduras", "hn"}, {"hongkong", "hk"},
    {"hongkongsar", "hk"}, {"hongkongsarchina", "hk"}, {"hungary", "hu"}, {"iceland", "is"},
    {"india", "in"}, {"indonesia", "id"}, {"iran", "ir"}, {"iranislamicrepublicof", "ir"},
    {"iraq", "iq"}, {"ireland", "ie"}, {"islamicrepublicofiran", "ir"}, {"isleofman", "im"},
    {"israel", "il"}, {"italia", "it"}, {"italy", "it"}, {"ivorycoast", "ci"}, {"jamaica", "jm"},
    {"japan", "jp"}, {"jersey", "je"}, {"jordan", "jo"}, {"kazakhstan", "kz"}, {"kenya", "ke"},
    {"kiribati", "ki"}, {"korea", "kr"}, {"koreademocraticpeoplesrepublicof", "kp"},
    {"korearepublicof", "kr"}, {"koreasouth", "kr"}, {"kuwait", "kw"}, {"kyrgyzstan", "kg"},
    {"laopeoplesdemocraticrepublic", "la"}, {"laos", "la"}, {"latvia", "lv"}, {"lebanon", "lb"},
    {"lesotho", "ls"}, {"liberia", "lr"}, {"libya", "ly"}, {"liechtenstein", "li"},
    {"lithuania", "lt"}, {"luxembourg", "lu"}, {"macao", "mo"}, {"macaosarchina", "mo"},
    {"macau", "mo"}, {"macedonia", "mk"}, {"madagascar", "mg"}, {"malawi", "mw"},
    {"malaysia", "my"}, {"maldives", "mv"}, {"mali", "ml"}, {"malta", "mt"},
    {"marshallislands", "mh"}, {"martinique", "mq"}, {"mauritania", "mr"}, {"mauritius", "mu"},
    {"mayotte", "yt"}, {"mexico", "mx"}, {"micronesia", "fm"},
    {"micronesiafederatedstatesof", "fm"}, {"moldova", "md"}, {"moldovarepublicof", "md"},
    {"monaco", "mc"}, {"mongolia", "mn"}, {"montenegro", "me"}, {"montserrat", "ms"},
    {"morocco", "ma"}, {"mozambique", "mz"}, {"myanmar", "mm"}, {"namibia", "na"},
    {"nauru", "nr"}, {"nederland", "nl"}, {"nepal", "np"}, {"netherlands", "nl"},
    {"newcaledonia", "nc"}, {"newzealand", "nz"}, {"nicaragua", "ni"}, {"niger", "ne"},
    {"nigeria", "ng"}, {"nippon", "jp"}, {"niue", "nu"}, {"norfolkisland", "nf"}, {"norge", "no"},
    {"northernireland", "gb"}, {"northernmarianaislands", "mp"}, {"northkorea", "kp"},
    {"northmacedonia", "mk"}, {"norway", "no"}, {"oman", "om"}, {"osterreich", "at"},
    {"pakistan", "pk"}, {"palau", "pw"}, {"palestine", "ps"}, {"palestinestateof", "ps"},
    {"palestinianterritories", "ps"}, {"panama", "pa"}, {"papuanewguinea", "pg"},
    {"paraguay", "py"}, {"peru", "pe"}, {"philippines", "ph"}, {"pitcairn", "pn"},
    {"pitcairnislands", "pn"}, {"poland", "pl"}, {"polska", "pl"}, {"portugal", "pt"},
    {"puertorico", "pr"}, {"qatar", "qa"}, {"republicofchina", "tw"}, {"republicofireland", "ie"},
    {"republicofkorea", "kr"}, {"republicofmoldova", "md"}, {"republicofnorthmacedonia", "mk"},
    {"republicofthecongo", "cg"}, {"reunion", "re"}, {"romania", "ro"}, {"russia", "ru"},
    {"russianfederation", "ru"}, {"rwanda", "rw"}, {"saintbarthelemy", "bl"},
    {"sainthelena", "sh"}, {"sainthelenaascensionandtristandacunha", "sh"}, {"saintkitts", "kn"},
    {"saintkittsandnevis", "kn"}, {"saintlucia", "lc"}, {"saintmartin", "mf"},
    {"saintmartinfrenchpart", "mf"}, {"saintpierreandmiquelon", "pm"}, {"saintvincent", "vc"},
    {"saintvincentandthegrenadines", "vc"}, {"samoa", "ws"}, {"sanmarino", "sm"},
    {"saotomeandprincipe", "st"}, {"saudiarabia", "sa"}, {"schweiz", "ch"}, {"scotland", "gb"},
    {"senegal", "sn"}, {"serbia", "rs"}, {"seychelles", "sc"}, {"sierraleone", "sl"},
    {"singapore", "sg"}, {"sintmaarten", "sx"}, {"sintmaartendutchpart", "sx"},
    {"slovakia", "sk"}, {"slovenia", "si"}, {"solomonislands", "sb"}, {"somalia", "so"},
    {"southafrica", "za"}, {"southgeorgiaandthesouthsandwichislands", "gs"}, {"southkorea", "kr"},
    {"southsudan", "ss"}, {"spain", "es"}, {"srilanka", "lk"}, {"sudan", "sd"}, {"suisse", "ch"},
    {"suomi", "fi"}, {"suriname", "sr"}, {"svalbardandjanmayen", "sj"}, {"sverige", "se"},
    {"svizzera", "ch"}, {"swaziland", "sz"}, {"sweden", "se"}, {"switzerland", "ch"},
    {"syria", "sy"}, {"syrianarabrepublic", "sy"}, {"taiwan", "tw"},
    {"taiwanprovinceofchina", "tw"}, {"tajikistan", "tj"}, {"tanzania", "tz"},
    {"tanzaniaunitedrepublicof", "tz"}, {"thailand", "th"}, {"thebahamas", "bs"},
    {"thegambia", "gm"}, {"thenetherlands", "nl"}, {"timorleste", "tl"}, {"togo", "tg"},
    {"tokelau", "tk"}, {"tonga", "to"}, {"trinidadandtobago", "tt"}, {"tunisia", "tn"},
    {"turkey", "tr"}, {"turkiye", "tr"}, {"turkmenistan", "tm"}, {"turksandcaicosislands", "tc"},
    {"tuvalu", "tv"}, {"uganda", "ug"}, {"ukraine", "ua"}, {"unitedarabemirates", "ae"},
    {"unitedkingdom", "gb"}, {"unitedkingdomofgreatbritainandnorthernireland", "gb"},
    {"unitedrepublicoftanzania", "tz"}, {"unitedstates", "us"},
    {"unitedstatesminoroutlyingislands", "um"}, {"unitedstatesofamerica", "us"},
    {"uruguay", "uy"}, {"usminoroutlyingislands", "um"}, {"usofa", "us"},
    {"usvirginislands", "vi"}, {"uzbekistan", "uz"}, {"vanuatu", "vu"}, {"vatican", "va"},
    {"vaticancity", "va"}, {"venezuela", "ve"}, {"venezuelabolivarianrepublicof", "ve"},
    {"vietnam", "vn"}, {"virginislandsbritish", "vg"}, {"virginislandsus", "vi"}, {"wales", "gb"},
    {"wallisandfutuna", "wf"}, {"westernsahara", "eh"}, {"yemen", "ye"}, {"zambia", "zm"},
    {"zimbabwe", "zw"},
};

static const geo_pair_t us_states[] = {
    {"aa", "aa"}, {"ae", "ae"}, {"ak", "ak"}, {"al", "al"}, {"alabama", "al"}, {"alaska", "ak"},
    {"americansamoa", "as"}, {"ap", "ap"}, {"ar", "ar"}, {"arizona", "az"}, {"arkansas", "ar"},
    {"armedforcesamericas", "aa"}, {"armedforceseurope", "ae"}, {"armedforcespacific", "ap"},
    {"as", "as"}, {"az", "az"}, {"ca", "ca"}, {"california", "ca"}, {"co", "co"},
    {"colorado", "co"}, {"connecticut", "ct"}, {"ct", "ct"}, {"dc", "dc"}, {"de", "de"},
    {"delaware", "de"}, {"districtofcolumbia", "dc"}, {"fl", "fl"}, {"florida", "fl"},
    {"ga", "ga"}, {"georgia", "ga"}, {"gu", "gu"}, {"guam", "gu"}, {"hawaii", "hi"}, {"hi", "hi"},
    {"ia", "ia"}, {"id", "id"}, {"idaho", "id"}, {"il", "il"}, {"illinois", "il"}, {"in", "in"},
    {"indiana", "in"}, {"iowa", "ia"}, {"kansas", "ks"}, {"kentucky", "ky"}, {"ks", "ks"},
    {"ky", "ky"}, {"la", "la"}, {"louisiana", "la"}, {"ma", "ma"}, {"maine", "me"},
    {"maryland", "md"}, {"massachusetts", "ma"}, {"md", "md"}, {"me", "me"}, {"mi", "mi"},
    {"michigan", "mi"}, {"minnesota", "mn"}, {"mississippi", "ms"}, {"missouri", "mo"},
    {"mn", "mn"}, {"mo", "mo"}, {"montana", "mt"}, {"mp", "mp"}, {"ms", "ms"}, {"mt", "mt"},
    {"nc", "nc"}, {"nd", "nd"}, {"ne", "ne"}, {"nebraska", "ne"}, {"nevada", "nv"},
    {"newhampshire", "nh"}, {"newjersey", "nj"}, {"newmexico", "nm"}, {"newyork", "ny"},
    {"nh", "nh"}, {"nj", "nj"}, {"nm", "nm"}, {"northcarolina", "nc"}, {"northdakota", "nd"},
    {"northernmarianaislands", "mp"}, {"nv", "nv"}, {"ny", "ny"}, {"oh", "oh"}, {"ohio", "oh"},
    {"ok", "ok"}, {"oklahoma", "ok"}, {"or", "or"}, {"oregon", "or"}, {"pa", "pa"},
    {"pennsylvania", "pa"}, {"pr", "pr"}, {"puertorico", "pr"}, {"rhodeisland", "ri"},
    {"ri", "ri"}, {"sc", "sc"}, {"sd", "sd"}, {"southcarolina", "sc"}, {"southdakota", "sd"},
    {"tennessee", "tn"}, {"texas", "tx"}, {"tn", "tn"}, {"tx", "tx"}, {"um", "um"},
    {"unitedstatesminoroutlyingislands", "um"}, {"usvirginislands", "vi"}, {"ut", "ut"},
    {"utah", "ut"}, {"va", "va"}, {"vermont", "vt"}, {"vi", "vi"}, {"virginia", "va"},
    {"virginislands", "vi"}, {"vt", "vt"}, {"wa", "wa"}, {"washington", "wa"},
    {"washingtondc", "dc"}, {"westvirginia", "wv"}, {"wi", "wi"}, {"wisconsin", "wi"},
    {"wv", "wv"}, {"wy", "wy"}, {"wyoming", "wy"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int cmp_str(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static int cmp_pair(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const geo_pair_t *)elem)->key);
}

static const char *find_pair(const geo_pair_t *tab, size_t n, const char *key)
{
    const geo_pair_t *p = bsearch(key, tab, n, sizeof *tab, cmp_pair);
    return p ? p->code : NULL;
}

const char *sgx_geo_country_by_alpha2(const char *a2)
{
    const char *const *p = bsearch(a2, alpha2, COUNT(alpha2), sizeof alpha2[0], cmp_str);
    return p ? *p : find_pair(alpha2_alias, COUNT(alpha2_alias), a2);
}

const char *sgx_geo_country_by_alpha3(const char *a3)
{
    return find_pair(alpha3, COUNT(alpha3), a3);
}

const char *sgx_geo_country_by_name(const char *squashed)
{
    return find_pair(names, COUNT(names), squashed);
}

const char *sgx_geo_us_state(const char *squashed)
{
    return find_pair(us_states, COUNT(us_states), squashed);
}
