"""Profiles every Python process started with GIN_TRIGGERS_PROFILE_DIR set
(benchmarks/profile_iteration.py puts this directory on PYTHONPATH)."""

import os

if os.environ.get('GIN_TRIGGERS_PROFILE_DIR'):
  import sys  # pylint: disable=g-import-not-at-top
  if 'train_eval.train_eval' in getattr(sys, 'orig_argv', sys.argv):
    from benchmarks import profile_hook  # pylint: disable=g-import-not-at-top
    profile_hook.install()
