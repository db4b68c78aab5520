"""nbgrader settings for the lesson2_sgd course (this folder is the course root)."""

import os

c = get_config()  # noqa: F821 (injected by traitlets)

# How `nbgrader autograde` and formgrader's Autograde button grade: "sealed" (the student's code in the sandbox,
# the hidden checks outside it; grader/sealed/nbgrader_steps.py) or "in-kernel" (stock nbgrader: both in the
# student's own kernel). The environment variable LESSON2_GRADING overrides it for one command.
GRADING = os.environ.get("LESSON2_GRADING", "sealed")

c.CourseDirectory.course_id = "lesson2_sgd_course"
# The gradebook: SQLite in the course root, nbgrader's embedded default.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# Only the notebook reaches students; nothing else in source/<assignment>/ is released.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.py", "*.db"]
# A cell that runs longer than this is stopped and scores 0 (the whole lesson needs a few seconds).
c.Execute.timeout = 30
# Kill the kernel at the end instead of a graceful shutdown: same grades, about 0.8 s less per notebook.
c.Execute.shutdown_kernel = "immediate"
# torch writes some UserWarnings (float() of a tensor that requires grad, .T on 1-D) to stderr once per
# process; nbgrader would score the cell where that happens 0. Drop stderr chunks that are only a warning.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"^[^\n]*:\d+: \w*Warning: "
# `nbgrader export` writes its CSV here (beside the class summary), not as grades.csv in the course root.
c.ExportPlugin.to = "autograded/nbgrader_export.csv"  # what `nbgrader export --to FILE` overrides
# generate_assignment marks the release notebook as generated (metadata "generated"), as `python -m grader
# release` does: nbgrader's own steps, then grader.generated.MarkGenerated.
from nbgrader.converters import GenerateAssignment  # noqa: E402

c.GenerateAssignment.preprocessors = [
    *GenerateAssignment.class_traits()["preprocessors"].default(),
    "grader.generated.MarkGenerated",
]
if GRADING == "sealed":
    from nbgrader.converters import Autograde

    from grader.sealed.nbgrader_steps import sealed_steps

    c.Autograde.autograde_preprocessors = sealed_steps(Autograde.class_traits()["autograde_preprocessors"].default())
elif GRADING != "in-kernel":
    raise ValueError(f"LESSON2_GRADING / GRADING is {GRADING!r}: use 'sealed' or 'in-kernel'")
# A student's own stub is a plain NotImplementedError.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# The sealed grader (`python -m grader grade`) reads these too; nbgrader ignores this section.
# One call of a student function by a hidden check may take this long before the worker is killed.
c.SealedGrader.call_timeout = 10
# Wall seconds for one whole submission (cells and every check); past it the remaining checks score 0.
# A cell that hangs uses Execute.timeout of it and is skipped, as stock nbgrader does; the budget leaves
# room for that and for the notebook's run again without it, so one endless loop costs only its cell.
c.SealedGrader.submission_budget = 150
# Memory a sandboxed worker may map on top of torch itself, in MiB.
c.SealedGrader.memory_mb = 3072

# --- Similarity across submissions (`python -m grader similarity`, also at the end of `grade`; docs/similarity.md).
# nbgrader ignores this section. A score (0..1) is the share of two students' own passages they have in common,
# after discounting the release notebook, the instructor's solutions and what many submissions share.
# A pair whose score in a graded function, or in their own cells as a whole, reaches this is flagged.
c.Similarity.flag_score = 0.6
# Pairs and parts scoring less are not listed in autograded/similarity.csv.
c.Similarity.report_floor = 0.25
# A part with fewer fingerprints (about 2.5 tokens each) scores as if it had this many: a line in common is no sign.
c.Similarity.small_part = 10
# A passage found in more than this share of the submissions is the obvious answer and not counted ...
c.Similarity.common_share = 0.1
# ... but only if found in more than this many (a small course) ...
c.Similarity.common_at_least = 3
# ... and always if found in more than this many (a large course; MOSS's default; bounds the work per passage).
c.Similarity.common_at_most = 10
