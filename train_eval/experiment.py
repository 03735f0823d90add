"""The gin root: assembles environment, agent, replay, actors, Learner and triggers, then trains."""

import os
from typing import Any, Callable, Dict, Optional, Sequence

from absl import logging
import gin
import tensorflow as tf
from tf_agents.metrics import py_metrics
from tf_agents.policies import greedy_policy
from tf_agents.policies import py_tf_eager_policy
from tf_agents.policies import random_py_policy
from tf_agents.train import actor
from tf_agents.train import learner
from tf_agents.train.utils import spec_utils
from tf_agents.train.utils import train_utils

import triggers
from train_eval import background_collection
from train_eval import environments
from train_eval import gin_config
from train_eval import progress
from train_eval import replay as replay_lib
from train_eval import shadowed_bindings
from train_eval import stop_signals

ENV_STEP_METADATA_KEY = 'env_step'  # tf_agents' key for environment steps.
EVAL_DIR = 'eval'


@gin.configurable(module='train_eval', denylist=['root_dir', 'stop_request'])
def train_eval(
    root_dir: str,
    agent_fn: Callable[..., Any] = gin.REQUIRED,
    num_iterations: int = 100000,
    initial_collect_steps: int = 10000,
    collect_steps_per_iteration: int = 1,
    eval_interval: int = 10000,
    eval_episodes: int = 20,
    log_interval: int = 1000,
    learner_triggers: Sequence[Callable[..., Any]] = (
        triggers.PolicySavedModelTrigger, triggers.StepPerSecondLogTrigger),
    overlapped: bool = False,
    overlap_slack_steps: int = 4,
    seed: Optional[int] = None,
    stop_request: Optional[stop_signals.StopRequest] = None,
) -> Dict[str, Any]:
  """Trains until `train_step` reaches `num_iterations`, then saves and returns.

  The tutorial's loop: each iteration collects `collect_steps_per_iteration`
  environment steps with the collect policy, then runs one train step.
  Re-running with the same `root_dir` resumes from the Learner checkpoint.

  Args:
    root_dir: experiment directory (tf_agents' layout: train/, eval/,
      policies/, operative_config.gin).
    agent_fn: e.g. `@train_eval.sac_agent`; called with the specs and the
      train step.
    num_iterations: train step to stop at (total, across restarts).
    initial_collect_steps: random-policy steps in replay before training;
      after a restart only what the restored table lacks is collected.
    collect_steps_per_iteration: environment steps per train step; default 1.
    eval_interval: train steps between evaluations; 0 disables.
    eval_episodes: episodes per evaluation.
    log_interval: train steps between progress lines; 0 disables.
    learner_triggers: trigger classes or gin references, called with the
      runtime objects they take (saved_model_dir, agent, train_step,
      reverb_client, metadata_metrics).
    overlapped: collect on a background thread while the Learner trains,
      with a Reverb rate limiter holding the sequential loop's ratio of
      sampled to inserted items; default False (the tutorial's loop).
    overlap_slack_steps: with `overlapped`, how many environment steps
      collection may run ahead of or behind that ratio; default 4.
    seed: seeds Python, NumPy, TensorFlow and the environments (collect env
      `seed`, eval env `seed + 1`); None (default) leaves them unseeded.
      Network initialisation and evaluation episodes repeat exactly; training
      does not, since Reverb samples with its own unseeded generator.
    stop_request: set by SIGTERM/SIGINT; the loop then saves and returns.

  Returns:
    {'train_step': last step, 'eval': last evaluation results,
     'checkpoints': saved policy checkpoint steps}.
  """
  stop_request = stop_request or stop_signals.StopRequest()
  if seed is not None:
    tf.keras.utils.set_random_seed(seed)
  collect_env = environments.load_environment()
  eval_env = environments.load_environment()
  if seed is not None:
    collect_env.seed(seed)
    eval_env.seed(seed + 1)
  _, action_spec, time_step_spec = spec_utils.get_tensor_specs(collect_env)
  train_step = train_utils.create_train_step()
  agent = agent_fn(time_step_spec, action_spec, train_step)
  replay = replay_lib.ReverbReplay(
      agent.collect_data_spec, root_dir,
      rate_limiter_fn=(lambda batch_size: background_collection.rate_limiter(
          samples_per_insert=batch_size / collect_steps_per_iteration,
          min_size_to_sample=initial_collect_steps,
          error_buffer_inserts=overlap_slack_steps)) if overlapped else None)
  trigger_list = []
  try:
    env_steps = py_metrics.EnvironmentSteps()
    saved_model_dir = os.path.join(root_dir, learner.POLICY_SAVED_MODEL_DIR)
    trigger_list = triggers.build_triggers(
        learner_triggers, saved_model_dir=saved_model_dir, agent=agent,
        train_step=train_step, reverb_client=replay.client,
        metadata_metrics={ENV_STEP_METADATA_KEY: env_steps})
    agent_learner = shadowed_bindings.call(
        learner.Learner, 'Learner', root_dir=root_dir, train_step=train_step,
        agent=agent, experience_dataset_fn=replay.dataset_fn,
        triggers=list(trigger_list))

    missing = initial_collect_steps - replay.size()
    if missing > 0:
      logging.info('Collecting %d initial steps with a random policy.', missing)
      shadowed_bindings.call(
          actor.Actor, 'Actor', env=collect_env,
          policy=random_py_policy.RandomPyPolicy(collect_env.time_step_spec(),
                                                 collect_env.action_spec()),
          train_step=train_step, steps_per_run=missing,
          observers=[replay.observer]).run()

    collect_actor = shadowed_bindings.call(
        actor.Actor, 'Actor', env=collect_env,
        policy=py_tf_eager_policy.PyTFEagerPolicy(agent.collect_policy,
                                                  use_tf_function=True),
        train_step=train_step, steps_per_run=collect_steps_per_iteration,
        metrics=actor.collect_metrics(10),
        summary_dir=os.path.join(root_dir, learner.TRAIN_DIR),
        observers=[replay.observer, env_steps])
    eval_policy = (agent.policy
                   if isinstance(agent.policy, greedy_policy.GreedyPolicy)
                   else greedy_policy.GreedyPolicy(agent.policy))
    eval_actor = shadowed_bindings.call(
        actor.Actor, 'Actor', env=eval_env,
        policy=py_tf_eager_policy.PyTFEagerPolicy(eval_policy,
                                                  use_tf_function=True),
        train_step=train_step, episodes_per_run=eval_episodes,
        metrics=actor.eval_metrics(eval_episodes),
        summary_dir=os.path.join(root_dir, EVAL_DIR),
        # Every evaluation is summarized, however close together.
        summary_interval=1)

    def evaluate(step: int) -> Dict[str, float]:
      eval_actor.run_and_log()
      eval_actor.summary_writer.flush()
      results = {m.name: float(m.result()) for m in eval_actor.metrics}
      logging.info('%s', progress.eval_line(step, results))
      for trigger in trigger_list:  # e.g. best-policy export.
        if hasattr(trigger, 'report_evaluation'):
          trigger.report_evaluation(step, results)
      return results

    step = int(train_step.numpy())
    results, evaluated_at = {}, None
    if eval_interval and step == 0:
      results, evaluated_at = evaluate(step), step
    meter = progress.ProgressMeter(num_iterations, step)
    config_written = False
    logging.info('Training from step %d to %d%s.', step, num_iterations,
                 ', collecting in the background' if overlapped else '')
    if overlapped:
      collector = background_collection.BackgroundCollector(
          lambda: (collect_actor.run(), replay.flush()), replay.sample_once)
      collector.start()
    while step < num_iterations and not stop_request.requested:
      if overlapped:
        collector.check()
      else:
        collect_actor.run()
      loss_info = agent_learner.run(iterations=1)
      step = int(train_step.numpy())
      if not config_written:
        gin_config.write_operative_config(
            root_dir, agent_learner.train_summary_writer, step)
        config_written = True
      if eval_interval and step % eval_interval == 0:
        results, evaluated_at = evaluate(step), step
      if log_interval and step % log_interval == 0:
        logging.info('%s', meter.line(step, float(loss_info.loss)))

    if overlapped:
      collector.stop()
    logging.info('Saving at step %d.', step)
    # Forces every Learner trigger: policy checkpoint, Learner checkpoint and,
    # if listed, the Reverb checkpoint, all at this one step.
    for trigger in agent_learner.triggers:
      trigger(step, force_trigger=True)
    if not any(isinstance(t, triggers.ReverbCheckpointTrigger)
               for t in trigger_list):
      replay.checkpoint_now()
    _close_all(trigger_list)
    if eval_interval and evaluated_at != step and not stop_request.requested:
      results = evaluate(step)
    return {
        'train_step': step,
        'eval': results,
        'checkpoints': triggers.list_checkpoints(saved_model_dir),
    }
  finally:
    _close_all(trigger_list)
    replay.close()
    collect_env.close()
    eval_env.close()


def _close_all(trigger_list) -> None:
  """Flushes async policy writers (close() is idempotent)."""
  for trigger in trigger_list:
    if hasattr(trigger, 'close'):
      trigger.close()
