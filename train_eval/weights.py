"""The collect policy's weights, from the learner to the collectors through Reverb.

The learner pushes `[train_step, *of(collect_policy)]` as the one item of the
variables table (each push replaces the last); a collector pulls it and
assigns the values to `of(policy)` of the collect policy it loaded from
`policies/collect_policy`, whose variables come in the same order. The
train step travels with the weights: it is their version. The weights are
every variable of the policy, trainable or not (PPO's normalisers), but its
exploration noise's state (DDPG's Ornstein-Uhlenbeck process), which is each
collector's own, as in one process.
"""

import inspect
import re
from typing import List, Optional

from absl import logging
import numpy as np
import reverb
import tensorflow as tf
from tf_agents.utils import common

from train_eval import replay

# The name scope of an Ornstein-Uhlenbeck process's state (OUNoisePolicy
# does not set it); in a graph, a second process's is uniquified to `_1`.
_OU_SCOPE = inspect.signature(common.OUProcess).parameters['scope'].default
_NOISE_STATE = re.compile(rf'(^|/){re.escape(_OU_SCOPE)}(_\d+)?/')


def of(policy) -> List[tf.Variable]:
  """The variables of `policy` that travel: all but its exploration noise.

  Names tell the noise state apart on both sides: a SavedModel keeps its
  variables' names (`ornstein_uhlenbeck_noise/Variable:0`).

  Args:
    policy: the learner's `agent.collect_policy` (traced or not) or a
      collector's `SavedModelPyTFEagerPolicy`.
  """
  return [v for v in policy.variables() if not _NOISE_STATE.search(v.name)]


class WeightsMismatchError(ValueError):
  """The pushed weights do not fit the collector's policy."""


# Tries per push: a server killed mid-insert fails one; the next waits for
# its restart.
PUSH_ATTEMPTS = 3


class Publisher:
  """Learner side: pushes the weights every `interval` train steps."""

  def __init__(self, client: reverb.Client, policy, train_step: tf.Variable,
               interval: int = 1):
    """Creates the publisher; call it after each train step.

    Args:
      client: client of the replay server.
      policy: the agent's collect policy, whose weights (`of(policy)`) it
        pushes.
      train_step: the train step counter.
      interval: train steps between pushes; default 1.
    """
    self._client = client
    self.variables = of(policy)
    self._train_step = train_step
    self._interval = interval
    self._read = tf.function(lambda: [v.read_value() for v in self.variables])
    self.pushed_version: Optional[int] = None

  def push(self) -> int:
    """Pushes the current weights now; returns their version (train step).

    A push that the replay server's death cuts short is made again: the
    next insert waits for the restarted server.
    """
    version = int(self._train_step.numpy())
    values = [np.int64(version)] + [v.numpy() for v in self._read()]
    for attempt in range(1, PUSH_ATTEMPTS + 1):
      try:
        self._client.insert(values, priorities={replay.VARIABLES_TABLE: 1.0})
        break
      except replay.UNREACHABLE as e:
        if attempt == PUSH_ATTEMPTS:
          raise
        logging.warning('Pushing the weights of train step %d failed (%s): '
                        'the replay server is restarting; pushing again.',
                        version, e)
    self.pushed_version = version
    return version

  def push_if_lost(self) -> Optional[int]:
    """Pushes the current weights if the variables table is empty (a replay
    server restarted empty); returns their version, or None if none was due
    (or the server does not answer now)."""
    if replay.table_size_if_reachable(self._client,
                                      replay.VARIABLES_TABLE) == 0:
      return self.push()
    return None

  def __call__(self, step: int) -> None:
    """Pushes if `interval` train steps passed since the last push."""
    if self.pushed_version is None or step - self.pushed_version >= self._interval:
      self.push()


class Subscriber:
  """Collector side: pulls the newest weights into the policy's variables."""

  def __init__(self, client: reverb.Client, policy):
    """Creates the subscriber.

    Args:
      client: client of the replay server.
      policy: the collect policy loaded from `policies/collect_policy`, a
        `SavedModelPyTFEagerPolicy`, whose weights (`of(policy)`) it assigns.
    """
    self._client = client
    self.variables = of(policy)
    self._assign = tf.function(self._assign_all)
    self.version: Optional[int] = None
    # The pushed item's Reverb key: a new push of the same version has a new one.
    self.key: Optional[int] = None

  def available(self) -> bool:
    """True once the learner has pushed weights."""
    return replay.table_size(self._client, replay.VARIABLES_TABLE) > 0

  def pull(self) -> Optional[int]:
    """Assigns the newest pushed weights; returns their version (train step).

    Returns the version it has (None before the first pull) without waiting
    when the table is empty: a restarted replay server's, until the learner
    pushes again.

    Raises:
      WeightsMismatchError: their number or shapes differ from the policy's.
    """
    if not self.available():
      return self.version
    sample = next(iter(self._client.sample(
        replay.VARIABLES_TABLE, num_samples=1, emit_timesteps=False)))
    version, *values = [np.asarray(column)[0] for column in sample.data]
    if self.version is None:
      self._check(values)
    self._assign(values)
    if self.version is None:
      logging.info('Collect policy weights: first version, train step %d.',
                   int(version))
    self.version = int(version)
    self.key = int(np.asarray(sample.info.key).flat[0])
    return self.version

  def _check(self, values) -> None:
    shapes = [tuple(v.shape) for v in self.variables]
    pushed = [tuple(np.shape(v)) for v in values]
    if shapes != pushed:
      raise WeightsMismatchError(
          f'The weights on the replay server ({len(pushed)} arrays) do not fit '
          f'the collect policy loaded from policies/collect_policy '
          f'({len(shapes)} variables): first difference '
          f'{next((a, b) for a, b in zip(pushed + [None], shapes + [None]) if a != b)}. '
          'The learner and this collector run different agents; start them '
          'from the same gin files and root_dir.')

  def _assign_all(self, values):
    for variable, value in zip(self.variables, values):
      variable.assign(value)
