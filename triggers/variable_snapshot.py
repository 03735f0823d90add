"""Takes a `tf.train.Checkpoint`'s values now, to write them to disk later.

`tf.train.Checkpoint.write` reads the variables while it writes, so a write on
another thread sees whatever training has done meanwhile. Here the caller takes
a `Snapshot` (the tensors read from every variable, plus the object graph) at
the step it names, and any thread can `write` it later: the files are the ones
`Checkpoint.write` makes, and restore into the same objects.

A tensor read from a variable keeps its value without being copied: an update
of the variable copies the buffer first while a read tensor still holds it
(TensorFlow's copy-on-write, which `Checkpoint.write` relies on too).
"""

import dataclasses
import os
from typing import Dict, Union

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import gen_resource_variable_ops
from tensorflow.python.ops import resource_variable_ops
from tensorflow.python.training.saving import saveable_object
from tensorflow.python.training.saving import saveable_object_util


@dataclasses.dataclass(frozen=True)
class Snapshot:
  """Checkpoint key -> value of the variables at one moment."""
  values: Dict[str, Union[np.ndarray, tf.Tensor]]


class Snapshotter:
  """Takes snapshots of one checkpoint quickly, for a trigger's many saves.

  What to save (the checkpoint keys, the object graph, which variables) is
  gathered once, here. Each `take` then reads each plain resource variable
  with one `ReadVariableOp` (about 5 us each), and anything else in one
  `tf.function` call.
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
    self._variables = []  # (key, handle, dtype) of plain resource variables.
    self._other_keys = []
    self._keys = []  # (trackable, key) of those saved under one key.
    other_specs = []
    for trackable, tensors in serialized.items():
      if len(tensors) == 1:
        owner = trackable
        if isinstance(trackable,
                      saveable_object_util.SaveableCompatibilityConverter):
          owner = trackable.obj  # A distributed variable, for one.
        self._keys.append((owner, next(iter(tensors))))
      for key, tensor in tensors.items():
        if isinstance(tensor, dict):
          raise NotImplementedError(f'Cannot snapshot sliced variable {key!r}.')
        if not isinstance(tensor, saveable_object.SaveSpec):
          self._constants[key] = np.array(tensor, copy=True)
        elif type(trackable) is resource_variable_ops.ResourceVariable:  # pylint: disable=unidiomatic-typecheck
          self._variables.append((key, trackable.handle, trackable.dtype))
        else:  # Read as Checkpoint.write does.
          self._other_keys.append(key)
          other_specs.append(tensor)
    self._read_others = tf.function(
        lambda: [spec.tensor for spec in other_specs])

  def key_of(self, variable: tf.Variable) -> str:
    """The key under which the snapshots hold `variable`'s value.

    Raises:
      ValueError: the checkpoint does not save `variable`.
    """
    for trackable, key in self._keys:
      if trackable is variable:
        return key
    raise ValueError(
        f'The checkpoint does not save the variable {variable.name}.')

  def take(self) -> Snapshot:
    """The value of everything in the checkpoint, now."""
    values = dict(self._constants)
    for key, handle, dtype in self._variables:
      values[key] = gen_resource_variable_ops.read_variable_op(handle, dtype)
    if self._other_keys:
      values.update(zip(self._other_keys, self._read_others()))
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
