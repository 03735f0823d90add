"""Evaluation: episodes of the eval environment with a policy, summarized at a step."""

import os
from typing import Callable, Dict, Optional

import tensorflow as tf
from tf_agents.drivers import py_driver
from tf_agents.environments import py_environment
from tf_agents.metrics import py_metrics
from tf_agents.policies import py_policy

from train_eval import summaries

EVAL_DIR = 'eval'
SUMMARY_PREFIX = 'Metrics/'  # The tags tf_agents' eval Actor writes.


class Evaluator:
  """Runs `episodes` whole episodes and writes eval/ summaries at the given step."""

  def __init__(self, env: py_environment.PyEnvironment, episodes: int,
               root_dir: str):
    """Creates the evaluator; the summary file opens at the first evaluation.

    Args:
      env: the eval environment (its own, not the collect one).
      episodes: episodes per evaluation.
      root_dir: the experiment's directory; summaries go to root_dir/eval.
    """
    self._env = env
    self._episodes = episodes
    self._summary_dir = os.path.join(root_dir, EVAL_DIR)
    self._writer = None

  def evaluate(self, policy: py_policy.PyPolicy, step: int,
               stopped: Callable[[], bool] = lambda: False
               ) -> Optional[Dict[str, float]]:
    """Evaluates `policy` and summarizes the results at train step `step`.

    Args:
      policy: the policy to run.
      step: the train step the results are summarized at.
      stopped: polled between episodes; True abandons the evaluation.

    Returns:
      {'AverageReturn': ..., 'AverageEpisodeLength': ...} over the episodes,
      or None if stopped first (nothing is summarized).
    """
    metrics = [py_metrics.AverageReturnMetric(buffer_size=self._episodes),
               py_metrics.AverageEpisodeLengthMetric(buffer_size=self._episodes)]
    driver = py_driver.PyDriver(self._env, policy, observers=metrics,
                                max_episodes=1)
    for _ in range(self._episodes):
      if stopped():
        return None
      driver.run(self._env.reset(),
                 policy.get_initial_state(self._env.batch_size or 1))
    results = {m.name: float(m.result()) for m in metrics}
    if self._writer is None:
      self._writer = tf.summary.create_file_writer(self._summary_dir)
    with self._writer.as_default():
      for name, value in results.items():
        tf.summary.scalar(SUMMARY_PREFIX + name, value, step=step)
    self._writer.flush()
    return results


def read_scalars(root_dir: str, metric: str = 'AverageReturn') -> Dict[int, float]:
  """step -> value of the eval summary `Metrics/<metric>` in root_dir/eval."""
  return summaries.scalars(root_dir, EVAL_DIR, SUMMARY_PREFIX + metric)
