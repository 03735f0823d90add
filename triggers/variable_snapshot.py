"""Copies a `tf.train.Checkpoint`'s values now, to write them to disk later.

`tf.train.Checkpoint.write` reads the variables while it writes, so a write on
another thread sees whatever training has done meanwhile. Here the caller takes
a `Snapshot` (a NumPy copy of every value plus the object graph) at the step it
names, and any thread can `write` it later: the files are the ones
`Checkpoint.write` makes, and restore into the same objects.
"""

import dataclasses
import os
from typing import Dict

import numpy as np
import tensorflow as tf
from tensorflow.python.training.saving import saveable_object


@dataclasses.dataclass(frozen=True)
class Snapshot:
  """Checkpoint key -> value copied from the variables at one moment."""
  values: Dict[str, np.ndarray]


class Snapshotter:
  """Takes snapshots of one checkpoint quickly, for a trigger's many saves.

  What to save (the checkpoint keys, the object graph, which variables) is
  gathered once, here; each `take` then reads every variable in one
  `tf.function` call and copies the values.
  """

  def __init__(self, checkpoint: tf.train.Checkpoint):
    """Gathers what `checkpoint` saves.

    Raises:
      NotImplementedError: the checkpoint holds something other than plain
        tensors (a registered saver or a sliced variable).
    """
    # The public API reads and writes in one call; this is the same gathering
    # step `Checkpoint.write` runs first (TensorFlow 2.15, pinned in setup.py).
    serialized, _, registered_savers, _ = (
        checkpoint._saver._gather_serialized_tensors(None))  # pylint: disable=protected-access
    if registered_savers:
      raise NotImplementedError(
          f'Cannot snapshot objects with registered savers: {registered_savers}')
    self._constants = {}  # Fixed values: the object graph.
    self._variable_keys = []
    variable_specs = []
    for tensors in serialized.values():
      for key, tensor in tensors.items():
        if isinstance(tensor, dict):
          raise NotImplementedError(f'Cannot snapshot sliced variable {key!r}.')
        if isinstance(tensor, saveable_object.SaveSpec):
          self._variable_keys.append(key)
          variable_specs.append(tensor)
        else:
          self._constants[key] = np.array(tensor, copy=True)
    self._read_all = tf.function(
        lambda: [spec.tensor for spec in variable_specs])

  def take(self) -> Snapshot:
    """A copy of every value, now."""
    values = dict(self._constants)
    for key, value in zip(self._variable_keys, self._read_all()):
      values[key] = np.array(value, copy=True)
    return Snapshot(values)


def take(checkpoint: tf.train.Checkpoint) -> Snapshot:
  """One snapshot of `checkpoint` (see `Snapshotter` for many)."""
  return Snapshotter(checkpoint).take()


def write(snapshot: Snapshot, file_prefix: str) -> None:
  """Writes `snapshot` as `file_prefix.index` and `file_prefix.data-*`."""
  names = sorted(snapshot.values)
  tf.io.gfile.makedirs(os.path.dirname(file_prefix))
  with tf.device('/cpu:0'):
    tf.raw_ops.SaveV2(
        prefix=file_prefix,
        tensor_names=names,
        shape_and_slices=[''] * len(names),
        tensors=[snapshot.values[name] for name in names])
