"""The experience table of a one-process run, held in TF variables and sampled in-graph.

Reverb's table as `--job=all` uses it (see `replay.py`), without a server:
items of `sequence_length` consecutive steps of one episode (those of
`ExperienceWriter`), uniform sampling with replacement, FIFO eviction at
`capacity`. The Learner's train step samples its batch inside its own
`tf.function` (a gather from the variables), so no tf.data pipeline, gRPC
stream or per-batch copy stands between the table and the gradient step.
Nothing waits: the one-process loop alternates collection and training, so
the table needs no rate limiter beyond Reverb's MinSize(1), which the loop
keeps by not training on an empty table (`size`).

Memory: every item keeps its own copy of its steps, `capacity` x
`sequence_length` steps (Reverb shares steps between items), e.g. 300 MB for
HalfCheetah's 1,000,000 items of 2 steps.
"""

import collections
from typing import Any, Deque, Tuple

import numpy as np
import tensorflow as tf
from tf_agents.trajectories import trajectory as trajectory_lib

from train_eval import replay


class GraphReplay:
  """Items of `steps` steps in variables; an iterator of batches for the Learner.

  `next(table)` called while a `tf.function` is traced adds the sampling ops
  to that graph: the Learner's `run(iterator=table)` traces it once and then
  samples a fresh batch in every train step.
  """

  def __init__(self, collect_data_spec, settings: replay.ReplaySettings):
    """Allocates `settings.capacity` items of `settings.sequence_length` steps.

    Args:
      collect_data_spec: the agent's `collect_data_spec` (one step).
      settings: capacity, batch_size and sequence_length are used.
    """
    self.capacity = settings.capacity
    self.batch_size = settings.batch_size
    self.steps = settings.sequence_length
    self.items_inserted = 0
    self._staged = []  # Items written, not yet inserted (`settle`).
    self._dtypes = [spec.dtype.as_numpy_dtype
                    for spec in tf.nest.flatten(collect_data_spec)]
    self._items = tf.nest.map_structure(
        lambda spec: tf.Variable(
            tf.zeros([self.capacity, self.steps] + spec.shape.as_list(),
                     spec.dtype), trainable=False), collect_data_spec)
    self._size = tf.Variable(0, dtype=tf.int64, trainable=False)
    self._next_slot = tf.Variable(0, dtype=tf.int64, trainable=False)
    self._sampled = tf.Variable(0, dtype=tf.int64, trainable=False)
    # A concrete function of the flat columns: half the call's cost.
    self._insert = tf.function(self._insert_items).get_concrete_function(
        *[tf.TensorSpec([None, self.steps] + spec.shape.as_list(), spec.dtype)
          for spec in tf.nest.flatten(collect_data_spec)])

  @property
  def size(self) -> int:
    """Items in the table now."""
    return min(self.items_inserted, self.capacity)

  @property
  def items_sampled(self) -> int:
    """Items sampled so far (batch_size per train step)."""
    return int(self._sampled.numpy())

  def insert(self, items) -> None:
    """Adds `items` (a nest of [n, steps, ...] arrays), evicting the oldest at capacity."""
    self._insert_columns(tf.nest.flatten(items))

  def _insert_columns(self, columns) -> None:
    newest = slice(-self.capacity, None)  # Only these fit, one slot each.
    self._insert(*[np.asarray(column[newest], dtype)
                   for column, dtype in zip(columns, self._dtypes)])
    self.items_inserted += len(columns[0])

  def stage(self, item) -> None:
    """Keeps `item` (a nest of [steps, ...] arrays) for the next `settle`."""
    self._staged.append(tf.nest.flatten(item))

  def settle(self) -> None:
    """Inserts the staged items, in the order written.

    Called between train steps, so no train step samples a table that
    changes under it (a writer on another thread only stages).
    """
    staged, self._staged = self._staged, []
    if staged:
      self._insert_columns([np.stack(column) for column in zip(*staged)])

  def _insert_items(self, *columns) -> None:
    count = tf.shape(columns[0], out_type=tf.int64)[0]
    slots = (self._next_slot + tf.range(count, dtype=tf.int64)) % self.capacity
    for variable, values in zip(tf.nest.flatten(self._items), columns):
      variable.scatter_nd_update(slots[:, None], values)
    self._next_slot.assign((self._next_slot + count) % self.capacity)
    self._size.assign(tf.minimum(self._size + count, self.capacity))

  def __iter__(self) -> 'GraphReplay':
    return self

  def __next__(self) -> Tuple[Any, Tuple[()]]:
    """(a batch of `batch_size` items, no sample info), as the Learner takes it."""
    slots = tf.random.uniform([self.batch_size], maxval=self._size,
                              dtype=tf.int64)
    self._sampled.assign_add(self.batch_size)
    return tf.nest.map_structure(lambda items: tf.gather(items, slots),
                                 self._items), ()

  # What `one_process_replay.ServedTable` offers too.
  client = None  # No Reverb client: nothing to checkpoint the table with.

  def writer(self) -> 'GraphReplayWriter':
    """An Actor observer that stages every item `ExperienceWriter` would write."""
    return GraphReplayWriter(self)

  def batches(self) -> 'GraphReplay':
    """The Learner's iterator of batches: this table."""
    return self

  def log_statistics(self) -> None:
    replay.log_counts(self.items_inserted, self.items_sampled)

  def close(self) -> None:
    """Nothing to stop; the variables go with the process."""


class GraphReplayWriter:
  """`ExperienceWriter`'s items, staged in a `GraphReplay` as each completes.

  They are sampleable after the table's next `settle()`.
  """

  def __init__(self, table: GraphReplay):
    self._table = table
    self._episode: Deque[trajectory_lib.Trajectory] = collections.deque(
        maxlen=table.steps)
    self.items_written = 0

  def __call__(self, trajectory: trajectory_lib.Trajectory) -> None:
    self._episode.append(trajectory)
    if len(self._episode) == self._table.steps:
      self._table.stage(tf.nest.map_structure(lambda *steps: np.stack(steps),
                                              *self._episode))
      self.items_written += 1
    if trajectory.is_boundary():
      self._episode.clear()

  def flush(self, timeout_ms=None) -> bool:
    """Inserts the staged items (the table's `settle`); never times out."""
    del timeout_ms
    self._table.settle()
    return True

  def close(self) -> None:
    self._episode.clear()
