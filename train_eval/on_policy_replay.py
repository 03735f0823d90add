"""On-policy sequences through the replay job: each tagged with its weights' version.

A collector puts one whole sequence per weights version (the steps or
episodes it collected with the weights of train step v) into a queue table,
as one item `[v, *flattened trajectory]`; the learner pops items until it
holds one from every collector for its current train step. An item of any
other version is dropped there, never trained on: the version check is the
learner's (`gather`), so no ordering of collectors, restarts or queues can
make it train on stale data.
"""

from typing import Any, Callable, List, Optional, Tuple

from absl import logging
import numpy as np
import reverb
import tensorflow as tf

from train_eval import replay

BATCHES_TABLE = 'on_policy_batches'
# How long a look at the empty queue waits for an item (then `idle`).
POLL_MS = 1000
# Sequences the queue holds; a collector puts one per weights version, so it
# fills only if the learner stops taking them.
QUEUE_SIZE = 64


def batches_table() -> reverb.Table:
  """A FIFO queue: each item is read once, then removed; inserts wait when full."""
  return reverb.Table.queue(BATCHES_TABLE, max_size=QUEUE_SIZE)


def put(client: reverb.Client, version: int, sequence: Any) -> None:
  """Inserts `sequence` ([T, ...] arrays) collected by the weights of train step `version`."""
  client.insert([np.int64(version)] + tf.nest.flatten(sequence),
                priorities={BATCHES_TABLE: 1.0})


def gather(client: reverb.Client, data_spec, version: int, count: int,
           stopped: Callable[[], bool],
           idle: Callable[[], None] = lambda: None
           ) -> Tuple[Optional[List[Any]], int]:
  """`count` sequences collected by the weights of train step `version`.

  Pops the queue; items of any other version are dropped (logged).

  Args:
    client: the replay client.
    data_spec: the agent's collect_data_spec, plain (see
      `on_policy_batch.plain`).
    version: the learner's train step now.
    count: sequences to gather (one per collector).
    stopped: polled while the queue is empty; True gives up.
    idle: called each second the queue stays empty (e.g. to push the
      weights again to a restarted replay job).

  Returns:
    (the sequences, or None if stopped first; how many stale items were
    dropped).
  """
  fresh, dropped = [], 0
  specs = tf.nest.flatten(data_spec)
  dtypes = [tf.int64] + [spec.dtype for spec in specs]
  shapes = [[1]] + [[1, None] + spec.shape.as_list() for spec in specs]
  while len(fresh) < count:
    sample = replay.pop(client, BATCHES_TABLE, dtypes, shapes, POLL_MS)
    if sample is None:
      if stopped():
        return None, dropped
      idle()
      continue
    tagged, *columns = [np.asarray(column)[0] for column in sample.data]
    if int(tagged) != version:
      dropped += 1
      logging.info('Dropped a sequence collected by the weights of train step '
                   '%d: the learner is at %d.', int(tagged), version)
      continue
    fresh.append(tf.nest.pack_sequence_as(data_spec, columns))
  return fresh, dropped
