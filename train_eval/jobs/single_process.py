"""`--job=all`: the whole experiment in one process, as the tutorial's loop.

env -> collect (one iteration's steps) -> replay -> learn (one train step) ->
save (the triggers) -> evaluate (every eval_interval), then again. Collection
and training take turns, so the ratio of sampled to inserted items is the
loop's own and the table needs only MinSize(1).
"""

from typing import Any, Dict, Optional

from absl import logging
import reverb
import tensorflow as tf
from tf_agents.metrics import py_metrics
from tf_agents.policies import py_tf_eager_policy

from train_eval import agents
from train_eval import collection
from train_eval import console as console_lib
from train_eval import environments
from train_eval import evaluation
from train_eval import existing_run
from train_eval import experience_writer
from train_eval import learning
from train_eval import replay
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
  server = replay.start_server(
      [replay.experience_table(context.replay)],
      checkpoint_path=(replay.checkpoint_dir(context.root_dir)
                       if context.replay.checkpoint else None))
  trainer: Optional[learning.Trainer] = None
  try:
    client = reverb.Client(f'{replay.LOCALHOST}:{server.port}')
    env_steps = py_metrics.EnvironmentSteps()
    # The triggers check their bound arguments before anything is written.
    trainer = learning.Trainer(
        context.root_dir, agent, train_step,
        lambda: replay.dataset(agent.collect_data_spec, context.replay,
                               f'{replay.LOCALHOST}:{server.port}',
                               over_grpc=False),
        exp.learner_triggers, client, {ENV_STEP_METADATA_KEY: env_steps})
    writer = experience_writer.ExperienceWriter(
        client, context.replay.sequence_length)
    collector = collection.Collector(
        collect_env, py_tf_eager_policy.PyTFEagerPolicy(
            agent.collect_policy, use_tf_function=True),
        writer, train_step, exp.collect_steps_per_iteration,
        collection.summary_dir(context.root_dir), env_steps)
    context.started()
    resuming = train_loop.resume_line(trainer.step, context,
                                      replay.table_size(client))
    if resuming:
      context.console.line(resuming)
    collection.collect_randomly(
        collect_env, writer, train_step,
        exp.initial_collect_steps - replay.table_size(client))

    evaluation_parts = Evaluation(context, agent)
    loop = OneProcessLoop(context, trainer, collector,
                          evaluation_parts.evaluator, evaluation_parts.policy)
    step = loop.run()
    replay.log_statistics(client)
    return {'train_step': step, 'eval': loop.results,
            'checkpoints': learning.checkpointed_steps(context.root_dir)}
  finally:
    if trainer is not None:
      trainer.close()
    server.stop()
    collect_env.close()
    if evaluation_parts is not None:
      evaluation_parts.close()
