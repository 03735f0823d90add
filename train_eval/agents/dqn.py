"""DQN and double DQN, as in tf_agents' DQN tutorial and `examples/dqn`."""

from typing import Sequence

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.dqn import dqn_agent as tfa_dqn_agent
from tf_agents.networks import q_network

from train_eval import shadowed_bindings
from train_eval.agents import networks
from train_eval.agents import runtime
from train_eval.agents import shared_arguments
from train_eval.agents import validation


@gin.configurable(module='train_eval', denylist=runtime.RUNTIME_ARGUMENTS)
def dqn_agent(time_step_spec, action_spec, train_step: tf.Variable,
              fc_layers: Sequence[int] = (100, 50),
              learning_rate: float = 1e-3,
              epsilon_greedy: float = 0.1,
              n_step_update: int = 1,
              target_update_tau: float = 1.0,
              target_update_period: int = 1,
              gamma: float = 1.0,
              reward_scale_factor: float = 1.0,
              double_dqn: bool = False) -> tf_agent.TFAgent:
  """DQN (or double DQN): a `QNetwork`, Adam and a squared TD loss.

  `QNetwork`'s layers are the tutorial's hand-built ones: variance-scaling
  (2.0, fan_in, truncated normal) kernels, a last layer uniform in
  +-0.03 with bias -0.2. Defaults are the DQN tutorial's (`DqnAgent`'s own
  where the tutorial keeps them).

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its (discrete) actions.
    train_step: the train step counter.
    fc_layers: units of the Q network's hidden layers; default (100, 50).
    learning_rate: Adam learning rate; 1e-3.
    epsilon_greedy: exploration probability of the collect policy; 0.1.
    n_step_update: steps of the n-step TD target; 1. Replay items hold
      n_step_update + 1 steps.
    target_update_tau: target network update factor (1.0 copies); 1.0.
    target_update_period: train steps between target network updates; 1.
    gamma: discount; 1.0 (`DqnAgent`'s default, which the tutorial keeps).
    reward_scale_factor: reward multiplier; 1.0.
    double_dqn: `DdqnAgent` (van Hasselt et al. 2015: the online network
      picks the next action, the target network values it); False.
  """
  validation.action_kind('dqn_agent', action_spec, discrete=True)
  fc_layers = validation.layer_sizes('dqn_agent.fc_layers', fc_layers)
  validation.learning_rate('dqn_agent.learning_rate', learning_rate)
  arguments = shared_arguments.value_based(
      'dqn_agent', epsilon_greedy, n_step_update, target_update_tau,
      target_update_period, gamma, reward_scale_factor, train_step)
  validation.boolean('dqn_agent.double_dqn', double_dqn)
  q_net = shadowed_bindings.call(
      q_network.QNetwork, 'QNetwork', 'dqn_agent.fc_layers',
      input_tensor_spec=time_step_spec.observation,
      action_spec=action_spec, fc_layer_params=fc_layers)
  agent_class, name = ((tfa_dqn_agent.DdqnAgent, 'DdqnAgent') if double_dqn
                       else (tfa_dqn_agent.DqnAgent, 'DqnAgent'))
  agent = shadowed_bindings.call(
      agent_class, name, 'the same parameter of dqn_agent',
      time_step_spec=time_step_spec, action_spec=action_spec, q_network=q_net,
      optimizer=networks.adam(learning_rate), **arguments)
  agent.initialize()
  return agent

