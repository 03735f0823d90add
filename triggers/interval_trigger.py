"""Calls a function every `interval` values (train steps) and/or `interval_secs` seconds."""

import time
from typing import Callable, Optional

from absl import logging
import gin

from triggers import argument_checks


@gin.configurable(module='triggers', denylist=['fn', 'clock'])
class IntervalTrigger:
  """Calls `fn` once at least `interval` values have passed since the last call.

  Same semantics as `tf_agents.train.interval_trigger.IntervalTrigger`: the
  value at which `fn` runs is not necessarily a multiple of `interval`; it is
  the first value passed to `__call__` that is >= last + interval.

  With `interval_secs`, `fn` also runs once that many seconds have passed since
  the last call (or construction), at a value different from the last one.
  """

  def __init__(self, interval: int, fn: Callable[[], None], start: int = 0,
               *, interval_secs: Optional[float] = None,
               clock: Callable[[], float] = time.monotonic):
    """Constructs the trigger.

    Args:
      interval: values (train steps) between calls of `fn`; <= 0 never calls
        it by steps, nor when forced (unless `interval_secs` is set).
      fn: callable with no arguments.
      start: value the interval counts from; default 0.
      interval_secs: seconds between calls, checked when called; None (the
        default) fires on steps alone.
      clock: seconds, monotonic; `time.monotonic` unless a test injects one.

    Raises:
      TypeError: `interval` or `start` is not an integer (bools are refused),
        `interval_secs` is not a number, or `fn` is not callable.
      ValueError: `interval_secs` <= 0.
    """
    self._interval = argument_checks.check_int('interval', interval)
    self._original_start_value = argument_checks.check_int('start', start)
    self._last_trigger_value = self._original_start_value
    self._interval_secs = argument_checks.check_positive_seconds(
        'interval_secs', interval_secs)
    self._clock = clock
    self._last_trigger_time = clock()
    if not callable(fn):
      raise argument_checks.BadArgumentType(
          f'fn must be callable, got {type(fn).__name__}.')
    self._fn = fn
    if self._interval <= 0 and self._interval_secs is None:
      logging.info(
          '%s will never fire: interval is %d.', type(self).__name__,
          self._interval)

  @property
  def interval(self) -> int:
    """Values (train steps) between calls; <= 0 means never by steps."""
    return self._interval

  @property
  def interval_secs(self) -> Optional[float]:
    """Seconds between calls, or None."""
    return self._interval_secs

  @property
  def last_trigger_value(self) -> int:
    """The value at which `fn` last ran, or the start value."""
    return self._last_trigger_value

  def __call__(self, value: int, force_trigger: bool = False) -> None:
    """Calls `fn` if `value` (or the time) is due.

    Args:
      value: the current value of the counter (train step).
      force_trigger: call `fn` even if not due, unless the last call was at
        this same `value`.
    """
    by_steps = self._interval > 0
    if not by_steps and self._interval_secs is None:
      return
    # `value != last` only when needed: this runs after every train step.
    due = ((by_steps and value >= self._last_trigger_value + self._interval) or
           (force_trigger and value != self._last_trigger_value))
    if (not due and self._interval_secs is not None and
        value != self._last_trigger_value):
      due = self._clock() - self._last_trigger_time >= self._interval_secs
    if due:
      self._last_trigger_value = value
      self._last_trigger_time = self._clock()
      self._fn()

  def reset(self) -> None:
    """Returns to the start value given at construction."""
    self._last_trigger_value = self._original_start_value
    self._last_trigger_time = self._clock()

  def set_start(self, start: int) -> None:
    """Counts the next interval from `start`."""
    self._last_trigger_value = argument_checks.check_int('start', start)
