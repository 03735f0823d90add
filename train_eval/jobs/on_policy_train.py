"""`--job=train` for an on-policy agent: one train step per full batch of fresh sequences.

Each iteration: publish the weights (tagged with the train step), gather one
sequence from every collector collected by exactly those weights (anything
older is dropped: `on_policy_replay.gather`), train on them (once, or PPO's
epochs of minibatches: `on_policy_minibatches`), discard them.
"""

from typing import Any, Dict, Optional

from train_eval import learning
from train_eval import on_policy_batch
from train_eval import on_policy_minibatches
from train_eval import on_policy_replay
from train_eval import train_loop
from train_eval import weights
from train_eval.jobs import context as context_lib
from train_eval.jobs import train_job


class RemoteOnPolicyLoop(train_loop.TrainLoop):
  """Trains on the collectors' sequences of the current version only."""

  def __init__(self, context, trainer, client, publisher,
               batch: on_policy_batch.OnPolicyBatch, data_spec,
               minibatches: on_policy_minibatches.MinibatchTrainer):
    super().__init__(context, trainer)
    self._minibatches = minibatches
    self._client = client
    self._publisher = publisher
    self._batch = batch
    self._data_spec = data_spec
    self._ready = False
    self.dropped = 0

  def begin(self, step: int) -> None:
    self._publisher.push()

  def collect(self) -> None:
    step = self.trainer.step
    sequences, dropped = on_policy_replay.gather(
        self._client, self._data_spec, step, self.context.num_tasks,
        lambda: self.context.stop.requested, self._publisher.push_if_lost)
    self.dropped += dropped
    self._ready = sequences is not None
    if self._ready:
      self._batch.open(step)
      for sequence in sequences:
        self._batch.add_sequence(sequence)

  def train(self) -> Optional[float]:
    if not self._ready:
      return None
    if self._minibatches.minibatching is None:
      return super().train()
    return self._minibatches.train(self._batch.take(self.trainer.step))

  def after_step(self, step: int) -> None:
    self._publisher.push()

  def end(self, step: int) -> None:
    self._publisher.push()  # Collectors stop once they see num_iterations.


def run(context: context_lib.JobContext) -> Dict[str, Any]:
  """Trains until `num_iterations` (or a stop request), then saves.

  Returns:
    {'train_step', 'eval': {}, 'checkpoints', 'dropped': stale sequences}.
  """
  exp = context.experiment
  connected = train_job.connect_and_build(context)
  if connected is None:
    return {'train_step': None, 'eval': {}, 'checkpoints': []}
  client, agent, train_step = connected
  on_policy_minibatches.check_batch(
      on_policy_minibatches.of(agent), exp.agent_fn.__name__,
      exp.collect_steps_per_iteration, exp.collect_episodes_per_iteration,
      context.num_tasks)
  data_spec = on_policy_batch.plain(agent.collect_data_spec)
  batch = on_policy_batch.OnPolicyBatch(
      data_spec, side_by_side=not exp.collect_episodes_per_iteration)
  trainer = learning.Trainer(
      context.root_dir, agent, train_step, lambda: batch.dataset(train_step),
      exp.learner_triggers, client, {})
  context.started()
  try:
    if trainer.step:
      context.console.line(
          f'Resuming from step {trainer.step} of {exp.num_iterations}, '
          'Learner checkpoint restored; on-policy: collecting afresh.')
    publisher = weights.Publisher(client, agent.collect_policy,
                                  train_step)
    loop = RemoteOnPolicyLoop(
        context, trainer, client, publisher, batch, data_spec,
        on_policy_minibatches.MinibatchTrainer(agent, trainer.learner))
    step = loop.run()
  finally:
    trainer.close()
  return {'train_step': step, 'eval': {}, 'dropped': loop.dropped,
          'checkpoints': learning.checkpointed_steps(context.root_dir)}
