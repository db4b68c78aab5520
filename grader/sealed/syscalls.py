"""The sandbox's seccomp allowlists, compiled to BPF by libseccomp's own Python bindings (default: deny).

Run by Debian's /usr/bin/python3 (package python3-seccomp), standalone: it imports nothing of the kit.
    /usr/bin/python3 -I grader/sealed/syscalls.py ZYGOTE_OUT WORKER_OUT [--allow-all]
writes two BPF programs: the zygote's (bubblewrap loads it before the zygote starts; every worker
inherits it) and the workers' (each worker adds it on top, after its namespaces are set up). A syscall
missing from a list fails with EPERM; a syscall of another architecture (x32, i386) kills the process.

WORKER is what torch, numpy, matplotlib, IPython and the worker itself were measured to use on the CPU
while grading every sample and attack of this kit; regenerate it with
    .venv/bin/python benchmarks/measure_syscalls.py
which runs the grading under strace (with --allow-all) and prints the syscalls seen. Deliberately
absent from WORKER: new processes (fork, vfork, clone without CLONE_THREAD, clone3), exec, signals
(kill, tkill, tgkill, rt_*sigqueueinfo, pidfd_*), sockets of any kind (socket, socketpair, connect,
bind, listen, accept), namespaces and mounts (unshare, setns, mount, umount2, pivot_root), ptrace and
process_vm_*, io_uring, bpf, perf_event_open, keyctl, userfaultfd, memfd_create (memory held in
memfd files is not counted by the address-space limit), raising limits (prlimit64 may only
read), prctl but for thread names, and the ioctls but the few terminal queries listed.
"""

import errno
import sys

import seccomp

CLONE_THREAD = 0x00010000
TCGETS, TIOCGWINSZ, FIONREAD, FIOCLEX, FIONBIO = 0x5401, 0x5413, 0x541B, 0x5451, 0x5421
PR_SET_NAME, PR_GET_NAME = 15, 16

# Plain syscalls a worker may make, whatever their arguments.
WORKER = """
read write readv writev pread64 pwrite64 lseek close close_range
openat open stat fstat lstat newfstatat statx access faccessat faccessat2 readlink readlinkat
getdents64 getcwd chdir fchdir mkdir mkdirat unlink unlinkat rename renameat renameat2 rmdir
link linkat symlink symlinkat
fcntl dup dup2 dup3 pipe2 flock fsync fdatasync ftruncate fadvise64 utimensat fchmod chmod umask
mmap munmap mremap mprotect madvise brk mlock munlock mincore membarrier
futex futex_waitv set_robust_list get_robust_list rseq set_tid_address
sched_yield sched_getaffinity sched_setaffinity sched_getparam sched_getscheduler sched_get_priority_max
sched_get_priority_min getpriority
nanosleep clock_nanosleep clock_gettime clock_getres gettimeofday time
poll ppoll select pselect6 epoll_create1 epoll_ctl epoll_wait epoll_pwait eventfd2
recvfrom recvmsg sendto sendmsg shutdown getsockopt getsockname getpeername
rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigtimedwait rt_sigsuspend sigaltstack
getpid gettid getppid getuid geteuid getgid getegid getgroups getresuid getresgid getpgrp getpgid getsid
uname sysinfo getrusage times getrandom arch_prctl
exit exit_group wait4 waitid restart_syscall
statfs fstatfs sendfile copy_file_range mbind set_mempolicy get_mempolicy
"""

# The zygote also forks (clone without CLONE_THREAD), sets up each worker's namespaces and limits,
# drops its capabilities and loads the workers' filter.
ZYGOTE = """
clone execve unshare mount umount2 setgroups setsid kill capset capget setrlimit prlimit64 seccomp prctl
"""


def worker_filter(allow_all: bool) -> seccomp.SyscallFilter:
    """Default deny (EPERM); threads, reading limits and a few ioctls only with the arguments shown."""
    rules = seccomp.SyscallFilter(seccomp.ALLOW if allow_all else seccomp.ERRNO(errno.EPERM))
    if allow_all:
        return rules
    for name in WORKER.split():
        rules.add_rule(seccomp.ALLOW, name)
    rules.add_rule(seccomp.ALLOW, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, CLONE_THREAD))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # glibc falls back to clone, checked above
    rules.add_rule(seccomp.ALLOW, "prlimit64", seccomp.Arg(2, seccomp.EQ, 0))  # new limit NULL: only read
    for option in (PR_SET_NAME, PR_GET_NAME):  # thread names; never PR_SET_DUMPABLE and co.
        rules.add_rule(seccomp.ALLOW, "prctl", seccomp.Arg(0, seccomp.EQ, option))
    for request in (TCGETS, TIOCGWINSZ, FIONREAD, FIOCLEX, FIONBIO):
        rules.add_rule(seccomp.ALLOW, "ioctl", seccomp.Arg(1, seccomp.EQ, request))
    return rules


def zygote_filter(allow_all: bool) -> seccomp.SyscallFilter:
    """The workers' list plus what the zygote needs to fork and confine them."""
    rules = seccomp.SyscallFilter(seccomp.ALLOW if allow_all else seccomp.ERRNO(errno.EPERM))
    if allow_all:
        return rules
    for name in (WORKER + ZYGOTE).split():
        rules.add_rule(seccomp.ALLOW, name)
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for request in (TCGETS, TIOCGWINSZ, FIONREAD, FIOCLEX, FIONBIO):
        rules.add_rule(seccomp.ALLOW, "ioctl", seccomp.Arg(1, seccomp.EQ, request))
    return rules


def main(argv: list[str]) -> None:
    allow_all = "--allow-all" in argv
    zygote_out, worker_out = [a for a in argv if not a.startswith("--")]
    for rules, out in ((zygote_filter(allow_all), zygote_out), (worker_filter(allow_all), worker_out)):
        with open(out, "wb") as f:
            rules.export_bpf(f)


if __name__ == "__main__":
    main(sys.argv[1:])
