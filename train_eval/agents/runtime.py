"""What the rest of train_eval asks of an agent builder.

A builder is a gin-configurable function `f(time_step_spec, action_spec,
train_step, **hyperparameters) -> TFAgent` that checks its values first. Its
replay items hold `train_sequence_length(f)` steps: n_step_update + 1 for a
builder with an `n_step_update` parameter, else 2 (s, a, r, s').
"""

import inspect
from typing import Callable, Tuple

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.policies import greedy_policy
from tf_agents.policies import tf_policy
from tf_agents.train.utils import spec_utils
from tf_agents.train.utils import train_utils

from train_eval.agents import validation

# Passed by train_eval itself, never bound in a .gin file.
RUNTIME_ARGUMENTS = ['time_step_spec', 'action_spec', 'train_step']
TRANSITION_STEPS = 2  # (s, a, r, s'): one-step targets.
# Builders whose agents train only on data their current policy collected.
ON_POLICY_AGENTS = ('reinforce_agent', 'ppo_agent')


def build(agent_fn: Callable[..., tf_agent.TFAgent],
          env) -> Tuple[tf_agent.TFAgent, tf.Variable]:
  """(agent, train_step) for `env`'s specs, from `agent_fn` (e.g. `sac_agent`)."""
  _, action_spec, time_step_spec = spec_utils.get_tensor_specs(env)
  train_step = train_utils.create_train_step()
  return agent_fn(time_step_spec, action_spec, train_step), train_step


def eval_policy(agent: tf_agent.TFAgent, kind: str) -> tf_policy.TFPolicy:
  """The policy evaluations run: 'greedy' (the mode of `agent.policy`) or 'policy'."""
  if kind == 'policy' or isinstance(agent.policy, greedy_policy.GreedyPolicy):
    return agent.policy
  return greedy_policy.GreedyPolicy(agent.policy)


def is_on_policy(agent_fn: Callable[..., tf_agent.TFAgent]) -> bool:
  """Whether `agent_fn` (e.g. `ppo_agent`) builds an on-policy agent."""
  return getattr(agent_fn, '__name__', None) in ON_POLICY_AGENTS


def train_sequence_length(agent_fn: Callable[..., tf_agent.TFAgent]) -> int:
  """Steps per replay item the agent trains on, from its bindings, without building it.

  tf_agents' `agent.train_sequence_length`, known before the agent exists
  (a collector never builds one): n_step_update + 1, or 2.

  Raises:
    errors.BadValueError: a bound n_step_update out of range.
  """
  parameters = inspect.signature(agent_fn).parameters
  if 'n_step_update' not in parameters:
    return TRANSITION_STEPS
  n_step = gin.get_bindings(agent_fn).get(
      'n_step_update', parameters['n_step_update'].default)
  name = getattr(agent_fn, '__name__', 'agent_fn')
  return validation.n_step_update(f'{name}.n_step_update', n_step) + 1
