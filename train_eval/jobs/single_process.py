"""`--job=all`: the whole experiment in one process, as the tutorial's loop.

env -> collect (one iteration's steps) -> replay (in-graph, or a Reverb
server: `one_process_replay`) -> learn (one train step) -> save (the
triggers) -> evaluate (every eval_interval), then again. Collection and
training take turns, so the ratio of sampled to inserted items is the loop's
own and the table needs only MinSize(1).
"""

from typing import Any, Dict, Optional

from absl import logging
import tensorflow as tf
from tf_agents.metrics import py_metrics
from tf_agents.policies import py_tf_eager_policy

from train_eval import agents
from train_eval import background_collection
from train_eval import collection
from train_eval import console as console_lib
from train_eval import environments
from train_eval import evaluation
from train_eval import existing_run
from train_eval import learning
from train_eval import one_process_replay
from train_eval import train_loop
from train_eval.jobs import context as context_lib

ENV_STEP_METADATA_KEY = 'env_step'  # tf_agents' key for environment steps.


class OneProcessLoop(train_loop.TrainLoop):
  """Collects one iteration's steps in this process before each train step,
  and evaluates every `eval_interval` steps."""

  def __init__(self, context, trainer, collector, evaluator, eval_policy):
    super().__init__(context, trainer)
    self._collector = collector
    self._evaluator = evaluator
    self._eval_policy = eval_policy
    self.results, self._evaluated_at = {}, None

  def evaluate(self, step: int) -> None:
    self.results = self._evaluator.evaluate(self._eval_policy, step)
    self._evaluated_at = step
    logging.info('%s', console_lib.eval_line(step, self.results))
    self.context.console.evaluation(step, self.results)
    self.trainer.report_evaluation(step, self.results)

  def begin(self, step: int) -> None:
    if self._evaluator and step == 0:
      self.evaluate(step)

  def collect(self) -> None:
    self._collector.run()

  def after_step(self, step: int) -> None:
    if self._evaluator and step % self.experiment.eval_interval == 0:
      self.evaluate(step)

  def end(self, step: int) -> None:
    self.trainer.close()
    if (self._evaluator and self._evaluated_at != step and
        not self.context.stop.requested):
      self.evaluate(step)


class OffPolicyLoop(OneProcessLoop):
  """The one-process loop of an off-policy agent: trains from `table`.

  With a `BackgroundCollector`, iteration k's steps are collected while
  train step k runs and join the table before step k + 1; otherwise the loop
  collects, then trains, as the tutorial.
  """

  def __init__(self, table: one_process_replay.Table,
               background: Optional[background_collection.BackgroundCollector],
               *args):
    super().__init__(*args)
    self._table = table
    self._background = background
    self._table_has_items = False

  def collect(self) -> None:
    if self._background is None:
      super().collect()
      self._table.settle()
      return
    self._background.wait()  # Iteration k - 1's steps join the table,
    self._table.settle()
    self._background.start()  # and k's are collected during train step k.

  def stop_collecting(self) -> None:
    if self._background is not None:
      self._background.wait()
    self._table.settle()

  def train(self) -> Optional[float]:
    # Reverb's MinSize(1): no batch from an empty table (without initial
    # collection, an episode's first step completes no item); collect again.
    self._table_has_items = self._table_has_items or self._table.size > 0
    return super().train() if self._table_has_items else None


class Evaluation:
  """The eval environment, evaluator and policy of a one-process run.

  Attributes:
    evaluator: None when the run does not evaluate (eval_interval 0).
    policy: the py policy evaluations run (`train_eval.eval_policy`).
  """

  def __init__(self, context: context_lib.JobContext, agent):
    exp = context.experiment
    self._env = (environments.create(environments.eval_seed(exp.seed))
                 if exp.eval_interval else None)
    self.evaluator = (evaluation.Evaluator(self._env, exp.eval_episodes,
                                           context.root_dir)
                      if self._env else None)
    tf_policy = agents.eval_policy(agent, exp.eval_policy)
    logging.info('Evaluating %s every %d train steps.',
                 type(tf_policy).__name__, exp.eval_interval)
    self.policy = py_tf_eager_policy.PyTFEagerPolicy(tf_policy,
                                                     use_tf_function=True)

  def close(self) -> None:
    if self._env:
      self._env.close()


def run(context: context_lib.JobContext) -> Dict[str, Any]:
  """Trains until `num_iterations` (or a stop request), then saves.

  Returns:
    {'train_step': last step, 'eval': last evaluation results,
     'checkpoints': saved policy checkpoint steps}.
  """
  exp = context.experiment
  if exp.seed is not None:
    tf.keras.utils.set_random_seed(exp.seed)
  collect_env = environments.create(exp.seed)
  agent, train_step = agents.build(exp.agent_fn, collect_env)
  existing_run.check_compatible(context.root_dir, agent, train_step,
                                context.savers.overwrite_existing)

  evaluation_parts: Optional[Evaluation] = None
  table = one_process_replay.create(agent.collect_data_spec, context.replay,
                                    context.root_dir, exp.learner_triggers)
  trainer: Optional[learning.Trainer] = None
  background: Optional[background_collection.BackgroundCollector] = None
  try:
    env_steps = py_metrics.EnvironmentSteps()
    # The triggers check their bound arguments before anything is written.
    trainer = learning.Trainer(
        context.root_dir, agent, train_step, table.batches,
        exp.learner_triggers, table.client,
        {ENV_STEP_METADATA_KEY: env_steps})
    writer = table.writer()
    # The thread collects with a twin of the collect policy (same bindings).
    collecting_agent = (agents.build(exp.agent_fn, collect_env)
                        if exp.collect_while_training else (agent, train_step))
    collector = collection.Collector(
        collect_env, py_tf_eager_policy.PyTFEagerPolicy(
            collecting_agent[0].collect_policy, use_tf_function=True),
        writer, train_step, exp.collect_steps_per_iteration,
        collection.summary_dir(context.root_dir), env_steps)
    if exp.collect_while_training:
      background = background_collection.BackgroundCollector(
          collector, background_collection.WeightsCopy(
              agent, train_step, *collecting_agent))
    context.started()
    resuming = train_loop.resume_line(trainer.step, context, table.size)
    if resuming:
      context.console.line(resuming)
    collection.collect_randomly(
        collect_env, writer, train_step,
        exp.initial_collect_steps - table.size)
    table.settle()

    evaluation_parts = Evaluation(context, agent)
    loop = OffPolicyLoop(table, background, context, trainer, collector,
                         evaluation_parts.evaluator, evaluation_parts.policy)
    step = loop.run()
    table.log_statistics()
    return {'train_step': step, 'eval': loop.results,
            'checkpoints': learning.checkpointed_steps(context.root_dir)}
  finally:
    if background is not None:
      background.close()
    if trainer is not None:
      trainer.close()
    table.close()
    collect_env.close()
    if evaluation_parts is not None:
      evaluation_parts.close()
