#!/bin/sh
# Bazel's Python interpreter (see BUILD here): the repository's own
# .venv/bin/python, made by `make venv`.
#
# Bazel runs this file through runfiles/sandbox symlinks that lead back to the
# source checkout; resolving them finds the checkout, wherever it was cloned.
self=$(readlink -f "$0")
root=${self%/tools/python/venv_python.sh}
py="$root/.venv/bin/python"
if [ ! -x "$py" ]; then
  echo "tools/python/venv_python.sh: no $py; run 'make venv' first." >&2
  exit 127
fi
# PYTHONSAFEPATH (Python 3.11, like `python -P`): Bazel runs a program as a
# script, which would put the script's own directory first on sys.path, so that
# in train_eval/train_eval.py `import train_eval` found the script itself rather
# than the package. Bazel already puts the repository root on sys.path, as
# `python -m` and pytest do.
PYTHONSAFEPATH=1 PYTHONDONTWRITEBYTECODE=1 exec "$py" "$@"
