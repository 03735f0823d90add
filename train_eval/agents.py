"""Agents and their networks, as in tf_agents' tutorials: SAC and DQN."""

from typing import Sequence, Tuple

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.ddpg import critic_network
from tf_agents.agents.dqn import dqn_agent as tfa_dqn_agent
from tf_agents.agents.sac import sac_agent as tfa_sac_agent
from tf_agents.agents.sac import tanh_normal_projection_network
from tf_agents.networks import actor_distribution_network
from tf_agents.networks import q_network
from tf_agents.policies import greedy_policy
from tf_agents.policies import tf_policy
from tf_agents.train.utils import spec_utils
from tf_agents.train.utils import train_utils
from tf_agents.utils import common

from train_eval import checks
from train_eval import shadowed_bindings

_RUNTIME = ['time_step_spec', 'action_spec', 'train_step']


@gin.configurable(module='train_eval', denylist=_RUNTIME)
def sac_agent(time_step_spec, action_spec, train_step: tf.Variable,
              actor_fc_layers: Sequence[int] = (256, 256),
              critic_joint_fc_layers: Sequence[int] = (256, 256),
              actor_learning_rate: float = 3e-4,
              critic_learning_rate: float = 3e-4,
              alpha_learning_rate: float = 3e-4,
              target_update_tau: float = 0.005,
              target_update_period: int = 1,
              gamma: float = 0.99,
              reward_scale_factor: float = 1.0) -> tf_agent.TFAgent:
  """SAC as in the tutorial "SAC minitaur with the Actor-Learner API".

  Actor: `ActorDistributionNetwork` with a tanh-normal projection; critic:
  `CriticNetwork` on (observation, action) with glorot-uniform kernels. Defaults
  are the tutorial's values.

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its actions.
    train_step: the train step counter.
    actor_fc_layers: units of the actor's hidden layers; default (256, 256).
    critic_joint_fc_layers: units of the critic's joint layers; (256, 256).
    actor_learning_rate: Adam learning rate of the actor; 3e-4.
    critic_learning_rate: Adam learning rate of the critic; 3e-4.
    alpha_learning_rate: Adam learning rate of the entropy weight; 3e-4.
    target_update_tau: soft target update factor; 0.005.
    target_update_period: train steps between target updates; 1.
    gamma: discount; 0.99.
    reward_scale_factor: reward multiplier; 1.0.
  """
  actor_fc_layers = checks.layer_sizes('sac_agent.actor_fc_layers',
                                       actor_fc_layers)
  critic_joint_fc_layers = checks.layer_sizes(
      'sac_agent.critic_joint_fc_layers', critic_joint_fc_layers)
  for name, value in (('actor_learning_rate', actor_learning_rate),
                      ('critic_learning_rate', critic_learning_rate),
                      ('alpha_learning_rate', alpha_learning_rate)):
    checks.number(f'sac_agent.{name}', value, 0, low_open=True)
  checks.number('sac_agent.target_update_tau', target_update_tau, 0, 1,
                low_open=True)
  checks.integer('sac_agent.target_update_period', target_update_period, 1,
                 'train steps')
  checks.number('sac_agent.gamma', gamma, 0, 1)
  checks.number('sac_agent.reward_scale_factor', reward_scale_factor, 0,
                low_open=True)
  observation_spec = time_step_spec.observation
  actor_net = shadowed_bindings.call(
      actor_distribution_network.ActorDistributionNetwork,
      'ActorDistributionNetwork', 'sac_agent.actor_fc_layers',
      input_tensor_spec=observation_spec, output_tensor_spec=action_spec,
      fc_layer_params=actor_fc_layers,
      continuous_projection_net=(
          tanh_normal_projection_network.TanhNormalProjectionNetwork))
  critic_net = shadowed_bindings.call(
      critic_network.CriticNetwork, 'CriticNetwork',
      'sac_agent.critic_joint_fc_layers',
      input_tensor_spec=(observation_spec, action_spec),
      observation_fc_layer_params=None, action_fc_layer_params=None,
      joint_fc_layer_params=critic_joint_fc_layers,
      kernel_initializer='glorot_uniform',
      last_kernel_initializer='glorot_uniform')
  agent = shadowed_bindings.call(
      tfa_sac_agent.SacAgent, 'SacAgent', 'the same parameter of sac_agent',
      time_step_spec=time_step_spec, action_spec=action_spec,
      actor_network=actor_net, critic_network=critic_net,
      actor_optimizer=tf.keras.optimizers.Adam(actor_learning_rate),
      critic_optimizer=tf.keras.optimizers.Adam(critic_learning_rate),
      alpha_optimizer=tf.keras.optimizers.Adam(alpha_learning_rate),
      target_update_tau=target_update_tau,
      target_update_period=target_update_period,
      td_errors_loss_fn=tf.math.squared_difference,
      gamma=gamma, reward_scale_factor=reward_scale_factor,
      train_step_counter=train_step)
  agent.initialize()
  return agent


@gin.configurable(module='train_eval', denylist=_RUNTIME)
def dqn_agent(time_step_spec, action_spec, train_step: tf.Variable,
              fc_layers: Sequence[int] = (100, 50),
              learning_rate: float = 1e-3,
              epsilon_greedy: float = 0.1,
              target_update_period: int = 1,
              gamma: float = 0.99) -> tf_agent.TFAgent:
  """DQN as in tf_agents' DQN tutorial: a `QNetwork` and Adam.

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its (discrete) actions.
    train_step: the train step counter.
    fc_layers: units of the Q network's hidden layers; default (100, 50).
    learning_rate: Adam learning rate; 1e-3.
    epsilon_greedy: exploration probability of the collect policy; 0.1.
    target_update_period: train steps between target network updates; 1.
    gamma: discount; 0.99.
  """
  fc_layers = checks.layer_sizes('dqn_agent.fc_layers', fc_layers)
  checks.number('dqn_agent.learning_rate', learning_rate, 0, low_open=True)
  checks.number('dqn_agent.epsilon_greedy', epsilon_greedy, 0, 1)
  checks.integer('dqn_agent.target_update_period', target_update_period, 1,
                 'train steps')
  checks.number('dqn_agent.gamma', gamma, 0, 1)
  q_net = shadowed_bindings.call(
      q_network.QNetwork, 'QNetwork', 'dqn_agent.fc_layers',
      input_tensor_spec=time_step_spec.observation,
      action_spec=action_spec, fc_layer_params=fc_layers)
  agent = shadowed_bindings.call(
      tfa_dqn_agent.DqnAgent, 'DqnAgent', 'the same parameter of dqn_agent',
      time_step_spec=time_step_spec, action_spec=action_spec, q_network=q_net,
      optimizer=tf.keras.optimizers.Adam(learning_rate),
      epsilon_greedy=epsilon_greedy,
      target_update_period=target_update_period,
      td_errors_loss_fn=common.element_wise_squared_loss,
      gamma=gamma, train_step_counter=train_step)
  agent.initialize()
  return agent


def build(agent_fn, env) -> Tuple[tf_agent.TFAgent, tf.Variable]:
  """(agent, train_step) for `env`'s specs, from `agent_fn` (e.g. `sac_agent`)."""
  _, action_spec, time_step_spec = spec_utils.get_tensor_specs(env)
  train_step = train_utils.create_train_step()
  return agent_fn(time_step_spec, action_spec, train_step), train_step


def eval_policy(agent: tf_agent.TFAgent, kind: str) -> tf_policy.TFPolicy:
  """The policy evaluations run: 'greedy' (the mode of `agent.policy`) or 'policy'."""
  if kind == 'policy' or isinstance(agent.policy, greedy_policy.GreedyPolicy):
    return agent.policy
  return greedy_policy.GreedyPolicy(agent.policy)
