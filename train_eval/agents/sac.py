"""SAC, as in the tutorial "SAC minitaur with the Actor-Learner API" and haarnoja18."""

from typing import Optional, Sequence

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.sac import sac_agent as tfa_sac_agent
from tf_agents.agents.sac import tanh_normal_projection_network
from tf_agents.networks import actor_distribution_network

from train_eval import shadowed_bindings
from train_eval.agents import networks
from train_eval.agents import runtime
from train_eval.agents import validation


@gin.configurable(module='train_eval', denylist=runtime.RUNTIME_ARGUMENTS)
def sac_agent(time_step_spec, action_spec, train_step: tf.Variable,
              actor_fc_layers: Sequence[int] = (256, 256),
              critic_joint_fc_layers: Sequence[int] = (256, 256),
              critic_obs_fc_layers: Optional[Sequence[int]] = None,
              critic_action_fc_layers: Optional[Sequence[int]] = None,
              actor_learning_rate: float = 3e-4,
              critic_learning_rate: float = 3e-4,
              alpha_learning_rate: float = 3e-4,
              target_update_tau: float = 0.005,
              target_update_period: int = 1,
              gamma: float = 0.99,
              reward_scale_factor: float = 1.0) -> tf_agent.TFAgent:
  """SAC: a tanh-normal actor and a glorot-uniform critic on (observation, action).

  Actor: `ActorDistributionNetwork` with a `TanhNormalProjectionNetwork`;
  critic: `CriticNetwork` with glorot-uniform kernels. Defaults are the SAC
  minitaur tutorial's values.

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its (continuous) actions.
    train_step: the train step counter.
    actor_fc_layers: units of the actor's hidden layers; default (256, 256).
    critic_joint_fc_layers: units of the critic's joint layers; (256, 256).
    critic_obs_fc_layers: the critic's layers on the observation alone; None.
    critic_action_fc_layers: the critic's layers on the action alone; None.
    actor_learning_rate: Adam learning rate of the actor; 3e-4.
    critic_learning_rate: Adam learning rate of the critic; 3e-4.
    alpha_learning_rate: Adam learning rate of the entropy weight; 3e-4.
    target_update_tau: soft target update factor; 0.005.
    target_update_period: train steps between target updates; 1.
    gamma: discount; 0.99.
    reward_scale_factor: reward multiplier; 1.0 (haarnoja18: 0.1).
  """
  validation.action_kind('sac_agent', action_spec, discrete=False)
  actor_fc_layers = validation.layer_sizes('sac_agent.actor_fc_layers',
                                           actor_fc_layers)
  critic_layers = validation.critic_layers(
      'sac_agent', critic_obs_fc_layers, critic_action_fc_layers,
      critic_joint_fc_layers)
  for name, value in (('actor_learning_rate', actor_learning_rate),
                      ('critic_learning_rate', critic_learning_rate),
                      ('alpha_learning_rate', alpha_learning_rate)):
    validation.learning_rate(f'sac_agent.{name}', value)
  validation.target_and_return('sac_agent', target_update_tau,
                               target_update_period, gamma,
                               reward_scale_factor)
  observation_spec = time_step_spec.observation
  actor_net = shadowed_bindings.call(
      actor_distribution_network.ActorDistributionNetwork,
      'ActorDistributionNetwork', 'sac_agent.actor_fc_layers',
      input_tensor_spec=observation_spec, output_tensor_spec=action_spec,
      fc_layer_params=actor_fc_layers,
      continuous_projection_net=(
          tanh_normal_projection_network.TanhNormalProjectionNetwork))
  critic_net = networks.critic(observation_spec, action_spec, 'sac_agent',
                               *critic_layers, glorot_uniform=True)
  agent = shadowed_bindings.call(
      tfa_sac_agent.SacAgent, 'SacAgent', 'the same parameter of sac_agent',
      time_step_spec=time_step_spec, action_spec=action_spec,
      actor_network=actor_net, critic_network=critic_net,
      actor_optimizer=networks.adam(actor_learning_rate),
      critic_optimizer=networks.adam(critic_learning_rate),
      alpha_optimizer=networks.adam(alpha_learning_rate),
      target_update_tau=target_update_tau,
      target_update_period=target_update_period,
      td_errors_loss_fn=tf.math.squared_difference,
      gamma=gamma, reward_scale_factor=reward_scale_factor,
      train_step_counter=train_step)
  agent.initialize()
  return agent
