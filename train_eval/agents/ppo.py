"""PPO with a clipped objective, as tf_agents' `examples/ppo/schulman17`."""

from typing import Optional, Sequence

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.ppo import ppo_actor_network
from tf_agents.agents.ppo import ppo_clip_agent
from tf_agents.networks import value_network

from train_eval import shadowed_bindings
from train_eval.agents import runtime
from train_eval.agents import validation

ADAM_EPSILON = 1e-5  # schulman17's.


@gin.configurable(module='train_eval', denylist=runtime.RUNTIME_ARGUMENTS)
def ppo_agent(time_step_spec, action_spec, train_step: tf.Variable,
              actor_fc_layers: Sequence[int] = (64, 64),
              value_fc_layers: Sequence[int] = (64, 64),
              learning_rate: float = 3e-4,
              num_epochs: int = 10,
              importance_ratio_clipping: float = 0.2,
              lambda_value: float = 0.95,
              discount_factor: float = 0.99,
              entropy_regularization: float = 0.0,
              value_pred_loss_coef: float = 0.5,
              gradient_clipping: Optional[float] = 0.5,
              normalize_observations: bool = True,
              normalize_rewards: bool = True) -> tf_agent.TFAgent:
  """`PPOClipAgent` with schulman17's networks, GAE and normalisation.

  Actor: `PPOActorNetwork`'s sequential network (a normal distribution with a
  state-independent scale); value: a `ValueNetwork` with orthogonal kernels;
  TF1 Adam with epsilon 1e-5. Observations and rewards are normalised by the
  agent's running statistics, updated in each train call. Each train call
  runs `num_epochs` passes over the whole iteration's batch, and its train
  step counter counts them: one iteration is `num_epochs` train steps
  (schulman17 splits each epoch into minibatches of 64 with its `PPOLearner`
  and decays the learning rate linearly: neither is done here).
  Defaults are schulman17's.

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its (continuous) actions.
    train_step: the train step counter.
    actor_fc_layers: units of the actor's hidden layers; default (64, 64).
    value_fc_layers: units of the value network's hidden layers; (64, 64).
    learning_rate: Adam learning rate; 3e-4.
    num_epochs: passes over each iteration's batch per train step; 10.
    importance_ratio_clipping: epsilon of the clipped objective; 0.2.
    lambda_value: lambda of GAE and the TD(lambda) return; 0.95.
    discount_factor: discount; 0.99.
    entropy_regularization: weight of the entropy bonus; 0.0.
    value_pred_loss_coef: weight of the value loss; 0.5.
    gradient_clipping: global norm gradients are clipped to; 0.5; None for
      none.
    normalize_observations: normalise observations by running statistics;
      True.
    normalize_rewards: normalise rewards by running statistics; True.
  """
  validation.action_kind('ppo_agent', action_spec, discrete=False)
  actor_fc_layers = validation.layer_sizes('ppo_agent.actor_fc_layers',
                                           actor_fc_layers)
  value_fc_layers = validation.layer_sizes('ppo_agent.value_fc_layers',
                                           value_fc_layers)
  validation.learning_rate('ppo_agent.learning_rate', learning_rate)
  validation.integer_at_least('ppo_agent.num_epochs', num_epochs, 1,
                              'passes over each batch')
  validation.probability('ppo_agent.importance_ratio_clipping',
                         importance_ratio_clipping)
  validation.probability('ppo_agent.lambda_value', lambda_value)
  validation.discount('ppo_agent.discount_factor', discount_factor)
  validation.non_negative('ppo_agent.entropy_regularization',
                          entropy_regularization)
  validation.non_negative('ppo_agent.value_pred_loss_coef',
                          value_pred_loss_coef)
  if gradient_clipping is not None:
    validation.positive('ppo_agent.gradient_clipping', gradient_clipping)
  validation.boolean('ppo_agent.normalize_observations',
                     normalize_observations)
  validation.boolean('ppo_agent.normalize_rewards', normalize_rewards)
  actor_net = ppo_actor_network.PPOActorNetwork().create_sequential_actor_net(
      actor_fc_layers, action_spec)
  value_net = shadowed_bindings.call(
      value_network.ValueNetwork, 'ValueNetwork', 'ppo_agent.value_fc_layers',
      input_tensor_spec=time_step_spec.observation,
      fc_layer_params=value_fc_layers,
      kernel_initializer=tf.keras.initializers.Orthogonal())
  agent = shadowed_bindings.call(
      ppo_clip_agent.PPOClipAgent, 'PPOClipAgent',
      'the same parameter of ppo_agent',
      time_step_spec=time_step_spec, action_spec=action_spec,
      optimizer=tf.compat.v1.train.AdamOptimizer(learning_rate=learning_rate,
                                                 epsilon=ADAM_EPSILON),
      actor_net=actor_net, value_net=value_net,
      importance_ratio_clipping=importance_ratio_clipping,
      lambda_value=lambda_value, discount_factor=discount_factor,
      entropy_regularization=entropy_regularization,
      value_pred_loss_coef=value_pred_loss_coef, num_epochs=num_epochs,
      use_gae=True, use_td_lambda_return=True,
      gradient_clipping=gradient_clipping,
      normalize_observations=normalize_observations,
      normalize_rewards=normalize_rewards,
      train_step_counter=train_step)
  agent.initialize()
  return agent
