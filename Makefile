# Two commands do everything (each sets up .venv/ first when needed):
#   make grade   release the assignment, autograde the sample submissions, print the score table
#   make test    run the test suite
PY := .venv/bin/python
SETUP := .venv/.installed

.PHONY: grade check test clean sandbox-packages system-packages

grade: $(SETUP) sandbox-packages
	$(PY) -m grader demo

# The fast lane (under a minute): lint, format check, every test not marked e2e (tests/conftest.py).
check: $(SETUP) sandbox-packages
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	$(PY) -m pytest -m "not e2e" -q -n auto --dist loadfile

test: $(SETUP) sandbox-packages system-packages
	$(PY) -m pytest

# The sealed grader's sandbox (grader/sealed/sandbox.py): bubblewrap for the namespaces, libseccomp's own
# Python bindings (for Debian's python3) to compile the syscall allowlists, shadow's newuidmap/newgidmap
# (uidmap) so that workers get a uid of their own. Installed only when missing, and only by root: an
# ordinary user is told what to ask an administrator for (grading itself says what is missing, if anything).
SANDBOX_DEBS := bubblewrap python3-seccomp uidmap
sandbox-packages:
	@command -v bwrap >/dev/null && /usr/bin/python3 -c "import seccomp" 2>/dev/null && command -v newuidmap >/dev/null || \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SANDBOX_DEBS) >/dev/null; \
		else echo "note: the sandbox wants Debian's $(SANDBOX_DEBS); ask an administrator to install what is missing"; fi

# What the tests start besides Python: headless Chromium and its chromedriver (the class summary's screenshot,
# formgrader's Autograde button) and a PostgreSQL server on loopback (the db_url test). Debian packages,
# installed only when missing, by root.
system-packages:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		[ "$$(id -u)" != 0 ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver postgresql >/dev/null; }

# Debian's Python 3.11: every user can read it, so the venv serves the test users and a shared server alike.
$(SETUP): requirements.txt pyproject.toml
	@/usr/bin/python3 -c "import ensurepip" 2>/dev/null || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
	/usr/bin/python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf .venv gradebook.db expectations.cache submitted autograded/*/ feedback
