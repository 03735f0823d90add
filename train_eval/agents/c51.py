"""C51 (`CategoricalDqnAgent`), as in tf_agents' tutorial "DQN C51/Rainbow"."""

from typing import Sequence

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.categorical_dqn import categorical_dqn_agent
from tf_agents.networks import categorical_q_network

from train_eval import shadowed_bindings
from train_eval.agents import networks
from train_eval.agents import runtime
from train_eval.agents import shared_arguments
from train_eval.agents import validation


@gin.configurable(module='train_eval', denylist=runtime.RUNTIME_ARGUMENTS)
def c51_agent(time_step_spec, action_spec, train_step: tf.Variable,
              fc_layers: Sequence[int] = (100,),
              num_atoms: int = 51,
              min_q_value: float = -20.0,
              max_q_value: float = 20.0,
              learning_rate: float = 1e-3,
              epsilon_greedy: float = 0.1,
              n_step_update: int = 2,
              target_update_tau: float = 1.0,
              target_update_period: int = 1,
              gamma: float = 0.99,
              reward_scale_factor: float = 1.0) -> tf_agent.TFAgent:
  """C51: a `CategoricalQNetwork` over `num_atoms` returns in [min_q_value, max_q_value].

  Optimizer: TF1's Adam, as the tutorial. Defaults are the tutorial's values
  (`CategoricalDqnAgent`'s own where the tutorial keeps them).

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its (discrete) actions.
    train_step: the train step counter.
    fc_layers: units of the network's hidden layers; default (100,).
    num_atoms: atoms of the return distribution's support; 51, at least 2.
    min_q_value: the support's lowest return; -20.
    max_q_value: the support's highest return; 20, above min_q_value.
    learning_rate: Adam learning rate; 1e-3.
    epsilon_greedy: exploration probability of the collect policy; 0.1.
    n_step_update: steps of the n-step target; 2. Replay items hold
      n_step_update + 1 steps.
    target_update_tau: target network update factor (1.0 copies); 1.0.
    target_update_period: train steps between target network updates; 1.
    gamma: discount; 0.99.
    reward_scale_factor: reward multiplier; 1.0.
  """
  validation.action_kind('c51_agent', action_spec, discrete=True)
  fc_layers = validation.layer_sizes('c51_agent.fc_layers', fc_layers)
  validation.integer_at_least('c51_agent.num_atoms', num_atoms, 2,
                              'atoms of the support')
  min_q_value, max_q_value = validation.q_value_range(
      'c51_agent', min_q_value, max_q_value)
  validation.learning_rate('c51_agent.learning_rate', learning_rate)
  arguments = shared_arguments.value_based(
      'c51_agent', epsilon_greedy, n_step_update, target_update_tau,
      target_update_period, gamma, reward_scale_factor, train_step)
  q_net = shadowed_bindings.call(
      categorical_q_network.CategoricalQNetwork, 'CategoricalQNetwork',
      'c51_agent.fc_layers or c51_agent.num_atoms',
      input_tensor_spec=time_step_spec.observation, action_spec=action_spec,
      num_atoms=num_atoms, fc_layer_params=fc_layers)
  agent = shadowed_bindings.call(
      categorical_dqn_agent.CategoricalDqnAgent, 'CategoricalDqnAgent',
      'the same parameter of c51_agent',
      time_step_spec=time_step_spec, action_spec=action_spec,
      categorical_q_network=q_net, optimizer=networks.adam_v1(learning_rate),
      min_q_value=min_q_value, max_q_value=max_q_value, **arguments)
  agent.initialize()
  return agent
