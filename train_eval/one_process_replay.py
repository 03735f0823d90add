"""The experience table of a one-process run: in-graph, or a Reverb server.

`--job=all` samples from TF variables inside the train step
(`graph_replay.GraphReplay`) unless the table must be checkpointed, which
takes a Reverb server (`ServedTable`): `ReverbReplay.checkpoint`, or a learner
trigger that takes `reverb_client` (e.g. `ReverbCheckpointTrigger`). Both
offer `client`, `writer()`, `settle()`, `size`, `batches()`,
`log_statistics()` and `close()`.
"""

from typing import Any, Callable, Optional, Sequence, Union

from absl import logging
import reverb

import triggers
from train_eval import experience_writer
from train_eval import graph_replay
from train_eval import replay


class ServedTable:
  """A Reverb server in this process with the experience table, MinSize(1)."""

  def __init__(self, collect_data_spec, settings: replay.ReplaySettings,
               checkpoint_path: Optional[str]):
    """Starts the server, restoring the latest table checkpoint under `checkpoint_path`."""
    self._spec = collect_data_spec
    self._settings = settings
    self._server = replay.start_server([replay.experience_table(settings)],
                                       checkpoint_path=checkpoint_path)
    self._address = f'{replay.LOCALHOST}:{self._server.port}'
    self.client = reverb.Client(self._address)

  def writer(self) -> experience_writer.ExperienceWriter:
    return experience_writer.ExperienceWriter(self.client,
                                              self._settings.sequence_length)

  def settle(self) -> None:
    """Nothing to do: the writer's items reach the server on their own."""

  @property
  def size(self) -> int:
    """Items in the table now."""
    return replay.table_size(self.client)

  def batches(self):
    """A dataset of the Learner's batches from the server."""
    return replay.dataset(self._spec, self._settings, self._address,
                          over_grpc=False)

  def log_statistics(self) -> None:
    replay.log_statistics(self.client)

  def close(self) -> None:
    self._server.stop()


Table = Union[graph_replay.GraphReplay, ServedTable]


def needs_reverb(settings: replay.ReplaySettings,
                 trigger_factories: Sequence[Callable[..., Any]]) -> bool:
  """Whether the table must be a Reverb server (a checkpointed table)."""
  return (not settings.in_graph or settings.checkpoint or any(
      triggers.runtime_arguments(factory, {'reverb_client': None})
      for factory in trigger_factories))


def create(collect_data_spec, settings: replay.ReplaySettings,
           root_dir: str,
           trigger_factories: Sequence[Callable[..., Any]]) -> Table:
  """The table `--job=all` trains from (see the module docstring)."""
  if not needs_reverb(settings, trigger_factories):
    logging.info('Replay: an in-graph table of %d items.', settings.capacity)
    return graph_replay.GraphReplay(collect_data_spec, settings)
  logging.info('Replay: a Reverb server in this process.')
  return ServedTable(collect_data_spec, settings,
                     replay.checkpoint_dir(root_dir)
                     if settings.checkpoint else None)
