"""Calls a function every `interval` values (train steps) of a counter."""

from typing import Callable

from absl import logging
import gin

from triggers import argument_checks


@gin.configurable(module='triggers', denylist=['fn'])
class IntervalTrigger:
  """Calls `fn` once at least `interval` values have passed since the last call.

  Same semantics as `tf_agents.train.interval_trigger.IntervalTrigger`: the
  value at which `fn` runs is not necessarily a multiple of `interval`; it is
  the first value passed to `__call__` that is >= last + interval.
  """

  def __init__(self, interval: int, fn: Callable[[], None], start: int = 0):
    """Constructs the trigger.

    Args:
      interval: values (train steps) between calls of `fn`; <= 0 never calls it,
        not even when forced.
      fn: callable with no arguments.
      start: value the interval counts from; default 0.

    Raises:
      TypeError: `interval` or `start` is not an integer (bools are refused), or
        `fn` is not callable.
    """
    self._interval = argument_checks.check_int('interval', interval)
    self._original_start_value = argument_checks.check_int('start', start)
    self._last_trigger_value = self._original_start_value
    if not callable(fn):
      raise argument_checks.BadArgumentType(f'fn must be callable, got {type(fn).__name__}.')
    self._fn = fn
    if self._interval <= 0:
      logging.info(
          '%s will never fire: interval is %d.', type(self).__name__,
          self._interval)

  @property
  def interval(self) -> int:
    """Values (train steps) between calls; <= 0 means never."""
    return self._interval

  @property
  def last_trigger_value(self) -> int:
    """The value at which `fn` last ran, or the start value."""
    return self._last_trigger_value

  def __call__(self, value: int, force_trigger: bool = False) -> None:
    """Calls `fn` if `value` is due.

    Args:
      value: the current value of the counter (train step).
      force_trigger: call `fn` even if not due, unless the last call was at
        this same `value`.
    """
    if self._interval <= 0:
      return
    if ((force_trigger and value != self._last_trigger_value) or
        value >= self._last_trigger_value + self._interval):
      self._last_trigger_value = value
      self._fn()

  def reset(self) -> None:
    """Returns to the start value given at construction."""
    self._last_trigger_value = self._original_start_value

  def set_start(self, start: int) -> None:
    """Counts the next interval from `start`."""
    self._last_trigger_value = argument_checks.check_int('start', start)
