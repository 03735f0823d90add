"""Checks every run of a sweep before any starts, with train_eval's own checks.

Each grid point is configured exactly as its `train_eval` run will be
(`train_eval.configure.configure`: flags -> bindings -> strict gin parse -> range
checks), in this process, writing nothing.
"""

from typing import Dict, List, Sequence

from absl import flags
import gin

import triggers
from sweep import grid as grid_lib
from train_eval import errors
from train_eval import experiment as experiment_lib
from train_eval import configure as configure_lib
from train_eval import main as train_eval_main

FLAGS = flags.FLAGS
# train_eval flags the sweep sets per run or uses itself.
NOT_PASSED = ('root_dir', 'gin_file', 'launcher', 'ray_address')
# train_eval flags for one job of a split run; a sweep runs whole runs.
REFUSED = ('job', 'task', 'replay_port', 'replay_address')


def run_flags() -> List[str]:
  """The train_eval flags the user set, as passed to every run.

  Raises:
    errors.BadValueError: a flag that selects one job of a split run.
  """
  passed = []
  for flag in FLAGS.get_flags_for_module(train_eval_main):
    if not flag.present or flag.name in NOT_PASSED:
      continue
    if flag.name in REFUSED:
      raise errors.BadValueError(
          f'--{flag.name}: a sweep runs whole train_eval runs; drop it (use '
          '--collectors=N to split each run into jobs).')
    values = flag.value if isinstance(flag.value, list) else [flag.value]
    passed += [f'--{flag.name}={v}' for v in values]
  return passed


def check(runs: Sequence[grid_lib.Run], user_bindings: Sequence[str]
          ) -> Dict[str, experiment_lib.Experiment]:
  """Configures each grid point as its run will be; writes nothing.

  Args:
    runs: the sweep's runs.
    user_bindings: the --gin_bindings given to every run.

  Returns:
    point name -> its validated experiment settings (e.g. num_iterations).

  Raises:
    errors.UsageError: the first point that train_eval would refuse; the
      message names the point and train_eval's one-line reason.
  """
  settings = {}
  saved = FLAGS.gin_file, FLAGS.gin_bindings, FLAGS.launcher, FLAGS.ray_address
  # --launcher and --ray_address are the sweep's; each run gets neither.
  FLAGS.launcher, FLAGS.ray_address = 'local', None
  try:
    for run in runs:
      if run.point in settings:
        continue
      FLAGS.gin_file = list(run.gin_files)
      FLAGS.gin_bindings = [*user_bindings, *run.all_bindings()]
      gin.clear_config()
      try:
        train_eval_main.check_job_flags()
        settings[run.point] = configure_lib.configure(
            train_eval_main.invocation()).experiment
      except (errors.UsageError, triggers.BadArgument) as e:
        message = str(e)
        for binding in run.bindings:  # Name the grid, not --gin_bindings.
          message = message.replace(f'--gin_bindings="{binding}"',
                                    f'--grid value "{binding}"')
        kind = type(e) if isinstance(e, errors.UsageError) else (
            errors.BadValueError)
        raise kind(f'grid point {run.point}: {message}') from e
  finally:
    FLAGS.gin_file, FLAGS.gin_bindings, FLAGS.launcher, FLAGS.ray_address = saved
    gin.clear_config()
  return settings
