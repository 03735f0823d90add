# `make test` and `make run` work on a fresh machine: both build .venv first.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: test test-long run venv clean

venv: $(INSTALLED)

$(INSTALLED): setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

# The default suite; long tests (*_long_test.py) are left to `make test-long`.
test: $(INSTALLED)
	$(PY) -m pytest -q tests

test-long: $(INSTALLED)
	$(PY) -m pytest -q tests --override-ini='addopts=-p no:cacheprovider' -k long_test

# The main job: SAC on Pendulum-v1 (about 4 minutes here), into a new runs/ dir.
RUN_DIR ?= runs/sac_pendulum-$(shell date +%Y%m%d-%H%M%S)
run: $(INSTALLED)
	$(VENV)/bin/train_eval --gin_file=sac_pendulum.gin --root_dir=$(RUN_DIR)

clean:
	rm -rf $(VENV) runs
