"""The binary's flags, its checks before any work, and which job or launcher runs.

Imported by `train_eval.train_eval` after the console capture has started, so
that what TensorFlow prints on import goes to the log file.
"""

import os
import re
import tempfile
from typing import Any, Dict, List, Optional

from absl import flags
from absl import logging
from absl.logging import converter

import triggers
from train_eval import agents  # pylint: disable=unused-import  (registers configurables)
from train_eval import checks
from train_eval import console as console_lib
from train_eval import errors
from train_eval import experiment as experiment_lib
from train_eval import flag_bindings
from train_eval import gin_config
from train_eval import replay
from train_eval import stop_signals
from train_eval import threads
from train_eval.jobs import collect_job
from train_eval.jobs import context as context_lib
from train_eval.jobs import eval_job
from train_eval.jobs import replay_job
from train_eval.jobs import single_process
from train_eval.jobs import train_job
from train_eval.launch import job_process
from train_eval.launch import launcher

JOB_RUNNERS = {
    'all': single_process.run,
    'replay': replay_job.run,
    'collect': collect_job.run,
    'train': train_job.run,
    'eval': eval_job.run,
}
LAUNCHERS = ('local', 'ray')

_ROOT_DIR = flags.DEFINE_string(
    'root_dir', None, 'Experiment directory; re-use it to resume.',
    required=True)
_GIN_FILE = flags.DEFINE_multi_string(
    'gin_file', [], 'A gin file path, or a packaged config name such as '
    'sac_minitaur.gin. Repeatable; later files override earlier ones.')
_GIN_BINDINGS = flags.DEFINE_multi_string(
    'gin_bindings', [], 'A gin binding, e.g. "train_eval.num_iterations = 500". '
    'Repeatable; applied after the gin files.')
_JOB = flags.DEFINE_enum(
    'job', 'all', list(JOB_RUNNERS),
    'all: the whole experiment in this process (default). replay, collect, '
    'train, eval: one job of a run split into processes (see --collectors).')
_TASK = flags.DEFINE_integer(
    'task', 0, 'With --job=collect: this collector\'s index, 0 <= task < '
    '--collectors; seeds its environment and picks its share of the initial '
    'collection.')
_COLLECTORS = flags.DEFINE_integer(
    'collectors', None, 'Run the experiment as separate jobs: a replay server, '
    'this many collectors, a learner and an evaluator, started by --launcher. '
    'With --job=collect: how many collectors the run has.')
_LAUNCHER = flags.DEFINE_enum(
    'launcher', 'local', list(LAUNCHERS),
    'With --collectors: local starts the jobs as processes on this machine '
    '(loopback); ray starts them as Ray actors (pip install gin-triggers[ray]).')
_RAY_ADDRESS = flags.DEFINE_string(
    'ray_address', None, 'With --launcher=ray: the Ray cluster to join (e.g. '
    'ray://head:10001 or auto); unset starts a local Ray instance.')
_REPLAY_PORT = flags.DEFINE_integer(
    'replay_port', None, 'With --job=replay: the port to serve on (Reverb '
    'listens on every interface; see the README\'s "Exposure"). Unset picks a '
    'free one.')
_REPLAY_ADDRESS = flags.DEFINE_string(
    'replay_address', None, 'With --job=collect or train: the replay job\'s '
    'HOST:PORT.')
_JOB_THREADS = flags.DEFINE_multi_string(
    'job_threads', [], 'JOB=INTRA,INTER: TensorFlow intra- and inter-op '
    'threads of a job (0: TensorFlow decides). Defaults: ' + ', '.join(
        f'{job}={intra},{inter}' for job, (intra, inter)
        in threads.DEFAULTS.items()) + '.')

# Policy saver flags: None means "not set", and then no binding is added.
_SAVER_FLAGS = {
    'interval': flags.DEFINE_integer(
        'interval', None, 'Train steps between policy checkpoints (>= 1); '
        'binds PolicySavedModelTrigger.interval.'),
    'start': flags.DEFINE_integer(
        'start', None, 'Train step the save interval counts from; binds '
        'PolicySavedModelTrigger.start.'),
    'save_greedy_policy': flags.DEFINE_boolean(
        'save_greedy_policy', None, 'Export greedy_policy/; binds '
        'PolicySavedModelTrigger.save_greedy_policy.'),
    'save_collect_policy': flags.DEFINE_boolean(
        'save_collect_policy', None, 'Export collect_policy/; binds '
        'PolicySavedModelTrigger.save_collect_policy.'),
    'async_saving': flags.DEFINE_boolean(
        'async_saving', None, 'Write policy checkpoints on a background '
        'thread; binds PolicySavedModelTrigger.async_saving.'),
    'max_to_keep': flags.DEFINE_integer(
        'max_to_keep', None, 'Keep only this many newest policy checkpoints; '
        'binds PolicySavedModelTrigger.max_to_keep.'),
    'keep_every_n_steps': flags.DEFINE_integer(
        'keep_every_n_steps', None, 'Never delete policy checkpoints at '
        'multiples of this step; binds '
        'PolicySavedModelTrigger.keep_every_n_steps.'),
    'interval_secs': flags.DEFINE_float(
        'interval_secs', None, 'Also save a policy checkpoint every this many '
        'seconds; binds PolicySavedModelTrigger.interval_secs.'),
    'best_metric': flags.DEFINE_string(
        'best_metric', None, 'Export policies/best_policy/ when this eval '
        'metric improves (AverageReturn or AverageEpisodeLength); binds '
        'PolicySavedModelTrigger.best_metric.'),
    'best_mode': flags.DEFINE_enum(
        'best_mode', None, ['max', 'min'], 'Whether a larger or smaller '
        '--best_metric is better; binds PolicySavedModelTrigger.best_mode.'),
    'overwrite_existing': flags.DEFINE_boolean(
        'overwrite_existing', None, 'Delete an earlier run of another agent '
        'found in --root_dir (its policies, checkpoints and summaries) and '
        'start afresh, instead of failing; binds '
        'PolicySavedModelTrigger.overwrite_existing.'),
}
PROBE_BYTES = 1 << 16  # Written and removed to find a full disk early.
_ADDRESS = re.compile(r'^[\w.\-\[\]:]+:\d+$')


def configure() -> context_lib.JobContext:
  """Flags -> bindings -> strict gin parse -> validated settings. Writes nothing.

  Returns:
    A context without console or stop request yet.

  Raises:
    errors.UsageError: bad input, with a one-line message.
  """
  if not _GIN_FILE.value:
    raise errors.GinFileError(
        'Give at least one --gin_file, e.g. --gin_file=sac_pendulum.gin. '
        f'Packaged configs: {", ".join(gin_config.available_configs())}.')
  check_job_flags()
  saver_bindings = flag_bindings.saver_bindings(
      {name: flag.value for name, flag in _SAVER_FLAGS.items()})
  flag_bindings.check_conflicts(saver_bindings, _GIN_BINDINGS.value)
  gin_config.parse(_GIN_FILE.value, saver_bindings + _GIN_BINDINGS.value)
  with gin_config.translated_errors('the gin files'):
    experiment = experiment_lib.load()
    replay_settings = replay.load_settings(experiment.initial_collect_steps)
    check_trigger_settings(experiment)
  return context_lib.JobContext(
      experiment=experiment, replay=replay_settings,
      root_dir=_ROOT_DIR.value, stop=None, console=None,
      replay_address=_REPLAY_ADDRESS.value, replay_port=_REPLAY_PORT.value,
      task=_TASK.value, num_tasks=_COLLECTORS.value or 1)


def check_job_flags() -> None:
  """The job and launcher flags fit together.

  Raises:
    errors.BadValueError: naming the flag and what it accepts.
  """
  job, collectors = _JOB.value, _COLLECTORS.value
  if collectors is not None and collectors < 1:
    raise errors.BadValueError(
        f'--collectors={collectors}: must be >= 1 (collector processes); '
        'leave it unset to run everything in one process.')
  if job == 'collect':
    if collectors is None:
      raise errors.BadValueError(
          '--job=collect needs --collectors=N, the number of collectors in '
          'the run (to split the initial collection).')
    if not 0 <= _TASK.value < collectors:
      raise errors.BadValueError(
          f'--task={_TASK.value}: must be in [0, {collectors - 1}] with '
          f'--collectors={collectors}.')
  if job in ('collect', 'train'):
    address = _REPLAY_ADDRESS.value
    if not address or not _ADDRESS.match(address):
      raise errors.BadValueError(
          f'--job={job} needs --replay_address=HOST:PORT of the replay job, '
          f'got {address!r}.')
  if _REPLAY_PORT.value is not None and not 0 < _REPLAY_PORT.value < 65536:
    raise errors.BadValueError(
        f'--replay_port={_REPLAY_PORT.value}: must be in [1, 65535].')
  if (_LAUNCHER.value != 'local' or _RAY_ADDRESS.value) and collectors is None:
    raise errors.BadValueError(
        '--launcher and --ray_address take effect with --collectors=N; add '
        'it, or drop them to run in one process.')
  threads.parse(_JOB_THREADS.value)
  checks.launch_flags(job, collectors, _LAUNCHER.value, _RAY_ADDRESS.value, _REPLAY_PORT.value, _REPLAY_ADDRESS.value)  # pylint: disable=line-too-long


def check_trigger_settings(experiment: experiment_lib.Experiment) -> None:
  """What only shows at the first evaluation is checked now.

  Raises:
    errors.BadValueError: a --best_metric evaluation never produces, or one
      without evaluations.
  """
  metric = gin_config.bound_value('PolicySavedModelTrigger.best_metric')
  if metric is None:
    return
  if metric not in experiment_lib.EVAL_METRICS:
    raise errors.BadValueError(
        f'PolicySavedModelTrigger.best_metric = {metric!r} (--best_metric): '
        f'evaluation reports {", ".join(experiment_lib.EVAL_METRICS)}; use '
        'one of them.')
  if not experiment.eval_interval:
    raise errors.BadValueError(
        f'PolicySavedModelTrigger.best_metric = {metric!r} (--best_metric) '
        'needs evaluations, but train_eval.eval_interval = 0; set it >= 1.')


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


def launcher_mode() -> bool:
  return _COLLECTORS.value is not None and _JOB.value == 'all'


def job_log_name() -> str:
  """The log file's name for this process: e.g. 'all', 'train', 'collect-1'."""
  if launcher_mode():
    return 'launcher'
  return f'collect-{_TASK.value}' if _JOB.value == 'collect' else _JOB.value


def child_flags() -> List[str]:
  """The flags a launcher passes on to each job: paths made absolute, since a
  job may start in another directory (a Ray worker's)."""
  passed = [f'--root_dir={os.path.abspath(_ROOT_DIR.value)}']
  passed += [f'--gin_file={os.path.abspath(f) if os.path.isfile(f) else f}'
             for f in _GIN_FILE.value]
  for name in ['gin_bindings', 'job_threads', *_SAVER_FLAGS]:
    if not flags.FLAGS[name].present:
      continue
    value = flags.FLAGS[name].value
    for item in value if isinstance(value, list) else [value]:
      passed.append(f'--{name}={item}')
  if flags.FLAGS['verbosity'].present:
    passed.append(f'--verbosity={flags.FLAGS.verbosity}')
  return passed


def summary_lines(result: Dict[str, Any], root_dir: str) -> List[str]:
  """The final lines a job prints."""
  lines = []
  if result.get('train_step') is not None:
    lines.append(f'Finished at train step {result["train_step"]}.')
  if result.get('eval'):
    lines.append('Last evaluation: ' + ', '.join(
        f'{k} = {v:.3f}' for k, v in result['eval'].items()))
  if result.get('inserted') is not None:
    lines.append(f'Replay table: {result["inserted"]} items inserted, '
                 f'{result["sampled"]} sampled.')
  if 'checkpoints' in result:
    steps = result['checkpoints']
    shown = (str(steps) if len(steps) <= 8 else
             f'[{", ".join(map(str, steps[:3]))}, ..., '
             f'{", ".join(map(str, steps[-3:]))}] ({len(steps)} in all)')
    lines.append(f'Policy checkpoints at steps {shown} in '
                 f'{root_dir}/policies/checkpoints')
  return lines


def run(capture: console_lib.Capture,
        stop: Optional[stop_signals.StopRequest] = None) -> int:
  """Configures, checks, runs the job (or launcher); returns the exit status.

  Args:
    capture: the console capture started before TensorFlow was imported.
    stop: a stop request to honour (e.g. a Ray actor's); by default one set by
      SIGTERM/SIGINT.
  """
  logging.set_verbosity(logging.INFO)
  verbose = flags.FLAGS['verbosity'].present
  if verbose:
    logging.set_verbosity(flags.FLAGS.verbosity)
  console_lib.attach_log_handler(
      capture.terminal_err,
      converter.absl_to_standard(flags.FLAGS.verbosity) if verbose else None)
  job_process.die_with_launcher()
  try:
    context = configure()
    checks.root_dir(context.root_dir, _JOB.value)
    check_root_dir(context.root_dir)
    context.console = console_lib.Console(
        capture.terminal_out, capture.terminal_err,
        context.experiment.num_iterations, context.experiment.log_interval)
    if launcher_mode():
      return launcher.run(context, _LAUNCHER.value, _RAY_ADDRESS.value,
                          child_flags(), capture)
    threads.apply(_JOB.value, threads.parse(_JOB_THREADS.value))
    context.started = lambda: capture.move_to(
        console_lib.log_path(context.root_dir, job_log_name()))
    with stop or stop_signals.StopRequest(
        expected=_JOB.value == 'replay') as context.stop:
      result = JOB_RUNNERS[_JOB.value](context)
  except (errors.UsageError, triggers.BadArgument) as e:
    return fail(capture, str(e))
  for line in summary_lines(result, context.root_dir):
    context.console.line(line)
  return 0


# What gin appends to an error raised inside a configurable, also when that
# error's text is quoted inside ours: "\n  In call to configurable 'f' (<...>)".
GIN_CONTEXT = re.compile(r"\n\s*In call to configurable '[^']*' \(<[^>]*>\)")


def fail(capture: console_lib.Capture, message: str) -> int:
  """Prints 'train_eval: error: <message>' as one line; returns 2."""
  message = ' '.join(GIN_CONTEXT.sub('', message).splitlines())
  logging.info('Refused: %s', message)  # The log file's copy.
  capture.terminal_err.write(f'train_eval: error: {message}\n')
  capture.terminal_err.flush()
  return 2


def crash(capture: console_lib.Capture,
                        error: BaseException) -> int:
  """An unexpected error: one line on the terminal, the traceback in the log."""
  if (usage := errors.as_usage_error(error)) is not None: return fail(capture, str(usage))  # pylint: disable=multiple-statements,line-too-long
  logging.exception('train_eval failed.')
  capture.terminal_err.write(
      f'train_eval: error: {type(error).__name__}: {error} (full log: '
      f'{capture.path})\n')
  capture.terminal_err.flush()
  return 1
