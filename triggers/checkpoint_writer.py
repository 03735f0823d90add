"""Writes policy checkpoints, on the caller's thread or a background one.

The caller's thread always takes the snapshot (a copy of the values at the step
the checkpoint is named after); only the file writing moves to the background.
While a write is in flight, newer requests replace an older waiting one (the
newest step is always written; each replaced request is counted and logged).

Each write: variables and `manifest.json` into a hidden temporary directory,
rename into `checkpoints/`, then retention.
"""

import atexit
import os
import threading
import time
import weakref
from typing import Any, Callable, Mapping, NamedTuple, Optional

from absl import logging
import tensorflow as tf

from triggers import checkpoint_format
from triggers import manifest
from triggers import retention
from triggers import variable_snapshot


class SaveError(RuntimeError):
  """A policy checkpoint could not be written; earlier ones are untouched."""


class _Request(NamedTuple):
  step: int
  snapshot: variable_snapshot.Snapshot
  metadata: Mapping[str, Any]
  gin_config_fn: Optional[Callable[[], Optional[str]]]
  wall_time: float


class CheckpointWriter:
  """Writes `checkpoint`'s values as `checkpoints_dir/policy_checkpoint_%010d`."""

  def __init__(self, checkpoints_dir: str, checkpoint: tf.train.Checkpoint,
               *, async_writes: bool = False, max_to_keep: Optional[int] = None,
               keep_every_n_steps: Optional[int] = None):
    """Creates the writer; no thread starts until the first async save.

    Args:
      checkpoints_dir: directory that holds the `policy_checkpoint_*` dirs.
      checkpoint: the objects to save (policy, its variables, train_step).
      async_writes: write on a background thread; default False.
      max_to_keep: newest checkpoints kept after each write; None (default)
        keeps all.
      keep_every_n_steps: checkpoints at multiples of this are never deleted;
        None (default) for none.
    """
    self._dir = checkpoints_dir
    self._checkpoint = checkpoint
    self._snapshotter = variable_snapshot.Snapshotter(checkpoint)
    self._async = async_writes
    self._max_to_keep = max_to_keep
    self._keep_every_n_steps = keep_every_n_steps
    self._cond = threading.Condition()
    self._pending: Optional[_Request] = None
    self._writing = False
    self._closed = False
    self._error: Optional[BaseException] = None
    self._thread: Optional[threading.Thread] = None
    self.requested = 0
    self.written = 0
    self.coalesced = 0
    self.already_present = 0

  def save(self, step: int, metadata: Optional[Mapping[str, Any]] = None,
           gin_config_fn: Optional[Callable[[], Optional[str]]] = None
           ) -> None:
    """Snapshots the values now and writes them as the checkpoint at `step`.

    Args:
      step: the train step; names the checkpoint.
      metadata: name -> scalar recorded in the manifest.
      gin_config_fn: returns the operative gin config, whose hash goes in the
        manifest; called by whichever thread writes (it takes about 1 ms).

    Raises:
      SaveError: this write failed (sync), or an earlier background write did.
      RuntimeError: the writer was closed.
    """
    self._raise_error()
    if self._closed:
      raise RuntimeError('CheckpointWriter.save() called after close().')
    request = _Request(step, self._snapshotter.take(), dict(metadata or {}),
                       gin_config_fn, time.time())
    self.requested += 1
    if not self._async:
      self._write(request)
      return
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

  def flush(self) -> None:
    """Waits until every requested checkpoint is written; re-raises failures."""
    with self._cond:
      while self._pending is not None or self._writing:
        self._cond.wait()
    self._raise_error()

  def close(self) -> None:
    """Flushes, then stops the background thread. Safe to call twice."""
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

  def _start_thread(self) -> None:
    if self._thread is None:
      self._thread = threading.Thread(
          target=self._run, name='policy-checkpoint-writer', daemon=True)
      self._thread.start()
      # Daemon threads die at exit; finish what was requested first.
      atexit.register(_flush_at_exit, weakref.ref(self))

  def _run(self) -> None:
    while True:
      with self._cond:
        while self._pending is None and not self._closed:
          self._cond.wait()
        if self._pending is None:
          return
        request = self._pending
        self._pending = None
        self._writing = True
      try:
        self._write(request)
      except SaveError as e:
        with self._cond:
          self._error = e
      finally:
        with self._cond:
          self._writing = False
          self._cond.notify_all()

  def _write(self, request: _Request) -> None:
    step = request.step
    final = os.path.join(self._dir, checkpoint_format.checkpoint_name(step))
    if tf.io.gfile.exists(final):
      self.already_present += 1
      logging.warning('%s already exists; keeping it, not saving again.', final)
      return
    temp = checkpoint_format.temp_path(final)
    try:
      variable_snapshot.write(request.snapshot,
                              checkpoint_format.variables_prefix(temp))
      gin_config = request.gin_config_fn() if request.gin_config_fn else None
      manifest.write(temp, step, request.metadata, gin_config,
                     request.wall_time)
      published = checkpoint_format.publish(temp, final)
      if published:
        retention.prune(self._dir, self._max_to_keep, self._keep_every_n_steps)
    except (tf.errors.OpError, OSError) as e:
      _remove_quietly(temp)
      raise SaveError(
          f'Could not write the policy checkpoint for step {step} to {final}: '
          f'{e}. Earlier checkpoints are untouched; free space or fix the '
          "directory's permissions.") from e
    if published:
      self.written += 1
    else:
      self.already_present += 1

  def _raise_error(self) -> None:
    with self._cond:
      error, self._error = self._error, None
    if error is not None:
      raise error


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
