/* sigmask_probe.c — loads libmvsmtp.so the way an engine does and reports the loading
 * thread's signal mask before and after, and the mask a command started afterwards inherits.
 *
 *   sigmask_probe /path/libmvsmtp.so          → "before 0\nafter 0\nchild 0\n"
 *   sigmask_probe /path/libmvsmtp.so block    (SIGPIPE blocked first: it must stay blocked)
 *
 * Each line is 1 when SIGPIPE is blocked. It is C and links no Poco on purpose: a process
 * that already has Poco loaded would not run Poco's static initialisers again at dlopen. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int pipe_blocked(void) {
    sigset_t s;
    sigemptyset(&s);
    pthread_sigmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, SIGPIPE) == 1;
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    if (argc > 2 && strcmp(argv[2], "block") == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &s, NULL);
    }
    printf("before %d\n", pipe_blocked());
    if (!dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    printf("after %d\n", pipe_blocked());
    fflush(stdout);
    /* SigBlk of a program started now by fork and exec, as EXECUTE or system() do (not
     * through a shell: some shells reset the mask themselves). SIGPIPE is bit 13 (0x1000). */
    int fds[2];
    if (pipe(fds) != 0) return 1;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        execl("/bin/grep", "grep", "SigBlk", "/proc/self/status", (char*)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256] = "";
    const ssize_t n = read(fds[0], line, sizeof line - 1);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    if (n <= 0 || !strchr(line, ':')) return 1;
    const unsigned long long mask = strtoull(strchr(line, ':') + 1, NULL, 16);
    printf("child %d\n", (mask & (1ULL << (SIGPIPE - 1))) ? 1 : 0);
    return 0;
}
