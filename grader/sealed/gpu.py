"""Whether student code can use this machine's GPU inside the sandbox; where it cannot, the cuda cases skip, loudly.

On a GPU machine the checks run their cuda cases, calling the student's functions on cuda tensors in a
confined worker. If the worker cannot start CUDA there (its memory limit, its syscall allowlist, a driver
the boundary does not show), every cuda case would fail and every student lose the "any device" points
for the grader's doing. So before grading, one fresh worker runs the grader's own probe cell; if CUDA does
not work in it, the cuda cases are skipped, as on a machine without a GPU, and every result says why
(grader/checks/conftest.py skips them; session.grade_submission adds the note).
"""

import time

from grader.checks import support

PROBE = "import torch\nprint(float(torch.ones(2, device='cuda').sum()))"
PROBE_SECONDS = 120.0  # CUDA's first start can take tens of seconds on a large GPU


def unusable_gpu(zygote) -> str | None:
    """None where no GPU is visible or a confined worker can use it; else why it cannot (one line)."""
    import torch

    if not torch.cuda.is_available():  # asks NVML (cluster.warm_up set PYTORCH_NVML_BASED_CUDA_CHECK)
        return None
    from grader.sealed.grader_end import GraderEnd
    from grader.sealed.session import cell_outputs
    from grader.sealed.spawn import Worker

    try:
        worker = Worker(zygote)
    except Exception as err:
        return f"no sandboxed worker started to try it ({type(err).__name__})"
    try:
        end = GraderEnd(worker.sock, budget_end=time.monotonic() + PROBE_SECONDS, call_timeout=PROBE_SECONDS)
        ran = end.run_cells([(0, PROBE)], set(), PROBE_SECONDS, {})
    except Exception as err:
        return f"the sandboxed worker trying it failed ({type(err).__name__})"
    finally:
        worker.kill()
    outputs = cell_outputs(ran[0].get("outputs")) if type(ran) is list and ran and type(ran[0]) is dict else []
    if any(o.get("output_type") == "stream" and o.get("text") == "2.0\n" for o in outputs):
        return None
    error = next((o for o in outputs if o.get("output_type") == "error"), {})
    said = f"{error.get('ename', '')}: {error.get('evalue', '')}".strip(": ").splitlines()
    return f"CUDA did not start in a sandboxed worker ({said[0][:200] if said else 'no output'})"


def skip_cuda_cases(reason: str | None) -> None:
    """From now on in this process (and those forked from it), skip the cuda cases for `reason` (None: run them)."""
    support.CUDA_UNUSABLE = reason


def note() -> str | None:
    """What each result says where the cuda cases were skipped for the sandbox (None where they were not)."""
    reason = support.CUDA_UNUSABLE
    if reason is None:
        return None
    return (
        f"this machine's GPU could not be used inside the sandbox: {reason}; the cuda cases were skipped, as on a "
        "machine without a GPU (a move to the CPU inside a function is not caught)"
    )
