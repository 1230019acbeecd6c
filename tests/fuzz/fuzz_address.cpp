// fuzz_address.cpp — libFuzzer target for the address parser (core/include/mvsmtp/address.hpp).
//
//   scripts/fuzz.sh address   (or: build-fuzz/tests/fuzz/fuzz_address NEW_DIR tests/fuzz/corpus/address — new inputs go to the first folder)
//
// The input is user text for one mailbox and, whole, for a list. Refusals are mvsmtp::Error
// (BadAddress, HeaderInjection); anything else escaping is a finding. Invariants:
//   - is_valid_address(x) agrees with validate_address(x) not throwing;
//   - every parsed mailbox has a valid address, and its domain is address_domain's;
//   - format_mailbox_header never emits CR, LF or NUL (header injection), and parsing what it
//     wrote gives the same address back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "mvsmtp/address.hpp"
#include "mvsmtp/error.hpp"

namespace {

bool has_line_break_or_nul(const std::string& s) {
    return s.find_first_of(std::string("\r\n\0", 3)) != std::string::npos;
}

void check_mailbox(const mvsmtp::Mailbox& m) {
    FUZZ_REQUIRE(mvsmtp::is_valid_address(m.address), "parser returned an address validate_address refuses");
    FUZZ_REQUIRE(!has_line_break_or_nul(m.display_name), "display name kept CR/LF/NUL");
    const std::string header = mvsmtp::format_mailbox_header(m);
    FUZZ_REQUIRE(!has_line_break_or_nul(header), "header rendering carries CR/LF/NUL");
    mvsmtp::Mailbox again;
    try {
        again = mvsmtp::parse_mailbox(header);
    } catch (const mvsmtp::Error& e) {
        std::fprintf(stderr, "rendered: [%s] refused: %s\n", header.c_str(), e.what());
        FUZZ_REQUIRE(false, "the rendered header does not parse again");
    }
    FUZZ_REQUIRE(again.address == m.address, "address changed in a render/parse round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    bool threw = false;
    try {
        mvsmtp::validate_address(text);
    } catch (const mvsmtp::Error&) {
        threw = true;
    }
    FUZZ_REQUIRE(mvsmtp::is_valid_address(text) == !threw, "is_valid_address disagrees with validate_address");
    if (!threw) {
        const std::string domain = mvsmtp::address_domain(text);
        FUZZ_REQUIRE(!domain.empty(), "a valid address has a domain");
        (void)mvsmtp::needs_smtputf8(text);
    }

    try {
        check_mailbox(mvsmtp::parse_mailbox(text));
    } catch (const mvsmtp::Error&) {
    }
    try {
        const auto list = mvsmtp::parse_mailbox_list(text);
        for (const auto& m : list) check_mailbox(m);
        const std::string header = mvsmtp::format_mailbox_list_header(list);
        FUZZ_REQUIRE(!has_line_break_or_nul(header), "list header carries CR/LF/NUL");
    } catch (const mvsmtp::Error&) {
    }
    return 0;
}
