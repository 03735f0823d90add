r"""The tutorial loop as tf_agents writes it, with tf_agents' own triggers.

"SAC minitaur with the Actor-Learner API" (and the structure of
tf_agents/examples/sac/haarnoja18/sac_train_eval.py): MinitaurBulletEnv-v0,
SAC with (256, 256) actor and critic joint layers, Reverb uniform table
(capacity 10000, sequence length 2, batches of 256, prefetch 50),
`tf_agents.train.triggers.PolicySavedModelTrigger` (interval 5000, env_step
metadata) and `StepPerSecondLogTrigger` (interval 1000), then

    for _ in range(num_iterations):
      collect_actor.run()                      # 1 environment step
      loss_info = agent_learner.run(iterations=1)

It logs `step = N: loss = L` every `log_interval` steps through absl, as our
`train_eval` logs its progress lines, so both are timed by the same parser.
The default distribution strategy is used (ours uses it too; the tutorial's
`use_gpu=True` picks MirroredStrategy, which on a CPU-only machine only adds
overhead to one side).

  python -m benchmarks.tf_agents_loop --root_dir=/tmp/x --num_iterations=1000 \
      --initial_collect_steps=500 --log_interval=100 [--eval_interval=0]
"""

import os

from absl import app
from absl import flags
from absl import logging

_ROOT_DIR = flags.DEFINE_string('root_dir', None, 'Output directory.')
_NUM_ITERATIONS = flags.DEFINE_integer('num_iterations', 1000, 'Train steps.')
_INITIAL_COLLECT = flags.DEFINE_integer('initial_collect_steps', 10000,
                                        'Random-policy steps before training.')
_LOG_INTERVAL = flags.DEFINE_integer('log_interval', 5000,
                                     'Train steps between progress lines.')
_EVAL_INTERVAL = flags.DEFINE_integer('eval_interval', 0,
                                      'Train steps between evaluations.')

ENV_NAME = 'MinitaurBulletEnv-v0'


def build(root_dir, initial_collect_steps, eval_interval=0,
          policy_save_interval=5000, replay_capacity=10000, batch_size=256):
  """Everything the tutorial builds before its loop; returns a `loop(num_iterations, log_interval)`."""
  import reverb  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.agents.ddpg import critic_network  # pylint: disable=g-import-not-at-top
  from tf_agents.agents.sac import sac_agent  # pylint: disable=g-import-not-at-top
  from tf_agents.agents.sac import tanh_normal_projection_network  # pylint: disable=g-import-not-at-top
  from tf_agents.environments import suite_pybullet  # pylint: disable=g-import-not-at-top
  from tf_agents.metrics import py_metrics  # pylint: disable=g-import-not-at-top
  from tf_agents.networks import actor_distribution_network  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import greedy_policy  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import random_py_policy  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import reverb_replay_buffer  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import reverb_utils  # pylint: disable=g-import-not-at-top
  from tf_agents.train import actor  # pylint: disable=g-import-not-at-top
  from tf_agents.train import learner  # pylint: disable=g-import-not-at-top
  from tf_agents.train import triggers  # pylint: disable=g-import-not-at-top
  from tf_agents.train.utils import spec_utils  # pylint: disable=g-import-not-at-top
  from tf_agents.train.utils import train_utils  # pylint: disable=g-import-not-at-top

  collect_env = suite_pybullet.load(ENV_NAME)
  eval_env = suite_pybullet.load(ENV_NAME)
  observation_spec, action_spec, time_step_spec = (
      spec_utils.get_tensor_specs(collect_env))

  critic_net = critic_network.CriticNetwork(
      (observation_spec, action_spec),
      observation_fc_layer_params=None,
      action_fc_layer_params=None,
      joint_fc_layer_params=(256, 256),
      kernel_initializer='glorot_uniform',
      last_kernel_initializer='glorot_uniform')
  actor_net = actor_distribution_network.ActorDistributionNetwork(
      observation_spec, action_spec, fc_layer_params=(256, 256),
      continuous_projection_net=(
          tanh_normal_projection_network.TanhNormalProjectionNetwork))
  train_step = train_utils.create_train_step()
  tf_agent = sac_agent.SacAgent(
      time_step_spec, action_spec,
      actor_network=actor_net, critic_network=critic_net,
      actor_optimizer=tf.keras.optimizers.Adam(learning_rate=3e-4),
      critic_optimizer=tf.keras.optimizers.Adam(learning_rate=3e-4),
      alpha_optimizer=tf.keras.optimizers.Adam(learning_rate=3e-4),
      target_update_tau=0.005, target_update_period=1,
      td_errors_loss_fn=tf.math.squared_difference,
      gamma=0.99, reward_scale_factor=1.0,
      train_step_counter=train_step)
  tf_agent.initialize()

  table_name = 'uniform_table'
  table = reverb.Table(
      table_name, max_size=replay_capacity,
      sampler=reverb.selectors.Uniform(), remover=reverb.selectors.Fifo(),
      rate_limiter=reverb.rate_limiters.MinSize(1))
  reverb_server = reverb.Server([table])
  reverb_replay = reverb_replay_buffer.ReverbReplayBuffer(
      tf_agent.collect_data_spec, sequence_length=2, table_name=table_name,
      local_server=reverb_server)
  dataset = reverb_replay.as_dataset(
      sample_batch_size=batch_size, num_steps=2).prefetch(50)
  experience_dataset_fn = lambda: dataset
  rb_observer = reverb_utils.ReverbAddTrajectoryObserver(
      reverb_replay.py_client, table_name, sequence_length=2,
      stride_length=1)

  saved_model_dir = os.path.join(root_dir, learner.POLICY_SAVED_MODEL_DIR)
  env_step_metric = py_metrics.EnvironmentSteps()
  learning_triggers = [
      triggers.PolicySavedModelTrigger(
          saved_model_dir, tf_agent, train_step,
          interval=policy_save_interval,
          metadata_metrics={triggers.ENV_STEP_METADATA_KEY: env_step_metric}),
      triggers.StepPerSecondLogTrigger(train_step, interval=1000),
  ]
  agent_learner = learner.Learner(
      root_dir, train_step, tf_agent, experience_dataset_fn,
      triggers=learning_triggers)

  random_policy = random_py_policy.RandomPyPolicy(
      collect_env.time_step_spec(), collect_env.action_spec())
  initial_collect_actor = actor.Actor(
      collect_env, random_policy, train_step,
      steps_per_run=initial_collect_steps, observers=[rb_observer])
  initial_collect_actor.run()

  collect_policy = py_tf_eager_policy.PyTFEagerPolicy(
      tf_agent.collect_policy, use_tf_function=True)
  collect_actor = actor.Actor(
      collect_env, collect_policy, train_step, steps_per_run=1,
      metrics=actor.collect_metrics(10),
      summary_dir=os.path.join(root_dir, learner.TRAIN_DIR),
      observers=[rb_observer, env_step_metric])
  eval_policy = py_tf_eager_policy.PyTFEagerPolicy(
      greedy_policy.GreedyPolicy(tf_agent.policy), use_tf_function=True)
  eval_actor = actor.Actor(
      eval_env, eval_policy, train_step, episodes_per_run=20,
      metrics=actor.eval_metrics(20),
      summary_dir=os.path.join(root_dir, 'eval'))

  def loop(num_iterations, log_interval):
    logging.info('Training from step %d to %d.',
                 agent_learner.train_step_numpy, num_iterations)
    for _ in range(num_iterations):
      collect_actor.run()
      loss_info = agent_learner.run(iterations=1)
      step = agent_learner.train_step_numpy
      if eval_interval and step % eval_interval == 0:
        eval_actor.run_and_log()
      if log_interval and step % log_interval == 0:
        logging.info('step = %d: loss = %.4f', step, loss_info.loss.numpy())

  def close():
    rb_observer.close()
    reverb_server.stop()
    collect_env.close()
    eval_env.close()

  return loop, close


def main(argv):
  del argv
  logging.set_verbosity(logging.INFO)
  loop, close = build(_ROOT_DIR.value, _INITIAL_COLLECT.value,
                      eval_interval=_EVAL_INTERVAL.value)
  try:
    loop(_NUM_ITERATIONS.value, _LOG_INTERVAL.value)
  finally:
    close()


if __name__ == '__main__':
  flags.mark_flag_as_required('root_dir')
  app.run(main)
