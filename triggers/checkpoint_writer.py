"""Writes policy checkpoints, on the caller's thread or a background one.

The caller's thread always takes the snapshot (the values at the step the
checkpoint is named after, see `variable_snapshot`); only the file writing
moves to the background.
While a write is in flight, newer requests replace an older waiting one (the
newest step is always written; each replaced request is counted and logged).

Each write: variables and `manifest.json` into a hidden temporary directory,
fsync, rename into `checkpoints/`, fsync `checkpoints/` (`durable`), then
retention.

Nothing that goes wrong on the background thread ends it or is lost: each
error is raised in the caller's next `save`, `flush` or `close`, and those
never wait for a thread that is gone.
"""

import atexit
import os
import threading
import time
import weakref
from typing import Any, List, Mapping, NamedTuple, Optional

from absl import logging
import tensorflow as tf

from triggers import argument_checks
from triggers import checkpoint_format
from triggers import durable
from triggers import manifest
from triggers import retention
from triggers import variable_snapshot


class SaveError(RuntimeError):
  """A policy checkpoint could not be written; earlier ones are untouched."""


class _Request(NamedTuple):
  step: int
  snapshot: variable_snapshot.Snapshot
  metadata: Mapping[str, Any]
  gin_config_sha256: Optional[str]
  wall_time: float


class CheckpointWriter:
  """Writes `checkpoint`'s values as `checkpoints_dir/policy_checkpoint_%010d`.

  Counts, for the caller: `requested` saves = `written` + `coalesced`
  (replaced while waiting) + `already_present` + `failed` (+ one in flight
  or waiting, until `flush`).
  """

  def __init__(self, checkpoints_dir: str, checkpoint: tf.train.Checkpoint,
               *, async_writes: bool = False, max_to_keep: Optional[int] = None,
               keep_every_n_steps: Optional[int] = None):
    """Creates the writer; no thread starts until the first async save.

    Args:
      checkpoints_dir: directory that holds the `policy_checkpoint_*` dirs.
      checkpoint: the objects to save (policy, its variables); the value of
        its `train_step` variable names each checkpoint.
      async_writes: write on a background thread; default False.
      max_to_keep: newest checkpoints kept after each write; None (default)
        keeps all.
      keep_every_n_steps: checkpoints at multiples of this are never deleted;
        None (default) for none.

    Raises:
      ValueError: `checkpoint` has no `train_step` variable, or
        `checkpoints_dir` has a scheme (gs://).
    """
    argument_checks.check_local_path('checkpoints_dir', checkpoints_dir)
    self._dir = checkpoints_dir
    self._checkpoint = checkpoint
    self._snapshotter = variable_snapshot.Snapshotter(checkpoint)
    if not isinstance(getattr(checkpoint, 'train_step', None), tf.Variable):
      raise ValueError('The checkpoint needs a `train_step` variable: its '
                       'value names each policy checkpoint.')
    self._step_key = self._snapshotter.key_of(checkpoint.train_step)
    self._async = async_writes
    self._max_to_keep = max_to_keep
    self._keep_every_n_steps = keep_every_n_steps
    self._cond = threading.Condition()
    self._pending: Optional[_Request] = None
    self._in_flight: Optional[int] = None  # Step being written.
    self._closed = False
    self._errors: List[Exception] = []
    self._thread: Optional[threading.Thread] = None
    self.requested = 0
    self.written = 0
    self.coalesced = 0
    self.already_present = 0
    self.failed = 0

  def save(self, metadata: Optional[Mapping[str, Any]] = None,
           gin_config_sha256: Optional[str] = None) -> int:
    """Snapshots the values now and writes them as the checkpoint at their step.

    Args:
      metadata: name -> JSON-serialisable scalar recorded in the manifest.
      gin_config_sha256: recorded in the manifest (see
        `manifest.gin_config_sha256`); None (default) for none.

    Returns:
      The step: the value of `train_step` in the snapshot.

    Raises:
      SaveError: this write failed (sync), or an earlier background one did;
        when async, this request is queued all the same.
      retention.RetentionError: the checkpoint was written (this one when
        sync, an earlier one when async) but older ones could not be deleted.
      RuntimeError: the writer was closed.
    """
    if self._closed:
      raise RuntimeError('CheckpointWriter.save() called after close().')
    snapshot = self._snapshotter.take()
    step = int(snapshot.values[self._step_key])
    request = _Request(step, snapshot, dict(metadata or {}), gin_config_sha256,
                       time.time())
    self.requested += 1
    if not self._async:
      try:
        self._write(request)
      except SaveError:
        self.failed += 1
        raise
      return step
    with self._cond:
      if self._pending is not None:
        self.coalesced += 1
        logging.info(
            'Policy checkpoint at step %d replaced by the newer step %d before '
            'it was written (%d replaced so far).', self._pending.step, step,
            self.coalesced)
      self._pending = request
      self._start_thread()
      self._cond.notify_all()
    self._raise_errors()
    return step

  def flush(self) -> None:
    """Waits until every requested checkpoint is written or has failed.

    Raises:
      SaveError, retention.RetentionError: what went wrong in the background
        since the last call (see `save`).
    """
    with self._cond:
      while self._busy() and self._thread.is_alive():
        self._cond.wait(timeout=1.0)
      if self._busy():  # The thread is gone without saying so.
        self._abandon('the background writer thread is gone')
    self._raise_errors()

  def close(self) -> None:
    """Flushes, then stops the background thread. Safe to call twice.

    Raises:
      The errors of `flush`; the writer is closed all the same.
    """
    try:
      self.flush()
    finally:
      with self._cond:
        self._closed = True
        self._cond.notify_all()
      if self._thread is not None:
        self._thread.join()

  def __enter__(self) -> 'CheckpointWriter':
    return self

  def __exit__(self, *exc_info) -> None:
    self.close()

  def _busy(self) -> bool:
    return self._pending is not None or self._in_flight is not None

  def _start_thread(self) -> None:
    if self._thread is None:
      # Daemon threads die at exit; finish what was requested first.
      atexit.register(_flush_at_exit, weakref.ref(self))
    if self._thread is None or not self._thread.is_alive():
      self._thread = threading.Thread(
          target=self._run, name='policy-checkpoint-writer', daemon=True)
      self._thread.start()

  def _run(self) -> None:
    try:
      while True:
        with self._cond:
          while self._pending is None and not self._closed:
            self._cond.wait()
          if self._pending is None:
            return
          request, self._pending = self._pending, None
          self._in_flight = request.step
        try:
          self._write(request)
        except Exception as e:  # pylint: disable=broad-except
          self._record(e, request.step)
        with self._cond:
          self._in_flight = None
          self._cond.notify_all()
    except BaseException as e:  # pylint: disable=broad-except
      # The thread ends either way; the caller's next call raises the error.
      logging.exception('The policy checkpoint writer thread stopped.')
      with self._cond:
        self._abandon(f'the background writer thread stopped: {e!r}')

  def _record(self, error: Exception, step: int) -> None:
    """Keeps a background error for the caller's next call."""
    if not isinstance(error, (SaveError, retention.RetentionError)):
      wrapped = SaveError(f'Could not write the policy checkpoint for step '
                          f'{step}: {type(error).__name__}: {error}')
      wrapped.__cause__ = error
      error = wrapped
    logging.error('%s', error)
    with self._cond:
      if isinstance(error, SaveError):
        self.failed += 1
      self._errors.append(error)

  def _abandon(self, reason: str) -> None:
    """Gives up the waiting and in-flight saves as failed; under `_cond`."""
    steps = [] if self._in_flight is None else [self._in_flight]
    if self._pending is not None:
      steps.append(self._pending.step)
    self.failed += len(steps)
    self._pending = self._in_flight = None
    self._errors.append(SaveError(
        f'Policy checkpoint(s) at step(s) {steps} not written: {reason}. '
        'The next save starts a new writer thread.'))
    self._cond.notify_all()

  def _write(self, request: _Request) -> None:
    """Writes, publishes, then applies retention.

    Raises:
      SaveError: nothing was published (whatever the cause).
      retention.RetentionError: published, but retention failed.
    """
    step = request.step
    final = os.path.join(self._dir, checkpoint_format.checkpoint_name(step))
    temp = checkpoint_format.temp_path(final)
    try:
      durable.make_dirs(self._dir)
      if os.path.lexists(final):
        self.already_present += 1
        logging.warning('%s already exists; keeping it, not saving again.',
                        final)
        return
      variable_snapshot.write(request.snapshot,
                              checkpoint_format.variables_prefix(temp))
      manifest.write(temp, step, request.metadata, request.gin_config_sha256,
                     request.wall_time)
      published = checkpoint_format.publish(temp, final)
    except Exception as e:  # pylint: disable=broad-except
      _remove_quietly(temp)
      hint = ("free space or fix the directory's permissions"
              if isinstance(e, (tf.errors.OpError, OSError)) else
              'not a disk error: metadata values must be JSON scalars')
      raise SaveError(
          f'Could not write the policy checkpoint for step {step} to {final}: '
          f'{type(e).__name__}: {e}. Earlier checkpoints are untouched; '
          f'{hint}.') from e
    if not published:
      self.already_present += 1
      return
    self.written += 1
    try:
      retention.prune(self._dir, self._max_to_keep, self._keep_every_n_steps)
    except Exception as e:  # pylint: disable=broad-except
      raise retention.RetentionError(
          f'The policy checkpoint at step {step} is complete ({final}), but '
          f'older checkpoints could not be deleted: {type(e).__name__}: {e}'
      ) from e

  def _raise_errors(self) -> None:
    if not self._errors:
      return
    with self._cond:
      errors, self._errors = self._errors, []
    if errors:
      for later in errors[1:]:
        errors[0].add_note(f'Also, later: {type(later).__name__}: {later}')
      raise errors[0]


def _remove_quietly(path: str) -> None:
  try:
    if tf.io.gfile.exists(path):
      tf.io.gfile.rmtree(path)
  except (tf.errors.OpError, OSError):
    logging.warning('Could not remove the unfinished save %s.', path)


def _flush_at_exit(writer_ref: 'weakref.ref[CheckpointWriter]') -> None:
  writer = writer_ref()
  if writer is None:
    return
  try:
    writer.close()
  except Exception:  # pylint: disable=broad-except
    logging.exception('A policy checkpoint failed while exiting.')
