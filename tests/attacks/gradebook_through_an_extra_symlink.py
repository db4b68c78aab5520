"""Hand in symlinks to the course's gradebook.db and nbgrader_config.py beside the notebook.

Same route as source_notebook_through_an_extra_symlink: nbgrader's Autograde copies the link targets into
autograded/<student>/ and generate_feedback into feedback/<student>/. Outcome at 14b7a1a: the student's
feedback folder holds a copy of gradebook.db (every student's grades and comments) and the course config.
EXTRA_LINKS {name: target} are symbolic links made beside the notebook (test_sealed does not make them
yet); nothing they point to may reach autograded/ or feedback/.
Now (intake.py checks the whole submission folder): the submission is not read, scores 0 and says why;
nothing reaches autograded/ or feedback/.
"""
TARGET, EXPECT, PROBLEM = "mse", {"mse": 0, "update": 0, "minibatch_sgd": 0, "cross_entropy": 0}, "is a symbolic link"
EXTRA_LINKS = {"gradebook_copy.txt": "../../../gradebook.db", "config.txt": "../../../nbgrader_config.py"}


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
