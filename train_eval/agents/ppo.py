"""PPO with a clipped objective, as tf_agents' `examples/ppo/schulman17`."""

from typing import Optional, Sequence

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.ppo import ppo_actor_network
from tf_agents.agents.ppo import ppo_clip_agent
from tf_agents.networks import value_network

from train_eval import gin_config
from train_eval import on_policy_minibatches
from train_eval import shadowed_bindings
from train_eval.agents import runtime
from train_eval.agents import validation

ADAM_EPSILON = 1e-5  # schulman17's.


def linear_decay(learning_rate: float, train_step: tf.Variable,
                 num_iterations: int):
  """learning_rate * (1 - train_step / num_iterations), at least 0: a callable
  read at every gradient step, from the train step (so a resumed run goes on
  where it stopped)."""
  def decayed():
    done = tf.cast(train_step, tf.float32) / float(num_iterations)
    return learning_rate * tf.maximum(0.0, 1.0 - done)
  return decayed


def num_iterations() -> int:
  """The bound `train_eval.num_iterations`, or the Experiment's default."""
  from train_eval import experiment  # pylint: disable=g-import-not-at-top
  return gin_config.bound_value('train_eval.num_iterations',
                                experiment.Experiment.num_iterations)


@gin.configurable(module='train_eval', denylist=runtime.RUNTIME_ARGUMENTS)
def ppo_agent(time_step_spec, action_spec, train_step: tf.Variable,
              actor_fc_layers: Sequence[int] = (64, 64),
              value_fc_layers: Sequence[int] = (64, 64),
              learning_rate: float = 3e-4,
              num_epochs: int = 10,
              minibatch_size: int = 64,
              learning_rate_decay: bool = True,
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
  TF1 Adam with epsilon 1e-5. As schulman17 with tf_agents' `PPOLearner`,
  each iteration's batch is trained on in `num_epochs` passes of shuffled
  minibatches of `minibatch_size` steps, and one agent train call is one
  minibatch: the train step counts minibatches, num_epochs *
  (collect_steps_per_iteration // minibatch_size) per iteration (320 with
  2048, 10 and 64), and a run stops at the end of the iteration that reaches
  `train_eval.num_iterations`. The observation and reward normalisers are
  updated once per iteration with the whole batch (see
  `on_policy_minibatches`).
  Defaults are schulman17's.

  Args:
    time_step_spec: tensor spec of the environment's time steps.
    action_spec: tensor spec of its (continuous) actions.
    train_step: the train step counter.
    actor_fc_layers: units of the actor's hidden layers; default (64, 64).
    value_fc_layers: units of the value network's hidden layers; (64, 64).
    learning_rate: Adam learning rate (the initial one with
      learning_rate_decay); 3e-4.
    num_epochs: passes over each iteration's batch; 10.
    minibatch_size: environment steps per minibatch (per train step); 64.
    learning_rate_decay: decay the learning rate linearly from
      learning_rate to 0 at train step `train_eval.num_iterations`, by the
      train step (schulman17 decays it by iteration); True. False keeps it
      constant.
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
  validation.integer_at_least('ppo_agent.minibatch_size', minibatch_size, 1,
                              'environment steps per train step')
  validation.boolean('ppo_agent.learning_rate_decay', learning_rate_decay)
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
      optimizer=tf.compat.v1.train.AdamOptimizer(
          learning_rate=(linear_decay(learning_rate, train_step,
                                      num_iterations())
                         if learning_rate_decay else learning_rate),
          epsilon=ADAM_EPSILON),
      actor_net=actor_net, value_net=value_net,
      importance_ratio_clipping=importance_ratio_clipping,
      lambda_value=lambda_value, discount_factor=discount_factor,
      entropy_regularization=entropy_regularization,
      value_pred_loss_coef=value_pred_loss_coef, num_epochs=1,
      use_gae=True, use_td_lambda_return=True,
      compute_value_and_advantage_in_train=False,
      update_normalizers_in_train=False,
      gradient_clipping=gradient_clipping,
      normalize_observations=normalize_observations,
      normalize_rewards=normalize_rewards,
      train_step_counter=train_step)
  agent.initialize()
  agent.minibatching = on_policy_minibatches.Minibatching(num_epochs,
                                                          minibatch_size)
  return agent
