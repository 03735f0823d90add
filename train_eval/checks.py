"""Checks before any work; each failure is one `errors.UsageError` line.

Range checks for bound values, then the command line's directories, ports
and job counts (`root_dir`, `launch_flags`).

The message names the binding, the value given, what is accepted and where to
change it, e.g.
  train_eval.num_iterations = -5: must be an integer >= 1 (train steps to
  train to); change it in the gin file or with --gin_bindings.
"""

import errno
import math
import numbers
import os
import re
import resource
import socket
from typing import Any, Optional, Sequence, Tuple

import tensorflow as tf
from tf_agents.train import learner

import triggers
from train_eval import errors
from triggers import argument_checks

_FIX = 'change it in the gin file or with --gin_bindings.'


def _fail(binding: str, value: Any, accepted: str) -> errors.BadValueError:
  return errors.BadValueError(f'{binding} = {value!r}: must be {accepted}; {_FIX}')


def integer(binding: str, value: Any, minimum: int, unit: str = '') -> int:
  """`value` if it is an int >= `minimum` (bools refused), else raises.

  Args:
    binding: the gin binding the value comes from, e.g. 'train_eval.seed'.
    value: the bound value.
    minimum: the smallest accepted value.
    unit: what the number counts, for the message, e.g. 'train steps'.
  """
  unit_text = f' ({unit})' if unit else ''
  if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or
      value < minimum):
    raise _fail(binding, value, f'an integer >= {minimum}{unit_text}')
  return int(value)


def boolean(binding: str, value: Any) -> bool:
  """`value` if it is True or False, else raises."""
  if not isinstance(value, bool):
    raise _fail(binding, value, 'True or False')
  return value


def optional_integer(binding: str, value: Any, minimum: int,
                     unit: str = '') -> Optional[int]:
  """Like `integer`, but None passes."""
  return None if value is None else integer(binding, value, minimum, unit)


def number(binding: str, value: Any, low: float, high: float = math.inf,
           low_open: bool = False, high_open: bool = False) -> float:
  """`value` as a float if it lies in the interval, else raises.

  Args:
    binding: the gin binding the value comes from.
    value: the bound value.
    low, high: the interval's ends.
    low_open, high_open: exclude that end.
  """
  left = '(' if low_open else '['
  right = ')' if high_open or high == math.inf else ']'
  accepted = f'a number in {left}{low:g}, {high:g}{right}'
  if (isinstance(value, bool) or not isinstance(value, numbers.Real) or
      math.isnan(value) or value < low or value > high or
      (low_open and value == low) or (high_open and value == high)):
    raise _fail(binding, value, accepted)
  return float(value)


def choice(binding: str, value: Any, choices: Sequence[Any]) -> Any:
  """`value` if it is one of `choices`, else raises."""
  if value not in choices:
    raise _fail(binding, value, 'one of ' + ', '.join(repr(c) for c in choices))
  return value


def layer_sizes(binding: str, value: Any) -> tuple:
  """A non-empty sequence of integers >= 1 (units of hidden layers), as a tuple."""
  if (isinstance(value, (str, bytes)) or
      not isinstance(value, (list, tuple)) or not value or
      any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1
          for v in value)):
    raise _fail(binding, value,
                'a non-empty tuple of integers >= 1 (units per hidden layer), '
                'e.g. (256, 256)')
  return tuple(int(v) for v in value)


# ----------------------------------------------------------------------------
# The command line's directories, ports and job counts. Each check raises one
# `errors.UsageError` line before anything is written.

# Resident memory of one job process (TensorFlow, the environment, the agent):
# 565-610 MB measured for each job of a tiny --collectors=1 run.
JOB_MEMORY_BYTES = 600 << 20
THREADS_PER_JOB = 45  # The replay job's, the most of any job (measured).
OTHER_JOBS = 3  # replay, train, eval.
_HOST_PORT = re.compile(r'^(?:ray://)?[\w.\-]+:(\d+)$')
_WRITER_JOBS = ('all', 'train')  # The jobs that restore and write checkpoints.


def root_dir(path: str, job: str) -> None:
  """--root_dir is a usable local path; for a job that resumes, what it resumes from reads.

  Args:
    path: the --root_dir value.
    job: the --job value; the checkpoints are checked for 'all' and 'train'
      (the launcher runs as 'all').

  Raises:
    errors.RootDirError: empty, or a path with a scheme.
    errors.DamagedCheckpointError: see `learner_checkpoint`,
      `policy_checkpoints`.
  """
  if not path.strip():
    raise errors.RootDirError(
        '--root_dir is empty: give the experiment directory, e.g. '
        '--root_dir=runs/pendulum (an empty one would write into the working '
        'directory).')
  try:
    argument_checks.check_local_path('--root_dir', path)
  except argument_checks.BadArgumentValue as e:
    raise errors.RootDirError(str(e)) from e
  if job in _WRITER_JOBS:
    learner_checkpoint(path)
    policy_checkpoints(path)


def learner_checkpoint(root: str) -> None:
  """Reads every tensor of the newest Learner checkpoint, if there is one.

  Run before anything opens a summary writer, so a damaged checkpoint leaves
  the run as it was.

  Raises:
    errors.DamagedCheckpointError: naming the files and how to resume from
      the previous checkpoint.
  """
  directory = os.path.join(root, learner.TRAIN_DIR,
                           learner.POLICY_CHECKPOINT_DIR)
  state = tf.train.get_checkpoint_state(directory) if os.path.isdir(
      directory) else None
  if state is None or not state.model_checkpoint_path:
    return
  prefix = state.model_checkpoint_path
  if not os.path.isabs(prefix):
    prefix = os.path.join(directory, prefix)
  try:
    reader = tf.train.load_checkpoint(prefix)
    for key in reader.get_variable_to_shape_map():
      reader.get_tensor(key)
    return
  except (tf.errors.OpError, IndexError, ValueError) as e:
    problem = ' '.join(str(e).split('\n')[0].split())[:200]
  previous = [p for p in state.all_model_checkpoint_paths
              if os.path.basename(p) != os.path.basename(prefix)]
  name = os.path.basename(prefix)
  state_file = os.path.join(directory, 'checkpoint')
  resume = (f'to resume from the previous one, move {name}.* out of '
            f'{directory} and set model_checkpoint_path: '
            f'"{os.path.basename(previous[-1])}" in {state_file}'
            if previous else 'there is no earlier one to resume from')
  raise errors.DamagedCheckpointError(
      f'--root_dir={root}: the newest Learner checkpoint {prefix} cannot be '
      f'read ({problem}); {resume}; or use a new --root_dir. Nothing was '
      'changed.')


def policy_checkpoints(root: str) -> None:
  """Entries of policies/checkpoints named like a checkpoint are checkpoints.

  Raises:
    errors.DamagedCheckpointError: naming the first entry that is not, and
      the fix.
  """
  try:
    triggers.check_no_invalid_checkpoints(
        os.path.join(root, learner.POLICY_SAVED_MODEL_DIR))
  except triggers.InvalidCheckpointError as e:
    raise errors.DamagedCheckpointError(str(e)) from e


def launch_flags(job: str, collectors: Optional[int], launcher: str,
                 ray_address: Optional[str], replay_port: Optional[int],
                 replay_address: Optional[str]) -> None:
  """Ports in range and free, addresses well formed, job counts the machine can run, Ray importable.

  Raises:
    errors.BadValueError: a port, address or count out of range.
    errors.MissingPackageError: --launcher=ray without Ray installed.
  """
  if replay_address and _HOST_PORT.match(replay_address):
    port_in_range('--replay_address', replay_address)
  if job == 'replay' and replay_port is not None:
    busy = port_busy(replay_port)
    if busy:
      raise errors.BadValueError(
          f'--replay_port={replay_port}: port {replay_port} cannot be served '
          f'on this machine ({busy}); choose another --replay_port, or leave '
          'it unset to pick a free one (`ss -ltnp | grep '
          f':{replay_port}` shows who holds it).')
  if job != 'all' or collectors is None:
    return
  if launcher == 'local':
    limit, reason = max_local_collectors()
    if collectors > limit:
      raise errors.BadValueError(
          f'--collectors={collectors}: this machine can run at most {limit} '
          f'collectors beside the replay, train and eval jobs ({reason}); '
          'use fewer, or --launcher=ray to spread them over a cluster.')
  if ray_address is not None and ray_address != 'auto':
    if not _HOST_PORT.match(ray_address):
      raise errors.BadValueError(
          f'--ray_address={ray_address}: expected auto, HOST:PORT of the '
          'head node (e.g. 10.0.0.1:6379) or ray://HOST:PORT (Ray Client, '
          'e.g. ray://head:10001).')
    port_in_range('--ray_address', ray_address)


def port_in_range(flag: str, address: str) -> None:
  """Raises `errors.BadValueError` unless HOST:PORT's port is in 1-65535."""
  port = int(address.rsplit(':', 1)[1])
  if not 1 <= port <= 65535:
    raise errors.BadValueError(
        f'{flag}={address}: port {port} is out of range; ports are 1-65535.')


def port_busy(port: int) -> Optional[str]:
  """Why a server could not listen on `port` on every interface; None if it could.

  Binds as gRPC does (SO_REUSEADDR, [::] with IPv4 mapped, else 0.0.0.0),
  then lets go.
  """
  for family, host in ((socket.AF_INET6, '::'), (socket.AF_INET, '0.0.0.0')):
    try:
      probe = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
      continue  # No IPv6 here.
    with probe:
      probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      try:
        probe.bind((host, port))
        return None
      except OSError as e:
        if e.errno == errno.EADDRNOTAVAIL:
          continue
        return ('already in use' if e.errno == errno.EADDRINUSE
                else e.strerror)
  return None


def max_local_collectors() -> Tuple[int, str]:
  """(most collectors this machine can run beside the other jobs, why).

  Bounded by memory (`JOB_MEMORY_BYTES` per job) and by the process limit
  (RLIMIT_NPROC counts threads; `THREADS_PER_JOB` each).
  """
  memory = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
  by_memory = memory // JOB_MEMORY_BYTES - OTHER_JOBS
  bounds = [(by_memory, f'{memory / 2**30:.1f} GiB of memory at about '
             f'{JOB_MEMORY_BYTES >> 20} MiB per job')]
  soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
  if soft != resource.RLIM_INFINITY:
    bounds.append((soft // THREADS_PER_JOB - OTHER_JOBS,
                   f'a limit of {soft} processes and threads (ulimit -u) at '
                   f'about {THREADS_PER_JOB} threads per job'))
  limit, reason = min(bounds)
  return max(limit, 1), reason
