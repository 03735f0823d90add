"""An invocation's gin files and bindings -> a job's validated settings; root_dir checked.

Writes nothing: everything here runs before a job or launcher touches root_dir.
"""

import os
import tempfile

from train_eval import agents
from train_eval import errors
from train_eval import experiment as experiment_lib
from train_eval import gin_config
from train_eval import invocation as invocation_lib
from train_eval import replay
from train_eval.jobs import context as context_lib

PROBE_BYTES = 1 << 16  # Written and removed to find a full disk early.
SAVER = 'PolicySavedModelTrigger'


def configure(invocation: invocation_lib.Invocation) -> context_lib.JobContext:
  """Strict gin parse -> validated settings. Writes nothing.

  Returns:
    A context without console or stop request yet.

  Raises:
    errors.UsageError: bad input, with a one-line message.
  """
  require_gin_files(invocation.gin_files)
  gin_config.parse(list(invocation.gin_files), list(invocation.gin_bindings))
  with gin_config.translated_errors('the gin files'):
    experiment = experiment_lib.load()
    replay_settings = replay.load_settings(
        experiment.initial_collect_steps,
        agents.train_sequence_length(experiment.agent_fn))
    savers = saver_settings()
    check_saver_settings(savers, experiment)
    check_on_policy_jobs(experiment, invocation)
  return context_lib.JobContext(
      experiment=experiment, replay=replay_settings,
      root_dir=invocation.root_dir, stop=None, console=None, savers=savers,
      replay_address=invocation.replay_address,
      replay_port=invocation.replay_port, task=invocation.task,
      num_tasks=invocation.collectors or 1)


def check_on_policy_jobs(experiment: experiment_lib.Experiment,
                         invocation: invocation_lib.Invocation) -> None:
  """Every collector of an on-policy run gets at least one episode or step.

  Raises:
    errors.BadValueError: more collectors than the iteration's episodes.
  """
  collectors = invocation.collectors
  if not agents.is_on_policy(experiment.agent_fn) or not collectors:
    return
  episodes = experiment.collect_episodes_per_iteration
  name, total = (('collect_episodes_per_iteration', episodes) if episodes else
                 ('collect_steps_per_iteration',
                  experiment.collect_steps_per_iteration))
  if collectors > total:
    raise errors.BadValueError(
        f'--collectors={collectors} with train_eval.{name} = {total}: each '
        'collector of an on-policy run collects a share of every iteration; '
        f'use at most {total} collectors or raise {name}.')


def require_gin_files(gin_files) -> None:
  """Raises errors.GinFileError when no gin file is given."""
  if not gin_files:
    raise errors.GinFileError(
        'Give at least one --gin_file, e.g. --gin_file=sac_pendulum.gin. '
        f'Packaged configs: {", ".join(gin_config.available_configs())}.')


def saver_settings() -> context_lib.SaverSettings:
  """The parsed config's saver bindings that jobs act on (read once, here)."""
  return context_lib.SaverSettings(
      best_metric=gin_config.bound_value(f'{SAVER}.best_metric'),
      best_mode=gin_config.bound_value(f'{SAVER}.best_mode', 'max'),
      overwrite_existing=bool(
          gin_config.bound_value(f'{SAVER}.overwrite_existing', False)))


def check_saver_settings(savers: context_lib.SaverSettings,
                         experiment: experiment_lib.Experiment) -> None:
  """What only shows at the first evaluation is checked now.

  Raises:
    errors.BadValueError: a --best_metric evaluation never produces, or one
      without evaluations.
  """
  metric = savers.best_metric
  if metric is None:
    return
  if metric not in experiment_lib.EVAL_METRICS:
    raise errors.BadValueError(
        f'{SAVER}.best_metric = {metric!r} (--best_metric): evaluation '
        f'reports {", ".join(experiment_lib.EVAL_METRICS)}; use one of them.')
  if not experiment.eval_interval:
    raise errors.BadValueError(
        f'{SAVER}.best_metric = {metric!r} (--best_metric) needs '
        'evaluations, but train_eval.eval_interval = 0; set it >= 1.')


def check_root_dir(root_dir: str) -> None:
  """Raises unless `root_dir` can be created and written. Leaves no trace.

  Raises:
    errors.RootDirError: naming the directory and the reason.
  """
  path = os.path.abspath(root_dir)
  existing = path
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    raise errors.RootDirError(
        f'--root_dir={root_dir}: {existing} is a file, not a directory; '
        'choose another --root_dir.')
  probe_path = None
  try:
    probe, probe_path = tempfile.mkstemp(prefix='.write-probe-', dir=existing)
    with os.fdopen(probe, 'wb') as f:  # Enough for the logs and a manifest.
      f.write(b'\0' * PROBE_BYTES)
      f.flush()
      os.fsync(f.fileno())
  except OSError as e:
    raise errors.RootDirError(
        f'--root_dir={root_dir}: cannot write in {existing} ({e.strerror}); '
        'choose a directory you can write to.') from e
  finally:
    if probe_path and os.path.exists(probe_path):
      os.remove(probe_path)
