"""The binary's flags, its checks of them, and which job or launcher runs.

Imported by `train_eval.train_eval` after the console capture has started, so
that what TensorFlow prints on import goes to the log file. The job itself
runs in `job_runner`, the launchers in `launch/`; neither imports this module.
"""

import re

from absl import flags

import triggers
from train_eval import checks
from train_eval import configure as configure_lib
from train_eval import console as console_lib
from train_eval import errors
from train_eval import flag_bindings
from train_eval import invocation as invocation_lib
from train_eval import job_runner
from train_eval import threads
from train_eval.jobs import table
from train_eval.launch import job_process
from train_eval.launch import launcher

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
    'job', 'all', list(table.KINDS),
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
    '(loopback); ray starts them as Ray actors (the ray extra: pip install '
    '-e \'.[ray]\', which make installs).')
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
_ADDRESS = re.compile(r'^[\w.\-\[\]:]+:\d+$')


def invocation() -> invocation_lib.Invocation:
  """The flags as values; saver flags become bindings (only those set).

  Raises:
    errors.UsageError: a saver flag and a --gin_bindings for the same
      parameter.
  """
  saver_bindings = flag_bindings.saver_bindings(
      {name: flag.value for name, flag in _SAVER_FLAGS.items()})
  flag_bindings.check_conflicts(saver_bindings, _GIN_BINDINGS.value)
  verbosity = flags.FLAGS['verbosity']
  return invocation_lib.Invocation(
      root_dir=_ROOT_DIR.value, gin_files=tuple(_GIN_FILE.value),
      gin_bindings=tuple(saver_bindings + _GIN_BINDINGS.value),
      job=_JOB.value, task=_TASK.value, collectors=_COLLECTORS.value,
      replay_address=_REPLAY_ADDRESS.value, replay_port=_REPLAY_PORT.value,
      job_threads=tuple(_JOB_THREADS.value),
      verbosity=verbosity.value if verbosity.present else None)


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


def run(capture: console_lib.Capture) -> int:
  """Checks the flags, runs the job (or the launcher); returns the exit status.

  Args:
    capture: the console capture started before TensorFlow was imported.
  """
  verbosity = flags.FLAGS['verbosity']
  job_runner.start_logging(capture,
                           verbosity.value if verbosity.present else None)
  job_process.die_with_launcher()
  try:
    configure_lib.require_gin_files(_GIN_FILE.value)
    check_job_flags()
    this = invocation()
    if not this.launches:
      return job_runner.run_job(this, capture)
    context = configure_lib.configure(this)
    checks.root_dir(context.root_dir, this.job)
    configure_lib.check_root_dir(context.root_dir)
    context.console = job_runner.console_for(context, capture)
    return launcher.run(context, this, _LAUNCHER.value, _RAY_ADDRESS.value,
                        capture)
  except (errors.UsageError, triggers.BadArgument) as e:
    return fail(capture, str(e))


fail = job_runner.fail
crash = job_runner.crash
