"""Runs the hidden pytest checks of contract functions against a submission: one function, or several in one session."""

import builtins
import contextlib
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader import points
from grader.submission import Functions, MissingFunction, NoisyCall

CHECKS_DIR = Path(__file__).parent / "checks"
SUBMISSION_KEY = pytest.StashKey[Functions]()


@dataclass
class CheckResult:
    """One run of one check (one parametrisation)."""

    check: str  # the test function's name
    question: str  # its docstring: what a student reads when it fails
    case: str  # the parametrisation, e.g. "cpu-float64"
    outcome: str  # "passed", "failed" or "skipped"
    message: str = ""
    device: str = "cpu"  # the case's device (a check without a device parameter runs on the cpu)


@dataclass
class FunctionChecks:
    """The outcome of every hidden check of one function."""

    function: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.outcome == "failed"]

    @property
    def lost(self) -> list[str]:
        """The points-table items not earned (grader/points.py)."""
        return points.lost_items(self.function, self.results)

    @property
    def score(self) -> float:
        return points.score(self.function, self.lost)

    @property
    def passed(self) -> bool:
        return not self.lost

    def outcomes(self) -> dict[str, str]:
        """check -> "failed" if any case failed, else "passed" if any passed, else "skipped"."""
        rank = {"skipped": 0, "passed": 1, "failed": 2}
        out: dict[str, str] = {}
        for r in self.results:
            if rank[r.outcome] >= rank[out.get(r.check, "skipped")]:
                out[r.check] = r.outcome
        return out

    def mistakes(self) -> dict[str, str]:
        """failed check -> the English line of its first failure message."""
        out: dict[str, str] = {}
        for r in self.failed:
            if r.message:
                out.setdefault(r.check, r.message.splitlines()[0])
        return out

    def summary(self) -> str:
        """Per failing check: its question, the points it costs, the first message, how many cases failed."""
        lost = self.lost
        by_check: dict[str, list[CheckResult]] = {}
        for r in self.failed:
            by_check.setdefault(r.check, []).append(r)
        counts = {r.check: 0 for r in self.results}
        for r in self.results:
            counts[r.check] += r.outcome != "skipped"
        lines = []
        for check, fails in by_check.items():
            cost = _cost(self.function, check if check in lost else points.ANY_DEVICE)
            where = "" if check in lost else f" [{', '.join(sorted({r.device for r in fails}))}]"
            cases = f" ({len(fails)} of {counts[check]} cases / {counts[check]} 例中 {len(fails)} 例{where})"
            cases = cases if counts[check] > 1 else where
            lines.append(f"- {fails[0].question}{cases} {cost}\n    {_indent(fails[0].message)}")
        return "\n".join(lines)


def _cost(function: str, item: str) -> str:
    if item in points.REQUIRED:
        return "[required: 0 points for the function / 必需项:本函数得 0 分]"
    return f"[-{points.TABLE[function][item]:g} / 扣 {points.TABLE[function][item]:g} 分]"


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


class _Collector:
    """pytest plugin: hands the submission to the checks and records each outcome."""

    def __init__(self, submission: Functions | None, checks: "FunctionChecks | None"):
        self.submission = submission
        self.checks = checks
        self.questions: dict[str, str] = {}
        self.devices: dict[str, str] = {}
        self.withheld: dict[str, str] = {}  # nodeid -> the exception the student's code raised (text withheld)

    def pytest_configure(self, config):
        if self.submission is not None:
            config.stash[SUBMISSION_KEY] = self.submission

    def pytest_collection_modifyitems(self, items):
        for item in items:
            doc = (item.function.__doc__ or item.name).strip().split("\n\n")[0]  # English line, Chinese line
            self.questions[item.nodeid] = " / ".join(line.strip() for line in doc.splitlines())
            callspec = getattr(item, "callspec", None)
            self.devices[item.nodeid] = str(callspec.params.get("device", "cpu")) if callspec else "cpu"

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if call.excinfo is not None and report.failed and not _raised_by_the_grader(call.excinfo):
            self.withheld[item.nodeid] = _exception_name(call.excinfo.value)
        return report

    def pytest_runtest_logreport(self, report):
        if report.when != "call" and report.outcome == "passed":
            return
        name, _, case = report.nodeid.split("::")[-1].partition("[")
        message = ""
        if report.nodeid in self.withheld:
            kind = self.withheld[report.nodeid]
            message = (
                f"your function raised {kind} on the hidden inputs (its message is not shown: it could hold them)\n"
                f"你的函数在隐藏输入上抛出了 {kind}(不显示其消息:其中可能含有隐藏输入)"
            )
        elif report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = _first_paragraph(crash.message if crash else str(report.longrepr))
        elif report.skipped:
            message = report.longrepr[2]  # (file, line, reason)
        self.checks.results.append(
            CheckResult(
                name,
                self.questions.get(report.nodeid, name),
                case.rstrip("]"),
                report.outcome,
                message,
                self.devices.get(report.nodeid, "cpu"),
            )
        )


def _raised_by_the_grader(excinfo) -> bool:
    """Was the failure raised by a check itself (or the grader's own wrappers), not by the student's code?

    Student text must not reach feedback from a call on hidden inputs (an exception's message can quote
    them), so only the checks' own messages are shown: an exception whose innermost frame is in
    grader/checks, or one of the grader's own kinds (a missing function, noise, a lost worker).
    """
    from grader.sealed.remote import Unreturnable, WorkerLost  # the sealed grader's; loads nothing of a sandbox

    if isinstance(excinfo.value, (MissingFunction, NoisyCall, WorkerLost, Unreturnable)):
        return True
    return Path(str(excinfo.traceback[-1].path)).resolve().is_relative_to(CHECKS_DIR.resolve())


def _exception_name(err: BaseException) -> str:
    """The exception's class name if it is a Python builtin one, else just 'an exception' (names are text too)."""
    kind = type(err).__name__
    return kind if getattr(builtins, kind, None) is type(err) else "an exception"


# the class name pytest puts before an assertion's message: AssertionError, grader.submission.NoisyCall, ...
_EXCEPTION_NAME = re.compile(r"^(?:[\w.]+\.)?(?:AssertionError|NoisyCall|MissingFunction|WorkerLost|Unreturnable): ")


def _first_paragraph(message: str) -> str:
    """The assertion's own message, without its class name or pytest's `assert ...` rewrite that follows it."""
    message = message.split("\nassert ")[0].strip()
    return _EXCEPTION_NAME.sub("", message, count=1)


def run_checks(function: str, submission: Functions, keyword: str | None = None) -> FunctionChecks:
    """Run grader/checks/test_<function>.py on `submission`; pytest's own output is swallowed.

    keyword: a pytest -k expression choosing the cases (the sealed warm-up leaves out the cuda ones).
    """
    checks = FunctionChecks(function)
    _pytest_main([function], ["-k", keyword] if keyword else [], [_Collector(submission, checks)])
    return checks


def run_checks_together(functions: list[str], each: "Callable[[CheckOne], None]", keyword: str | None = None) -> None:
    """One pytest session for the checks of several functions, run one function at a time by `each`.

    each(check_one) is called once, inside the session; check_one(function, submission) -> FunctionChecks runs
    that function's checks as run_checks would (its fixtures set up and torn down within the call), for any of
    `functions`, at most once each, in any order; one never called runs nothing. What `each` raises is raised
    here. A pytest session costs about 20 ms before its first check: this pays it once for all the functions.
    keyword: as run_checks's.
    """
    collector = _Collector(None, None)
    driver = _Driver(collector, functions, each)
    _pytest_main(functions, ["-k", keyword] if keyword else [], [collector, driver])
    if driver.raised is not None:
        raise driver.raised


CheckOne = Callable[[str, Functions], FunctionChecks]


class _Driver:
    """pytest plugin: hands the run loop to `each`, which runs one function's collected checks at a time."""

    def __init__(self, collector: _Collector, functions: list[str], each):
        self.collector, self.each, self.raised = collector, each, None
        # keyed as pytest names the files it was given (os.path.abspath: no symlinks resolved, no file system read)
        self.paths = {Path(os.path.abspath(CHECKS_DIR / f"test_{function}.py")): function for function in functions}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.testsfailed:  # a check module that cannot be collected: as pytest's own loop does
            raise session.Interrupted(f"{session.testsfailed} error(s) during collection")
        by_function: dict[str, list] = {function: [] for function in self.paths.values()}
        for item in session.items:  # in file order, each file's items together
            by_function[self.paths[Path(os.path.abspath(item.path))]].append(item)
        done: set[str] = set()

        def check_one(function: str, submission: Functions) -> FunctionChecks:
            if function not in by_function or function in done:
                raise ValueError(f"the checks of {function} are not in this session, or ran already")
            done.add(function)
            self.collector.checks = FunctionChecks(function)
            session.config.stash[SUBMISSION_KEY] = submission  # what the `student` fixture hands the checks
            items = by_function[function]
            for item, after in zip(items, [*items[1:], None], strict=True):  # None: tear every fixture down
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=after)
            return self.collector.checks

        try:
            self.each(check_one)
        except BaseException as err:  # pytest would report it as its own internal error: the caller's, raised there
            self.raised = err
        return True


def _pytest_main(functions: list[str], options: list[str], plugins: list) -> None:
    """pytest.main on the check files of `functions`, its own output swallowed; RuntimeError unless it ran."""
    args = [
        *(str(CHECKS_DIR / f"test_{function}.py") for function in functions),
        *options,
        "-q",
        "-p",
        "no:cacheprovider",
        "--disable-plugin-autoload",  # no third-party plugins (anyio and co. come with jupyter)
        "--assert=plain",  # every check writes its own message: no assertion rewriting needed
        "--tb=line",  # only the crash line is read: no full tracebacks to render
        # plugins the checks never use; unraisableexception runs gc.collect() twice a session (~0.1 s each)
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "-p",
        "no:logging",
        "-p",
        "no:doctest",
        "-p",
        "no:junitxml",
        "-p",
        "no:pastebin",
        "-p",
        "no:legacypath",
        "-c",
        os.devnull,  # ignore any pytest config found near the submission
        "--rootdir",
        str(CHECKS_DIR),
    ]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = pytest.main(args, plugins=plugins)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the hidden checks for {', '.join(functions)} could not run (pytest exit code {code})")
