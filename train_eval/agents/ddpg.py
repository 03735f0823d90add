"""DDPG, as in tf_agents' `agents/ddpg/examples/v2/train_eval.py`."""

from typing import Optional, Sequence

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.ddpg import ddpg_agent as tfa_ddpg_agent

from train_eval import shadowed_bindings
from train_eval.agents import networks
from train_eval.agents import runtime
from train_eval.agents import shared_arguments
from train_eval.agents import validation


@gin.configurable(module='train_eval', denylist=runtime.RUNTIME_ARGUMENTS)
def ddpg_agent(time_step_spec, action_spec, train_step: tf.Variable,
               actor_fc_layers: Sequence[int] = (400, 300),
               critic_obs_fc_layers: Optional[Sequence[int]] = (400,),
               critic_action_fc_layers: Optional[Sequence[int]] = None,
               critic_joint_fc_layers: Sequence[int] = (300,),
               actor_learning_rate: float = 1e-4,
               critic_learning_rate: float = 1e-3,
               ou_stddev: float = 0.2,
               ou_damping: float = 0.15,
               target_update_tau: float = 0.05,
               target_update_period: int = 5,
               gamma: float = 0.995,
               reward_scale_factor: float = 1.0) -> tf_agent.TFAgent:
  """DDPG: a deterministic actor explored by Ornstein-Uhlenbeck noise, Huber TD loss.

  Networks: `ActorNetwork` and `CriticNetwork` with their defaults, the same
  layers and initializers as the example's hand-built ones. Optimizers: TF1's
  Adam, as the example. Defaults are the example's values.

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its (continuous) actions.
    train_step: the train step counter.
    actor_fc_layers: units of the actor's hidden layers; (400, 300).
    critic_obs_fc_layers: the critic's layers on the observation; (400,).
    critic_action_fc_layers: the critic's layers on the action; None.
    critic_joint_fc_layers: the critic's layers on both; (300,).
    actor_learning_rate: Adam learning rate of the actor; 1e-4.
    critic_learning_rate: Adam learning rate of the critic; 1e-3.
    ou_stddev: std of the Ornstein-Uhlenbeck exploration noise; 0.2.
    ou_damping: its damping (pull towards 0 per step); 0.15.
    target_update_tau: soft target update factor; 0.05.
    target_update_period: train steps between target updates; 5.
    gamma: discount; 0.995.
    reward_scale_factor: reward multiplier; 1.0.
  """
  arguments = shared_arguments.deterministic_actor_critic(
      'ddpg_agent', time_step_spec, action_spec, actor_fc_layers,
      critic_obs_fc_layers, critic_action_fc_layers, critic_joint_fc_layers,
      actor_learning_rate, critic_learning_rate, networks.adam_v1,
      target_update_tau, target_update_period, gamma, reward_scale_factor,
      train_step)
  validation.non_negative('ddpg_agent.ou_stddev', ou_stddev)
  validation.probability('ddpg_agent.ou_damping', ou_damping)
  agent = shadowed_bindings.call(
      tfa_ddpg_agent.DdpgAgent, 'DdpgAgent', 'the same parameter of ddpg_agent',
      ou_stddev=ou_stddev, ou_damping=ou_damping, **arguments)
  agent.initialize()
  return agent
