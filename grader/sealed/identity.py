"""Who student code is on the host: a uid of its own where the host grants one, else the grader's own uid.

Inside the sandbox every worker is uid/gid 65534; this module decides what that maps to outside, in the
user namespace the launcher (grader/sealed/sandbox.py) makes before it execs bubblewrap:
- "subordinate": an ordinary user granted subordinate ids (/etc/subuid, /etc/subgid; shadow's setuid
  newuidmap/newgidmap from Debian's `uidmap`, the mechanism of rootless Podman): the first of them, a uid
  that owns nothing on the host;
- "nobody": a grader started as root maps the host's nobody (root may map any id; no helper needed);
- "own": an ordinary user without subordinate ids: the grader's own uid and groups (docs/threat-model.md
  says what that changes).
No root is needed for any of them.
"""

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SANDBOX_ID = 65534  # the workers' uid and gid inside the sandbox
HELPERS = ("newuidmap", "newgidmap")


class MappingFailed(RuntimeError):
    """The user namespace could not be given its ids; the message says why, in words."""


@dataclass(frozen=True)
class Identity:
    """The workers' host uid and gid, and how they were chosen (kind; why, when not the strongest)."""

    kind: str  # "subordinate", "nobody" or "own"
    uid: int
    gid: int
    why: str = ""  # for "own": why no uid of their own (what to install or ask for)

    def describe(self) -> str:
        """One line for the report: what the workers are on the host."""
        if self.kind == "own":
            return f"workers run under the grader's own uid {self.uid} outside the sandbox ({self.why})"
        name = "a subordinate uid" if self.kind == "subordinate" else "the host's nobody"
        return f"workers run as {name} ({self.uid}), never the grader's own uid"

    def map_into(self, pid: int) -> None:
        """Map the sandbox's 65534 to these ids in the (new) user namespace of process `pid`."""
        if self.kind == "subordinate":
            for helper, host in zip(HELPERS, (self.uid, self.gid), strict=True):
                done = subprocess.run([helper, str(pid), str(SANDBOX_ID), str(host), "1"], capture_output=True)
                if done.returncode != 0:
                    said = done.stderr.decode(errors="replace").strip()[-300:]
                    raise MappingFailed(f"{helper} refused to map {host} ({said or 'exit ' + str(done.returncode)})")
            return
        try:
            if self.kind == "own":  # an unprivileged map of our own ids needs setgroups denied first
                Path(f"/proc/{pid}/setgroups").write_text("deny")
            Path(f"/proc/{pid}/uid_map").write_text(f"{SANDBOX_ID} {self.uid} 1")
            Path(f"/proc/{pid}/gid_map").write_text(f"{SANDBOX_ID} {self.gid} 1")
        except OSError as err:
            raise MappingFailed(f"the kernel refused the id map ({err.strerror})") from None


@cache
def current() -> Identity:
    """The identity this process's workers get (root: nobody; else subordinate ids if granted, else own)."""
    if os.geteuid() == 0:
        return Identity("nobody", SANDBOX_ID, SANDBOX_ID)
    uid, gid = os.getuid(), os.getgid()
    ranges = [first_subordinate(Path(f"/etc/sub{kind}"), uid) for kind in ("uid", "gid")]
    missing_helpers = [helper for helper in HELPERS if shutil.which(helper, path="/usr/bin:/bin") is None]
    if None in ranges:
        why = f"uid {uid} has no subordinate ids in /etc/subuid and /etc/subgid"
    elif missing_helpers:
        why = f"{' and '.join(missing_helpers)} not installed (Debian's `uidmap`)"
    else:
        return Identity("subordinate", ranges[0], ranges[1])
    return Identity("own", uid, gid, why)


def first_subordinate(table: Path, uid: int) -> int | None:
    """The first id of the first range /etc/subuid (or subgid) grants this uid, by name or number; else None."""
    names = {str(uid)}
    try:
        names.add(pwd.getpwuid(uid).pw_name)
    except KeyError:
        pass
    try:
        lines = table.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.strip().split(":")
        if len(fields) == 3 and fields[0] in names and fields[1].isdigit() and fields[2].isdigit():
            if int(fields[2]) >= 1:
                return int(fields[1])
    return None
