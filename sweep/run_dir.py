"""What a run's directory says about it: finished or not, and who is running it.

Finished is decided from disk only: a policy checkpoint (or, with policy saving
off, a Learner checkpoint) at the run's last train step.
"""

import fcntl
import os
from typing import Optional

import triggers
from train_eval import existing_run

LOCK_FILE = 'sweep.lock'


def last_step(run_dir: str) -> Optional[int]:
  """The newest saved train step (policy or Learner checkpoint), or None."""
  steps = []
  policies = os.path.join(run_dir, 'policies')
  if os.path.isdir(policies):
    steps += triggers.list_checkpoints(policies)
  learner = existing_run.learner_checkpoint(run_dir)
  if learner:
    steps.append(int(learner.rsplit('-', 1)[-1]))
  return max(steps) if steps else None


def finished(run_dir: str, num_iterations: int) -> bool:
  """True if the run saved its last train step, `num_iterations`."""
  step = last_step(run_dir)
  return step is not None and step >= num_iterations


class RunLock:
  """An exclusive lock on a run's directory (flock on run_dir/sweep.lock).

  The sweep holds it while the run's process lives; the process inherits the
  descriptor (`fd`), so the lock outlives a killed sweep until the run has
  saved and exited. The file names the holder's pid.
  """

  def __init__(self, run_dir: str):
    self.path = os.path.join(run_dir, LOCK_FILE)
    self.fd: Optional[int] = None

  def acquire(self) -> bool:
    """Takes the lock if free; False if another process holds it."""
    os.makedirs(os.path.dirname(self.path), exist_ok=True)
    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      os.close(fd)
      return False
    os.ftruncate(fd, 0)
    os.write(fd, f'{os.getpid()}\n'.encode())
    self.fd = fd
    return True

  def holder(self) -> str:
    """The pid written by whoever holds (or last held) the lock, as text."""
    try:
      with open(self.path) as f:
        return f.read().strip() or '?'
    except OSError:
      return '?'

  def release(self) -> None:
    if self.fd is not None:
      os.close(self.fd)
      self.fd = None
