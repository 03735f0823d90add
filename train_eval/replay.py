"""Reverb replay: the tables, the server, and a client's dataset and writer.

One experience table of trajectories of the agent's train sequence length
(two steps, or n_step_update + 1 for DQN and C51: `ReplaySettings.sequence_length`), uniform
sampling, FIFO eviction. In one process (`--job=all`) the table is
rate-limited only by MinSize(1), as in the tutorial: the loop itself alternates
collection and training. With separate jobs a `SampleToInsertRatio` limiter
holds the same ratio of sampled to inserted items (batch_size per
collect_steps_per_iteration) within `rate_limit_slack_steps` environment
steps. Unless `ReverbReplay.in_graph` is False, the learner of separate jobs
trains from its own in-graph copy instead (`fed_replay.py`): the experience
table then keeps the items for restarts and checkpoints, and a queue of the
newest items (`new_items_table`) feeds the learner and holds the ratio. A last
table holds the collect policy's latest weights.
"""

import dataclasses
import os
from typing import Callable, Optional, Tuple

from absl import logging
import gin
import reverb
import tensorflow as tf
from tf_agents.train import learner

from train_eval import checks
from train_eval import waiting

TABLE_NAME = 'uniform_table'
NEW_ITEMS_TABLE = 'new_items'
VARIABLES_TABLE = 'variables'
LOCALHOST = 'localhost'


@gin.configurable('ReverbReplay', module='train_eval',
                  denylist=['sequence_length'])
@dataclasses.dataclass(frozen=True)
class ReplaySettings:
  """The experience table and how the Learner samples it.

  Attributes:
    capacity: transitions kept; the oldest are evicted. Default 10000.
    batch_size: transitions per sampled batch; default 256.
    prefetch: batches the Learner's dataset prefetches, when it samples a
      Reverb server (`in_graph` False, or a checkpointed table in one
      process); None (default) is 50,
      the tutorial's, in one process, and 2 over gRPC, where prefetched
      batches count as sampled for the rate limiter (so they stay within
      its slack).
    checkpoint: save the table under root_dir/train/replay_buffer_checkpoints
      (tf_agents' place) with the Learner's saves, and restore it on restart.
      Default False.
    rate_limit_slack_steps: separate jobs only: how many environment steps
      collection may run ahead of (or behind) the experiment's ratio of
      sampled to inserted items. Default 8.
    in_graph: hold the table the Learner samples in TF variables, sampled
      inside the train step's `tf.function` (`graph_replay.py`: the same
      items, uniform sampling, FIFO eviction), instead of sampling a Reverb
      server through tf.data. In one process (`--job=all`) replay
      checkpoints need the server: with `checkpoint` set, or a learner
      trigger that takes `reverb_client`, Reverb is used all the same. In
      separate jobs the collectors feed the learner's table through the
      replay job (`fed_replay.py`), whose table still takes checkpoints.
      Default True.
    sequence_length: steps per experience item, the agent's train sequence
      length (`agents.train_sequence_length`); not a binding: set by
      `load_settings` from the bound agent, so that every job (collectors
      build no agent) writes and samples items of one length. Default 2.
  """
  capacity: int = 10000
  batch_size: int = 256
  prefetch: Optional[int] = None
  checkpoint: bool = False
  rate_limit_slack_steps: int = 8
  in_graph: bool = True
  sequence_length: int = 2

  def validate(self, initial_collect_steps: int) -> 'ReplaySettings':
    """Returns self if the values are usable together.

    Args:
      initial_collect_steps: `train_eval.initial_collect_steps`; the table must
        be able to hold them (the rate limiter waits for that many items).

    Raises:
      errors.BadValueError: the first unusable value, named as its binding.
    """
    checks.integer('ReverbReplay.capacity', self.capacity, 1, 'transitions')
    checks.integer('ReverbReplay.batch_size', self.batch_size, 1,
                   'transitions per batch')
    checks.optional_integer('ReverbReplay.prefetch', self.prefetch, 0,
                            'batches')
    checks.boolean('ReverbReplay.checkpoint', self.checkpoint)
    checks.boolean('ReverbReplay.in_graph', self.in_graph)
    checks.integer('ReverbReplay.rate_limit_slack_steps',
                   self.rate_limit_slack_steps, 1, 'environment steps')
    if initial_collect_steps > self.capacity:
      raise checks.errors.BadValueError(
          f'train_eval.initial_collect_steps = {initial_collect_steps} is more '
          f'than ReverbReplay.capacity = {self.capacity}: the table cannot '
          'hold the initial collection; lower the first or raise the second.')
    return self

  def prefetch_batches(self, over_grpc: bool) -> int:
    if self.prefetch is not None:
      return self.prefetch
    return 2 if over_grpc else 50


def load_settings(initial_collect_steps: int,
                  sequence_length: int) -> ReplaySettings:
  """The bound replay settings with the agent's `sequence_length`, validated."""
  return ReplaySettings(sequence_length=sequence_length).validate(
      initial_collect_steps)


def experience_table(settings: ReplaySettings,
                     samples_per_insert: Optional[float] = None,
                     min_size_to_sample: int = 1) -> reverb.Table:
  """The experience table.

  Args:
    settings: the replay settings.
    samples_per_insert: None (default) for MinSize(1), the tutorial's limiter;
      else items sampled per item inserted, held by `SampleToInsertRatio`
      within `rate_limit_slack_steps` inserts.
    min_size_to_sample: items in the table before sampling starts (the
      initial collection); inserts are free until then.
  """
  if samples_per_insert is None:
    limiter = reverb.rate_limiters.MinSize(1)
  else:
    # Reverb centres the error buffer on samples_per_insert * min_size.
    limiter = reverb.rate_limiters.SampleToInsertRatio(
        samples_per_insert=samples_per_insert,
        min_size_to_sample=max(1, min_size_to_sample),
        error_buffer=samples_per_insert * settings.rate_limit_slack_steps)
  return reverb.Table(
      TABLE_NAME, max_size=settings.capacity,
      sampler=reverb.selectors.Uniform(), remover=reverb.selectors.Fifo(),
      rate_limiter=limiter)


def experience_tables(settings: ReplaySettings) -> Tuple[str, ...]:
  """The tables a collector of separate jobs writes each item into."""
  return ((TABLE_NAME, NEW_ITEMS_TABLE) if settings.in_graph else
          (TABLE_NAME,))


def new_items_table(settings: ReplaySettings) -> reverb.Table:
  """The newest items, on their way to the learner's in-graph table.

  A queue: each item is taken once, and a collector's insert waits while
  `rate_limit_slack_steps` items are waiting, which holds collection to the
  learner's pace.
  """
  return reverb.Table.queue(NEW_ITEMS_TABLE,
                            max_size=settings.rate_limit_slack_steps)


def variables_table() -> reverb.Table:
  """One item: the collect policy's weights and train step, replaced on push."""
  return reverb.Table(
      VARIABLES_TABLE, max_size=1, max_times_sampled=0,
      sampler=reverb.selectors.Uniform(), remover=reverb.selectors.Fifo(),
      rate_limiter=reverb.rate_limiters.MinSize(1))


def checkpoint_dir(root_dir: str) -> str:
  """root_dir/train/replay_buffer_checkpoints, tf_agents' place."""
  return os.path.join(root_dir, learner.TRAIN_DIR,
                      learner.REPLAY_BUFFER_CHECKPOINT_DIR)


def start_server(tables, port: Optional[int] = None,
                 checkpoint_path: Optional[str] = None) -> reverb.Server:
  """Serves `tables` on `port` (None: a free one), restoring the latest checkpoint.

  Reverb listens on every interface ([::]:port); see the README's
  "Exposure" before opening the port to other machines.
  """
  checkpointer = (reverb.checkpointers.DefaultCheckpointer(checkpoint_path)
                  if checkpoint_path else None)
  return reverb.Server(list(tables), port=port, checkpointer=checkpointer)


# What a call to a replay server that is down (or restarting) raises.
UNREACHABLE = (reverb.errors.DeadlineExceededError, RuntimeError,
               tf.errors.OpError)
# How long a call that may find the server down waits for an answer, in s.
INFO_TIMEOUT_SECS = 5


def table_size(client: reverb.Client, table: str = TABLE_NAME) -> int:
  """Items now in `table`."""
  return client.server_info()[table].current_size


def server_info_if_reachable(client: reverb.Client):
  """`client.server_info()` (table name -> its info), or None while the
  server does not answer within `INFO_TIMEOUT_SECS`."""
  try:
    return client.server_info(timeout=INFO_TIMEOUT_SECS)
  except UNREACHABLE:
    return None


def table_size_if_reachable(client: reverb.Client,
                            table: str = TABLE_NAME) -> Optional[int]:
  """Items now in `table`, or None while the server does not answer."""
  info = server_info_if_reachable(client)
  return None if info is None else info[table].current_size


def log_statistics(client: reverb.Client,
                   table: str = TABLE_NAME) -> Tuple[int, int]:
  """Logs and returns (items inserted, items sampled) of the experience table."""
  stats = client.server_info()[table].rate_limiter_info
  return log_counts(stats.insert_stats.completed,
                    stats.sample_stats.completed)


def log_counts(inserted: int, sampled: int) -> Tuple[int, int]:
  """Logs 'Replay table: N items inserted, M sampled (...)'; returns both."""
  logging.info('Replay table: %d items inserted, %d sampled (%.1f per insert).',
               inserted, sampled, sampled / max(inserted, 1))
  return inserted, sampled


def wait_for_server(address: str, stopped: Callable[[], bool],
                    announce: Callable[[str], None] = lambda line: None
                    ) -> Optional[reverb.Client]:
  """Returns a client once the server at `address` answers; None if stopped first.

  Args:
    address: 'host:port'.
    stopped: polled; returning True gives up.
    announce: also told what is awaited (e.g. the console), once.
  """
  client = reverb.Client(address)

  def answers() -> bool:
    try:
      client.server_info(timeout=1)
      return True
    except UNREACHABLE:
      return False

  found = waiting.wait_until(
      answers, f'the replay server at {address} (--job=replay)', stopped,
      announce)
  return client if found else None


def pop(client: reverb.Client, table: str, dtypes, shapes,
        timeout_ms: int) -> Optional[reverb.ReplaySample]:
  """Takes one item of `table` (a queue), or None if none came within `timeout_ms`.

  Unlike `client.sample`, which waits for good, this returns: a replay
  server restarted empty under a waiting `client.sample` would hold it
  until someone inserts (and the collectors wait for the learner). The
  server's rate limiter times the wait out, so no item is taken after it;
  a server that is down is waited for (its restart, then `timeout_ms`).
  Each call opens a dataset: about 25 ms per item taken, against 1 ms for
  `client.sample` (measured on 2 busy cores).

  Args:
    client: the replay client.
    table: the table's name.
    dtypes: each column's dtype, flat.
    shapes: each column's shape, flat; `None` for dimensions that vary.
    timeout_ms: how long to wait for an item, in milliseconds.
  """
  items = reverb.TrajectoryDataset(
      client.server_address, table, dtypes=tuple(dtypes),
      shapes=tuple(tf.TensorShape(shape) for shape in shapes),
      max_in_flight_samples_per_worker=1, num_workers_per_iterator=1,
      rate_limiter_timeout_ms=timeout_ms, max_samples=1)
  for item in items:
    return item
  return None


def dataset(collect_data_spec, settings: ReplaySettings, server_address: str,
            over_grpc: bool, rate_limiter_timeout_ms: int = -1,
            steps: Optional[int] = None) -> tf.data.Dataset:
  """Batches of `batch_size` trajectories and their sample info, for the Learner.

  One Reverb `TrajectoryDataset` batched, the same uniform samples as
  tf_agents' `ReverbReplayBuffer.as_dataset` (which interleaves 32 datasets of
  8 items and maps over each item) at a third of its CPU (see the README's
  "Separate jobs").

  Args:
    collect_data_spec: the agent's `collect_data_spec`.
    settings: the replay settings.
    server_address: 'host:port' of the server (in this process or not).
    over_grpc: the server is in another process (sets the prefetch default).
    rate_limiter_timeout_ms: the dataset ends when no sample came for this
      long (the rate limiter held it back); -1 (default) waits for good.
    steps: steps per item; None (default) is `settings.sequence_length`.
  """
  items = item_dataset(collect_data_spec, steps or settings.sequence_length,
                       server_address, TABLE_NAME,
                       in_flight=settings.batch_size,
                       rate_limiter_timeout_ms=rate_limiter_timeout_ms)
  return items.batch(settings.batch_size, drop_remainder=True).map(
      lambda sample: (sample.data, sample.info)).prefetch(
          settings.prefetch_batches(over_grpc))


def item_dataset(collect_data_spec, steps: int, server_address: str,
                 table: str, in_flight: int, rate_limiter_timeout_ms: int = -1,
                 max_samples: int = -1) -> reverb.TrajectoryDataset:
  """The items of `table`, one at a time, as `sample.data` nests of [steps, ...].

  Args:
    collect_data_spec: the agent's `collect_data_spec` (one step).
    steps: steps per item.
    server_address: 'host:port' of the server.
    table: the table sampled.
    in_flight: items requested ahead of those taken (a queue's items leave
      it when requested).
    rate_limiter_timeout_ms: the dataset ends when no item came for this
      long; -1 (default) waits for good.
    max_samples: the dataset ends after this many items; -1 (default): never.
  """
  return reverb.TrajectoryDataset(
      server_address, table,
      dtypes=tf.nest.map_structure(lambda spec: spec.dtype, collect_data_spec),
      shapes=tf.nest.map_structure(
          lambda spec: tf.TensorShape([steps]).concatenate(spec.shape),
          collect_data_spec),
      max_in_flight_samples_per_worker=in_flight,
      num_workers_per_iterator=1,
      rate_limiter_timeout_ms=rate_limiter_timeout_ms,
      max_samples=max_samples)
