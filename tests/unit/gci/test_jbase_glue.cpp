// The jBASE DEFC glue (gci/platforms/jbase/mvsmtp_jbase.c), compiled against a stub of
// jsystem.h: a RESULT of any length comes back whole in the VAR, unknown operations and
// bad handles come back as FAILED RESULTs.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <cstring>

#include "dynarray.hpp"
#include "jbase_stub/jsystem.h"
#include "layout.hpp"

extern "C" VAR* MVSJ_CALL(VAR* result, DPSTRUCT* dp, VAR* op, VAR* handle, VAR* a1, VAR* a2, VAR* a3);

extern "C" void jbase_stub_store(VAR* var, const char* text) {
    std::free(var->text);
    var->text = strdup(text);
}

using namespace mvsmtp::gci;
namespace M = field::Message;
namespace O = field::Options;
namespace R = field::Result;

namespace {

struct Var : VAR {
    explicit Var(const std::string& s, long n = 0) {
        text = strdup(s.c_str());
        number = n;
    }
    ~Var() { std::free(text); }
};

std::string call(const std::string& op, long handle, const std::string& a1, const std::string& a2,
                 const std::string& a3) {
    Var result(""), o(op), h("", handle), x1(a1), x2(a2), x3(a3);
    MVSJ_CALL(&result, nullptr, &o, &h, &x1, &x2, &x3);
    return result.text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_jbase_glue)

BOOST_AUTO_TEST_CASE(long_result_comes_back_whole) {
    char tmpl[] = "/tmp/mvsmtp-jbase-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    DynArrayBuilder m, o;
    m.set(M::FROM, "a@example.test");
    std::vector<std::string> to;
    for (int i = 0; i < 500; ++i) to.push_back("r" + std::to_string(i) + "@example.test");
    m.set(M::TO, to);
    o.set(O::OUTBOX, dir);
    const std::string r = call("SENDMAIL", 0, m.str(), "body", o.str());
    BOOST_TEST(r.size() > 4096u);  // longer than the glue's first buffer
    BOOST_TEST(extract(r, R::STATUS) == "2");
    BOOST_TEST(extract(r, R::RCPT_ADDRESS, 500) == "r499@example.test");
    std::system(("rm -rf '" + dir + "'").c_str());
}

BOOST_AUTO_TEST_CASE(failures_are_results) {
    BOOST_TEST(extract(call("NOPE", 0, "", "", ""), R::ERROR) == "60");
    BOOST_TEST(extract(call("SEND", 424242, "", "", ""), R::ERROR) == "67");
    BOOST_TEST(extract(call("CLOSE", 424242, "", "", ""), R::ERROR) == "67");
}

BOOST_AUTO_TEST_SUITE_END()
