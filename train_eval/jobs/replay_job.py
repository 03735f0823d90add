"""`--job=replay`: the Reverb server every other job talks to.

The experience table: by default (`ReverbReplay.in_graph`) it keeps the
items for checkpoints and a restarted learner's refill, and a queue of new
items feeds the learner's own in-graph table and paces collection
(`fed_replay`); with `ReverbReplay.in_graph = False` the learner samples it
itself, and its `SampleToInsertRatio` rate limiter holds
`batch_size / collect_steps_per_iteration` sampled items per inserted item
(the one-process loop's ratio) within `ReverbReplay.rate_limit_slack_steps`
environment steps, sampling only after `initial_collect_steps` items. For an
on-policy agent, a queue of tagged sequences instead (`on_policy_replay`).
Last, the variables table with the collect policy's latest weights. With
`ReverbReplay.checkpoint` the tables are restored from
root_dir/train/replay_buffer_checkpoints at start and saved there on stop.
"""

import time
from typing import Any, Dict, List

from absl import logging
import reverb

from train_eval import agents
from train_eval import on_policy_replay
from train_eval import replay
from train_eval.jobs import context as context_lib

POLL_SECS = 0.5


def samples_per_insert(context: context_lib.JobContext) -> float:
  """Items sampled per item inserted: batch_size per collect_steps_per_iteration."""
  return context.replay.batch_size / context.experiment.collect_steps_per_iteration


def experience_tables(context: context_lib.JobContext) -> List[reverb.Table]:
  """The tables experience goes into, the experience table first.

  On-policy: the queue of sequences. Off-policy: the experience table,
  rate-limited when the learner samples it; else MinSize(1), beside the
  queue of new items that feeds the learner's own copy and paces collection
  (`fed_replay.py`).
  """
  if agents.is_on_policy(context.experiment.agent_fn):
    return [on_policy_replay.batches_table()]
  if context.replay.in_graph:
    return [replay.experience_table(context.replay),
            replay.new_items_table(context.replay)]
  return [replay.experience_table(
      context.replay, samples_per_insert(context),
      min_size_to_sample=context.experiment.initial_collect_steps)]


def run(context: context_lib.JobContext) -> Dict[str, Any]:
  """Serves until a stop request; returns {'port', 'inserted', 'sampled'}."""
  context.started()
  checkpoint_path = (replay.checkpoint_dir(context.root_dir)
                     if context.replay.checkpoint else None)
  tables = experience_tables(context)
  experience = tables[0]
  server = replay.start_server(
      tables + [replay.variables_table()],
      port=context.replay_port, checkpoint_path=checkpoint_path)
  client = reverb.Client(f'{replay.LOCALHOST}:{server.port}')
  restored = replay.table_size(client, experience.name)
  logging.info('Replay server listening on port %d (all interfaces); %d items '
               'restored.', server.port, restored)
  context.console.line(f'replay server on port {server.port}; ' + (
      f'table restored from its checkpoint: {restored} items.' if restored else
      'table empty: sampling starts once the collectors have written '
      f'{context.experiment.initial_collect_steps} random steps.'))
  try:
    while not context.stop.requested:
      time.sleep(POLL_SECS)
    if checkpoint_path:
      context.console.line('Stopping: checkpointing the replay table.')
      logging.info('Checkpointed the replay table to %s.', client.checkpoint())
    inserted, sampled = replay.log_statistics(client, experience.name)
    return {'port': server.port, 'inserted': inserted, 'sampled': sampled}
  finally:
    server.stop()
