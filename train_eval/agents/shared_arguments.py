"""The arguments two agent families share, checked once and passed as keyword arguments.

Value-based agents (`dqn_agent`, `c51_agent`) share exploration, the n-step
target and target-network updates; actor-critic agents with a deterministic
actor (`td3_agent`, `ddpg_agent`) share their networks, optimizers and
target updates. Each function validates its values (one-line errors naming
`owner.parameter`) and returns the tf_agents keyword arguments.
"""

from typing import Any, Callable, Dict, Optional, Sequence

import tensorflow as tf
from tf_agents.utils import common

from train_eval.agents import networks
from train_eval.agents import validation


def target_and_return(owner: str, target_update_tau: float,
                      target_update_period: int, gamma: float,
                      reward_scale_factor: float, train_step: tf.Variable,
                      td_errors_loss_fn: Callable[..., tf.Tensor]
                      ) -> Dict[str, Any]:
  """Target updates, discount, reward scale, TD loss and the step counter."""
  validation.target_and_return(owner, target_update_tau, target_update_period,
                               gamma, reward_scale_factor)
  return dict(target_update_tau=target_update_tau,
              target_update_period=target_update_period,
              td_errors_loss_fn=td_errors_loss_fn, gamma=gamma,
              reward_scale_factor=reward_scale_factor,
              train_step_counter=train_step)


def value_based(owner: str, epsilon_greedy: float, n_step_update: int,
                target_update_tau: float, target_update_period: int,
                gamma: float, reward_scale_factor: float,
                train_step: tf.Variable) -> Dict[str, Any]:
  """DqnAgent's and CategoricalDqnAgent's shared arguments (squared TD loss)."""
  validation.probability(f'{owner}.epsilon_greedy', epsilon_greedy)
  validation.n_step_update(f'{owner}.n_step_update', n_step_update)
  return dict(epsilon_greedy=epsilon_greedy, n_step_update=n_step_update,
              **target_and_return(owner, target_update_tau,
                                  target_update_period, gamma,
                                  reward_scale_factor, train_step,
                                  common.element_wise_squared_loss))


def deterministic_actor_critic(
    owner: str, time_step_spec, action_spec,
    actor_fc_layers: Sequence[int],
    critic_obs_fc_layers: Optional[Sequence[int]],
    critic_action_fc_layers: Optional[Sequence[int]],
    critic_joint_fc_layers: Sequence[int],
    actor_learning_rate: float, critic_learning_rate: float,
    optimizer: Callable[[float], Any], target_update_tau: float,
    target_update_period: int, gamma: float, reward_scale_factor: float,
    train_step: tf.Variable) -> Dict[str, Any]:
  """Td3Agent's and DdpgAgent's shared arguments (Huber TD loss).

  Args:
    owner: the gin name of the builder, e.g. 'td3_agent'.
    optimizer: `networks.adam` (Keras) or `networks.adam_v1` (TF1), called
      with each learning rate.
    (the others: as the builders document them)
  """
  validation.action_kind(owner, action_spec, discrete=False)
  actor_fc_layers = validation.layer_sizes(f'{owner}.actor_fc_layers',
                                           actor_fc_layers)
  critic_layers = validation.critic_layers(
      owner, critic_obs_fc_layers, critic_action_fc_layers,
      critic_joint_fc_layers)
  validation.learning_rate(f'{owner}.actor_learning_rate',
                           actor_learning_rate)
  validation.learning_rate(f'{owner}.critic_learning_rate',
                           critic_learning_rate)
  observation_spec = time_step_spec.observation
  return dict(
      time_step_spec=time_step_spec, action_spec=action_spec,
      actor_network=networks.deterministic_actor(
          observation_spec, action_spec, owner, actor_fc_layers),
      critic_network=networks.critic(
          observation_spec, action_spec, owner, *critic_layers),
      actor_optimizer=optimizer(actor_learning_rate),
      critic_optimizer=optimizer(critic_learning_rate),
      **target_and_return(owner, target_update_tau, target_update_period,
                          gamma, reward_scale_factor, train_step,
                          common.element_wise_huber_loss))
