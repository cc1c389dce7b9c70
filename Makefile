# minimem course: every target sets up .venv itself when needed (a fast no-op afterwards).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2
PYTEST_NB := --nbval-lax --nbval-sanitize-with tests/sanitize.cfg

.PHONY: help venv test test-threads test-fast book lab exercises reading-map bench bench-papers check-site pdf classroom clean

help:
	@echo "make book       build the website into book/_build/html (from committed notebooks)"
	@echo "make pdf        print the built website into book/_build/minimem.pdf (after make book)"
	@echo "make test       run the whole test suite (unit, notebooks, exercise sync)"
	@echo "make lab        open the course in JupyterLab"
	@echo "make exercises  regenerate exercises/ from solutions/ (FORCE=1 to overwrite edits)"
	@echo "make classroom  write the exercises as an nbgrader course into build/classroom (FORCE=1 to regenerate)"
	@echo "make reading-map  rebuild book/reading-map.md and its figure from book/reading_map.yml"
	@echo "make bench      time every lesson and solution notebook -> benchmarks/notebooks.md"
	@echo "make bench-papers  rerun the chapters' paper checks (long)"

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is needed, found " + sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,book,lab,classroom]'
	@touch $(STAMP)

# MINIMEM_PROGRESS=0: no progress bars in test logs (notebook kernels inherit it too).
test: $(STAMP)
	MINIMEM_PROGRESS=0 $(PY) -m pytest -n $(JOBS) --dist loadfile $(PYTEST_NB) tests notebooks solutions

# The notebooks again with two torch threads: results must not depend on the thread count.
# One notebook at a time: two workers of two threads each on two cores make small trainings
# (chapter 06's live RMT) many times slower, as the threads wait for one another.
test-threads: $(STAMP)
	MINIMEM_PROGRESS=0 MINIMEM_THREADS=2 $(PY) -m pytest -n 1 $(PYTEST_NB) notebooks solutions

test-fast: $(STAMP)
	$(PY) -m pytest -n $(JOBS) tests

book: $(STAMP)
	bash tools/vendor_js.sh
	$(PY) tools/build_book.py

# Needs node/npm once: axe-core (package-lock.json) audits every page for accessibility.
check-site: $(STAMP)
	@test -d node_modules/axe-core || npm ci --no-audit --no-fund --silent
	$(PY) tools/check_site.py book/_build/html

# The built site (make book first), printed page by page by headless Chromium, one PDF with
# a bookmark per page of book/_toc.yml.
pdf: $(STAMP)
	$(PY) tools/pdf.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/00_attention.ipynb

exercises: $(STAMP)
	$(PY) tools/exercises.py $(if $(FORCE),--force)

# The exercises as an nbgrader course (book/instructors.md). OUT=dir writes elsewhere,
# CHAPTERS="00 01" picks chapters, FORCE=1 regenerates an existing course's files.
classroom: $(STAMP)
	$(PY) tools/classroom.py $(if $(OUT),--out $(OUT)) $(if $(CHAPTERS),--chapters $(CHAPTERS)) $(if $(FORCE),--force)

reading-map: $(STAMP)
	$(PY) tools/reading_map.py

bench: $(STAMP)
	$(PY) tools/bench.py $(if $(WITH_TEST),--with-test)

# The chapters' paper checks (long: about 50 min in all on 2 cores).
bench-papers: $(STAMP)
	$(PY) -m minimem.rasp bench
	$(PY) -m minimem.memn2n bench --tasks $$(seq 1 20) --runs 3 --jobs 2 --json benchmarks/ch01_babi_real.json
	$(PY) -m minimem.pointer bench
	$(PY) -m minimem.compiler bench
	$(PY) -m minimem.looped bench
	$(PY) -m minimem.rmt bench
	$(PY) -m minimem.compression bench
	$(PY) -m minimem.cramming bench

clean:
	rm -rf book/_build book/_vendor
