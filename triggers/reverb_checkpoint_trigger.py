"""Checkpoints a Reverb server's data every `interval` train steps."""

from absl import logging
import gin
import tensorflow as tf

from triggers import argument_checks
from triggers import interval_trigger


@gin.configurable(module='triggers', denylist=['train_step', 'reverb_client'])
class ReverbCheckpointTrigger(interval_trigger.IntervalTrigger):
  """Equivalent of `tf_agents.train.triggers.ReverbCheckpointTrigger`."""

  def __init__(self, train_step: tf.Variable, interval: int, reverb_client):
    """Constructs the trigger.

    Args:
      train_step: scalar integer `tf.Variable` counting train steps.
      interval: train steps between Reverb checkpoints; <= 0 never saves.
      reverb_client: a `reverb.Client` of the server to checkpoint; the server
        must have been started with a checkpointer.
    """
    argument_checks.check_train_step(train_step)
    if not callable(getattr(reverb_client, 'checkpoint', None)):
      raise argument_checks.BadArgumentType(
          'reverb_client must be a reverb.Client (it has no checkpoint() '
          f'method), got {type(reverb_client).__name__}.')
    self._train_step = train_step
    self._reverb_client = reverb_client
    super().__init__(interval, self._save_fn)

  def _save_fn(self) -> None:
    path = self._reverb_client.checkpoint()
    logging.info('Checkpointed Reverb data at step %d to %s',
                 int(self._train_step.numpy()), path)
