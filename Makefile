# `make test` and `make run` work on a fresh machine: both build .venv first.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: test test-long run venv clean

venv: $(INSTALLED)

# -qq: errors only (-q still shows setuptools' build warnings and pip's
# notices about the machine's own package sources).
$(INSTALLED): setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -c constraints.txt -e '.[test,ray,optuna]'
	touch $@

# The default suite; long tests (*_long_test.py) are left to `make test-long`.
# Two workers, a test file each at a time (--dist loadfile keeps a file's
# class fixtures in one process): most files wait on subprocesses or run
# TensorFlow on one core, so two at once use both cores.
test: $(INSTALLED)
	$(PY) -m pytest -q -n 2 --dist loadfile tests

test-long: $(INSTALLED)
	$(PY) -m pytest -q tests --override-ini='addopts=-p no:cacheprovider' -k long_test

# The main job: SAC on Pendulum-v1 (sac_pendulum.gin), into a new runs/ dir,
# keeping the best evaluation's greedy policy (policies/best_policy/), then
# what to run next on it. RUN_FLAGS: more train_eval flags (the README
# test passes a tiny budget).
ifndef RUN_DIR
RUN_DIR := runs/sac_pendulum-$(shell date +%Y%m%d-%H%M%S)
endif
run: $(INSTALLED)
	$(VENV)/bin/train_eval --gin_file=sac_pendulum.gin --root_dir=$(RUN_DIR) \
	    --best_metric=AverageReturn $(RUN_FLAGS)
	@echo "Next (or 'source $(VENV)/bin/activate' and leave out '$(VENV)/bin/'):"
	@echo "  $(VENV)/bin/policies list     --root_dir=$(RUN_DIR)"
	@echo "  $(VENV)/bin/policies evaluate --root_dir=$(RUN_DIR) --checkpoint=best"
	@echo "  $(VENV)/bin/policies video    --root_dir=$(RUN_DIR) --checkpoint=best --out=episode.mp4"
	@echo "  $(VENV)/bin/policies export   --root_dir=$(RUN_DIR) --checkpoint=best --out=deploy/pendulum"

clean:
	rm -rf $(VENV) runs

# Bazel: the same suite under `bazel test //...`, offline, with Debian's
# bazel-bootstrap (4.2.3) and .venv's Python (see WORKSPACE, .bazelrc). Installs
# the Debian packages if missing, checks that every tests/*_test.py has a
# py_test in tests/BUILD, then tests. Long tests: `bazel test //tests:NAME`.
.PHONY: bazel-test
BAZEL ?= /usr/bin/bazel
BAZEL_DEBS := bazel-bootstrap bazel-rules-java bazel-platforms
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

bazel-test: $(INSTALLED)
	@missing=; for p in $(BAZEL_DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y $$missing || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; }; \
	fi
	$(PY) tools/check_bazel_tests.py
	$(BAZEL) test //...
