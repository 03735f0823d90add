"""One on-policy iteration's experience, in process: collected, trained on once, dropped.

An in-process buffer rather than a Reverb table cleared per iteration: in one
process the batch never needs to leave it, the learner reads it whole (no
sampling), and nothing of it outlives the train step, so a server, its
round trips and its clearing would add only ways to train on the wrong data.

The rule it enforces: a batch is trained on only by the iteration that starts
at the train step whose weights collected it (`open(version)` ...
`take(version)`; one train step for REINFORCE, PPO's minibatches after it),
and only once; anything else raises `StaleBatchError` instead of training.
"""

import collections.abc
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import trajectory as trajectory_lib


def plain(structure: Any) -> Any:
  """`structure` with Keras' tracking wrappers (e.g. a policy_info DictWrapper)
  replaced by plain dicts and lists, as the trajectories an Actor observes."""
  structure = getattr(structure, '__wrapped__', structure)
  if isinstance(structure, collections.abc.Mapping):
    return {key: plain(value) for key, value in structure.items()}
  if isinstance(structure, tuple) and hasattr(structure, '_fields'):
    return type(structure)(*map(plain, structure))
  if isinstance(structure, (list, tuple)):
    return type(structure)(map(plain, structure))
  return structure


def sequence_length(steps_per_iteration: int, collectors: int) -> int:
  """Steps each of `collectors` collects per iteration of fixed length.

  Equal shares, so that the learner stacks the sequences side by side; an
  uneven remainder of `steps_per_iteration` is left out (2048 with 3
  collectors: 3 x 682).
  """
  return steps_per_iteration // collectors


class StaleBatchError(RuntimeError):
  """A batch offered to the wrong train step, twice, or not at all."""


class OnPolicyBatch:
  """An Actor observer holding the trajectories of the current iteration.

  `open(version)` starts a batch collected by the weights of train step
  `version`; the Actor then calls the batch once per environment step;
  `take(version)` returns it as one [1, T] trajectory and empties it. A
  learner fed by separate collectors adds their sequences with `add_sequence`.
  """

  def __init__(self, data_spec, side_by_side: bool = False):
    """Creates an empty batch.

    Args:
      data_spec: the agent's `collect_data_spec` (one step, no batch).
      side_by_side: `take` stacks the sequences added with `add_sequence`
        as rows, [N, T] (equal lengths: fixed-length collection from N
        collectors); False (default) joins everything along time, [1, T]
        (steps of one environment, or whole episodes).
    """
    self._data_spec = plain(data_spec)
    self._side_by_side = side_by_side
    self._steps: List[Any] = []  # Pieces of [T, ...] arrays.
    self.version: Optional[int] = None

  def open(self, version: int) -> None:
    """Starts the batch the weights of train step `version` collect.

    Raises:
      StaleBatchError: the previous batch was never trained on.
    """
    if self._steps:
      raise StaleBatchError(
          f'{len(self)} steps collected at train step {self.version} '
          'were never trained on; an on-policy batch is trained on once, by '
          'the train step that collected it.')
    self.version = version

  def __call__(self, trajectory: trajectory_lib.Trajectory) -> None:
    if self.version is None:
      raise StaleBatchError('experience came in with no batch open; call '
                            'open(train_step) before collecting.')
    self._steps.append(tf.nest.map_structure(
        lambda x: np.asarray(x)[np.newaxis], trajectory))

  def add_sequence(self, sequence: Any) -> None:
    """Adds a collector's whole sequence ([T, ...] arrays) to the open batch."""
    if self.version is None:
      raise StaleBatchError('a sequence came in with no batch open.')
    self._steps.append(sequence)

  def __len__(self) -> int:
    """Environment steps in the open batch."""
    return sum(len(tf.nest.flatten(piece)[0]) for piece in self._steps)

  def take(self, version: int) -> trajectory_lib.Trajectory:
    """The open batch as one [1, T] trajectory, for train step `version`; empties it.

    Raises:
      StaleBatchError: the batch is empty (already trained on, or nothing
        collected), or it was collected by another train step's weights.
    """
    if not self._steps:
      raise StaleBatchError(
          f'no batch for train step {version}: each batch is trained on once, '
          'and this one is empty.')
    if version != self.version:
      raise StaleBatchError(
          f'the batch was collected by the weights of train step '
          f'{self.version}, not {version}: on-policy training never trains on '
          'stale data.')
    pieces, self._steps, self.version = self._steps, [], None
    if self._side_by_side:
      return tf.nest.map_structure(lambda *xs: np.stack(xs), *pieces)
    return tf.nest.map_structure(
        lambda *xs: np.concatenate(xs)[np.newaxis], *pieces)

  def dataset(self, train_step: tf.Variable) -> tf.data.Dataset:
    """Endless (batch, sample_info) elements, each `take(train_step)`: a Learner's input.

    Each element is read when the Learner asks for it, never ahead, so it is
    the batch collected for the train step now.
    """
    spec = tensor_spec.add_outer_dims_nest(
        self._data_spec, (None if self._side_by_side else 1, None))

    def batches() -> Iterator[Tuple[Any, int]]:
      while True:
        yield self.take(int(train_step.numpy())), 0

    dataset = tf.data.Dataset.from_generator(
        batches, output_signature=(spec, tf.TensorSpec((), tf.int32)))
    # tf.data would otherwise inject a prefetch, reading the next batch
    # before it is collected.
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    options.experimental_optimization.inject_prefetch = False
    options.autotune.enabled = False
    return dataset.with_options(options)
