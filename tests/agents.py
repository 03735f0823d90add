"""Small real agents for tests: SAC on Pendulum-v1 and DQN on CartPole-v1."""

import numpy as np
import tensorflow as tf
from tf_agents.agents.dqn import dqn_agent
from tf_agents.agents.sac import sac_agent
from tf_agents.agents.sac import tanh_normal_projection_network
from tf_agents.environments import suite_gym
from tf_agents.metrics import py_metric
from tf_agents.networks import actor_distribution_network
from tf_agents.networks import q_network
from tf_agents.specs import tensor_spec
from tf_agents.agents.ddpg import critic_network
from tf_agents.trajectories import time_step as ts
from tf_agents.utils import common

ENV_NAMES = {'sac': 'Pendulum-v1', 'dqn': 'CartPole-v1'}


def make_agent(kind: str, train_step: tf.Variable = None):
  """Returns (agent, train_step) for `kind` in ('sac', 'dqn'), with tiny networks."""
  env = suite_gym.load(ENV_NAMES[kind])
  observation_spec, action_spec, time_step_spec = (
      tensor_spec.from_spec(s) for s in (env.observation_spec(),
                                         env.action_spec(),
                                         env.time_step_spec()))
  env.close()
  if train_step is None:
    train_step = common.create_variable('train_step', 0, dtype=tf.int64)
  if kind == 'sac':
    actor = actor_distribution_network.ActorDistributionNetwork(
        observation_spec, action_spec, fc_layer_params=(8,),
        continuous_projection_net=(
            tanh_normal_projection_network.TanhNormalProjectionNetwork))
    critic = critic_network.CriticNetwork(
        (observation_spec, action_spec), joint_fc_layer_params=(8,))
    agent = sac_agent.SacAgent(
        time_step_spec, action_spec, actor_network=actor,
        critic_network=critic,
        actor_optimizer=tf.keras.optimizers.Adam(3e-4),
        critic_optimizer=tf.keras.optimizers.Adam(3e-4),
        alpha_optimizer=tf.keras.optimizers.Adam(3e-4),
        train_step_counter=train_step)
  elif kind == 'dqn':
    q_net = q_network.QNetwork(observation_spec, action_spec,
                               fc_layer_params=(8,))
    agent = dqn_agent.DqnAgent(
        time_step_spec, action_spec, q_network=q_net,
        optimizer=tf.keras.optimizers.Adam(1e-3),
        train_step_counter=train_step)
  else:
    raise ValueError(f'Unknown agent kind {kind!r}.')
  agent.initialize()
  return agent, train_step


def observations(agent, batch: int = 5, seed: int = 0):
  """A batch of first time steps with random observations in the spec."""
  spec = agent.time_step_spec.observation
  rng = np.random.default_rng(seed)
  low = np.maximum(spec.minimum, -2.0) if hasattr(spec, 'minimum') else -2.0
  high = np.minimum(spec.maximum, 2.0) if hasattr(spec, 'maximum') else 2.0
  obs = rng.uniform(low, high, size=(batch,) + tuple(spec.shape))
  return ts.restart(tf.constant(obs, dtype=spec.dtype), batch_size=batch)


def perturb(agent, train_step: tf.Variable, steps: int = 1, seed: int = 0):
  """Stands in for `steps` train steps: moves every variable, advances train_step."""
  rng = np.random.default_rng(seed)
  for variable in agent.policy.variables():
    if variable.dtype.is_floating:
      variable.assign_add(
          rng.normal(scale=0.1, size=variable.shape).astype(
              variable.dtype.as_numpy_dtype))
  train_step.assign_add(steps)


class ConstantMetric(py_metric.PyStepMetric):
  """A metric whose result the test sets."""

  def __init__(self, name='Constant', dtype=np.float32):
    super().__init__(name)
    self.value = dtype(0)

  def call(self, trajectory):
    del trajectory

  def reset(self):
    self.value = type(self.value)(0)

  def result(self):
    return self.value
