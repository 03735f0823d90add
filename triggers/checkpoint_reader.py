"""Reading saved policy checkpoints safely: list, latest, wait, verify, lease.

Only complete checkpoints are ever listed (see `checkpoint_format`); entries
named like one that are not (a file, a directory without variables) are
named by `invalid_checkpoints`. Use `reading()` around a load so that
retention does not delete the checkpoint under you.
"""

import contextlib
import os
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

from triggers import argument_checks
from triggers import checkpoint_format
from triggers import manifest


class InvalidCheckpointError(argument_checks.BadArgumentValue):
  """An entry of `checkpoints/` is named like a policy checkpoint but is not one."""


def list_checkpoints(saved_model_dir: str) -> List[int]:
  """Steps of the complete checkpoints in `saved_model_dir/checkpoints`, ascending."""
  return checkpoint_format.list_checkpoints(saved_model_dir)


def invalid_checkpoints(saved_model_dir: str) -> Dict[str, str]:
  """Path -> what is wrong, for each entry of `saved_model_dir/checkpoints`
  named like a checkpoint (`policy_checkpoint_%010d`) that is not one.

  `list_checkpoints` leaves these out.
  """
  return checkpoint_format.invalid_checkpoints(
      os.path.join(saved_model_dir, checkpoint_format.CHECKPOINTS_DIR))


def check_no_invalid_checkpoints(saved_model_dir: str) -> None:
  """Raises `InvalidCheckpointError` naming the first invalid entry and the fix."""
  invalid = invalid_checkpoints(saved_model_dir)
  if invalid:
    path, problem = sorted(invalid.items())[0]
    more = f' ({len(invalid) - 1} more like it)' if len(invalid) > 1 else ''
    raise InvalidCheckpointError(
        f'{path} is named like a policy checkpoint but {problem}{more}; a save '
        'at its step would be skipped. Move it out of '
        f'{os.path.dirname(path)} (nothing was deleted), then run again.')


def latest_checkpoint(saved_model_dir: str) -> Optional[int]:
  """The newest complete checkpoint's step, or None."""
  steps = list_checkpoints(saved_model_dir)
  return steps[-1] if steps else None


def wait_for_checkpoint(saved_model_dir: str, newer_than: int = -1,
                        timeout_secs: float = 600.0, poll_secs: float = 1.0,
                        clock: Callable[[], float] = time.monotonic,
                        sleep: Callable[[float], None] = time.sleep
                        ) -> Optional[int]:
  """Waits for a complete checkpoint at a step > `newer_than`.

  Args:
    saved_model_dir: the trigger's `saved_model_dir`.
    newer_than: the step already seen; -1 (default) accepts any.
    timeout_secs: give up after this many seconds; default 600.
    poll_secs: seconds between looks; default 1.
    clock, sleep: injectable for tests.

  Returns:
    The newest such step, or None on timeout.
  """
  deadline = clock() + timeout_secs
  while True:
    latest = latest_checkpoint(saved_model_dir)
    if latest is not None and latest > newer_than:
      return latest
    if clock() >= deadline:
      return None
    sleep(min(poll_secs, max(deadline - clock(), 0)))


def read_manifest(saved_model_dir: str, step: int) -> Dict[str, Any]:
  """The manifest of the checkpoint at `step` (see `manifest`)."""
  return manifest.read(checkpoint_format.checkpoint_path(saved_model_dir, step))


def verify_checkpoint(saved_model_dir: str, step: int) -> Dict[str, Any]:
  """Checks the files of the checkpoint at `step` against its manifest.

  Returns:
    The manifest.

  Raises:
    FileNotFoundError: no such checkpoint or no manifest.
    manifest.VerificationError: a file is missing, extra or corrupted.
  """
  return manifest.verify(
      checkpoint_format.checkpoint_path(saved_model_dir, step))


@contextlib.contextmanager
def reading(saved_model_dir: str, step: int) -> Iterator[str]:
  """Holds a lease on the checkpoint at `step`; yields its path.

  Raises:
    FileNotFoundError: the checkpoint does not exist (or was just deleted).
  """
  checkpoints_dir = os.path.join(saved_model_dir,
                                 checkpoint_format.CHECKPOINTS_DIR)
  path = checkpoint_format.checkpoint_path(saved_model_dir, step)
  with checkpoint_format.lease(checkpoints_dir, step) as exists:
    if not exists:
      raise FileNotFoundError(f'No complete policy checkpoint at {path}.')
    yield path
