"""Hand in, beside the notebook, a symlink to the instructor's source notebook (named notes.txt).

intake.py checks only the notebook itself. nbgrader's Autograde (init_assignment) copies every other
file of submitted/<student>/<assignment>/ with shutil.copy, which follows links, into autograded/; then
`nbgrader generate_feedback` copies it into feedback/<student>/, which release_feedback hands to the
student. Outcome at 14b7a1a: feedback/<student>/lesson2_sgd/notes.txt is source/lesson2_sgd/
lesson2_sgd.ipynb, solutions and hidden tests included (any file of the course root works the same way).
EXTRA_LINKS {name: target} are symbolic links made beside the notebook (test_sealed does not make them
yet); nothing they point to may reach autograded/ or feedback/.
Now (intake.py checks the whole submission folder): the submission is not read, scores 0 and says why;
nothing reaches autograded/ or feedback/.
"""
TARGET, EXPECT, PROBLEM = "mse", {"mse": 0, "update": 0, "minibatch_sgd": 0, "cross_entropy": 0}, "is a symbolic link"
EXTRA_LINKS = {"notes.txt": "../../../source/lesson2_sgd/lesson2_sgd.ipynb"}


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
