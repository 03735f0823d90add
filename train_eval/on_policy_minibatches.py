"""One on-policy iteration trained in epochs of shuffled minibatches, as tf_agents' `PPOLearner`.

`PPOLearner.run`, for the batch an iteration collected (`OnPolicyBatch.take`):
the agent's observation and reward normalisers are updated once with the
whole batch; the advantages and returns are computed on the whole sequences
(`agent.preprocess_sequence`: GAE from the value predictions recorded at
collection, rewards normalised with the updated statistics); then
`num_epochs` passes, each a fresh shuffle of the batch's steps cut into
minibatches of `minibatch_size` (the remainder left out, as PPOLearner's
`drop_remainder`; a batch of whole episodes shorter than that is one
minibatch), one `agent.train` call per minibatch, all in one
`Learner.run`: one train step per minibatch, the triggers run once per
iteration. The agent is built for it (num_epochs=1,
compute_value_and_advantage_in_train=False, update_normalizers_in_train=False,
as schulman17 builds its PPOClipAgent).

Where PPOLearner shuffles through a 2048-step buffer over the 10 repeated
epochs, each epoch here is a permutation of the batch (seeded by
`train_eval.seed`), so every step is in exactly one minibatch per epoch.
"""

import dataclasses
from typing import Any, Optional

import numpy as np
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.train import learner as learner_lib

from train_eval import errors
from train_eval import on_policy_batch


@dataclasses.dataclass(frozen=True)
class Minibatching:
  """An agent's epochs and minibatches per iteration (set by its builder)."""
  num_epochs: int
  minibatch_size: int

  def size(self, frames: int) -> int:
    """Steps per minibatch for a batch of `frames` steps: minibatch_size, or
    all of them when fewer (whole episodes shorter than a minibatch)."""
    return min(self.minibatch_size, frames)

  def train_steps(self, frames: int) -> int:
    """Train steps (minibatches) an iteration of `frames` environment steps gives."""
    return self.num_epochs * (frames // self.size(frames))


def of(agent: tf_agent.TFAgent) -> Optional[Minibatching]:
  """The agent's `minibatching` (ppo_agent's); None: one train call per iteration."""
  return getattr(agent, 'minibatching', None)


def check_batch(minibatching: Optional[Minibatching], builder: str,
                collect_steps_per_iteration: int, episodes: int,
                collectors: int) -> None:
  """An iteration of fixed length holds at least one minibatch.

  Args:
    minibatching: the agent's, or None.
    builder: its name, e.g. 'ppo_agent'.
    collect_steps_per_iteration: the bound value.
    episodes: collect_episodes_per_iteration; nonzero skips the check.
    collectors: 1 in one process, else --collectors.

  Raises:
    errors.BadValueError: minibatch_size above the steps of an iteration.
  """
  if minibatching is None or episodes:
    return
  size = minibatching.minibatch_size
  frames = collectors * on_policy_batch.sequence_length(
      collect_steps_per_iteration, collectors)
  if size > frames:
    shown = f' ({frames} with --collectors={collectors})' if (
        frames != collect_steps_per_iteration) else ''
    raise errors.BadValueError(
        f'{builder}.minibatch_size = {size} with '
        f'train_eval.collect_steps_per_iteration = '
        f'{collect_steps_per_iteration}{shown}: an iteration must hold at '
        'least one minibatch; lower minibatch_size or raise '
        'collect_steps_per_iteration.')


class MinibatchTrainer:
  """Trains an agent with `minibatching` on one iteration's batch at a time."""

  def __init__(self, agent: tf_agent.TFAgent, learner: learner_lib.Learner):
    self._agent = agent
    self._learner = learner
    self.minibatching = of(agent)

  def train(self, experience: Any) -> float:
    """Normalisers, advantages, then the epochs of minibatches on `experience`.

    Args:
      experience: the iteration's batch, a [B, T] trajectory of arrays.

    Returns:
      The loss of the last minibatch.
    """
    experience = tf.nest.map_structure(tf.convert_to_tensor, experience)
    frames = int(np.prod(experience.reward.shape[:2]))
    steps = self.minibatching.train_steps(frames)
    self._agent.update_observation_normalizer(experience.observation)
    self._agent.update_reward_normalizer(experience.reward)
    processed = self._agent.preprocess_sequence(experience)
    flat = tf.nest.map_structure(
        lambda x: tf.reshape(x, [frames, 1] + x.shape[2:].as_list()),
        processed)
    size = self.minibatching.size(frames)
    per_epoch = frames // size
    order = np.concatenate([
        np.random.permutation(frames)[:per_epoch * size]
        for _ in range(self.minibatching.num_epochs)]).reshape(steps, size)
    minibatches = tf.nest.map_structure(lambda x: tf.gather(x, order), flat)
    dataset = tf.data.Dataset.from_tensor_slices(
        (minibatches, tf.zeros([steps], tf.int32)))
    loss = self._learner.run(iterations=steps, iterator=iter(dataset)).loss
    return float(loss)
