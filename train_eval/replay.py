"""Reverb replay: an in-process server, its table, the writer and the sampler."""

import os
from typing import Callable, Optional

import gin
import reverb
import tensorflow as tf
from tf_agents.replay_buffers import reverb_replay_buffer
from tf_agents.replay_buffers import reverb_utils
from tf_agents.train import learner

TABLE_NAME = 'uniform_table'
SEQUENCE_LENGTH = 2  # (s, a, r, s') transitions, as SAC and DQN train on.


@gin.configurable(module='train_eval',
                  denylist=['collect_data_spec', 'root_dir', 'rate_limiter_fn'])
class ReverbReplay:
  """A uniform, FIFO-evicting Reverb table served in this process.

  `observer` adds trajectories from actors; `dataset_fn` samples batches for
  the Learner. With `checkpoint=True` the table is saved to
  `root_dir/train/replay_buffer_checkpoints` (tf_agents' place) and restored on restart.
  """

  def __init__(self, collect_data_spec, root_dir: str,
               capacity: int = 10000, batch_size: int = 256,
               prefetch: Optional[int] = None, checkpoint: bool = False,
               port: Optional[int] = None,
               rate_limiter_fn: Optional[Callable[
                   [int], reverb.rate_limiters.RateLimiter]] = None):
    """Starts the server.

    Args:
      collect_data_spec: the agent's `collect_data_spec`.
      root_dir: the experiment's root directory.
      capacity: transitions kept; the oldest are evicted. Default 10000.
      batch_size: transitions per sampled batch; default 256.
      prefetch: batches prefetched by the dataset; None (default) is 50, the
        tutorial's, or 2 with a rate limiter: prefetched batches are sampled
        early, so they let collection run ahead of training by that many.
      checkpoint: save and restore the table under `root_dir`; default False.
      port: server port; None (default) picks a free one.
      rate_limiter_fn: called with `batch_size`, returns the table's rate
        limiter; None (default) gives MinSize(1), the tutorial's.
    """
    self.batch_size = batch_size
    if prefetch is None:
      prefetch = 2 if rate_limiter_fn else 50
    self._prefetch = prefetch
    self.checkpoint_dir = (
        os.path.join(root_dir, learner.TRAIN_DIR,
                     learner.REPLAY_BUFFER_CHECKPOINT_DIR)
        if checkpoint else None)
    table = reverb.Table(
        TABLE_NAME, max_size=capacity, sampler=reverb.selectors.Uniform(),
        remover=reverb.selectors.Fifo(),
        rate_limiter=(rate_limiter_fn(batch_size) if rate_limiter_fn
                      else reverb.rate_limiters.MinSize(1)))
    checkpointer = (reverb.checkpointers.DefaultCheckpointer(self.checkpoint_dir)
                    if self.checkpoint_dir else None)
    self.server = reverb.Server([table], port=port, checkpointer=checkpointer)
    self.buffer = reverb_replay_buffer.ReverbReplayBuffer(
        collect_data_spec, sequence_length=SEQUENCE_LENGTH,
        table_name=TABLE_NAME, local_server=self.server)
    self.observer = reverb_utils.ReverbAddTrajectoryObserver(
        self.buffer.py_client, TABLE_NAME, sequence_length=SEQUENCE_LENGTH,
        stride_length=1)

  @property
  def client(self) -> reverb.Client:
    """Client of the server, e.g. for `ReverbCheckpointTrigger`."""
    return self.buffer.py_client

  def size(self) -> int:
    """Items (transitions) now in the table."""
    return self.client.server_info()[TABLE_NAME].current_size

  def dataset_fn(self) -> tf.data.Dataset:
    """Batches of `batch_size` two-step trajectories, for the Learner."""
    return self.buffer.as_dataset(
        sample_batch_size=self.batch_size,
        num_steps=SEQUENCE_LENGTH).prefetch(self._prefetch)

  def flush(self) -> None:
    """Blocks until the observer's items are in the table.

    Items are otherwise queued in the writer until an episode ends, so a rate
    limiter would hold collection back only once per episode.
    """
    self.observer.flush()

  def sample_once(self) -> None:
    """Samples one item (e.g. to let a rate-limited insert through)."""
    next(iter(self.client.sample(TABLE_NAME, num_samples=1)))

  def checkpoint_now(self) -> Optional[str]:
    """Checkpoints the table if `checkpoint` was set; returns the path."""
    return self.client.checkpoint() if self.checkpoint_dir else None

  def close(self) -> None:
    """Flushes and closes the writer, then stops the server."""
    self.observer.close()
    self.server.stop()
