#include "host/common/country.h"

#include <array>
#include <cstdint>
#include <span>

namespace clickagg {
namespace {

// ISO 3166-1: every officially assigned alpha-3 code and its alpha-2 code, sorted by alpha-3
// (the order is checked at compile time and keeps the table easy to review).
constexpr CountryCodePair kAlpha3[] = {
    {"ABW", "AW"}, {"AFG", "AF"}, {"AGO", "AO"}, {"AIA", "AI"}, {"ALA", "AX"}, {"ALB", "AL"},
    {"AND", "AD"}, {"ARE", "AE"}, {"ARG", "AR"}, {"ARM", "AM"}, {"ASM", "AS"}, {"ATA", "AQ"},
    {"ATF", "TF"}, {"ATG", "AG"}, {"AUS", "AU"}, {"AUT", "AT"}, {"AZE", "AZ"}, {"BDI", "BI"},
    {"BEL", "BE"}, {"BEN", "BJ"}, {"BES", "BQ"}, {"BFA", "BF"}, {"BGD", "BD"}, {"BGR", "BG"},
    {"BHR", "BH"}, {"BHS", "BS"}, {"BIH", "BA"}, {"BLM", "BL"}, {"BLR", "BY"}, {"BLZ", "BZ"},
    {"BMU", "BM"}, {"BOL", "BO"}, {"BRA", "BR"}, {"BRB", "BB"}, {"BRN", "BN"}, {"BTN", "BT"},
    {"BVT", "BV"}, {"BWA", "BW"}, {"CAF", "CF"}, {"CAN", "CA"}, {"CCK", "CC"}, {"CHE", "CH"},
    {"CHL", "CL"}, {"CHN", "CN"}, {"CIV", "CI"}, {"CMR", "CM"}, {"COD", "CD"}, {"COG", "CG"},
    {"COK", "CK"}, {"COL", "CO"}, {"COM", "KM"}, {"CPV", "CV"}, {"CRI", "CR"}, {"CUB", "CU"},
    {"CUW", "CW"}, {"CXR", "CX"}, {"CYM", "KY"}, {"CYP", "CY"}, {"CZE", "CZ"}, {"DEU", "DE"},
    {"DJI", "DJ"}, {"DMA", "DM"}, {"DNK", "DK"}, {"DOM", "DO"}, {"DZA", "DZ"}, {"ECU", "EC"},
    {"EGY", "EG"}, {"ERI", "ER"}, {"ESH", "EH"}, {"ESP", "ES"}, {"EST", "EE"}, {"ETH", "ET"},
    {"FIN", "FI"}, {"FJI", "FJ"}, {"FLK", "FK"}, {"FRA", "FR"}, {"FRO", "FO"}, {"FSM", "FM"},
    {"GAB", "GA"}, {"GBR", "GB"}, {"GEO", "GE"}, {"GGY", "GG"}, {"GHA", "GH"}, {"GIB", "GI"},
    {"GIN", "GN"}, {"GLP", "GP"}, {"GMB", "GM"}, {"GNB", "GW"}, {"GNQ", "GQ"}, {"GRC", "GR"},
    {"GRD", "GD"}, {"GRL", "GL"}, {"GTM", "GT"}, {"GUF", "GF"}, {"GUM", "GU"}, {"GUY", "GY"},
    {"HKG", "HK"}, {"HMD", "HM"}, {"HND", "HN"}, {"HRV", "HR"}, {"HTI", "HT"}, {"HUN", "HU"},
    {"IDN", "ID"}, {"IMN", "IM"}, {"IND", "IN"}, {"IOT", "IO"}, {"IRL", "IE"}, {"IRN", "IR"},
    {"IRQ", "IQ"}, {"ISL", "IS"}, {"ISR", "IL"}, {"ITA", "IT"}, {"JAM", "JM"}, {"JEY", "JE"},
    {"JOR", "JO"}, {"JPN", "JP"}, {"KAZ", "KZ"}, {"KEN", "KE"}, {"KGZ", "KG"}, {"KHM", "KH"},
    {"KIR", "KI"}, {"KNA", "KN"}, {"KOR", "KR"}, {"KWT", "KW"}, {"LAO", "LA"}, {"LBN", "LB"},
    {"LBR", "LR"}, {"LBY", "LY"}, {"LCA", "LC"}, {"LIE", "LI"}, {"LKA", "LK"}, {"LSO", "LS"},
    {"LTU", "LT"}, {"LUX", "LU"}, {"LVA", "LV"}, {"MAC", "MO"}, {"MAF", "MF"}, {"MAR", "MA"},
    {"MCO", "MC"}, {"MDA", "MD"}, {"MDG", "MG"}, {"MDV", "MV"}, {"MEX", "MX"}, {"MHL", "MH"},
    {"MKD", "MK"}, {"MLI", "ML"}, {"MLT", "MT"}, {"MMR", "MM"}, {"MNE", "ME"}, {"MNG", "MN"},
    {"MNP", "MP"}, {"MOZ", "MZ"}, {"MRT", "MR"}, {"MSR", "MS"}, {"MTQ", "MQ"}, {"MUS", "MU"},
    {"MWI", "MW"}, {"MYS", "MY"}, {"MYT", "YT"}, {"NAM", "NA"}, {"NCL", "NC"}, {"NER", "NE"},
    {"NFK", "NF"}, {"NGA", "NG"}, {"NIC", "NI"}, {"NIU", "NU"}, {"NLD", "NL"}, {"NOR", "NO"},
    {"NPL", "NP"}, {"NRU", "NR"}, {"NZL", "NZ"}, {"OMN", "OM"}, {"PAK", "PK"}, {"PAN", "PA"},
    {"PCN", "PN"}, {"PER", "PE"}, {"PHL", "PH"}, {"PLW", "PW"}, {"PNG", "PG"}, {"POL", "PL"},
    {"PRI", "PR"}, {"PRK", "KP"}, {"PRT", "PT"}, {"PRY", "PY"}, {"PSE", "PS"}, {"PYF", "PF"},
    {"QAT", "QA"}, {"REU", "RE"}, {"ROU", "RO"}, {"RUS", "RU"}, {"RWA", "RW"}, {"SAU", "SA"},
    {"SDN", "SD"}, {"SEN", "SN"}, {"SGP", "SG"}, {"SGS", "GS"}, {"SHN", "SH"}, {"SJM", "SJ"},
    {"SLB", "SB"}, {"SLE", "SL"}, {"SLV", "SV"}, {"SMR", "SM"}, {"SOM", "SO"}, {"SPM", "PM"},
    {"SRB", "RS"}, {"SSD", "SS"}, {"STP", "ST"}, {"SUR", "SR"}, {"SVK", "SK"}, {"SVN", "SI"},
    {"SWE", "SE"}, {"SWZ", "SZ"}, {"SXM", "SX"}, {"SYC", "SC"}, {"SYR", "SY"}, {"TCA", "TC"},
    {"TCD", "TD"}, {"TGO", "TG"}, {"THA", "TH"}, {"TJK", "TJ"}, {"TKL", "TK"}, {"TKM", "TM"},
    {"TLS", "TL"}, {"TON", "TO"}, {"TTO", "TT"}, {"TUN", "TN"}, {"TUR", "TR"}, {"TUV", "TV"},
    {"TWN", "TW"}, {"TZA", "TZ"}, {"UGA", "UG"}, {"UKR", "UA"}, {"UMI", "UM"}, {"URY", "UY"},
    {"USA", "US"}, {"UZB", "UZ"}, {"VAT", "VA"}, {"VCT", "VC"}, {"VEN", "VE"}, {"VGB", "VG"},
    {"VIR", "VI"}, {"VNM", "VN"}, {"VUT", "VU"}, {"WLF", "WF"}, {"WSM", "WS"}, {"YEM", "YE"},
    {"ZAF", "ZA"}, {"ZMB", "ZM"}, {"ZWE", "ZW"},
};

constexpr uint32_t pack3(char a, char b, char c) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(a)) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b)) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(c));
}
constexpr uint32_t key_of(const CountryCodePair& p) {
  return pack3(p.alpha3[0], p.alpha3[1], p.alpha3[2]);
}

constexpr bool table_sorted() {
  for (size_t i = 1; i < std::size(kAlpha3); ++i)
    if (key_of(kAlpha3[i - 1]) >= key_of(kAlpha3[i])) return false;
  return true;
}
static_assert(std::size(kAlpha3) == 249, "ISO 3166-1 assigns 249 codes");
static_assert(table_sorted(), "the table is sorted by alpha-3, each code once");

constexpr char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }
constexpr bool is_alpha(char c) { return (c >= 'A' && c <= 'Z'); }

// Every three-letter code indexes a byte holding 1 + its table position (0: not assigned):
// one load per lookup, and 17.5 KB of which only the codes in use get cached.
constexpr size_t letter_key(char a, char b, char c) {
  return (static_cast<size_t>(a - 'A') * 26 + static_cast<size_t>(b - 'A')) * 26 +
         static_cast<size_t>(c - 'A');
}
constexpr std::array<uint8_t, 26 * 26 * 26> build_index() {
  std::array<uint8_t, 26 * 26 * 26> index{};
  for (size_t i = 0; i < std::size(kAlpha3); ++i) {
    const char* a = kAlpha3[i].alpha3;
    index[letter_key(a[0], a[1], a[2])] = static_cast<uint8_t>(i + 1);
  }
  return index;
}
constexpr std::array<uint8_t, 26 * 26 * 26> kIndex = build_index();

}  // namespace

std::span<const CountryCodePair> iso3166_alpha3_table() { return kAlpha3; }

bool normalize_country(std::string_view raw, Country& out) {
  if (raw.size() == 2) {
    // Nearly every code: the general path below copies a variable length (a library call).
    const auto a = static_cast<unsigned char>(raw[0]), b = static_cast<unsigned char>(raw[1]);
    if (a < 0x20 || a > 0x7E || b < 0x20 || b > 0x7E) return false;
    out.code = {};
    out.code[0] = upper(static_cast<char>(a));
    out.code[1] = upper(static_cast<char>(b));
    out.len = 2;
    return true;
  }
  if (raw.empty() || raw.size() > kMaxCountryLen) return false;
  char buf[kMaxCountryLen];
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c < 0x20 || c > 0x7E) return false;
    buf[i] = upper(static_cast<char>(c));
  }
  out.code = {};
  if (raw.size() == 3 && is_alpha(buf[0]) && is_alpha(buf[1]) && is_alpha(buf[2])) {
    if (const uint8_t slot = kIndex[letter_key(buf[0], buf[1], buf[2])]) {
      const CountryCodePair* p = &kAlpha3[slot - 1];
      out.code[0] = p->alpha2[0];
      out.code[1] = p->alpha2[1];
      out.len = 2;
      return true;
    }
  }
  for (size_t i = 0; i < raw.size(); ++i) out.code[i] = buf[i];
  out.len = static_cast<uint8_t>(raw.size());
  return true;
}

}  // namespace clickagg
