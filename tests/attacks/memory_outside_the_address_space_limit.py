"""Hold about 4 GiB in memfd files: shared memory that is never mapped is not counted by RLIMIT_AS.

The worker's memory limit (SealedGrader.memory_mb) is an address-space rlimit; memfd_create and write()
are on the workers' seccomp allowlist, RLIMIT_FSIZE caps one file at 16 MiB and RLIMIT_NOFILE the number
of files at 256, so one worker may hold about 4 GiB of shmem whatever memory_mb says (plus 64 MiB each of
/tmp, /dev/shm and pipe buffers). Outcome at 14b7a1a with memory_mb = 1024: the worker held 3.9 GiB and
scored full marks; the machine's used memory rose by about 4 GiB per such worker, and --jobs of them at
once can push the box into the OOM killer, which does not count unmapped shmem against the worker and so
picks other processes. A worker's whole memory (tmpfs, memfd, pipes included) must stay within its limit.
"""
TARGET, EXPECT = "mse", {}
import os

_kept = []
_chunk = b"\1" * (16 * 2**20 - 4096)
while len(_kept) < 250:
    try:
        _fd = os.memfd_create("held")
        os.write(_fd, _chunk)
        _kept.append(_fd)
    except OSError:
        break
del _chunk


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
