"""The release notebook's "generated" mark, set by nbgrader generate_assignment itself (nbgrader_config.py).

With it in nbgrader's own preprocessor list, a release made by stock `nbgrader generate_assignment` says it
is generated exactly as one made by `python -m grader release` does.
"""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from grader.course import GENERATED_NOTE


class MarkGenerated(Preprocessor):
    """The last step of generate_assignment: notebook metadata "generated" says where the notebook comes from."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        nb.metadata["generated"] = GENERATED_NOTE
        return nb, resources
