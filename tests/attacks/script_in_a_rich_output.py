"""display() HTML with a script and an onerror handler, and a Javascript output.

SealedOutputs keeps a student cell's display_data as sent, every mime type included; nbconvert renders
text/html and application/javascript raw, so the script runs in whoever opens the notebook: the
student's feedback HTML, and the instructor's formgrader (the Jupyter server's own origin, where a script
can use the instructor's session). Outcome at 14b7a1a: `<script>document.title=...` and
`<img ... onerror="fetch('/api/contents')">` appear raw in feedback/<student>/lesson2_sgd/lesson2_sgd.html
and in the autograded notebook. NOT_IN_FEEDBACK (raw markup; the cell's source is shown escaped) must not
appear in the feedback or the autograded notebook's outputs.
"""
TARGET, EXPECT = "mse", {}
NOT_IN_FEEDBACK = "eltit.tnemucod>tpircs<"  # reversed: the source, which feedback shows, must not hold it
from IPython.display import HTML, Javascript, display

display(HTML("<script>document.title='XSS-'+document.cookie</script><img src=x onerror=\"fetch('/api/contents')\">"))
display(Javascript("console.log('script from a student')"))


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
