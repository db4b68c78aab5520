"""The hidden checks pass the reference and the notebook's solution, and catch each sample's bug."""

import pytest
import torch

import lesson_ref
from grader import FUNCTIONS, POINTS, points, samples
from grader.hidden import HiddenChecksFailed, award
from grader.runner import run_checks, run_checks_together
from grader.submission import Submission


@pytest.fixture(scope="module")
def sample_submission(source_nb, release_nb):
    def build(name):
        nb = samples.sample_notebook(samples.SAMPLES_DIR / f"{name}.py", release_nb, source_nb)
        return Submission(samples.namespace(nb))

    return build


@pytest.mark.parametrize("function", FUNCTIONS)
def test_reference_passes_every_hidden_check(function):
    """Does lesson_ref pass all hidden checks of each function?"""
    checks = run_checks(function, Submission.from_module(lesson_ref))
    assert checks.passed, checks.summary()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_notebook_solution_passes_every_hidden_check(function, source_nb):
    """Does the instructor notebook's own solution pass all hidden checks?"""
    checks = run_checks(function, Submission(samples.namespace(source_nb)))
    assert checks.passed, checks.summary()


@pytest.mark.parametrize("name", samples.sample_names())
def test_sample_scores_what_its_name_and_caught_by_say(name, sample_submission):
    """Does the sample lose points in its broken function only, exactly those of the checks it names?"""
    submission = sample_submission(name)
    scores = {fn: run_checks(fn, submission).score for fn in FUNCTIONS}
    assert scores == samples.expected_scores(name)


@pytest.mark.parametrize("name", ["pass_reference", "fail_mse_sum", "fail_update_no_zero_grad"])
def test_one_session_grades_each_function_as_a_session_of_its_own(name, sample_submission):
    """Does one pytest session for all four functions give each the outcomes of its own session, case by case?"""
    submission = sample_submission(name)
    alone = {fn: run_checks(fn, submission) for fn in FUNCTIONS}
    together = {}
    run_checks_together(
        list(FUNCTIONS), lambda check_one: together.update({fn: check_one(fn, submission) for fn in FUNCTIONS})
    )
    assert {fn: c.results for fn, c in together.items()} == {fn: c.results for fn, c in alone.items()}
    assert {fn: c.score for fn, c in together.items()} == samples.expected_scores(name)


def test_one_session_runs_only_the_functions_asked_for_in_the_order_asked():
    """Does a function left out run no check, does each run once, in the caller's order, with its own submission?"""
    calls = []
    namespace = dict(vars(lesson_ref), update=lambda *args, **kwargs: calls.append("update"))
    reference, ran = Submission(namespace), []

    def each(check_one):
        ran.append(check_one("cross_entropy", reference))
        ran.append(check_one("mse", Submission({})))  # no functions at all: every check fails
        with pytest.raises(ValueError, match="ran already"):
            check_one("mse", reference)
        with pytest.raises(ValueError, match="not in this session"):
            check_one("minibatch_sgd", reference)

    run_checks_together(["mse", "update", "cross_entropy"], each)
    assert [(checks.function, checks.passed) for checks in ran] == [("cross_entropy", True), ("mse", False)]
    assert calls == []  # update is in the session, but its checks were never asked for


def test_an_error_between_functions_reaches_the_caller_not_pytest():
    """Does an exception raised between two functions' checks (a lost worker, say) come out of the session as it is?"""

    class Lost(ConnectionError):
        pass

    def each(check_one):
        check_one("mse", Submission.from_module(lesson_ref))
        raise Lost("the worker went away")

    with pytest.raises(Lost, match="went away"):
        run_checks_together(["mse", "update"], each)


def test_cuda_cases_run_on_a_gpu_and_skip_with_a_reason_elsewhere():
    """Are the cuda cases skipped only where no GPU exists, and do they say why?"""
    results = run_checks("update", Submission.from_module(lesson_ref)).results
    cuda = [r for r in results if "cuda" in r.case]
    assert cuda, "the checks have no cuda cases"
    if torch.cuda.is_available():
        assert all(r.outcome == "passed" for r in cuda)
    else:
        assert all(r.outcome == "skipped" and "no CUDA GPU" in r.message for r in cuda)
    others = [r for r in results if r.outcome == "skipped" and r.device != "cuda"]
    assert all(r.device == "meta" and "meta tensors hold no" in r.message for r in others)  # meta says why too


def test_a_missing_function_fails_with_a_clear_message():
    """Does a notebook that never defined mse get told so?"""
    checks = run_checks("mse", Submission({}))
    assert not checks.passed
    assert "`mse` is not defined" in checks.summary()


def test_minibatch_checks_put_the_students_update_back(sample_submission):
    """After the minibatch checks swap in a recording update, is the student's own update restored?"""
    submission = sample_submission("pass_reference")
    own_update = submission._raw("update")
    run_checks("minibatch_sgd", submission)
    assert submission._raw("minibatch_sgd").__globals__["update"] is own_update


def test_award_shows_the_points_or_raises_with_each_failed_question(sample_submission, capsys):
    """Does the hidden cell show the function's points, or fail naming every failed check, in both languages?"""
    assert award("mse", sample_submission("pass_reference")._namespace) == float(POINTS["mse"])
    assert capsys.readouterr().out == ""
    with pytest.raises(HiddenChecksFailed) as failure:
        award("mse", sample_submission("fail_mse_sum")._namespace)
    message = str(failure.value)
    assert "Is mse the mean of the squared differences" in message and "mse 是否等于差的平方的平均值" in message
    assert "did you sum instead of taking the mean?" in message and "你是否求和而没有取平均" in message
    assert "[required: 0 points for the function" in message


def test_award_shows_partial_credit_as_a_number_and_prints_what_cost_points(sample_submission, capsys):
    """With the core right and one property wrong, does the cell show the points left and say why?"""
    got = award("update", sample_submission("fail_update_returns_post_step_loss")._namespace)
    lost = "test_update_returns_the_loss_before_the_step_with_its_graph"
    assert got == POINTS["update"] - points.TABLE["update"][lost]
    out = capsys.readouterr()
    assert "update returned the loss after the step" in out.out and "update 返回的是更新后的损失" in out.out
    assert "[-1 / 扣 1 分]" in out.out and out.err == ""


def test_failure_messages_withhold_the_hidden_numbers(sample_submission):
    """Do failure messages name the mistake without showing the hidden inputs' values or expected results?"""
    checks = run_checks("mse", sample_submission("fail_mse_sum"))
    messages = " ".join(r.message for r in checks.failed)
    assert checks.failed and not any(word in messages for word in ("Expected", "Greatest", "tolerance", "index"))


def test_hidden_checks_write_nothing_to_stdout_or_stderr(capfd, sample_submission):
    """Do the hidden checks stay silent (nbgrader zeroes a cell that writes to stderr)?"""
    capfd.readouterr()
    run_checks("cross_entropy", sample_submission("fail_cross_entropy_unstable_softmax"))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_meta_generator_serves_only_meta_draws_as_a_cuda_generator_serves_only_gpu_draws():
    """Does the device simulation refuse a permutation drawn on the CPU with the data's generator, as CUDA does?"""
    from grader.devicesim import CudaLikeRandom, MetaGenerator

    generator = MetaGenerator().manual_seed(0)
    with CudaLikeRandom() as rules:
        assert torch.randperm(5, generator=generator, device="meta").device.type == "meta"
        assert torch.randperm(5, generator=generator, device=generator.device).shape == (5,)
        with pytest.raises(RuntimeError, match="Expected a 'meta' device type for generator but found 'cpu'"):
            torch.randperm(5, generator=generator)
        torch.rand(3)  # no generator: recorded, allowed
    assert rules.random_ops == [
        ("randperm", "meta", "meta"),
        ("randperm", "meta", "meta"),
        ("randperm", "cpu", "meta"),
        ("rand", "cpu", None),
    ]
