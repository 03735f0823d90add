"""Networks and optimizers the agent builders share, as tf_agents' examples build them."""

from typing import Optional, Sequence

import tensorflow as tf
from tf_agents.agents.ddpg import actor_network
from tf_agents.agents.ddpg import critic_network

from train_eval import shadowed_bindings


def adam(learning_rate: float) -> tf.keras.optimizers.Optimizer:
  """Keras Adam (epsilon 1e-7), as the DQN tutorial, the TD3 and SAC examples."""
  return tf.keras.optimizers.Adam(learning_rate=learning_rate)


def adam_v1(learning_rate: float) -> tf.compat.v1.train.Optimizer:
  """TF1's Adam (epsilon 1e-8), as the C51 tutorial and the DDPG example."""
  return tf.compat.v1.train.AdamOptimizer(learning_rate=learning_rate)


def critic(observation_spec, action_spec, owner: str,
           observation_fc_layers: Optional[Sequence[int]],
           action_fc_layers: Optional[Sequence[int]],
           joint_fc_layers: Sequence[int],
           glorot_uniform: bool = False):
  """Q(observation, action): tf_agents' `CriticNetwork`.

  Args:
    observation_spec, action_spec: the agent's specs.
    owner: the builder whose bindings set the layers (e.g. 'td3_agent'), for
      the message when a `CriticNetwork.*` binding would be ignored.
    observation_fc_layers: units of the layers on the observation alone; None
      for none.
    action_fc_layers: units of the layers on the action alone; None for none.
    joint_fc_layers: units of the layers on both, concatenated.
    glorot_uniform: glorot-uniform kernels everywhere (the SAC examples);
      False keeps the network's defaults (variance scaling 1/3 and a uniform
      +-0.003 last layer, as the DDPG example's own critic).
  """
  initializers = ({'kernel_initializer': 'glorot_uniform',
                   'last_kernel_initializer': 'glorot_uniform'}
                  if glorot_uniform else {})
  return shadowed_bindings.call(
      critic_network.CriticNetwork, 'CriticNetwork',
      f'the layer parameters of {owner}',
      input_tensor_spec=(observation_spec, action_spec),
      observation_fc_layer_params=observation_fc_layers,
      action_fc_layer_params=action_fc_layers,
      joint_fc_layer_params=joint_fc_layers, **initializers)


def deterministic_actor(observation_spec, action_spec, owner: str,
                        fc_layers: Sequence[int]):
  """A tanh actor scaled to the action bounds: tf_agents' DDPG `ActorNetwork`.

  Its defaults (variance scaling 1/3, a uniform +-0.003 last layer) are the
  DDPG example's hand-built actor's.
  """
  return shadowed_bindings.call(
      actor_network.ActorNetwork, 'ActorNetwork', f'{owner}.actor_fc_layers',
      input_tensor_spec=observation_spec, output_tensor_spec=action_spec,
      fc_layer_params=fc_layers)
