"""Overlapped mode: the collect Actor runs on its own thread while the Learner trains.

Reverb's `SampleToInsertRatio` rate limiter keeps the number of sampled items
per inserted item at the sequential loop's ratio (batch_size per
collect_steps_per_iteration), so the algorithm is the same; only the time each
side spent waiting for the other is removed.
"""

import threading
from typing import Callable, Optional

from absl import logging
import reverb


def rate_limiter(samples_per_insert: float, min_size_to_sample: int,
                 error_buffer_inserts: float) -> reverb.rate_limiters.RateLimiter:
  """`SampleToInsertRatio` allowing `error_buffer_inserts` inserts of slack.

  Args:
    samples_per_insert: items sampled per item inserted, e.g. batch_size 256
      per environment step.
    min_size_to_sample: items inserted before any sampling (the initial
      collection), which the limiter lets in without samples.
    error_buffer_inserts: how far (in inserts) collection may run ahead of or
      behind training.
  """
  return reverb.rate_limiters.SampleToInsertRatio(
      samples_per_insert=samples_per_insert,
      min_size_to_sample=max(1, min_size_to_sample),
      error_buffer=samples_per_insert * error_buffer_inserts)


class BackgroundCollector:
  """Calls `collect_fn` in a loop on a daemon thread until stopped."""

  def __init__(self, collect_fn: Callable[[], None],
               drain_fn: Callable[[], None]):
    """Creates the collector; `start()` starts it.

    Args:
      collect_fn: one round of collection that blocks while the rate limiter
        refuses its items (e.g. `collect_actor.run` then a writer flush).
      drain_fn: samples from the table, so that an insert blocked by the rate
        limiter can finish when training has stopped sampling.
    """
    self._collect_fn = collect_fn
    self._drain_fn = drain_fn
    self._stop = threading.Event()
    self._error: Optional[BaseException] = None
    self._thread = threading.Thread(target=self._run, name='collector',
                                    daemon=True)

  def start(self) -> None:
    self._thread.start()

  def _run(self) -> None:
    try:
      while not self._stop.is_set():
        self._collect_fn()
    except BaseException as e:  # pylint: disable=broad-except
      if not self._stop.is_set():
        logging.exception('Background collection failed.')
        self._error = e

  def check(self) -> None:
    """Re-raises, in the caller, an error that ended collection."""
    if self._error is not None:
      raise RuntimeError('Background collection failed.') from self._error

  def stop(self) -> None:
    """Stops collecting and waits for the thread; then re-raises its error."""
    self._stop.set()
    if self._thread.is_alive():
      threading.Thread(target=self._drain, name='collector-drain',
                       daemon=True).start()
      self._thread.join()
    self.check()

  def _drain(self) -> None:
    try:
      while self._thread.is_alive():
        self._drain_fn()
    except Exception:  # pylint: disable=broad-except
      pass  # The server stopped: nothing left to unblock.
