"""REINFORCE, as in tf_agents' tutorial "REINFORCE agent" (6_reinforce_tutorial)."""

from typing import Optional, Sequence

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.reinforce import reinforce_agent as tfa_reinforce_agent
from tf_agents.networks import actor_distribution_network
from tf_agents.networks import value_network

from train_eval import shadowed_bindings
from train_eval.agents import networks
from train_eval.agents import runtime
from train_eval.agents import validation


@gin.configurable(module='train_eval', denylist=runtime.RUNTIME_ARGUMENTS)
def reinforce_agent(time_step_spec, action_spec, train_step: tf.Variable,
                    actor_fc_layers: Sequence[int] = (100,),
                    value_fc_layers: Optional[Sequence[int]] = None,
                    learning_rate: float = 1e-3,
                    gamma: float = 1.0,
                    normalize_returns: bool = True,
                    value_estimation_loss_coef: float = 0.2,
                    entropy_regularization: float = 0.0) -> tf_agent.TFAgent:
  """REINFORCE: an `ActorDistributionNetwork`, Adam, whole-episode returns.

  Trains on the whole episodes of one iteration (on-policy: see
  `train_eval.collect_episodes_per_iteration`). Defaults are the tutorial's
  (`ReinforceAgent`'s own where the tutorial keeps them).

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its actions (discrete or continuous).
    train_step: the train step counter.
    actor_fc_layers: units of the actor's hidden layers; default (100,).
    value_fc_layers: units of a value network's hidden layers, used as a
      baseline (the advantage is return - value); None (default) for no
      baseline, as the tutorial.
    learning_rate: Adam learning rate; 1e-3.
    gamma: discount; 1.0.
    normalize_returns: normalise the returns of each batch; True.
    value_estimation_loss_coef: weight of the baseline's loss; 0.2. Used only
      with value_fc_layers.
    entropy_regularization: weight of the entropy bonus; 0.0 (none).
  """
  actor_fc_layers = validation.layer_sizes('reinforce_agent.actor_fc_layers',
                                           actor_fc_layers)
  value_fc_layers = validation.optional_layer_sizes(
      'reinforce_agent.value_fc_layers', value_fc_layers)
  validation.learning_rate('reinforce_agent.learning_rate', learning_rate)
  validation.discount('reinforce_agent.gamma', gamma)
  validation.boolean('reinforce_agent.normalize_returns', normalize_returns)
  validation.non_negative('reinforce_agent.value_estimation_loss_coef',
                          value_estimation_loss_coef)
  validation.non_negative('reinforce_agent.entropy_regularization',
                          entropy_regularization)
  observation_spec = time_step_spec.observation
  actor_net = shadowed_bindings.call(
      actor_distribution_network.ActorDistributionNetwork,
      'ActorDistributionNetwork', 'reinforce_agent.actor_fc_layers',
      input_tensor_spec=observation_spec, output_tensor_spec=action_spec,
      fc_layer_params=actor_fc_layers)
  value_net = None
  if value_fc_layers:
    value_net = shadowed_bindings.call(
        value_network.ValueNetwork, 'ValueNetwork',
        'reinforce_agent.value_fc_layers',
        input_tensor_spec=observation_spec, fc_layer_params=value_fc_layers)
  agent = shadowed_bindings.call(
      tfa_reinforce_agent.ReinforceAgent, 'ReinforceAgent',
      'the same parameter of reinforce_agent',
      time_step_spec=time_step_spec, action_spec=action_spec,
      actor_network=actor_net, value_network=value_net,
      value_estimation_loss_coef=value_estimation_loss_coef,
      optimizer=networks.adam(learning_rate), gamma=gamma,
      normalize_returns=normalize_returns,
      entropy_regularization=entropy_regularization or None,
      train_step_counter=train_step)
  agent.initialize()
  return agent
