"""Logs and summarizes train steps per second every `interval` steps."""

import time

from absl import logging
import gin
import tensorflow as tf

from triggers import argument_checks
from triggers import interval_trigger


@gin.configurable(module='triggers', denylist=['train_step'])
class StepPerSecondLogTrigger(interval_trigger.IntervalTrigger):
  """Equivalent of `tf_agents.train.triggers.StepPerSecondLogTrigger`.

  Writes the scalar summary `RunTime/train_steps_per_sec` to the default
  summary writer, and logs it if `log_to_terminal`.
  """

  def __init__(self, train_step: tf.Variable, interval: int,
               log_to_terminal: bool = True):
    """Constructs the trigger.

    Args:
      train_step: scalar integer `tf.Variable` counting train steps.
      interval: train steps between reports; <= 0 never reports.
      log_to_terminal: also log `Step: N, X steps/sec`; default True.
    """
    argument_checks.check_train_step(train_step)
    self._train_step = train_step
    self._log_to_terminal = log_to_terminal
    self._restart()
    super().__init__(interval, self._log_steps_per_sec)

  def _restart(self) -> None:
    self._last_time = time.monotonic()
    self._last_step = int(self._train_step.numpy())

  def _log_steps_per_sec(self) -> None:
    step = int(self._train_step.numpy())
    elapsed = time.monotonic() - self._last_time
    steps_per_sec = (step - self._last_step) / elapsed if elapsed > 0 else 0.0
    self._restart()
    if self._log_to_terminal:
      logging.info('Step: %d, %.3f steps/sec', step, steps_per_sec)
    with tf.summary.record_if(True), tf.name_scope('RunTime/'):
      tf.summary.scalar(name='train_steps_per_sec', data=steps_per_sec,
                        step=step)
