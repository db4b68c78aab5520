"""formgrader's Autograde button grades sealed: a Jupyter server run by an ordinary user, clicked in Chromium.

The instructor's usual way on a shared server. Started as root, the server runs as a made user with
subordinate ids (tests/test_as_ordinary_user.py makes it); else as the user running the tests. Headless
Chromium (Debian's, through Debian's chromedriver and Selenium) clicks Autograde for each student and reads
the score from the page; `python -m grader grade`, as the same user on a copy of the course, is the yardstick.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from processes import descendants
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from test_as_ordinary_user import _make_user
from test_sealed import ATTACKS, attack_settings, write_notebook

from grader import ASSIGNMENT, course, samples
from grader.course import NOTEBOOK

USER = "lesson2-web"
HOSTILE = "patch_torch_helpers_at_top_level"  # replaces torch's comparisons at import: full marks in a kernel
STUDENTS = ["pass_reference", "fail_mse_sum", f"attack_{HOSTILE}"]
TOKEN = "formgrader-test-token"


def _run_as(argv: list[str], cwd: Path, **popen):
    """argv as the course's owner: the made user when we are root, else ourselves (a clean environment)."""
    home = cwd.parent
    env = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", "LANG=C.UTF-8"]
    prefix = ["runuser", "-u", USER, "--"] if os.geteuid() == 0 else []
    return [*prefix, *env, *argv], dict(cwd=cwd, **popen)


def _build(root: Path) -> None:
    """The course released, with the students' notebooks in submitted/."""
    course.release(root)
    samples.write_submissions(root, STUDENTS[:2])
    release_nb = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solutions = samples.solution_sources(nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4))
    code = {attack_settings(HOSTILE)["TARGET"]: (ATTACKS / f"{HOSTILE}.py").read_text()}
    write_notebook(root, STUDENTS[2], samples.filled_notebook(release_nb, solutions, code))


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    """(the course the button grades, a copy graded by `python -m grader grade`), both the instructor's."""
    if os.geteuid() == 0:
        clicked = _make_user(USER, subordinate=True)
    else:
        clicked = tmp_path_factory.mktemp("home") / "course"
        shutil.copytree(course.ROOT, clicked, ignore=shutil.ignore_patterns("submitted", "autograded", "*.db"))
    _build(clicked)
    yardstick = clicked.parent / "course-graded-by-grade"
    shutil.rmtree(yardstick, ignore_errors=True)
    subprocess.run(["cp", "-a", str(clicked), str(yardstick)], check=True)
    if os.geteuid() == 0:
        for root in (clicked, yardstick):
            subprocess.run(["chown", "-R", "--no-dereference", f"{USER}:{USER}", str(root)], check=True)
    argv, kw = _run_as([".venv/bin/python", "-m", "grader", "grade"], yardstick, capture_output=True, text=True)
    proc = subprocess.run(argv, timeout=900, **kw)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return clicked, yardstick


@pytest.fixture(scope="module")
def server(courses):
    """A Jupyter server with nbgrader's formgrader, started by the instructor in the course folder."""
    clicked, _ = courses
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = clicked.parent / "jupyter-server.log"
    argv = [".venv/bin/jupyter", "server", "--no-browser", f"--port={port}", f"--IdentityProvider.token={TOKEN}"]
    with open(log, "wb") as out:
        cmd, kw = _run_as(argv, clicked, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        proc = subprocess.Popen(cmd, **kw)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
    yield url, proc, log
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def clicked_scores(server):
    """student -> the score formgrader's page shows after its Autograde button was clicked, e.g. '16 / 20'."""
    url, _, _ = server
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    page = f"{url}/formgrader/manage_submissions/{ASSIGNMENT}"
    shown = {}
    try:
        driver.get(f"{url}/login?token={TOKEN}")  # the login cookie, which formgrader's API calls need
        for student in STUDENTS:
            driver.get(page)
            row = f"//tr[td[contains(@class,'student-id')][text()='{student}']]"
            button = (By.XPATH, f"{row}/td[contains(@class,'autograde')]/a")
            WebDriverWait(driver, 60).until(expected_conditions.element_to_be_clickable(button)).click()
            success = expected_conditions.visibility_of_element_located((By.ID, "success-modal"))
            WebDriverWait(driver, 600).until(success)
            driver.get(page)
            shown[student] = WebDriverWait(driver, 60).until(_score_text(f"{row}/td[contains(@class,'score')]"))
    finally:
        driver.quit()
    return shown


def _score_text(xpath: str):
    """A wait condition: the score cell's text once the page has filled it in (the cell's text, else False)."""
    return lambda driver: driver.find_element(By.XPATH, xpath).get_attribute("textContent").strip() or False


@pytest.mark.parametrize("student", STUDENTS)
def test_the_autograde_button_gives_the_score_grade_gives(courses, clicked_scores, student):
    """Clicked in formgrader, does Autograde give this student the total `python -m grader grade` gives (the
    notebook that fakes torch's comparisons included)?"""
    _, yardstick = courses
    total = sum(course.scores(yardstick)[student].values())
    assert clicked_scores[student] == f"{total:g} / 20"


def test_the_hostile_notebook_loses_its_mse_points_through_the_button(courses, clicked_scores):
    """Does the notebook that makes every comparison true get 16, not the 20 a kernel would give it?"""
    assert clicked_scores[f"attack_{HOSTILE}"] == "16 / 20"


def test_the_button_grades_sealed_and_the_server_says_so(server, clicked_scores):
    """Does the server's log say each student was graded sealed, and as whom the workers ran?"""
    _, _, log = server
    text = log.read_text()
    for student in STUDENTS:
        assert f"grading {student} sealed: workers run as" in text, text[-3000:]


def test_the_sandbox_stays_warm_in_the_server_between_students(server, clicked_scores):
    """After three students, does the server hold one zygote (started once, kept warm), not one per student?"""
    _, proc, _ = server
    zygotes = [pid for pid in descendants(proc.pid) if _is_zygote(pid)]
    assert len(zygotes) == 1, zygotes
    if os.geteuid() == 0:
        owner = int(open(f"/proc/{zygotes[0]}/status").read().split("Uid:")[1].split()[0])
        assert owner != pwd.getpwnam(USER).pw_uid  # a subordinate uid, not the instructor's


def _is_zygote(pid: int) -> bool:
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
    except OSError:
        return False
    return Path(argv[0].decode()).name.startswith("python") and b"from grader.sealed.zygote import main" in argv[3]
