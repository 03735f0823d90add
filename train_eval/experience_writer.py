"""Writes an Actor's trajectories into the experience table as items of n steps.

The items are those of tf_agents' `ReverbAddTrajectoryObserver(sequence_length=n,
stride_length=1)`: every n consecutive steps of an episode (n = 2, or
n_step_update + 1 for DQN and C51). Unlike it,
`flush` takes a timeout, so a collector whose inserts the rate limiter holds
back can still notice that training has ended.
"""

from typing import Optional, Sequence, Union

import reverb
import tensorflow as tf
from tf_agents.trajectories import trajectory as trajectory_lib

from train_eval import replay


class ExperienceWriter:
  """An Actor observer: `writer(trajectory)` per environment step."""

  def __init__(self, client: reverb.Client, steps: int,
               tables: Union[str, Sequence[str]] = replay.TABLE_NAME):
    """Opens a trajectory writer on `client` (in process or over gRPC).

    Args:
      client: the replay client.
      steps: steps per item: `ReplaySettings.sequence_length`.
      tables: the table each item goes into, or tables: each gets the item
        (its steps are sent once).
    """
    self._tables = [tables] if isinstance(tables, str) else list(tables)
    self._steps = steps
    self._writer = client.trajectory_writer(
        num_keep_alive_refs=self._steps + 1, validate_items=False)
    self._steps_in_episode = 0
    self.items_written = 0

  def __call__(self, trajectory: trajectory_lib.Trajectory) -> None:
    self._writer.append(trajectory)
    self._steps_in_episode += 1
    if self._steps_in_episode >= self._steps:
      item = tf.nest.map_structure(lambda column: column[-self._steps:],
                                   self._writer.history)
      for table in self._tables:
        self._writer.create_item(table=table, priority=1.0, trajectory=item)
      self.items_written += 1
    if trajectory.is_boundary():
      self._steps_in_episode = 0
      try:
        # Waiting here is `flush`'s job, where it can time out.
        self._writer.end_episode(clear_buffers=True, timeout_ms=0)
      except reverb.errors.DeadlineExceededError:
        pass  # The items are still sent; the episode ended all the same.

  def flush(self, timeout_ms: Optional[int] = None) -> bool:
    """Blocks until every item is in the table.

    Args:
      timeout_ms: give up after this many milliseconds; None waits for good.

    Returns:
      True if flushed; False on timeout (the items stay queued and are sent
      once the rate limiter lets them in).
    """
    try:
      self._writer.flush(timeout_ms=timeout_ms)
      return True
    except reverb.errors.DeadlineExceededError:
      return False

  def close(self) -> None:
    """Sends what is queued and closes the stream."""
    self._writer.close()
