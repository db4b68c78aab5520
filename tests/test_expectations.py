"""The reference's values on the hidden inputs: computed once per course and check version, cached on disk."""

import pickle
import shutil
from pathlib import Path

import pytest
import torch

import lesson_ref
from grader import FUNCTIONS, expectations
from grader.course import expectations_cache
from grader.runner import run_checks
from grader.sealed.cluster import warm_up
from grader.submission import Submission
from tests.test_catalogue import CATALOGUE, submission_with


@pytest.fixture(autouse=True)
def fresh():
    """Each test starts with no values in this process, and leaves none behind."""
    expectations.forget()
    yield
    expectations.forget()


def reference() -> Submission:
    return Submission.from_module(lesson_ref)


def catalogue_submission(entry: str) -> Submission:
    """The reference with one catalogue entry ("mse/fail_sum_not_mean") written the student's way."""
    return submission_with(CATALOGUE / f"{entry}.py")


def verdicts(submission: Submission) -> dict[str, list[tuple[str, str, str, str]]]:
    """Per function, every case's (check, case, outcome, message)."""
    return {
        fn: [(r.check, r.case, r.outcome, r.message) for r in run_checks(fn, submission).results] for fn in FUNCTIONS
    }


def test_expectations_are_computed_once_per_case():
    """Does a second grading compute none of the reference's values again?"""
    before = expectations.computed
    verdicts(reference())
    first = expectations.computed - before
    verdicts(reference())
    assert first >= 40  # every value, loss, gradient, step and optimum case of the four functions
    assert expectations.computed - before == first


@pytest.mark.parametrize(
    "name", ["mse/fail_sum_not_mean", "update/fail_wrong_sign", "cross_entropy/fail_unstable_softmax"]
)
def test_a_remembered_expectation_gives_the_same_verdicts(name):
    """Is every verdict and message the same with values computed afresh and with remembered ones?"""
    submission, before = catalogue_submission(name), expectations.computed
    cold = verdicts(submission)
    computed = expectations.computed
    assert computed > before  # the first grading computed them
    assert verdicts(submission) == cold and expectations.computed == computed  # the second remembered them


def test_a_caller_cannot_change_a_remembered_value():
    """Does changing a value in place leave the remembered one as it was (each caller gets a copy)?"""
    value = expectations.expect("case", "value", lambda: torch.tensor([1.0, 2.0]))
    value.add_(5)
    _, a = expectations.expect("case", "step", lambda: (torch.tensor(3.0), torch.tensor([4.0])))
    a.zero_()
    assert torch.equal(expectations.expect("case", "value", lambda: torch.zeros(2)), torch.tensor([1.0, 2.0]))
    _, a_again = expectations.expect("case", "step", lambda: (torch.zeros(()), torch.zeros(1)))
    assert torch.equal(a_again, torch.tensor([4.0]))


def test_the_cache_file_brings_the_values_to_the_next_run(tmp_path):
    """Does a run that finds the file compute nothing, and grade as a run that computed everything?"""
    cache = tmp_path / "expectations.cache"
    cold = verdicts(catalogue_submission("mse/fail_sum_not_mean"))
    expectations.save(cache)
    saved = expectations.computed
    expectations.forget()
    assert expectations.load(cache) >= 40
    assert verdicts(catalogue_submission("mse/fail_sum_not_mean")) == cold
    assert expectations.computed == saved
    assert cache.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("changed", ["grader/checks/test_mse.py", "lesson_ref/losses.py", "grader/points.py"])
def test_a_change_to_the_checks_the_reference_or_the_points_discards_the_file(tmp_path, monkeypatch, changed):
    """Is the file ignored once the checks, the reference or the points table change?"""
    root = tmp_path / "code"
    for source in expectations.SOURCES:
        (root / source).parent.mkdir(parents=True, exist_ok=True)
        copy = shutil.copytree if (expectations.ROOT / source).is_dir() else shutil.copy
        copy(expectations.ROOT / source, root / source)
    monkeypatch.setattr(expectations.fingerprint, "__defaults__", (root,))
    cache = tmp_path / "expectations.cache"
    expectations.expect("case", "value", lambda: torch.tensor(1.0))
    expectations.save(cache)
    expectations.forget()
    assert expectations.load(cache) == 1
    with (root / changed).open("a") as source:
        source.write("\n# changed\n")
    expectations.forget()
    assert expectations.load(cache) == 0


def test_another_torch_version_discards_the_file(tmp_path, monkeypatch):
    """Is the file ignored by another version of torch (whose kernels may round differently)?"""
    cache = tmp_path / "expectations.cache"
    expectations.expect("case", "value", lambda: torch.tensor(1.0))
    expectations.save(cache)
    monkeypatch.setattr(torch, "__version__", "0.0.1")
    assert expectations.load(cache) == 0


@pytest.mark.parametrize("content", [b"", b"not a torch file", b"PK\x03\x04truncated"])
def test_an_unreadable_file_is_ignored_and_replaced(tmp_path, content):
    """Does a broken cache file cost only the time to compute the values again, and get replaced?"""
    cache = tmp_path / "expectations.cache"
    cache.write_bytes(content)
    assert expectations.load(cache) == 0
    warm_up(cache)
    assert expectations.load(cache) >= 40


class _Planted:
    """Unpickled, it would create the file `marker`."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("weights_only", [True, False])
def test_a_planted_pickle_runs_no_code(tmp_path, weights_only):
    """Is a cache file holding a pickled program refused without running it (weights_only)?

    With weights_only=False the same file does run its program: the case shows the probe works.
    """
    cache, marker = tmp_path / "expectations.cache", tmp_path / "ran"
    planted = {"fingerprint": expectations.fingerprint(), "values": {"k": [_Planted(marker)]}}
    torch.save({**planted, "tuples": {}}, cache, pickle_module=pickle)
    if weights_only:
        assert expectations.load(cache) == 0
        assert not marker.exists()
    else:
        torch.load(cache, weights_only=False)
        assert marker.exists()


def test_only_cpu_values_are_kept_and_taken(tmp_path):
    """Are values on another device (a GPU's, computed by each grading process itself) neither kept nor taken?"""
    cache = tmp_path / "expectations.cache"
    expectations.expect("case", "cpu", lambda: torch.tensor(1.0))
    expectations.expect("case", "meta", lambda: torch.ones((), device="meta"))
    expectations.save(cache)
    expectations.forget()
    assert expectations.load(cache) == 1
    other = {"fingerprint": expectations.fingerprint(), "values": {"k": [torch.ones(2, device="meta")]}}
    torch.save({**other, "tuples": {"k": False}}, cache)
    assert expectations.load(cache) == 0


def test_the_warm_up_writes_the_file_and_the_next_one_computes_nothing(tmp_path):
    """Does a grading run keep the values for the next, which then computes none?"""
    cache = tmp_path / "expectations.cache"
    warm_up(cache)
    assert cache.exists()
    expectations.forget()
    before = expectations.computed
    warm_up(cache)
    assert expectations.computed == before


def test_the_file_lies_beside_the_gradebook(tmp_path):
    """Is the cache kept beside the SQLite gradebook it belongs to, or in the course folder for a server database?"""
    assert expectations_cache(tmp_path, "sqlite:////srv/course/grades.db") == Path("/srv/course/expectations.cache")
    assert expectations_cache(tmp_path, "postgresql+psycopg2://db/course") == tmp_path / "expectations.cache"
