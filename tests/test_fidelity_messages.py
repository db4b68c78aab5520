"""What a grade cell prints is bilingual throughout, down to the count of failed cases."""

import re

import nbformat

from grader import samples
from grader.runner import run_checks
from grader.submission import Submission


def test_failed_case_counts_are_said_in_english_and_chinese(source_nb, release_nb):
    """When a check fails some of its cases, does the message count them in English and in Chinese?"""
    nb = samples.sample_notebook(samples.SAMPLES_DIR / "fail_mse_sum.py", release_nb, source_nb)
    summary = run_checks("mse", Submission(samples.namespace(nbformat.from_dict(nb)))).summary()
    english = re.findall(r"\((\d+) of (\d+) cases", summary)
    chinese = re.findall(r"(\d+) 例中 (\d+) 例", summary)
    assert english and [(failed, total) for total, failed in chinese] == english
