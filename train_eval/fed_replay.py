"""The learner's experience table in separate jobs: in-graph, fed by the collectors.

collectors -> the replay job: its experience table (kept for restarts and
checkpoints) and a queue of the newest items -> this learner's
`graph_replay.GraphReplay` -> sampled inside the train step.

The learner samples its own copy in its train step's graph, as `--job=all`
does, instead of streaming a batch of `batch_size` items over gRPC per train
step; each new item crosses the network once.

The ratio is the one-process loop's: train step n (counted from this
learner's start) waits until `initial + n * collect_steps_per_iteration` new
items have come, `initial` being what the table lacks of
`initial_collect_steps`. It takes them `rate_limit_slack_steps` at a time
(one request, one insert), so a train step may sample items collected up
to `rate_limit_slack_steps - 1` steps after it in the one-process order.
The queue holds `rate_limit_slack_steps` items besides those requested,
which keeps collection within three times that many steps of training.

A restarted learner refills its table with a uniform sample (with
replacement) of the replay job's experience table, as many items as it holds
up to `capacity`: the same distribution, not the same items.
"""

from typing import Optional

from absl import logging
import reverb
import tensorflow as tf

from train_eval import graph_replay
from train_eval import replay

# Items sampled and inserted at once when a restarted learner refills.
REFILL_BATCH = 1000


class FedReplay:
  """A `GraphReplay` filled from the replay job's queue of new items."""

  def __init__(self, collect_data_spec, settings: replay.ReplaySettings,
               server_address: str, initial_collect_steps: int,
               collect_steps_per_iteration: int, timeout_ms: int):
    """Creates the empty table.

    Args:
      collect_data_spec: the agent's `collect_data_spec` (one step).
      settings: the replay settings (capacity, batch_size, sequence_length).
      server_address: 'host:port' of the replay job.
      initial_collect_steps: items before the first train step.
      collect_steps_per_iteration: new items per train step.
      timeout_ms: how long `take_items_for_next_step` waits for an item
        before it returns False, in milliseconds.
    """
    self.table = graph_replay.GraphReplay(collect_data_spec, settings)
    self._spec = collect_data_spec
    self._steps = settings.sequence_length
    self._address = server_address
    self._items_per_step = collect_steps_per_iteration
    self._initial = initial_collect_steps
    self._chunk = settings.rate_limit_slack_steps
    self.timeout_ms = timeout_ms
    self._feed: Optional[tf.data.Iterator] = None
    self.items_received = 0
    self.steps_started = 0

  def refill(self, client: reverb.Client) -> int:
    """Fills the table with a uniform sample of the replay job's table.

    As many items as that table holds, up to `capacity`; the first train step
    then waits only for what they lack of `initial_collect_steps`.

    Returns:
      The items inserted.
    """
    count = min(replay.table_size(client), self.table.capacity)
    if count:
      for items in replay.item_dataset(
          self._spec, self._steps, self._address, replay.TABLE_NAME,
          in_flight=REFILL_BATCH, max_samples=count).batch(REFILL_BATCH):
        self.table.insert(items.data)
      self._initial = max(0, self._initial - count)
    logging.info("Replay: refilled the learner's table with %d items sampled "
                 "from the replay job's.", count)
    return count

  def items_needed(self) -> int:
    """New items the next train step waits for, in all."""
    return self._initial + (self.steps_started + 1) * self._items_per_step

  def take_items_for_next_step(self) -> bool:
    """Takes new items until the next train step may run, inserting them.

    Returns:
      True when the step may run; False when no item came within the
      timeout (what came is kept: the next call goes on from there).
    """
    while self.items_received < self.items_needed():
      if self._feed is None:
        self._feed = iter(replay.item_dataset(
            self._spec, self._steps, self._address, replay.NEW_ITEMS_TABLE,
            in_flight=self._chunk, rate_limiter_timeout_ms=self.timeout_ms
        ).batch(self._chunk))
      try:
        items = next(self._feed).data
      except (StopIteration, tf.errors.OutOfRangeError):
        self._feed = None
        return False
      count = int(tf.nest.flatten(items)[0].shape[0])
      if count < self._chunk:
        self._feed = None  # The timeout ended it: what came, came.
      self.table.insert(items)
      self.items_received += count
    self.steps_started += 1
    return True
