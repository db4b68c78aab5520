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


def namespace_of(source: str) -> dict:
    """The reference functions, with those defined in `source` replacing theirs."""
    scope = {"torch": torch, "nn": torch.nn, "math": math, **{fn: getattr(lesson_ref, fn) for fn in FUNCTIONS}}
    exec(compile(source, "<variant>", "exec"), scope)
    return scope


def submission_of(source: str) -> Submission:
    return Submission(namespace_of(source))


def assert_full_marks(function: str, source: str):
    checks = run_checks(function, submission_of(source))
    assert checks.passed, f"this correct variant lost points:\n{source}\n{checks.summary()}"


@st.composite
def mse_variants(draw):
    diff = draw(st.sampled_from(["y_hat - y", "y - y_hat"]))
    square = draw(
        st.sampled_from(
            ["d ** 2", "d * d", "d.pow(2)", "torch.square(d)", "d.square()", "d.abs() ** 2", "d.abs() * d.abs()"]
        )
    )
    mean = draw(
        st.sampled_from(
            ["{s}.mean()", "torch.mean({s})", "{s}.sum() / len(y)", "{s}.sum() / y.numel()", "{s}.sum() / y.shape[0]"]
        )
    )
    wide = draw(st.booleans())  # compute in float64, hand back the inputs' dtype
    body = f"d = {diff}\n    s = {square}\n    return {mean.format(s='s')}"
    if draw(st.booleans()):  # a norm squared: torch gives a norm the gradient 0 at 0, as the square has
        norm = draw(
            st.sampled_from(["torch.norm(d)", "torch.linalg.vector_norm(d)", "torch.dist(y_hat, y)", "d.norm()"])
        )
        body = f"d = {diff}\n    return {norm} ** 2 / {draw(st.sampled_from(['len(y)', 'd.numel()']))}"
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
                "torch.optim.SGD([a], lr=lr).step()",  # a fresh optimizer each call: no state
                "torch.optim.SGD([a], lr=lr, momentum=0.9).step()",  # a fresh momentum's first step is the plain one
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
    perm = draw(
        st.sampled_from(
            [
                f"torch.randperm({n}, generator=generator, device=x.device)",
                f"torch.randperm({n}, device=x.device, generator=generator)",
                f"torch.rand({n}, generator=generator, device=x.device).argsort()",
            ]
        )
    )
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


# -- the same axes as the hidden checks, drawn: exact fits, call sequences and starts, seeds ------------------


def grads(mse, y_hat, y):
    y_hat, y = y_hat.clone().requires_grad_(), y.clone().requires_grad_()
    return torch.autograd.grad(mse(y_hat, y), [y_hat, y])


@SETTINGS
@given(
    mse_variants(),
    st.lists(st.booleans(), min_size=1, max_size=40),
    st.sampled_from([1e-3, 1.0, 1e3]),
    st.sampled_from([torch.float32, torch.float64]),
)
def test_any_valid_mse_has_the_reference_gradient_at_any_exact_fit(source, fits, scale, dtype):
    """Does every correct mse give the reference's gradient (0, not nan) on rows where y_hat == y, for any rows?"""
    mse = submission_of(source).mse
    y = scale * torch.randn(len(fits), generator=torch.Generator().manual_seed(len(fits)), dtype=dtype)
    y_hat = torch.where(torch.tensor(fits), y, y + scale)
    for got, want in zip(grads(mse, y_hat, y), grads(lesson_ref.mse, y_hat, y), strict=True):
        torch.testing.assert_close(got, want, msg=f"{source}\nfits {fits}")


CALL_SEQUENCES = st.lists(st.tuples(st.integers(0, 2), st.sampled_from([0.3, 0.1, 0.01])), min_size=2, max_size=6)


def steps_like_the_reference(update, calls, start) -> bool:
    """Does `update`, called in turn on one Parameter (batch, lr per call), take the reference's step each time?"""
    batches = [
        lesson_ref.make_linear_data(20 + i, [-1.5, 0.75], generator=torch.Generator().manual_seed(i)) for i in range(3)
    ]
    a = torch.nn.Parameter(torch.tensor(start, dtype=torch.float32))
    for batch, lr in calls:
        x, y = batches[batch]
        before = a.detach().clone()
        mine = torch.nn.Parameter(before.clone())
        lesson_ref.update(x, y, mine, lr)
        update(x, y, a, lr)
        a.grad = None
        scale = max(before.abs().max().item(), (mine.detach() - before).abs().max().item(), 1.0)
        if not torch.allclose(a.detach(), mine.detach(), rtol=1e-5, atol=1e-5 * scale):  # float32 rounding of a
            return False
    return True


STARTS = st.sampled_from([(-1.0, 1.0), (100.0, -100.0), (-3e3, 2e3)])  # the lesson's, and far from the fit


@SETTINGS
@given(update_variants(), CALL_SEQUENCES, STARTS)
def test_any_valid_update_takes_the_reference_step_on_every_call_from_any_start(source, calls, start):
    """Does every correct update take the plain step on each call of any sequence, from near and far starts?"""
    assert steps_like_the_reference(submission_of(source).update, calls, start), f"{source}\n{calls} from {start}"


KEEPS_MOMENTUM = """
_optimizers = {}
def update(x, y, a, lr):
    optimizer = _optimizers.setdefault(a, torch.optim.SGD([a], lr=lr, momentum=0.9))
    loss = mse(x @ a, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss
"""
CLIPS = """
def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_([a], 5.0)
    with torch.no_grad():
        a -= lr * a.grad
    a.grad = None
    return loss
"""


def test_the_call_sequence_property_fails_an_update_with_state_or_a_clipped_step():
    """Is the sequence property able to fail: does momentum kept per Parameter, or a clipped gradient, break it?"""
    assert not steps_like_the_reference(submission_of(KEEPS_MOMENTUM).update, [(0, 0.1), (0, 0.1)], (-1.0, 1.0))
    assert steps_like_the_reference(submission_of(CLIPS).update, [(0, 0.1), (1, 0.1)], (-1.0, 1.0))
    assert not steps_like_the_reference(submission_of(CLIPS).update, [(0, 0.1)], (100.0, -100.0))


def batches_drawn(minibatch_sgd, global_seed, generator_seed=None):
    """The rows of every batch one call gives, after torch.manual_seed(global_seed)."""
    n = 23
    x = torch.stack([torch.arange(n, dtype=torch.float64), torch.ones(n, dtype=torch.float64)], dim=1)
    seen = []

    def record(xb, yb, a, lr):
        seen.append(xb[:, 0].long().tolist())
        return torch.zeros((), dtype=torch.float64)

    minibatch_sgd.__globals__["update"] = record
    torch.manual_seed(global_seed)
    generator = None if generator_seed is None else torch.Generator().manual_seed(generator_seed)
    minibatch_sgd(x, x[:, 0], torch.nn.Parameter(torch.zeros(2, dtype=torch.float64)), 0.1, 5, 2, generator=generator)
    return seen


def follows_its_seeds(minibatch_sgd, seeds) -> bool:
    """Equal generator seeds give equal batches whatever the global seed; without one, the global seed decides."""
    a, b = seeds
    with_generator = batches_drawn(minibatch_sgd, a, generator_seed=b) == batches_drawn(
        minibatch_sgd, b, generator_seed=b
    )
    without = batches_drawn(minibatch_sgd, a) == batches_drawn(minibatch_sgd, b)
    return with_generator and without == (a == b)


SEEDS = st.tuples(st.integers(0, 2**31), st.integers(0, 2**31))


@SETTINGS
@given(minibatch_variants(), SEEDS)
def test_any_valid_minibatch_sgd_follows_the_generator_it_is_given_or_the_global_seed(source, seeds):
    """Does every correct minibatch_sgd draw from the generator given, and without one from torch's global seed?"""
    assert follows_its_seeds(namespace_of(source)["minibatch_sgd"], seeds), source


SEEDED_42 = """
def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    if generator is None:
        generator = torch.Generator(device=x.device).manual_seed(42)
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=generator, device=x.device).split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
"""


def test_the_seed_property_fails_a_fixed_seed_in_place_of_none():
    """Is the seed property able to fail: does a generator seeded with 42 in place of None break it (a regression)?"""
    assert not follows_its_seeds(namespace_of(SEEDED_42)["minibatch_sgd"], (1, 2))


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
