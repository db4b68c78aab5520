"""Property test: random valid ways of writing each function all score full marks in-kernel.

Each function's source is assembled from interchangeable, correct pieces (how the difference is squared,
how the mean is taken, `.data` or `torch.no_grad()`, `zero_()` or `None`, `-=` or `sub_`, how the batches
are cut, how the loss is read out, computing in float64 and casting back, ...). Hypothesis draws
combinations; every one must pass every hidden check, in-kernel (grader.submission.Submission) and
sealed (a notebook of one variant per function graded by a sandboxed worker, marked e2e).
"""

import math

import nbformat
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lesson_ref
from grader import FUNCTIONS, POINTS, samples
from grader.course import ROOT
from grader.runner import run_checks
from grader.submission import Submission

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def submission_of(source: str) -> Submission:
    """The reference functions, with those defined in `source` replacing theirs."""
    scope = {"torch": torch, "nn": torch.nn, "math": math, **{fn: getattr(lesson_ref, fn) for fn in FUNCTIONS}}
    exec(compile(source, "<variant>", "exec"), scope)
    return Submission(scope)


def assert_full_marks(function: str, source: str):
    checks = run_checks(function, submission_of(source))
    assert checks.passed, f"this correct variant lost points:\n{source}\n{checks.summary()}"


@st.composite
def mse_variants(draw):
    diff = draw(st.sampled_from(["y_hat - y", "y - y_hat"]))
    square = draw(st.sampled_from(["d ** 2", "d * d", "d.pow(2)", "torch.square(d)", "d.square()", "d.abs() ** 2"]))
    mean = draw(
        st.sampled_from(
            ["{s}.mean()", "torch.mean({s})", "{s}.sum() / len(y)", "{s}.sum() / y.numel()", "{s}.sum() / y.shape[0]"]
        )
    )
    wide = draw(st.booleans())  # compute in float64, hand back the inputs' dtype
    body = f"d = {diff}\n    s = {square}\n    return {mean.format(s='s')}"
    if wide:
        body = f"d = (y_hat.double() - y.double())\n    s = {square}\n    return ({mean.format(s='s')}).to(y.dtype)"
    return f"def mse(y_hat, y):\n    {body}\n"


@st.composite
def update_variants(draw):
    pred = draw(st.sampled_from(["x @ a", "torch.matmul(x, a)", "x.mv(a)", "(x * a).sum(dim=1)", "x.matmul(a)"]))
    step = draw(
        st.sampled_from(
            [
                "with torch.no_grad():\n        a -= lr * a.grad",
                "with torch.no_grad():\n        a.sub_(lr * a.grad)",
                "with torch.no_grad():\n        a.add_(a.grad, alpha=-lr)",
                "with torch.no_grad():\n        a.sub_(a.grad * lr)",
                "a.data -= lr * a.grad.data",
                "a.data.sub_(lr * a.grad)",
            ]
        )
    )
    zero = draw(st.sampled_from(["a.grad.zero_()", "a.grad = None", "a.grad.data.zero_()", "a.grad.fill_(0)"]))
    backward = draw(st.sampled_from(["loss.backward()", "torch.autograd.backward(loss)"]))
    lines = ["def update(x, y, a, lr):", f"loss = mse({pred}, y)", backward, step, zero, "return loss"]
    return "\n    ".join(lines) + "\n"


@st.composite
def minibatch_variants(draw):
    n = draw(st.sampled_from(["len(x)", "x.shape[0]", "x.size(0)", "len(y)", "y.numel()"]))
    perm = f"torch.randperm({n}, generator=generator, device=x.device)"
    value = draw(
        st.sampled_from(["loss.item()", "loss.detach().item()", "float(loss.detach())", "loss.detach().tolist()"])
    )
    cut = draw(
        st.sampled_from(
            [
                "for idx in perm.split(bs):",
                "for idx in torch.split(perm, bs):",
                "for idx in [perm[i:i + bs] for i in range(0, len(perm), bs)]:",
                "for idx in torch.tensor_split(perm, list(range(bs, len(perm), bs))):",
                "for idx in (perm[i:min(i + bs, len(perm))] for i in range(0, len(perm), bs)):",
            ]
        )
    )
    return (
        "def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):\n"
        "    losses = []\n"
        "    for _ in range(epochs):\n"
        f"        perm = {perm}\n"
        f"        {cut}\n"
        "            loss = update(x[idx], y[idx], a, lr)\n"
        f"            losses.append({value})\n"
        "    return losses\n"
    )


@st.composite
def cross_entropy_variants(draw):
    lse = draw(
        st.sampled_from(
            [
                "torch.logsumexp(logits, dim=1)",
                "logits.logsumexp(1)",
                "m + (logits - m[:, None]).exp().sum(1).log()",
                "m + torch.log(torch.sum(torch.exp(logits - m.unsqueeze(1)), dim=1))",
            ]
        )
    )
    top = draw(st.sampled_from(["logits.max(dim=1).values", "logits.amax(dim=1)", "logits.max(1)[0].detach()"]))
    pick = draw(
        st.sampled_from(
            [
                "logits.gather(1, target.unsqueeze(1)).squeeze(1)",
                "logits[torch.arange(logits.shape[0], device=logits.device), target]",
                "logits.gather(1, target[:, None])[:, 0]",
            ]
        )
    )
    mean = draw(st.sampled_from(["({v}).mean()", "({v}).sum() / len(target)", "torch.mean({v})"]))
    value = mean.format(v=f"{lse} - picked")
    return f"def cross_entropy(logits, target):\n    m = {top}\n    picked = {pick}\n    return {value}\n"


@SETTINGS
@given(mse_variants())
def test_any_valid_mse_scores_full_marks(source):
    """Does every correct way of writing mse (any squaring, any mean, any working dtype) get full marks?"""
    assert_full_marks("mse", source)


@SETTINGS
@given(update_variants())
def test_any_valid_update_scores_full_marks(source):
    """Does every correct update (.data or no_grad, -= or sub_, zero_() or None) get full marks?"""
    assert_full_marks("update", source)


@SETTINGS
@given(minibatch_variants())
def test_any_valid_minibatch_sgd_scores_full_marks(source):
    """Does every correct minibatch_sgd (any way of cutting the permutation and reading the loss) get full marks?"""
    assert_full_marks("minibatch_sgd", source)


@SETTINGS
@given(cross_entropy_variants())
def test_any_valid_cross_entropy_scores_full_marks(source):
    """Does every correct, stable cross_entropy (any log-sum-exp, any picking, any mean) get full marks?"""
    assert_full_marks("cross_entropy", source)


def test_a_variant_that_is_wrong_is_not_passed():
    """Is the property test able to fail: does a wrong piece (sum, not mean) lose points?"""
    with pytest.raises(AssertionError, match="lost points"):
        assert_full_marks("mse", "def mse(y_hat, y):\n    return ((y_hat - y) ** 2).sum()\n")


# -- sealed: the same variants in a notebook, graded by a sandboxed worker -----------------------------------


@pytest.fixture(scope="module")
def sealed():
    """The course's grading settings and a zygote that forks sandboxed workers."""
    from grader.sealed.session import Assignment
    from grader.sealed.spawn import Zygote

    assignment = Assignment.load(ROOT)
    zygote = Zygote(assignment.limits)
    zygote.wait_ready()
    yield assignment, zygote
    zygote.close()


def sealed_scores(sealed, source_nb, release_nb, own: dict[str, str]) -> tuple[dict[str, float], str]:
    """Each function's sealed score for the release notebook filled with `own` sources (the rest the solution)."""
    from grader.sealed import intake
    from grader.sealed.session import grade_submission

    assignment, zygote = sealed
    nb = samples.filled_notebook(release_nb, samples.solution_sources(source_nb), own)
    result = grade_submission("variant", intake.Handed(nbformat.writes(nb).encode()), assignment, zygote)
    why = "\n".join(f"{fn}: {r.message}" for fn, r in result.functions.items() if r.message)
    return {fn: r.points for fn, r in result.functions.items()}, why + "\n".join(result.problems)


VARIANTS = st.tuples(mse_variants(), update_variants(), minibatch_variants(), cross_entropy_variants())


@pytest.mark.e2e
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(VARIANTS)
def test_any_valid_variants_score_full_marks_sealed(sealed, source_nb, release_nb, sources):
    """Does a notebook of correct variants (one per function) get full marks from sealed grading too?"""
    own = dict(zip(FUNCTIONS, sources, strict=True))
    scores, why = sealed_scores(sealed, source_nb, release_nb, own)
    assert scores == {fn: float(p) for fn, p in POINTS.items()}, "\n\n".join([*sources, why])


@pytest.mark.e2e
def test_a_wrong_variant_loses_points_sealed(sealed, source_nb, release_nb):
    """Is the sealed half able to fail: does an mse that sums lose points there, and nothing else?"""
    scores, _ = sealed_scores(
        sealed, source_nb, release_nb, {"mse": "def mse(y_hat, y):\n    return ((y_hat - y) ** 2).sum()\n"}
    )
    assert scores["mse"] < POINTS["mse"] and all(scores[fn] == POINTS[fn] for fn in FUNCTIONS if fn != "mse")
