"""Checks of an agent builder's bound values; each failure is one `BadValueError` line.

Built on `train_eval.checks`; every check names the value as its binding,
e.g. `td3_agent.actor_learning_rate`.
"""

import math
from typing import Any, Optional

from train_eval import checks
from train_eval import errors


def learning_rate(binding: str, value: Any) -> float:
  """An Adam learning rate: a number > 0."""
  return checks.number(binding, value, 0, low_open=True)


def discount(binding: str, value: Any) -> float:
  """A discount factor (gamma) in [0, 1]."""
  return checks.number(binding, value, 0, 1)


def fraction(binding: str, value: Any) -> float:
  """A soft-update factor (tau) in (0, 1]."""
  return checks.number(binding, value, 0, 1, low_open=True)


def probability(binding: str, value: Any) -> float:
  """A probability in [0, 1]."""
  return checks.number(binding, value, 0, 1)


def non_negative(binding: str, value: Any) -> float:
  """A noise scale or clip: a number >= 0."""
  return checks.number(binding, value, 0)


def positive(binding: str, value: Any) -> float:
  """A scale such as the reward multiplier: a number > 0."""
  return checks.number(binding, value, 0, low_open=True)


def period(binding: str, value: Any) -> int:
  """Train steps between updates: an integer >= 1."""
  return checks.integer(binding, value, 1, 'train steps')


def layer_sizes(binding: str, value: Any) -> tuple:
  """Units of hidden layers: a non-empty tuple of integers >= 1."""
  return checks.layer_sizes(binding, value)


def optional_layer_sizes(binding: str, value: Any) -> Optional[tuple]:
  """Like `layer_sizes`, or None for no layers (an empty tuple is refused)."""
  if value is None:
    return None
  if isinstance(value, (list, tuple)) and not value:
    raise errors.BadValueError(
        f'{binding} = {value!r}: must be None (no layers) or a non-empty tuple '
        'of integers >= 1, e.g. (400,); change it in the gin file or with '
        '--gin_bindings.')
  return checks.layer_sizes(binding, value)


def n_step_update(binding: str, value: Any) -> int:
  """Steps of the n-step return: an integer >= 1 (replay items hold n + 1 steps)."""
  return checks.integer(binding, value, 1, 'steps of the n-step return')


def critic_layers(prefix: str, observation_fc_layers: Any,
                  action_fc_layers: Any, joint_fc_layers: Any) -> tuple:
  """A critic's (observation, action, joint) layers: None or non-empty for the
  first two, non-empty for the joint ones; bound as `<prefix>.critic_*`."""
  return (optional_layer_sizes(f'{prefix}.critic_obs_fc_layers',
                               observation_fc_layers),
          optional_layer_sizes(f'{prefix}.critic_action_fc_layers',
                               action_fc_layers),
          layer_sizes(f'{prefix}.critic_joint_fc_layers', joint_fc_layers))


def target_and_return(prefix: str, target_update_tau: Any,
                      target_update_period: Any, gamma: Any,
                      reward_scale_factor: Any) -> None:
  """The values every builder takes: target updates, discount, reward scale."""
  fraction(f'{prefix}.target_update_tau', target_update_tau)
  period(f'{prefix}.target_update_period', target_update_period)
  discount(f'{prefix}.gamma', gamma)
  positive(f'{prefix}.reward_scale_factor', reward_scale_factor)


def q_value_range(prefix: str, min_q_value: Any, max_q_value: Any) -> tuple:
  """(min, max) of a categorical support: numbers with min < max."""
  low = checks.number(f'{prefix}.min_q_value', min_q_value, -math.inf)
  high = checks.number(f'{prefix}.max_q_value', max_q_value, -math.inf)
  if not low < high:
    raise errors.BadValueError(
        f'{prefix}.min_q_value = {min_q_value!r} is not below '
        f'{prefix}.max_q_value = {max_q_value!r}: the support of the return '
        'distribution needs min_q_value < max_q_value; change one of them.')
  return low, high


def boolean(binding: str, value: Any) -> bool:
  """True or False."""
  if not isinstance(value, bool):
    raise errors.BadValueError(
        f'{binding} = {value!r}: must be True or False; change it in the gin '
        'file or with --gin_bindings.')
  return value


def integer_at_least(binding: str, value: Any, minimum: int, unit: str) -> int:
  """An integer >= `minimum` (e.g. num_atoms >= 2)."""
  return checks.integer(binding, value, minimum, unit)



DISCRETE_AGENTS = 'dqn_agent, c51_agent, reinforce_agent'
CONTINUOUS_AGENTS = 'sac_agent, td3_agent, ddpg_agent, ppo_agent, reinforce_agent'


def action_kind(owner: str, action_spec, discrete: bool) -> None:
  """Raises unless the environment's actions are what `owner` takes.

  Args:
    owner: the builder, e.g. 'td3_agent'.
    action_spec: the environment's action spec (one tensor).
    discrete: True for integer actions (DQN, C51), False for float ones.
  """
  is_discrete = action_spec.dtype.is_integer
  if is_discrete == discrete:
    return
  has, needs, others = (('continuous', 'discrete', CONTINUOUS_AGENTS)
                        if discrete else
                        ('discrete', 'continuous', DISCRETE_AGENTS))
  raise errors.BadValueError(
      f'train_eval.agent_fn = @train_eval.{owner} needs {needs} actions, but '
      f'the environment (load_environment.env_name) has {has} ones '
      f'({action_spec.dtype.name}); bind an agent for {has} actions '
      f'({others}) or another environment.')
