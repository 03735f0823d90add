r"""tf_agents' tutorial "SAC minitaur with the Actor-Learner API", as it is written.

The tutorial's code and hyperparameters (docs/tutorials/7_SAC_minitaur_tutorial
in tensorflow/agents), cell by cell, with four additions for measuring:
`--seed` seeds it the way `train_eval.seed` seeds ours (Python, NumPy and
TensorFlow through `tf.keras.utils.set_random_seed`, the collect environment
with `seed` and the eval environment with `seed + 1`); `--num_iterations`,
`--initial_collect_steps` and `--eval_interval` shorten it; `--eval_interval=0`
turns evaluation off; each printed line carries the seconds since start.

What the tutorial does that matters for comparing with ours:
- it evaluates `tf_agent.policy`, which for SAC is the stochastic actor policy
  (the same object as `collect_policy`), not a greedy one;
- it evaluates at step 0 twice (the "Metrics and Evaluation" cell, then the
  training cell), and prints the second;
- `use_gpu = True` gives `tf.distribute.MirroredStrategy()`, which on a machine
  without a GPU mirrors over the one CPU device (`--use_gpu=false` for the
  default strategy, `--notutorial_use_gpu` here).

It prints, like the tutorial,
  step = 10000: AverageReturn = ..., AverageEpisodeLength = ...
  step = 5000: loss = ...
each prefixed by `[12.3s]`.

  python -m benchmarks.tf_agents_loop --root_dir=/tmp/x --seed=0
  python -m benchmarks.tf_agents_loop --root_dir=/tmp/x --num_iterations=1000 \
      --initial_collect_steps=500 --log_interval=100 --eval_interval=0
"""

import os
import sys
import time

from absl import app
from absl import flags

_ROOT_DIR = flags.DEFINE_string('root_dir', None, "The tutorial's tempdir.")
_SEED = flags.DEFINE_integer('seed', None, 'Seed; None leaves it unseeded, '
                             'as the tutorial does.')
_NUM_ITERATIONS = flags.DEFINE_integer('num_iterations', 100000, 'Train steps.')
_INITIAL_COLLECT = flags.DEFINE_integer('initial_collect_steps', 10000,
                                        'Random-policy steps before training.')
_LOG_INTERVAL = flags.DEFINE_integer('log_interval', 5000,
                                     'Train steps between loss lines.')
_EVAL_INTERVAL = flags.DEFINE_integer('eval_interval', 10000,
                                      'Train steps between evaluations; 0: none.')
_EVAL_EPISODES = flags.DEFINE_integer('num_eval_episodes', 20,
                                      'Episodes per evaluation.')
# tf_agents' strategy_utils defines --use_gpu (default False) when imported.
_USE_GPU = flags.DEFINE_boolean(
    'tutorial_use_gpu', True, "The tutorial's use_gpu (True): "
    'MirroredStrategy; False: the default strategy.')

ENV_NAME = 'MinitaurBulletEnv-v0'


class Tutorial:
  """The tutorial's objects, built as its cells build them."""

  def __init__(self, root_dir, initial_collect_steps=10000, seed=None,
               use_gpu=True, num_eval_episodes=20, policy_save_interval=5000,
               replay_buffer_capacity=10000, batch_size=256):
    import reverb  # pylint: disable=g-import-not-at-top
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from tf_agents.agents.ddpg import critic_network  # pylint: disable=g-import-not-at-top
    from tf_agents.agents.sac import sac_agent  # pylint: disable=g-import-not-at-top
    from tf_agents.agents.sac import tanh_normal_projection_network  # pylint: disable=g-import-not-at-top
    from tf_agents.environments import suite_pybullet  # pylint: disable=g-import-not-at-top
    from tf_agents.metrics import py_metrics  # pylint: disable=g-import-not-at-top
    from tf_agents.networks import actor_distribution_network  # pylint: disable=g-import-not-at-top
    from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
    from tf_agents.policies import random_py_policy  # pylint: disable=g-import-not-at-top
    from tf_agents.replay_buffers import reverb_replay_buffer  # pylint: disable=g-import-not-at-top
    from tf_agents.replay_buffers import reverb_utils  # pylint: disable=g-import-not-at-top
    from tf_agents.train import actor  # pylint: disable=g-import-not-at-top
    from tf_agents.train import learner  # pylint: disable=g-import-not-at-top
    from tf_agents.train import triggers  # pylint: disable=g-import-not-at-top
    from tf_agents.train.utils import spec_utils  # pylint: disable=g-import-not-at-top
    from tf_agents.train.utils import strategy_utils  # pylint: disable=g-import-not-at-top
    from tf_agents.train.utils import train_utils  # pylint: disable=g-import-not-at-top

    tempdir = root_dir
    if seed is not None:  # Addition: seeded as train_eval.seed seeds ours.
      tf.keras.utils.set_random_seed(seed)

    # Environment.
    collect_env = suite_pybullet.load(ENV_NAME)
    eval_env = suite_pybullet.load(ENV_NAME)
    if seed is not None:
      collect_env.seed(seed)
      eval_env.seed(seed + 1)

    # Distribution strategy.
    strategy = strategy_utils.get_strategy(tpu=False, use_gpu=use_gpu)

    # Agent.
    observation_spec, action_spec, time_step_spec = (
        spec_utils.get_tensor_specs(collect_env))
    with strategy.scope():
      critic_net = critic_network.CriticNetwork(
          (observation_spec, action_spec),
          observation_fc_layer_params=None,
          action_fc_layer_params=None,
          joint_fc_layer_params=(256, 256),
          kernel_initializer='glorot_uniform',
          last_kernel_initializer='glorot_uniform')
    with strategy.scope():
      actor_net = actor_distribution_network.ActorDistributionNetwork(
          observation_spec, action_spec, fc_layer_params=(256, 256),
          continuous_projection_net=(
              tanh_normal_projection_network.TanhNormalProjectionNetwork))
    with strategy.scope():
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

    # Replay buffer.
    table_name = 'uniform_table'
    table = reverb.Table(
        table_name, max_size=replay_buffer_capacity,
        sampler=reverb.selectors.Uniform(), remover=reverb.selectors.Fifo(),
        rate_limiter=reverb.rate_limiters.MinSize(1))
    reverb_server = reverb.Server([table])
    reverb_replay = reverb_replay_buffer.ReverbReplayBuffer(
        tf_agent.collect_data_spec, sequence_length=2, table_name=table_name,
        local_server=reverb_server)
    dataset = reverb_replay.as_dataset(
        sample_batch_size=batch_size, num_steps=2).prefetch(50)
    experience_dataset_fn = lambda: dataset

    # Policies.
    tf_eval_policy = tf_agent.policy
    eval_policy = py_tf_eager_policy.PyTFEagerPolicy(
        tf_eval_policy, use_tf_function=True)
    tf_collect_policy = tf_agent.collect_policy
    collect_policy = py_tf_eager_policy.PyTFEagerPolicy(
        tf_collect_policy, use_tf_function=True)
    random_policy = random_py_policy.RandomPyPolicy(
        collect_env.time_step_spec(), collect_env.action_spec())

    # Actors.
    rb_observer = reverb_utils.ReverbAddTrajectoryObserver(
        reverb_replay.py_client, table_name, sequence_length=2,
        stride_length=1)
    initial_collect_actor = actor.Actor(
        collect_env, random_policy, train_step,
        steps_per_run=initial_collect_steps, observers=[rb_observer])
    initial_collect_actor.run()
    env_step_metric = py_metrics.EnvironmentSteps()
    collect_actor = actor.Actor(
        collect_env, collect_policy, train_step, steps_per_run=1,
        metrics=actor.collect_metrics(10),
        summary_dir=os.path.join(tempdir, learner.TRAIN_DIR),
        observers=[rb_observer, env_step_metric])
    eval_actor = actor.Actor(
        eval_env, eval_policy, train_step,
        episodes_per_run=num_eval_episodes,
        metrics=actor.eval_metrics(num_eval_episodes),
        summary_dir=os.path.join(tempdir, 'eval'))

    # Learners.
    saved_model_dir = os.path.join(tempdir, learner.POLICY_SAVED_MODEL_DIR)
    learning_triggers = [
        triggers.PolicySavedModelTrigger(
            saved_model_dir, tf_agent, train_step,
            interval=policy_save_interval),
        triggers.StepPerSecondLogTrigger(train_step, interval=1000),
    ]
    agent_learner = learner.Learner(
        tempdir, train_step, tf_agent, experience_dataset_fn,
        triggers=learning_triggers, strategy=strategy)

    self.tf_agent = tf_agent
    self.collect_actor = collect_actor
    self.eval_actor = eval_actor
    self.agent_learner = agent_learner
    self._rb_observer = rb_observer
    self._reverb_server = reverb_server
    self._envs = (collect_env, eval_env)

  def get_eval_metrics(self):
    self.eval_actor.run()
    results = {}
    for metric in self.eval_actor.metrics:
      results[metric.name] = metric.result()
    return results

  def train(self, num_iterations, eval_interval=10000, log_interval=5000,
            log=print):
    """The training cell; `log` receives each line the tutorial prints."""

    def log_eval_metrics(step, metrics):
      eval_results = (', ').join(
          '{} = {:.6f}'.format(name, result) for name, result in metrics.items())
      log('step = {0}: {1}'.format(step, eval_results))

    if eval_interval:
      self.get_eval_metrics()  # The "Metrics and Evaluation" cell's.
    self.tf_agent.train_step_counter.assign(0)
    if eval_interval:
      log_eval_metrics(0, self.get_eval_metrics())
    for _ in range(num_iterations):
      self.collect_actor.run()
      loss_info = self.agent_learner.run(iterations=1)
      step = self.agent_learner.train_step_numpy
      if eval_interval and step % eval_interval == 0:
        log_eval_metrics(step, self.get_eval_metrics())
      if log_interval and step % log_interval == 0:
        log('step = {0}: loss = {1}'.format(step, loss_info.loss.numpy()))

  def close(self):
    self._rb_observer.close()
    self._reverb_server.stop()
    for env in self._envs:
      env.close()


def main(argv):
  del argv
  start = time.monotonic()

  def log(line):
    print(f'[{time.monotonic() - start:.1f}s] {line}', flush=True)

  tutorial = Tutorial(_ROOT_DIR.value, _INITIAL_COLLECT.value, seed=_SEED.value,
                      use_gpu=_USE_GPU.value,
                      num_eval_episodes=_EVAL_EPISODES.value)
  log('built')
  try:
    tutorial.train(_NUM_ITERATIONS.value, _EVAL_INTERVAL.value,
                   _LOG_INTERVAL.value, log=log)
  finally:
    tutorial.close()
  log('done')
  sys.stdout.flush()


if __name__ == '__main__':
  flags.mark_flag_as_required('root_dir')
  app.run(main)
