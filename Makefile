# Two commands do everything (each sets up .venv/ first when needed):
#   make grade   release the assignment, autograde the sample submissions, print the score table
#   make test    run the test suite
PY := .venv/bin/python
SETUP := .venv/.installed

.PHONY: grade test clean

grade: $(SETUP)
	$(PY) -m grader demo

test: $(SETUP)
	$(PY) -m pytest

$(SETUP): requirements.txt pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf .venv gradebook.db submitted autograded/*/ feedback
