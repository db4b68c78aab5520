"""The sandbox's boundary, probed from inside real workers: what student code can and cannot reach.

Each probe runs in a worker made exactly as the zygote makes them (grader.sealed.zygote.spawn: bubblewrap
boundary, the worker's own namespaces, limits, no capabilities, both seccomp allowlists), but runs the
probe instead of the worker's protocol, so these tests hold whatever the protocol looks like.
"""

import itertools
import json
import os
import pwd
import subprocess
import sys
import textwrap

import pytest
from processes import descendants

from grader.course import ROOT
from grader.sealed import identity, sandbox
from grader.sealed.sandbox import SandboxUnavailable
from grader.sealed.spawn import seccomp_programs

# a course cloned under /tmp shows inside each worker's private /tmp: the top folder of each shown folder
# there (read-only, holding only the shown folders) is listed in /tmp; everything from it down is read-only
SHOWN_UNDER_TMP = [path for path in sandbox.shown_folders() if path.is_relative_to("/tmp")]
UNDER_TMP = sorted({path.relative_to("/tmp").parts[0] for path in SHOWN_UNDER_TMP})
SHADOWING = sorted(  # the shown folders under /tmp and every folder between them and /tmp: none writable
    {
        str(p)
        for path in SHOWN_UNDER_TMP
        for p in (path, *path.parents)
        if p.is_relative_to("/tmp") and p != sandbox.Path("/tmp")
    }
)
SHOWN_IN_ROOT = sorted({p.relative_to(ROOT).parts[0] for p in sandbox.shown_folders() if p.is_relative_to(ROOT)})
NOT_ITS_TMP = ["/", "/dev", "/work", str(ROOT), str(ROOT / "grader"), "/usr", "/etc", sys.prefix, *SHADOWING]
WRITABLE_OF = (  # code: the places in `places` a worker can create a file in
    "import os\nwritable = []\nfor p in places:\n    try:\n        open(os.path.join(p, 'w.txt'), 'w').close()\n"
    "        writable.append(p)\n    except OSError:\n        pass\nwritable"
)
LIBC = "import ctypes; libc = ctypes.CDLL(None, use_errno=True)\n"
DENIED = {  # probe -> code that must raise inside a worker (an OSError, ImportError, ... : anything but success)
    "read_the_reference": f"open({str(ROOT / 'lesson_ref' / 'losses.py')!r}).read()",
    "read_the_hidden_checks": f"open({str(ROOT / 'grader' / 'checks' / 'test_mse.py')!r}).read()",
    "read_the_source_notebook": f"open({str(ROOT / 'source' / 'lesson2_sgd' / 'lesson2_sgd.ipynb')!r}).read()",
    "read_the_nbgrader_config": f"open({str(ROOT / 'nbgrader_config.py')!r}).read()",
    "write_the_gradebook": f"open({str(ROOT / 'gradebook.db')!r}, 'ab').write(b'x')",
    "plant_a_module_in_the_course_folder": f"open({str(ROOT / 'sitecustomize.py')!r}, 'w').write('x')",
    "make_a_folder_in_the_course_folder": f"import os; os.mkdir({str(ROOT / 'planted')!r})",
    "write_into_the_python_installation": f"open({sys.prefix + '/pwned.txt'!r}, 'w').write('x')",
    "import_the_reference": "import lesson_ref.losses",
    "import_the_hidden_checks": "import grader.checks.test_mse",
    "fork": "import os; os.fork()",
    "vfork_or_clone_a_process": LIBC + "assert libc.syscall(58) == 0 or libc.syscall(56, 17, 0, 0, 0, 0) == 0",
    "run_a_program": "import os; os.execv('/usr/bin/true', ['true'])",
    "open_a_network_socket": "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
    "open_a_unix_socket": "import socket; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
    "open_a_netlink_socket": "import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)",
    "make_a_socketpair": "import socket; socket.socketpair()",
    "set_up_io_uring": LIBC + "import ctypes as c; p = c.create_string_buffer(120)\n"
    "fd = libc.io_uring_setup(8, p) if hasattr(libc, 'io_uring_setup') else libc.syscall(425, 8, p)\n"
    "assert fd >= 0, c.get_errno()",
    "signal_pid_1": "import os; os.kill(1, 9)",
    "signal_every_process": "import os; os.kill(-1, 9)",
    "queue_a_signal": LIBC + "assert libc.syscall(129, 1, 9, 0) == 0",  # rt_sigqueueinfo
    "signal_a_thread": LIBC + "assert libc.syscall(234, 1, 1, 9) == 0",  # tgkill
    "open_a_pidfd": LIBC + "assert libc.syscall(434, 1, 0) >= 0",  # pidfd_open
    "ptrace_anything": LIBC + "assert libc.ptrace(16, 1, 0, 0) == 0",  # PTRACE_ATTACH
    "create_a_user_namespace": LIBC + "assert libc.unshare(0x10000000) == 0",
    "mount_something": LIBC + "assert libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) == 0",
    "unmount_the_private_proc": LIBC + "assert libc.umount2(b'/proc', 2) == 0",
    "raise_its_cpu_limit": "import resource; resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))",
    "raise_its_memory_limit": "import resource; resource.setrlimit(resource.RLIMIT_AS, (-1, -1))",
    "raise_its_limits_with_prlimit": "import resource; resource.prlimit(0, resource.RLIMIT_NOFILE, (4096, 4096))",
    "regain_dumpable": LIBC + "assert libc.prctl(4, 1, 0, 0, 0) == 0 and libc.prctl(3, 0, 0, 0, 0) == 1",
    "load_a_bpf_program": LIBC + "assert libc.syscall(321, 0, 0, 0) >= 0",
    "open_perf_events": LIBC + "assert libc.syscall(298, 0, 0, -1, -1, 0) >= 0",
    "use_userfaultfd": LIBC + "assert libc.syscall(323, 0) >= 0",
    "hold_memory_in_a_memfd": "import os; os.memfd_create('held')",
    "use_keyctl": LIBC + "assert libc.syscall(250, 0, 0, 0, 0, 0) >= 0",
    "call_a_32_bit_syscall": LIBC + "assert libc.syscall(0x40000000 | 39) >= 0",  # x32 getpid
    "push_a_terminal_input_char": LIBC + "import ctypes as c; assert libc.ioctl(0, 0x5412, c.c_char_p(b'x')) == 0",
    "allocate_past_its_memory_limit": "import torch; torch.ones(2**31)",
    "start_more_threads_than_its_limit": "import threading, time\nfor _ in range(20):\n"
    "    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()",
}
FACTS = {  # probe -> code whose value must be the expected one
    "runs_as_65534": ("import os; (os.getuid(), os.getgid())", [65534, 65534]),
    "maps_no_uid_but_its_own": ("[line.split() for line in open('/proc/self/uid_map')]", [["65534", "65534", "1"]]),
    "has_no_capabilities": (
        "[l.split()[1] for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapPrm', 'CapBnd', 'CapAmb'))]",
        ["0000000000000000"] * 4,
    ),
    "has_no_new_privs_and_is_not_dumpable": (
        "[l.split()[1] for l in open('/proc/self/status') if l.startswith(('NoNewPrivs', 'Seccomp:'))]",
        ["1", "2"],
    ),
    "sees_no_other_process": ("import os; sorted(os.listdir('/proc'))", ["self"]),
    "is_alone_in_its_pid_namespace": ("import os; os.getpid()", 1),
    "has_a_session_so_a_cpu_share_of_its_own": ("import os; os.getsid(0)", 1),
    "has_an_empty_private_tmp": ("import os; sorted(os.listdir('/tmp'))", UNDER_TMP),
    "sees_no_course_folder": (f"import os; sorted(os.listdir({str(ROOT)!r}))", SHOWN_IN_ROOT),
    "sees_the_hidden_checks_folder_empty": (f"import os; os.listdir({str(ROOT / 'grader' / 'checks')!r})", []),
    "has_no_network_but_loopback": ("[line.split(':')[0].strip() for line in open('/proc/self/net/dev')][2:]", ["lo"]),
    "can_write_nowhere_but_its_tmp": (
        f"places = {NOT_ITS_TMP!r}\n" + WRITABLE_OF,
        [],
    ),
    "can_plant_nothing_on_its_sys_path": ("import os, sys\nplaces = [p or '.' for p in sys.path]\n" + WRITABLE_OF, []),
    "works_in_its_tmp": ("import os; open('notes.txt', 'w').write('ok'); os.getcwd()", "/tmp"),
}


def _probe_script(probes: dict[str, str]) -> str:
    """Inside the boundary: one worker per probe, made by the zygote's own spawn; each reports as JSON."""
    return textwrap.dedent(f"""
        import ast, json, os, sys
        sys.path.insert(0, {str(sandbox.package_root())!r})
        from grader.sealed import sandbox, zygote
        limits = sandbox.Limits(memory_bytes=2**30)
        worker_filter = os.read(int(sys.argv[1]), 1 << 20)
        probes = json.loads(sys.argv[2])
        exec(sys.argv[3] if len(sys.argv) > 3 else "")  # the test's own set-up, in the zygote, before any worker

        def serve_probe(code):
            def serve(channel):
                try:
                    tree = ast.parse(code)
                    last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None
                    scope = {{}}
                    exec(compile(tree, "<probe>", "exec"), scope)
                    out = {{"value": eval(compile(ast.Expression(last.value), "<probe>", "eval"), scope)
                            if last else None}}
                except BaseException as err:
                    out = {{"error": type(err).__name__, "message": str(err)[:300]}}
                channel.write(json.dumps(out, default=repr).encode()); channel.flush()
            return serve

        def refuse(channel, reason):
            channel.write(json.dumps({{"refused": reason}}).encode()); channel.flush()

        results = {{}}
        for name, code in probes.items():
            r, w = os.pipe()
            channel = os.fdopen(w, "wb")
            zygote.spawn(channel, limits, worker_filter, serve_probe(code), refuse)
            channel.close()
            with os.fdopen(r, "rb") as pipe:
                results[name] = json.loads(pipe.read() or b'{{"error": "no answer"}}')
        print(json.dumps(results))
    """)


def run_probes(probes: dict[str, str], setup: str = "") -> dict[str, dict]:
    """Run each probe in its own confined worker; -> probe -> {"value": ...} or {"error": ...}.

    setup: code the zygote runs first, inside the boundary (to show a worker something more).
    """
    zygote_filter, worker_filter = seccomp_programs()
    seccomp_fd, filter_fd = os.memfd_create("zygote"), os.memfd_create("worker")
    os.write(seccomp_fd, zygote_filter)
    os.write(filter_fd, worker_filter)
    for fd in (seccomp_fd, filter_fd):
        os.lseek(fd, 0, os.SEEK_SET)
    argv = [sandbox.python(), "-I", "-c", _probe_script(probes), str(filter_fd), json.dumps(probes), setup]
    proc = sandbox.start_boundary(argv, seccomp_fd, [filter_fd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(seccomp_fd)
    os.close(filter_fd)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-3000:]
    return json.loads(out.decode().splitlines()[-1])


@pytest.fixture(scope="module")
def probed():
    sandbox.check_available()
    codes = {**DENIED, **{name: code for name, (code, _) in FACTS.items()}}
    codes["private_tmp_of_another_worker"] = "import os; sorted(os.listdir('/tmp'))"
    codes["leave_a_file_for_the_next_worker"] = (
        "open('/tmp/left-behind', 'w').write('x'); open('/dev/shm/left-behind', 'w').write('x'); 'written'"
    )
    codes["private_shm_of_another_worker"] = "import os; sorted(os.listdir('/dev/shm'))"
    return run_probes(codes)


@pytest.mark.parametrize("probe", sorted(DENIED))
def test_worker_is_denied(probed, probe):
    """Is a worker stopped from doing this (the attempt raises, nothing happens)?"""
    assert "error" in probed[probe], f"{probe}: {DENIED[probe]!r} succeeded: {probed[probe]}"


@pytest.mark.parametrize("probe", sorted(FACTS))
def test_worker_sees_only_its_own_world(probed, probe):
    """Is this true inside every worker?"""
    assert probed[probe] == {"value": FACTS[probe][1]}, probed[probe]


def test_workers_do_not_share_their_tmp(probed):
    """Does a file one worker leaves in /tmp or /dev/shm stay invisible to the next worker?"""
    assert probed["leave_a_file_for_the_next_worker"] == {"value": "written"}
    assert probed["private_tmp_of_another_worker"] == {"value": UNDER_TMP}
    assert probed["private_shm_of_another_worker"] == {"value": []}


def test_worker_can_train_plot_and_use_threads():
    """Can student code still train with torch, draw with matplotlib, start a thread and use its folder?"""
    code = (
        "import threading, torch, matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "a = torch.nn.Parameter(torch.ones(2))\n((torch.randn(50, 2) @ a) ** 2).mean().backward()\n"
        "plt.plot([1, 2]); plt.savefig('plot.png')\nt = threading.Thread(target=print); t.start(); t.join()\n"
        "import os\n(a.grad.shape[0], sorted(os.listdir('.')))"
    )
    assert run_probes({"train": code})["train"] == {"value": [2, sorted(["plot.png", *UNDER_TMP])]}


def test_a_folder_shown_from_under_tmp_is_read_only_down_from_its_top_folder():
    """Wherever the course lies: is a folder shown from under /tmp bound read-only into a worker's private /tmp,
    with the folders between /tmp and it read-only and empty but for it, and the rest of /tmp still its own?"""
    top = "/tmp/shown-from-tmp"  # made in the boundary's own /tmp, then shown to workers as a course under /tmp
    setup = (
        f"os.makedirs({top + '/course/.venv'!r}); open({top + '/course/.venv/f.txt'!r}, 'w').write('ok')\n"
        "real_shown = sandbox.shown_folders\n"
        f"sandbox.shown_folders = lambda: sorted([*real_shown(), sandbox.Path({top + '/course/.venv'!r})])"
    )
    places = [top, top + "/course", top + "/course/.venv"]
    probes = {
        "writable": f"places = {places!r}\n" + WRITABLE_OF,
        "plant": f"import os; os.mkdir({top + '/course/planted'!r})",
        "view": f"import os; [sorted(os.listdir(p)) for p in ['/tmp', *{places!r}]]",
        "read": f"open({top + '/course/.venv/f.txt'!r}).read()",
        "scratch": "import os; open('/tmp/notes.txt', 'w').write('ok'); os.mkdir('/tmp/d'); sorted(os.listdir('/tmp'))",
    }
    got = run_probes(probes, setup)
    assert got["writable"] == {"value": []}, got["writable"]
    assert "error" in got["plant"], got["plant"]
    assert got["view"] == {"value": [sorted([*UNDER_TMP, "shown-from-tmp"]), ["course"], [".venv"], ["f.txt"]]}
    assert got["read"] == {"value": "ok"}
    assert got["scratch"] == {"value": sorted([*UNDER_TMP, "d", "notes.txt", "shown-from-tmp"])}


def test_a_worker_that_cannot_be_confined_runs_nothing_and_says_why():
    """Where confinement fails (here: an impossible limit), does the worker refuse to run, with the reason?"""
    probe_script = _probe_script({"x": "'ran'"}).replace("memory_bytes=2**30", "memory_bytes=2**30, open_files=-5")
    zygote_filter, worker_filter = seccomp_programs()
    fds = [os.memfd_create("zygote"), os.memfd_create("worker")]
    for fd, data in zip(fds, (zygote_filter, worker_filter), strict=True):
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    argv = [sandbox.python(), "-I", "-c", probe_script, str(fds[1]), json.dumps({"x": "'ran'"})]
    proc = sandbox.start_boundary(argv, fds[0], [fds[1]], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for fd in fds:
        os.close(fd)
    out, _ = proc.communicate(timeout=120)
    result = json.loads(out.decode().splitlines()[-1])["x"]
    assert "the sandbox could not be set up" in result.get("refused", ""), result


def test_grading_refuses_loudly_where_bubblewrap_is_missing(monkeypatch):
    """Without bubblewrap, does sealed grading refuse with the missing feature and the ways out?"""
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match=r"bubblewrap.*not installed.*autograde.*--unconfined"):
        sandbox.check_available()


def test_workers_run_on_the_host_as_the_identity_the_grader_chose():
    """Seen from the host, is every process inside the boundary the chosen identity (never the grader's own uid
    where the host grants another), with no supplementary group where it could drop them?"""
    chosen = identity.current()
    script = "import os, time; pid = os.fork()\nif pid == 0: time.sleep(30)\nprint('up', flush=True); time.sleep(30)"
    zygote_filter, _ = seccomp_programs()
    seccomp_fd = os.memfd_create("zygote")
    os.write(seccomp_fd, zygote_filter)
    os.lseek(seccomp_fd, 0, os.SEEK_SET)
    proc = sandbox.start_boundary([sandbox.python(), "-I", "-c", script], seccomp_fd, stdout=subprocess.PIPE)
    os.close(seccomp_fd)
    try:
        assert proc.stdout.readline() == b"up\n"
        inside = descendants(proc.pid)
        assert len(inside) >= 3  # bubblewrap, the script, its child
        for pid in inside:
            status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
            assert status["Uid"].split() == [str(chosen.uid)] * 4, (pid, status["Uid"])
            assert status["Gid"].split() == [str(chosen.gid)] * 4, (pid, status["Gid"])
            if chosen.kind != "own":
                assert status["Groups"].split() == [], (pid, status["Groups"])
    finally:
        proc.kill()
        proc.wait()
    if chosen.kind != "own":
        assert chosen.uid != os.getuid()


def test_grading_refuses_loudly_where_the_ids_cannot_be_mapped(monkeypatch):
    """Where newuidmap refuses the workers' ids (not granted to this user), does grading refuse and say why?"""
    monkeypatch.setattr(identity, "current", lambda: identity.Identity("subordinate", 1, 1))
    with pytest.raises(SandboxUnavailable, match=r"newuidmap refused to map 1.*--unconfined"):
        sandbox.start_boundary(["true"], os.memfd_create("empty"))


def test_subordinate_ids_are_read_by_user_name_or_uid(tmp_path):
    """Is the first id of the first range /etc/subuid grants the user found, by name or by number, and nothing
    for a user with no range, an empty range or a malformed line?"""
    table = tmp_path / "subuid"
    me = pwd.getpwuid(os.getuid()).pw_name
    table.write_text(f"someone:200000:65536\nbroken line\n{me}:300000:0\n{me}:400000:65536\n")
    assert identity.first_subordinate(table, os.getuid()) == 400000
    table.write_text(f"{os.getuid()}:500000:10\n")
    assert identity.first_subordinate(table, os.getuid()) == 500000
    table.write_text("someone:200000:65536\n")
    assert identity.first_subordinate(table, os.getuid()) is None
    assert identity.first_subordinate(tmp_path / "missing", os.getuid()) is None


def test_the_report_says_what_the_workers_are_on_the_host():
    """Does each identity describe itself in words, naming the reason where workers share the grader's uid?"""
    assert "subordinate uid (100000)" in identity.Identity("subordinate", 100000, 100000).describe()
    assert "nobody (65534)" in identity.Identity("nobody", 65534, 65534).describe()
    own = identity.Identity("own", 1001, 1001, "uid 1001 has no subordinate ids").describe()
    assert "own uid 1001" in own and "no subordinate ids" in own


def test_grading_refuses_loudly_where_user_namespaces_are_off(monkeypatch):
    """Where bubblewrap cannot make namespaces, does grading refuse with the reason and the ways out?"""
    real_run = subprocess.run

    def run(cmd, **kwargs):
        if cmd[0] == "bwrap":
            return subprocess.CompletedProcess(cmd, 1, "", "bwrap: No permissions to create new namespace")
        return real_run(cmd, **kwargs)

    monkeypatch.setattr(sandbox.subprocess, "run", run)
    with pytest.raises(SandboxUnavailable, match=r"user namespaces.*--unconfined"):
        sandbox.check_available()


def test_the_boundary_never_shows_the_reference_or_the_checks():
    """Do the bubblewrap arguments hide grader/checks and lesson_ref wherever they are installed?"""
    cmd = sandbox.bwrap_command(["true"], 99, {path: 100 + i for i, path in enumerate(sandbox.shown_folders())})
    shown = {cmd[i + 2] for i, arg in enumerate(cmd) if arg in ("--ro-bind", "--ro-bind-fd", "--bind", "--dev-bind")}
    assert str(ROOT) not in shown and str(ROOT / "lesson_ref") not in shown
    for hidden in sandbox.hidden_paths():
        inside = any(hidden.is_relative_to(p) for p in map(type(hidden), shown))
        assert not inside or ("--tmpfs", str(hidden)) in itertools.pairwise(cmd), hidden


def test_a_course_under_tmp_stays_visible_inside_the_boundary():
    """Is the sandbox's own /tmp mounted before the shown folders, so a course cloned under /tmp still shows?"""
    cmd = sandbox.bwrap_command(["true"], 99, {sandbox.Path("/tmp/course/.venv"): "/mnt/0"})
    tmpfs = next(i for i, arg in enumerate(cmd) if cmd[i : i + 2] == ["--tmpfs", "/tmp"])
    assert tmpfs < cmd.index("/tmp/course/.venv")
