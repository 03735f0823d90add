"""TD3, as in tf_agents' `agents/td3/examples/v2/train_eval.py`."""

from typing import Optional, Sequence

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.td3 import td3_agent as tfa_td3_agent

from train_eval import shadowed_bindings
from train_eval.agents import networks
from train_eval.agents import runtime
from train_eval.agents import shared_arguments
from train_eval.agents import validation


@gin.configurable(module='train_eval', denylist=runtime.RUNTIME_ARGUMENTS)
def td3_agent(time_step_spec, action_spec, train_step: tf.Variable,
              actor_fc_layers: Sequence[int] = (400, 300),
              critic_obs_fc_layers: Optional[Sequence[int]] = (400,),
              critic_action_fc_layers: Optional[Sequence[int]] = None,
              critic_joint_fc_layers: Sequence[int] = (300,),
              actor_learning_rate: float = 1e-4,
              critic_learning_rate: float = 1e-3,
              exploration_noise_std: float = 0.1,
              target_policy_noise: float = 0.2,
              target_policy_noise_clip: float = 0.5,
              target_update_tau: float = 0.05,
              target_update_period: int = 5,
              actor_update_period: int = 2,
              gamma: float = 0.995,
              reward_scale_factor: float = 1.0) -> tf_agent.TFAgent:
  """TD3: a deterministic actor, twin critics, delayed actor updates, Huber TD loss.

  Networks: DDPG's `ActorNetwork` and `CriticNetwork` with their defaults, as
  the example. Optimizers: Keras Adam. Defaults are the example's values
  (`Td3Agent`'s own for the target policy noise).

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its (continuous) actions.
    train_step: the train step counter.
    actor_fc_layers: units of the actor's hidden layers; (400, 300).
    critic_obs_fc_layers: the critic's layers on the observation; (400,).
    critic_action_fc_layers: the critic's layers on the action; None.
    critic_joint_fc_layers: the critic's layers on both; (300,).
    actor_learning_rate: Adam learning rate of the actor; 1e-4.
    critic_learning_rate: Adam learning rate of the critics; 1e-3.
    exploration_noise_std: std of the collect policy's Gaussian noise, in
      action units; 0.1.
    target_policy_noise: std of the noise on target actions; 0.2.
    target_policy_noise_clip: that noise's clip; 0.5.
    target_update_tau: soft target update factor; 0.05.
    target_update_period: train steps between target updates; 5.
    actor_update_period: train steps between actor updates; 2.
    gamma: discount; 0.995.
    reward_scale_factor: reward multiplier; 1.0.
  """
  arguments = shared_arguments.deterministic_actor_critic(
      'td3_agent', time_step_spec, action_spec, actor_fc_layers,
      critic_obs_fc_layers, critic_action_fc_layers, critic_joint_fc_layers,
      actor_learning_rate, critic_learning_rate, networks.adam,
      target_update_tau, target_update_period, gamma, reward_scale_factor,
      train_step)
  for name, value in (('exploration_noise_std', exploration_noise_std),
                      ('target_policy_noise', target_policy_noise),
                      ('target_policy_noise_clip', target_policy_noise_clip)):
    validation.non_negative(f'td3_agent.{name}', value)
  validation.period('td3_agent.actor_update_period', actor_update_period)
  agent = shadowed_bindings.call(
      tfa_td3_agent.Td3Agent, 'Td3Agent', 'the same parameter of td3_agent',
      exploration_noise_std=exploration_noise_std,
      target_policy_noise=target_policy_noise,
      target_policy_noise_clip=target_policy_noise_clip,
      actor_update_period=actor_update_period, **arguments)
  agent.initialize()
  return agent
