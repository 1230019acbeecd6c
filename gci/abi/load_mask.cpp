// load_mask.cpp — loading libmvsmtp.so leaves the loading thread's signal mask as it was.
//
// Nothing to call: it works by being linked into the library. Why it is needed: Poco
// Foundation has a static initialiser (Thread_POSIX.cpp, "SignalBlocker") that blocks
// SIGPIPE in whichever thread loads it, and every command that thread starts afterwards
// (EXECUTE SH, system()) inherits the blocked signal. README promises the library leaves
// signals alone, so the loading thread's SIGPIPE state is put back.
//
// How: the state must be read before Poco's initialiser runs, and a shared object's own
// constructors always run after those of the libraries it needs. The dynamic linker
// relocates every object of a dlopen (or of program start) before it runs any initialiser,
// and an IRELATIVE relocation calls its resolver then: the resolver below records the mask,
// with a raw system call since nothing else may be relied on that early. The constructor at
// the end runs after Poco's and restores SIGPIPE (only SIGPIPE: nothing else is Poco's).
// Where no raw call is written for the architecture, nothing is recorded and nothing done.
#include <signal.h>
#include <sys/syscall.h>

#include <cstdint>

namespace {

std::uint64_t g_mask_at_load = 0;  // kernel sigset: bit (n-1) = signal n
bool g_mask_recorded = false;

__attribute__((no_stack_protector)) long raw_get_sigmask(std::uint64_t* out) {
#if defined(__x86_64__)
    long ret;
    register long size asm("r10") = sizeof(std::uint64_t);
    asm volatile("syscall"
                 : "=a"(ret)
                 : "0"(static_cast<long>(SYS_rt_sigprocmask)), "D"(static_cast<long>(SIG_BLOCK)), "S"(0L), "d"(out),
                   "r"(size)
                 : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 asm("x8") = SYS_rt_sigprocmask;
    register long x0 asm("x0") = SIG_BLOCK;
    register long x1 asm("x1") = 0;
    register std::uint64_t* x2 asm("x2") = out;
    register long x3 asm("x3") = sizeof(std::uint64_t);
    asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
#else
    (void)out;
    return -1;
#endif
}

}  // namespace

extern "C" {

__attribute__((visibility("hidden"))) void mvs_mask_probe_target() {}

// Runs while the library is being relocated, before any initialiser (see the top).
__attribute__((visibility("hidden"), no_stack_protector)) void (*mvs_mask_probe_resolver())() {
    if (raw_get_sigmask(&g_mask_at_load) == 0) g_mask_recorded = true;
    return &mvs_mask_probe_target;
}

__attribute__((visibility("hidden"), ifunc("mvs_mask_probe_resolver"))) void mvs_mask_probe();

}  // extern "C"

namespace {

// Taking the address makes the linker emit the IRELATIVE relocation that calls the resolver.
__attribute__((used)) void (*volatile g_mask_probe)() = &mvs_mask_probe;

__attribute__((constructor)) void restore_sigpipe_after_load() {
    if (!g_mask_recorded) return;
    const bool was_blocked = (g_mask_at_load >> (SIGPIPE - 1)) & 1u;
    sigset_t now;
    sigemptyset(&now);
    if (pthread_sigmask(SIG_BLOCK, nullptr, &now) != 0) return;
    if (was_blocked || sigismember(&now, SIGPIPE) != 1) return;
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &pipe_set, nullptr);
}

}  // namespace
