"""`--job=train`: the Learner and its triggers, trained from what the collectors wrote.

new items from the replay job -> the learner's in-graph table
(`fed_replay`; with `ReverbReplay.in_graph = False`, batches sampled from
the replay job over gRPC) -> learn -> save (the triggers) -> weights to the
variables table every `variable_push_interval` train steps, for the
collectors. Training waits for the ratio's new items (or, over gRPC, for
the table's rate limiter).
"""

from typing import Any, Dict, Optional, Tuple

from absl import logging
import numpy as np
import reverb
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.metrics import py_metric

from train_eval import agents
from train_eval import environments
from train_eval import existing_run
from train_eval import fed_replay
from train_eval import learning
from train_eval import replay
from train_eval import train_loop
from train_eval import weights
from train_eval.jobs import context as context_lib

REPLAY_INSERTS_METADATA_KEY = 'replay_inserts'
# How long the Learner waits for a batch before it checks for a stop request
# and says what it waits for.
SAMPLE_TIMEOUT_MS = 5000


class ReplayInserts(py_metric.PyMetric):
  """Items inserted into the experience table so far (all collectors); the
  last count seen while the replay server does not answer (a save must not
  fail because the replay job is restarting)."""

  def __init__(self, client):
    super().__init__(name=REPLAY_INSERTS_METADATA_KEY)
    self._client = client
    self._last = 0

  def call(self, *args) -> None:
    del args

  def reset(self) -> None:
    pass

  def result(self) -> np.ndarray:
    info = replay.server_info_if_reachable(self._client)
    if info is None:
      logging.warning('The replay server does not answer: %s keeps its last '
                      'count, %d.', REPLAY_INSERTS_METADATA_KEY, self._last)
    else:
      info = info[replay.TABLE_NAME].rate_limiter_info
      self._last = info.insert_stats.completed
    return np.asarray(self._last, np.int64)


class RemoteReplayLoop(train_loop.TrainLoop):
  """Trains on what the collectors wrote; pushes the collect policy's weights."""

  def __init__(self, context, trainer, client, publisher):
    super().__init__(context, trainer)
    self._client = client
    self._publisher = publisher

  def begin(self, step: int) -> None:
    self._publisher.push()

  def no_batch(self) -> None:
    logging.info('No batch for %.0f s: waiting for experience (%s items in '
                 'the table; training starts at %d).',
                 SAMPLE_TIMEOUT_MS / 1000,
                 replay.table_size_if_reachable(self._client),
                 self.experiment.initial_collect_steps)
    self.push_if_lost()

  def push_if_lost(self) -> None:
    # Collectors started since a replay restart have no weights to collect
    # with, and their random shares leave the table short of its min size.
    pushed = self._publisher.push_if_lost()
    if pushed is not None:
      line = ("The replay server lost the collect policy's weights (restarted "
              f'empty): pushed those of train step {pushed} again.')
      logging.info('%s', line)
      self.context.console.line(line)

  def after_step(self, step: int) -> None:
    self._publisher(step)

  def end(self, step: int) -> None:
    self._publisher.push()  # Collectors stop once they see num_iterations.


class FedReplayLoop(RemoteReplayLoop):
  """Trains from its own table, fed by the collectors' new items."""

  def __init__(self, context, trainer, client, publisher,
               fed: fed_replay.FedReplay):
    super().__init__(context, trainer, client, publisher)
    self._fed = fed

  def train(self) -> Optional[float]:
    if not self._fed.take_items_for_next_step():
      return None
    return self.trainer.train()

  def no_batch(self) -> None:
    logging.info('No new item for %.0f s: waiting for the collectors (%d of '
                 'the %d items the next train step needs have come; %d in '
                 "the learner's table).", SAMPLE_TIMEOUT_MS / 1000,
                 self._fed.items_received, self._fed.items_needed(),
                 self._fed.table.size)
    self.push_if_lost()


def connect_and_build(context: context_lib.JobContext) -> Optional[
    Tuple[reverb.Client, tf_agent.TFAgent, tf.Variable]]:
  """(replay client, agent, train step) once the server answers; None if a
  stop request came first.

  Raises:
    errors.UsageError: root_dir holds a run of another agent.
  """
  client = replay.wait_for_server(context.replay_address,
                                  lambda: context.stop.requested,
                                  context.console.line)
  if client is None:
    return None
  env = environments.create()  # For its specs only.
  agent, train_step = agents.build(context.experiment.agent_fn, env)
  env.close()
  existing_run.check_compatible(context.root_dir, agent, train_step,
                                context.savers.overwrite_existing)
  return client, agent, train_step


def run(context: context_lib.JobContext) -> Dict[str, Any]:
  """Trains until `num_iterations` (or a stop request), then saves.

  Returns:
    {'train_step', 'eval': {}, 'checkpoints'} as `single_process.run`.
  """
  exp = context.experiment
  connected = connect_and_build(context)
  if connected is None:
    return {'train_step': None, 'eval': {}, 'checkpoints': []}
  client, agent, train_step = connected

  fed = (fed_replay.FedReplay(
      agent.collect_data_spec, context.replay, context.replay_address,
      exp.initial_collect_steps, exp.collect_steps_per_iteration,
      SAMPLE_TIMEOUT_MS) if context.replay.in_graph else None)
  trainer = learning.Trainer(
      context.root_dir, agent, train_step,
      (lambda: fed.table) if fed else
      lambda: replay.dataset(agent.collect_data_spec, context.replay,
                             context.replay_address, over_grpc=True,
                             rate_limiter_timeout_ms=SAMPLE_TIMEOUT_MS),
      exp.learner_triggers, client,
      {REPLAY_INSERTS_METADATA_KEY: ReplayInserts(client)})
  context.started()
  try:
    resuming = train_loop.resume_line(trainer.step, context,
                                      replay.table_size(client))
    if resuming:
      context.console.line(resuming)
    publisher = weights.Publisher(client, agent.collect_policy,
                                  train_step, exp.variable_push_interval)
    if fed is None:
      step = RemoteReplayLoop(context, trainer, client, publisher).run()
    else:
      if trainer.step > 0 or (replay.table_size(client) >=
                              exp.initial_collect_steps):
        refilled = fed.refill(client)
        if refilled:
          context.console.line(
              f"The learner's table refilled with {refilled} items sampled "
              "from the replay job's.")
      step = FedReplayLoop(context, trainer, client, publisher, fed).run()
      fed.table.log_statistics()
  finally:
    trainer.close()
  return {'train_step': step, 'eval': {},
          'checkpoints': learning.checkpointed_steps(context.root_dir)}
