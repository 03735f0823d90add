"""Loads the experiment's environments from gym or pybullet, seeded per role."""

from typing import Optional

import gin
import gym
from tf_agents.environments import py_environment
from tf_agents.environments import suite_gym
from tf_agents.environments import suite_pybullet

from train_eval import checks
from train_eval import errors

SUITES = {
    'gym': suite_gym.load,
    'pybullet': suite_pybullet.load,
}
EVAL_SEED_OFFSET = 1  # The eval environment's seed is `seed + 1`.
COLLECTOR_SEED_STRIDE = 1000  # Collector i's is `seed + 1000 * i`.


@gin.configurable(module='train_eval')
def load_environment(env_name: str = gin.REQUIRED,
                     suite: str = 'gym') -> py_environment.PyEnvironment:
  """Loads `env_name` (e.g. 'Pendulum-v1', 'MinitaurBulletEnv-v0').

  Args:
    env_name: the gym id.
    suite: 'gym' (default) or 'pybullet' (registers pybullet's environments).

  Raises:
    errors.BadValueError: an unknown suite.
    errors.UnknownEnvironmentError: the suite has no such environment.
  """
  checks.choice('load_environment.suite', suite, sorted(SUITES))
  try:
    return SUITES[suite](env_name)
  except gym.error.Error as e:
    raise errors.UnknownEnvironmentError(
        f'load_environment.env_name = {env_name!r}: the {suite} suite has no '
        f'such environment ({e}); e.g. Pendulum-v1, CartPole-v1 (gym) or '
        "MinitaurBulletEnv-v0 (suite = 'pybullet').") from e


def create(seed: Optional[int] = None) -> py_environment.PyEnvironment:
  """The bound environment, seeded with `seed` unless it is None."""
  env = load_environment()
  if seed is not None:
    env.seed(seed)
  return env


def collector_seed(seed: Optional[int], task: int) -> Optional[int]:
  """Collector `task`'s seed: `seed` for task 0 (as in one process), then apart."""
  return None if seed is None else seed + COLLECTOR_SEED_STRIDE * task


def eval_seed(seed: Optional[int]) -> Optional[int]:
  """The eval environment's seed."""
  return None if seed is None else seed + EVAL_SEED_OFFSET
