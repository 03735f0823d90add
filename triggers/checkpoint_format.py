"""The on-disk layout of saved policies: names, atomic publication, listing.

tf_agents' layout under `saved_model_dir` (usually `root_dir/policies`):

  policy/ greedy_policy/ collect_policy/          SavedModels, written once
  checkpoints/policy_checkpoint_%010d/variables/  variables at a train step

Every directory is first written under a temporary name that starts with '.'
(so neither `policy_checkpoint_*` globs nor a sorted listing's last entry ever
pick it), then renamed into place: a reader sees a complete directory or none.
Writer and readers both use this module, so the format is defined once.
"""

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import uuid
from typing import Callable, Dict, Iterator, List, Optional, Set

from absl import logging
import tensorflow as tf
from tf_agents.policies import policy_saver
from tf_agents.train import learner

from triggers import argument_checks
from triggers import durable

POLICY_DIR = learner.RAW_POLICY_SAVED_MODEL_DIR  # 'policy'
GREEDY_POLICY_DIR = learner.GREEDY_POLICY_SAVED_MODEL_DIR  # 'greedy_policy'
COLLECT_POLICY_DIR = learner.COLLECT_POLICY_SAVED_MODEL_DIR  # 'collect_policy'
CHECKPOINTS_DIR = learner.POLICY_CHECKPOINT_DIR  # 'checkpoints'
POLICY_SPECS_FILE = policy_saver.POLICY_SPECS_PBTXT  # 'policy_specs.pbtxt'

CHECKPOINT_PREFIX = 'policy_checkpoint_'
_CHECKPOINT_NAME = re.compile(r'^policy_checkpoint_(\d+)$')
_TEMP_MARKER = '.tmp-'  # A save not yet published.
_DELETING_MARKER = '.deleting-'  # A checkpoint being deleted by retention.
_LEASE = re.compile(r'^\.lease-(\d+)-(\d+)-[0-9a-f]+$')  # step, pid.


def checkpoint_name(step: int) -> str:
  """'policy_checkpoint_%010d', the name tf_agents gives the checkpoint at `step`."""
  return '%s%010d' % (CHECKPOINT_PREFIX, step)


def checkpoint_step(name: str) -> Optional[int]:
  """The train step in a complete checkpoint's directory name, else None."""
  match = _CHECKPOINT_NAME.match(os.path.basename(name.rstrip('/')))
  return int(match.group(1)) if match else None


def variables_prefix(directory: str) -> str:
  """The file prefix of a checkpoint's variables: `directory/variables/variables`."""
  return os.path.join(directory, tf.saved_model.VARIABLES_DIRECTORY,
                      tf.saved_model.VARIABLES_FILENAME)


def temp_path(final_path: str) -> str:
  """A unique hidden sibling of `final_path` to write into before publishing."""
  parent, name = os.path.split(final_path.rstrip('/'))
  return os.path.join(parent, f'.{name}{_TEMP_MARKER}{uuid.uuid4().hex}')


def is_temp_name(name: str) -> bool:
  """True for a save not yet published, or a checkpoint half deleted."""
  return name.startswith('.') and (_TEMP_MARKER in name or
                                   _DELETING_MARKER in name)


@contextlib.contextmanager
def directory_lock(checkpoints_dir: str) -> Iterator[None]:
  """Exclusive lock on `checkpoints_dir` (flock on its `.lock` file).

  Held by a reader while it takes a lease, and by retention while it picks
  and hides what to delete, so no checkpoint is deleted under a new reader.
  """
  argument_checks.check_local_path('saved_model_dir', checkpoints_dir)
  os.makedirs(checkpoints_dir, exist_ok=True)
  with open(os.path.join(checkpoints_dir, '.lock'), 'a') as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(f, fcntl.LOCK_UN)


def delete_checkpoints(checkpoints_dir: str,
                       choose: Callable[[List[int], Set[int]], List[int]]
                       ) -> List[int]:
  """Deletes the checkpoints `choose(steps, leased_steps)` names.

  Under `directory_lock`, each is renamed to a hidden name (so it is never
  seen half deleted); the files are removed after the lock is released.

  Returns:
    The deleted steps.
  """
  hidden = []
  with directory_lock(checkpoints_dir):
    doomed = choose(list_steps(checkpoints_dir), leased_steps(checkpoints_dir))
    for step in doomed:
      path = os.path.join(
          checkpoints_dir,
          f'.{checkpoint_name(step)}{_DELETING_MARKER}{uuid.uuid4().hex}')
      tf.io.gfile.rename(os.path.join(checkpoints_dir, checkpoint_name(step)),
                         path)
      hidden.append(path)
  for path in hidden:
    tf.io.gfile.rmtree(path)
  return doomed


@contextlib.contextmanager
def lease(checkpoints_dir: str, step: int) -> Iterator[bool]:
  """Marks the checkpoint at `step` as being read: retention will not delete it.

  A hidden file `.lease-<step>-<pid>-<id>` in `checkpoints_dir`; a lease whose
  process has died no longer counts.

  Yields:
    Whether the checkpoint existed when the lease was taken.
  """
  path = os.path.join(checkpoints_dir,
                      f'.lease-{step}-{os.getpid()}-{uuid.uuid4().hex}')
  with directory_lock(checkpoints_dir):
    with open(path, 'w'):
      pass
    exists = os.path.isdir(os.path.join(checkpoints_dir, checkpoint_name(step)))
  try:
    yield exists
  finally:
    try:
      os.remove(path)
    except FileNotFoundError:
      pass


def leased_steps(checkpoints_dir: str) -> Set[int]:
  """Steps that a live process is reading; stale leases are removed."""
  steps = set()
  if not os.path.isdir(checkpoints_dir):
    return steps
  for name in os.listdir(checkpoints_dir):
    match = _LEASE.match(name)
    if not match:
      continue
    step, pid = int(match.group(1)), int(match.group(2))
    if _process_alive(pid):
      steps.add(step)
    else:
      try:
        os.remove(os.path.join(checkpoints_dir, name))
      except FileNotFoundError:
        pass
  return steps


def _process_alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  return True


def publish(temp: str, final_path: str) -> bool:
  """Renames a complete `temp` directory to `final_path`, atomically and durably.

  Its files and directories are fsync'd before the rename, the parent after
  (`durable.rename`): a power loss leaves the checkpoint complete or absent.

  Returns:
    True if published; False if `final_path` already existed, in which case it
    is kept untouched and `temp` is removed.
  """
  if os.path.lexists(final_path):
    tf.io.gfile.rmtree(temp)
    return False
  try:
    durable.rename(temp, final_path)
  except OSError:
    if os.path.lexists(final_path):  # Another writer won the race.
      tf.io.gfile.rmtree(temp)
      return False
    raise
  return True


def replace_directory(temp: str, final_path: str) -> None:
  """Puts the complete directory `temp` at `final_path`, replacing any there.

  On Linux the two are exchanged atomically (renameat2 RENAME_EXCHANGE), so a
  reader of `final_path` sees the old or the new directory, never neither.
  Where the filesystem cannot exchange, the old one is moved aside first.
  fsync'd before and after, as `publish`.
  """
  if not os.path.exists(final_path):
    durable.rename(temp, final_path)
    return
  durable.sync_tree(temp)
  if not _exchange(temp, final_path):
    aside = f'{temp}{_DELETING_MARKER}old'
    os.rename(final_path, aside)
    os.rename(temp, final_path)
    temp = aside
  durable.sync_parent(final_path)
  tf.io.gfile.rmtree(temp)  # Now holds the old directory.


def _exchange(a: str, b: str) -> bool:
  """Atomically swaps paths `a` and `b`; False where unsupported."""
  rename_exchange = 2
  at_fdcwd = -100
  try:
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = libc.renameat2
  except (OSError, AttributeError):
    return False
  result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b),
                     rename_exchange)
  if result == 0:
    return True
  errno_value = ctypes.get_errno()
  if errno_value in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
    return False
  raise OSError(errno_value, os.strerror(errno_value), b)


def remove_unpublished(directory: str) -> List[str]:
  """Deletes what interrupted saves left in `directory`; returns their paths."""
  if not tf.io.gfile.isdir(directory):
    return []
  removed = []
  for name in tf.io.gfile.listdir(directory):
    name = name.rstrip('/')
    if is_temp_name(name):
      path = os.path.join(directory, name)
      tf.io.gfile.rmtree(path)
      removed.append(path)
  if removed:
    logging.warning('Removed %d unfinished save(s): %s', len(removed), removed)
  return removed


def checkpoint_problem(path: str) -> Optional[str]:
  """What is wrong with `path`, named like a checkpoint; None if it is one.

  A checkpoint is a directory holding `variables/variables.index`; the
  manifest is optional (tf_agents writes none).
  """
  if not tf.io.gfile.isdir(path):
    return ('is a file, not a checkpoint directory' if tf.io.gfile.exists(path)
            else 'is gone')
  if not tf.io.gfile.exists(variables_prefix(path) + '.index'):
    return 'has no variables/variables.index'
  return None


def _named_steps(checkpoints_dir: str) -> List[int]:
  if not tf.io.gfile.isdir(checkpoints_dir):
    return []
  steps = (checkpoint_step(name) for name in tf.io.gfile.listdir(checkpoints_dir))
  return sorted(step for step in steps if step is not None)


def list_steps(checkpoints_dir: str) -> List[int]:
  """Steps of the complete checkpoints in `checkpoints_dir`, ascending.

  An entry named like a checkpoint that is not one is left out (see
  `invalid_checkpoints`).
  """
  return [step for step in _named_steps(checkpoints_dir)
          if checkpoint_problem(os.path.join(checkpoints_dir,
                                             checkpoint_name(step))) is None]


def invalid_checkpoints(checkpoints_dir: str) -> Dict[str, str]:
  """Path -> what is wrong, for each entry named like a checkpoint that is not one."""
  found = {}
  for step in _named_steps(checkpoints_dir):
    path = os.path.join(checkpoints_dir, checkpoint_name(step))
    problem = checkpoint_problem(path)
    if problem is not None and problem != 'is gone':
      found[path] = problem
  return found


def list_checkpoints(saved_model_dir: str) -> List[int]:
  """Steps of the complete policy checkpoints under `saved_model_dir`, ascending."""
  return list_steps(os.path.join(saved_model_dir, CHECKPOINTS_DIR))


def checkpoint_path(saved_model_dir: str, step: int) -> str:
  """Path of the checkpoint at `step`: `saved_model_dir/checkpoints/policy_checkpoint_%010d`."""
  return os.path.join(saved_model_dir, CHECKPOINTS_DIR, checkpoint_name(step))
