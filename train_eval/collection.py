"""Collection: an environment stepped by a policy, each step written into replay."""

import os
from typing import Optional

from absl import logging
import tensorflow as tf
from tf_agents.environments import py_environment
from tf_agents.metrics import py_metrics
from tf_agents.policies import py_policy
from tf_agents.policies import random_py_policy
from tf_agents.train import actor
from tf_agents.train import learner

from train_eval import experience_writer
from train_eval import shadowed_bindings

COLLECT_METRICS_BUFFER = 10  # Episodes averaged by the collect metrics.


class Collector:
  """Runs a policy in one environment, `steps_per_run` steps (or
  `episodes_per_run` episodes) per `run()`."""

  def __init__(self, env: py_environment.PyEnvironment,
               policy: py_policy.PyPolicy,
               writer: experience_writer.ExperienceWriter,
               train_step: tf.Variable, steps_per_run: int,
               summary_dir: Optional[str],
               env_steps: Optional[py_metrics.EnvironmentSteps] = None,
               episodes_per_run: int = 0):
    """Creates the collector.

    Args:
      env: the collect environment.
      policy: the collect policy (the agent's, or one loaded from disk).
      writer: where each step's experience goes.
      train_step: the train step counter the summaries are written against.
      steps_per_run: environment steps per `run()`.
      summary_dir: where the collect metrics' summaries go; None for none.
      env_steps: counts the environment steps (e.g. for checkpoint metadata);
        a new one by default.
      episodes_per_run: whole episodes per `run()` instead of steps_per_run
        steps; 0 (default) runs steps.
    """
    self.env_steps = env_steps or py_metrics.EnvironmentSteps()
    self.writer = writer
    self._actor = shadowed_bindings.call(
        actor.Actor, 'Actor', env=env, policy=policy, train_step=train_step,
        steps_per_run=None if episodes_per_run else steps_per_run,
        episodes_per_run=episodes_per_run or None,
        metrics=actor.collect_metrics(COLLECT_METRICS_BUFFER),
        summary_dir=summary_dir, observers=[writer, self.env_steps])

  def run(self) -> None:
    """Collects `steps_per_run` environment steps (or `episodes_per_run` episodes)."""
    self._actor.run()


def collect_randomly(env: py_environment.PyEnvironment,
                     writer: experience_writer.ExperienceWriter,
                     train_step: tf.Variable, steps: int) -> None:
  """`steps` environment steps with a uniform random policy, as the tutorial's first."""
  if steps <= 0:
    return
  logging.info('Collecting %d initial steps with a random policy.', steps)
  shadowed_bindings.call(
      actor.Actor, 'Actor', env=env,
      policy=random_py_policy.RandomPyPolicy(env.time_step_spec(),
                                             env.action_spec()),
      train_step=train_step, steps_per_run=steps, observers=[writer]).run()


def initial_share(total: int, num_tasks: int, task: int) -> int:
  """Collector `task`'s part of `total` initial steps; the parts sum to `total`."""
  return total // num_tasks + (1 if task < total % num_tasks else 0)


def summary_dir(root_dir: str, task: Optional[int] = None) -> str:
  """root_dir/train, or root_dir/train/collect-<task> for a separate collector."""
  base = os.path.join(root_dir, learner.TRAIN_DIR)
  return base if task is None else os.path.join(base, f'collect-{task}')
