"""Loads the experiment's environments from gym or pybullet."""

import gin
from tf_agents.environments import py_environment
from tf_agents.environments import suite_gym
from tf_agents.environments import suite_pybullet

from triggers import argument_checks

SUITES = {
    'gym': suite_gym.load,
    'pybullet': suite_pybullet.load,
}


@gin.configurable(module='train_eval')
def load_environment(env_name: str = gin.REQUIRED,
                     suite: str = 'gym') -> py_environment.PyEnvironment:
  """Loads `env_name` (e.g. 'Pendulum-v1', 'MinitaurBulletEnv-v0').

  Args:
    env_name: the gym id.
    suite: 'gym' (default) or 'pybullet' (registers pybullet's environments).

  Raises:
    ValueError: an unknown suite.
  """
  if suite not in SUITES:
    raise argument_checks.BadArgumentValue(
        f'load_environment.suite = {suite!r}: expected one of {sorted(SUITES)}.')
  return SUITES[suite](env_name)
