"""`--job=all` for an on-policy agent (reinforce_agent, ppo_agent), in one process.

Each iteration: collect a batch with the current weights (whole episodes, or
a fixed number of steps), train on it, discard it; then the triggers and
evaluations as off-policy. REINFORCE trains once on it (one train step);
PPO in epochs of minibatches (`on_policy_minibatches`: one train step per
minibatch, a fixed-length batch cut to collect_steps_per_iteration as
schulman17 cuts it), so the train step moves by a whole iteration's count
between the loop's phases, and an evaluation runs once the step passes a
multiple of eval_interval. The batch lives in an `OnPolicyBatch` (in process;
see there why), which refuses to hand a train step anything but the batch
its weights collected.
"""

from typing import Any, Dict, Optional

import tensorflow as tf
from tf_agents.metrics import py_metrics
from tf_agents.policies import py_tf_eager_policy

from train_eval import agents
from train_eval import collection
from train_eval import environments
from train_eval import existing_run
from train_eval import learning
from train_eval import on_policy_batch
from train_eval import on_policy_minibatches
from train_eval.jobs import context as context_lib
from train_eval.jobs import single_process


class OnPolicyLoop(single_process.OneProcessLoop):
  """The one-process loop whose `collect` opens a fresh batch for this train step."""

  def __init__(self, context, trainer, collector, evaluator, eval_policy,
               batch: on_policy_batch.OnPolicyBatch,
               minibatches: on_policy_minibatches.MinibatchTrainer):
    super().__init__(context, trainer, collector, evaluator, eval_policy)
    self._batch = batch
    self._minibatches = minibatches
    self._previous_step = trainer.step

  def collect(self) -> None:
    self._batch.open(self.trainer.step)
    super().collect()

  def train(self) -> Optional[float]:
    if self._minibatches.minibatching is None:
      return super().train()
    experience = self._batch.take(self.trainer.step)
    if not self.experiment.collect_episodes_per_iteration:
      steps = self.experiment.collect_steps_per_iteration
      experience = tf.nest.map_structure(lambda x: x[:, :steps], experience)
    return self._minibatches.train(experience)

  def after_step(self, step: int) -> None:
    interval = self.experiment.eval_interval
    if (self._evaluator and
        step // interval > self._previous_step // interval):
      self.evaluate(step)
    self._previous_step = step


def run(context: context_lib.JobContext) -> Dict[str, Any]:
  """Trains until `num_iterations` (or a stop request), then saves.

  Returns:
    As `single_process.run`.
  """
  exp = context.experiment
  if exp.seed is not None:
    tf.keras.utils.set_random_seed(exp.seed)
  collect_env = environments.create(exp.seed)
  trainer: Optional[learning.Trainer] = None
  evaluation = None
  try:
    agent, train_step = agents.build(exp.agent_fn, collect_env)
    on_policy_minibatches.check_batch(
        on_policy_minibatches.of(agent), exp.agent_fn.__name__,
        exp.collect_steps_per_iteration, exp.collect_episodes_per_iteration,
        context.num_tasks)
    existing_run.check_compatible(context.root_dir, agent, train_step,
                                  context.savers.overwrite_existing)
    batch = on_policy_batch.OnPolicyBatch(agent.collect_data_spec)
    env_steps = py_metrics.EnvironmentSteps()
    trainer = learning.Trainer(
        context.root_dir, agent, train_step,
        lambda: batch.dataset(train_step), exp.learner_triggers, None,
        {single_process.ENV_STEP_METADATA_KEY: env_steps})
    collector = collection.Collector(
        collect_env, py_tf_eager_policy.PyTFEagerPolicy(
            agent.collect_policy, use_tf_function=True),
        batch, train_step, exp.collect_steps_per_iteration,
        collection.summary_dir(context.root_dir), env_steps,
        episodes_per_run=exp.collect_episodes_per_iteration)
    context.started()
    if trainer.step:
      context.console.line(
          f'Resuming from step {trainer.step} of {exp.num_iterations}, '
          'Learner checkpoint restored; on-policy: collecting afresh.')
    evaluation = single_process.Evaluation(context, agent)
    loop = OnPolicyLoop(
        context, trainer, collector, evaluation.evaluator, evaluation.policy,
        batch, on_policy_minibatches.MinibatchTrainer(agent, trainer.learner))
    step = loop.run()
    return {'train_step': step, 'eval': loop.results,
            'checkpoints': learning.checkpointed_steps(context.root_dir)}
  finally:
    if trainer is not None:
      trainer.close()
    collect_env.close()
    if evaluation is not None:
      evaluation.close()
