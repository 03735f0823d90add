r"""tf_agents' CartPole tutorials' training loops, as the notebooks write them.

The targets our `configs/{dqn,c51,reinforce}_cartpole.gin` are compared with:
the notebooks' own code (docs/tutorials in tensorflow/agents) run on the same
seeds. Each tutorial's cells are kept as written: its environments, network,
agent, replay buffer, data collection, hyperparameters, and its
`compute_avg_return` of `agent.policy` before training and every
`eval_interval` train steps. The baseline evaluation of the random policy
before training runs too; display-only cells, the spec printouts and the DQN
notebook's one random action on its example environment do not.

  1_dqn_tutorial      CartPole-v0, QNetwork (100, 50) as a Sequential, Keras
                      Adam; Reverb table of 2-step items, PyDriver; 20000
                      iterations, eval every 1000 over 10 episodes.
                      As written, the driver steps `env` (the first
                      environment loaded), starting from `train_py_env.reset()`.
  9_c51_tutorial      CartPole-v1, CategoricalQNetwork (100,), tf.compat.v1
                      Adam, n_step_update 2; TFUniformReplayBuffer, a Python
                      collect_step; 15000 iterations, eval every 1000 over 10.
  6_reinforce_tutorial  CartPole-v0, ActorDistributionNetwork (100,), Keras
                      Adam, normalize_returns; 2 whole episodes per
                      iteration into a TFUniformReplayBuffer, gather_all,
                      train, clear; 250 iterations, eval every 50 over 10.

Additions for measuring, none of them in the loop: `--seed` seeds Python,
NumPy and TensorFlow with `tf.keras.utils.set_random_seed` and the
environments with `seed` (training) and `seed + 1` (evaluation), as
`train_eval.seed` seeds ours (Reverb samples unseeded either way);
`--num_iterations`, `--eval_interval` and `--num_eval_episodes` shorten a run;
each evaluation is printed with the seconds since start and written to --out.

  python -m benchmarks.tutorial_loops --tutorial=dqn_cartpole --seed=0
  python -m benchmarks.tutorial_loops --run_all --seeds=0,1,2

--run_all runs every tutorial with every seed, one after another and each in
its own process, and writes benchmarks/results/reproduce/tutorial_loops.json:
{config: {seed: {curve: {step: AverageReturn}, final_score, wall_s, cpu_s,
complete}}, machine: {..., earlier: [other invocations' machine]}},
rewritten after each run. Runs already in the file are kept, a run of the
same tutorial and seed replaced, so invocations with other seeds can run at
once. `final_score` is `sweep.stats.final_score`
of the curve; a run stopped by --time_limit_min keeps the evaluations it
reached, with complete: false. More seeds for one tutorial:

  python -m benchmarks.tutorial_loops --run_all --tutorials=reinforce_cartpole \
      --seeds=3,4,5,6,7,8,9
"""

import dataclasses
import fcntl
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, Optional

from absl import app
from absl import flags

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, 'benchmarks', 'results', 'reproduce',
                           'tutorial_loops.json')

_TUTORIAL = flags.DEFINE_enum(
    'tutorial', None, ['dqn_cartpole', 'c51_cartpole', 'reinforce_cartpole'],
    'The tutorial to run, named after our config for it.')
_SEED = flags.DEFINE_integer('seed', None,
                             'Seed; None leaves it unseeded, as the notebooks do.')
_NUM_ITERATIONS = flags.DEFINE_integer(
    'num_iterations', None, "Training iterations; default: the notebook's.")
_EVAL_INTERVAL = flags.DEFINE_integer(
    'eval_interval', None, "Train steps between evaluations; default: the notebook's.")
_EVAL_EPISODES = flags.DEFINE_integer(
    'num_eval_episodes', None, "Episodes per evaluation; default: the notebook's (10).")
_OUT = flags.DEFINE_string(
    'out', None, 'With --tutorial: a JSON file for the curve (rewritten at '
    'each evaluation). With --run_all: the results file (default '
    'benchmarks/results/reproduce/tutorial_loops.json).')
_RUN_ALL = flags.DEFINE_boolean(
    'run_all', False, 'Run every tutorial with each of --seeds, each in its '
    'own process, and write the results file.')
_SEEDS = flags.DEFINE_list('seeds', ['0', '1', '2'], 'Seeds for --run_all.')
_TUTORIALS = flags.DEFINE_list(
    'tutorials', ['dqn_cartpole', 'c51_cartpole', 'reinforce_cartpole'],
    'Tutorials for --run_all, in the order they run (per seed).')
_TIME_LIMIT = flags.DEFINE_float(
    'time_limit_min', None, 'With --run_all: stop the run in progress when '
    'this many minutes have passed, keep what it reached, start no more.')


@dataclasses.dataclass
class Hyperparameters:
  """A notebook's loop settings (its "Hyperparameters" cell)."""
  num_iterations: int
  eval_interval: int
  log_interval: int
  num_eval_episodes: int = 10


@dataclasses.dataclass
class Tutorial:
  """What a notebook's training cell uses, built by its earlier cells.

  Attributes:
    agent: the tf_agents agent.
    eval_env: the TFPyEnvironment `compute_avg_return` runs on.
    collect: one iteration's data collection.
    experience: the data one `agent.train` call trains on.
    after_train: what the loop does after training (REINFORCE clears).
    close: releases servers and environments.
  """
  agent: object
  eval_env: object
  collect: Callable[[], None]
  experience: Callable[[], object]
  after_train: Callable[[], None] = lambda: None
  close: Callable[[], None] = lambda: None


def compute_avg_return(environment, policy, num_episodes=10):
  """The notebooks' evaluation (cell bitzHo5_UbXy), as written."""
  total_return = 0.0
  for _ in range(num_episodes):
    time_step = environment.reset()
    episode_return = 0.0
    while not time_step.is_last():
      action_step = policy.action(time_step)
      time_step = environment.step(action_step.action)
      episode_return += time_step.reward
    total_return += episode_return
  avg_return = total_return / num_episodes
  return avg_return.numpy()[0]


def _load_envs(env_name: str, seed: Optional[int], count: int):
  """`count` training environments seeded `seed`, then the eval one, `seed + 1`."""
  from tf_agents.environments import suite_gym  # pylint: disable=g-import-not-at-top
  envs = [suite_gym.load(env_name) for _ in range(count + 1)]
  if seed is not None:
    for env in envs[:-1]:
      env.seed(seed)
    envs[-1].seed(seed + 1)
  return envs


def build_dqn(hp: Hyperparameters, seed: Optional[int]) -> Tutorial:
  """docs/tutorials/1_dqn_tutorial.ipynb, its cells up to the training cell."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import reverb  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.agents.dqn import dqn_agent  # pylint: disable=g-import-not-at-top
  from tf_agents.drivers import py_driver  # pylint: disable=g-import-not-at-top
  from tf_agents.environments import tf_py_environment  # pylint: disable=g-import-not-at-top
  from tf_agents.networks import sequential  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import random_tf_policy  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import reverb_replay_buffer  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import reverb_utils  # pylint: disable=g-import-not-at-top
  from tf_agents.specs import tensor_spec  # pylint: disable=g-import-not-at-top
  from tf_agents.utils import common  # pylint: disable=g-import-not-at-top

  initial_collect_steps = 100
  collect_steps_per_iteration = 1
  replay_buffer_max_length = 100000
  batch_size = 64
  learning_rate = 1e-3

  env, train_py_env, eval_py_env = _load_envs('CartPole-v0', seed, 2)
  env.reset()  # Cell V2UGR5t_iZX-: reset, one step.
  env.step(np.array(1, dtype=np.int32))
  train_env = tf_py_environment.TFPyEnvironment(train_py_env)
  eval_env = tf_py_environment.TFPyEnvironment(eval_py_env)

  fc_layer_params = (100, 50)
  action_tensor_spec = tensor_spec.from_spec(env.action_spec())
  num_actions = action_tensor_spec.maximum - action_tensor_spec.minimum + 1

  def dense_layer(num_units):
    return tf.keras.layers.Dense(
        num_units, activation=tf.keras.activations.relu,
        kernel_initializer=tf.keras.initializers.VarianceScaling(
            scale=2.0, mode='fan_in', distribution='truncated_normal'))

  dense_layers = [dense_layer(num_units) for num_units in fc_layer_params]
  q_values_layer = tf.keras.layers.Dense(
      num_actions, activation=None,
      kernel_initializer=tf.keras.initializers.RandomUniform(
          minval=-0.03, maxval=0.03),
      bias_initializer=tf.keras.initializers.Constant(-0.2))
  q_net = sequential.Sequential(dense_layers + [q_values_layer])

  optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
  train_step_counter = tf.Variable(0)
  agent = dqn_agent.DqnAgent(
      train_env.time_step_spec(), train_env.action_spec(), q_network=q_net,
      optimizer=optimizer, td_errors_loss_fn=common.element_wise_squared_loss,
      train_step_counter=train_step_counter)
  agent.initialize()

  random_policy = random_tf_policy.RandomTFPolicy(train_env.time_step_spec(),
                                                  train_env.action_spec())
  compute_avg_return(eval_env, random_policy, hp.num_eval_episodes)

  table_name = 'uniform_table'
  replay_buffer_signature = tensor_spec.add_outer_dim(
      tensor_spec.from_spec(agent.collect_data_spec))
  table = reverb.Table(
      table_name, max_size=replay_buffer_max_length,
      sampler=reverb.selectors.Uniform(), remover=reverb.selectors.Fifo(),
      rate_limiter=reverb.rate_limiters.MinSize(1),
      signature=replay_buffer_signature)
  reverb_server = reverb.Server([table])
  replay_buffer = reverb_replay_buffer.ReverbReplayBuffer(
      agent.collect_data_spec, table_name=table_name, sequence_length=2,
      local_server=reverb_server)
  rb_observer = reverb_utils.ReverbAddTrajectoryObserver(
      replay_buffer.py_client, table_name, sequence_length=2)

  py_driver.PyDriver(
      env, py_tf_eager_policy.PyTFEagerPolicy(random_policy, use_tf_function=True),
      [rb_observer], max_steps=initial_collect_steps).run(train_py_env.reset())
  dataset = replay_buffer.as_dataset(
      num_parallel_calls=3, sample_batch_size=batch_size,
      num_steps=2).prefetch(3)
  iterator = iter(dataset)

  # The training cell's preamble: reset, then a driver of the collect policy.
  state = {'time_step': train_py_env.reset()}
  collect_driver = py_driver.PyDriver(
      env, py_tf_eager_policy.PyTFEagerPolicy(
          agent.collect_policy, use_tf_function=True),
      [rb_observer], max_steps=collect_steps_per_iteration)

  def collect():
    state['time_step'], _ = collect_driver.run(state['time_step'])

  def close():
    rb_observer.close()
    reverb_server.stop()

  return Tutorial(agent, eval_env, collect,
                  experience=lambda: next(iterator)[0], close=close)


def build_c51(hp: Hyperparameters, seed: Optional[int]) -> Tutorial:
  """docs/tutorials/9_c51_tutorial.ipynb, its cells up to the training cell."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.agents.categorical_dqn import categorical_dqn_agent  # pylint: disable=g-import-not-at-top
  from tf_agents.environments import tf_py_environment  # pylint: disable=g-import-not-at-top
  from tf_agents.networks import categorical_q_network  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import random_tf_policy  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import tf_uniform_replay_buffer  # pylint: disable=g-import-not-at-top
  from tf_agents.trajectories import trajectory  # pylint: disable=g-import-not-at-top
  from tf_agents.utils import common  # pylint: disable=g-import-not-at-top

  initial_collect_steps = 1000
  collect_steps_per_iteration = 1
  replay_buffer_capacity = 100000
  fc_layer_params = (100,)
  batch_size = 64
  learning_rate = 1e-3
  gamma = 0.99
  num_atoms = 51
  min_q_value = -20
  max_q_value = 20
  n_step_update = 2

  train_py_env, eval_py_env = _load_envs('CartPole-v1', seed, 1)
  train_env = tf_py_environment.TFPyEnvironment(train_py_env)
  eval_env = tf_py_environment.TFPyEnvironment(eval_py_env)

  categorical_q_net = categorical_q_network.CategoricalQNetwork(
      train_env.observation_spec(), train_env.action_spec(),
      num_atoms=num_atoms, fc_layer_params=fc_layer_params)
  optimizer = tf.compat.v1.train.AdamOptimizer(learning_rate=learning_rate)
  train_step_counter = tf.Variable(0)
  agent = categorical_dqn_agent.CategoricalDqnAgent(
      train_env.time_step_spec(), train_env.action_spec(),
      categorical_q_network=categorical_q_net, optimizer=optimizer,
      min_q_value=min_q_value, max_q_value=max_q_value,
      n_step_update=n_step_update,
      td_errors_loss_fn=common.element_wise_squared_loss, gamma=gamma,
      train_step_counter=train_step_counter)
  agent.initialize()

  random_policy = random_tf_policy.RandomTFPolicy(train_env.time_step_spec(),
                                                  train_env.action_spec())
  compute_avg_return(eval_env, random_policy, hp.num_eval_episodes)

  replay_buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
      data_spec=agent.collect_data_spec, batch_size=train_env.batch_size,
      max_length=replay_buffer_capacity)

  def collect_step(environment, policy):
    time_step = environment.current_time_step()
    action_step = policy.action(time_step)
    next_time_step = environment.step(action_step.action)
    traj = trajectory.from_transition(time_step, action_step, next_time_step)
    replay_buffer.add_batch(traj)

  for _ in range(initial_collect_steps):
    collect_step(train_env, random_policy)
  dataset = replay_buffer.as_dataset(
      num_parallel_calls=3, sample_batch_size=batch_size,
      num_steps=n_step_update + 1).prefetch(3)
  iterator = iter(dataset)

  def collect():
    for _ in range(collect_steps_per_iteration):
      collect_step(train_env, agent.collect_policy)

  return Tutorial(agent, eval_env, collect,
                  experience=lambda: next(iterator)[0])


def build_reinforce(hp: Hyperparameters, seed: Optional[int]) -> Tutorial:
  """docs/tutorials/6_reinforce_tutorial.ipynb, its cells up to the training cell."""
  del hp  # No evaluation before the training cell.
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.agents.reinforce import reinforce_agent  # pylint: disable=g-import-not-at-top
  from tf_agents.environments import tf_py_environment  # pylint: disable=g-import-not-at-top
  from tf_agents.networks import actor_distribution_network  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import tf_uniform_replay_buffer  # pylint: disable=g-import-not-at-top
  from tf_agents.trajectories import trajectory  # pylint: disable=g-import-not-at-top

  collect_episodes_per_iteration = 2
  replay_buffer_capacity = 2000
  fc_layer_params = (100,)
  learning_rate = 1e-3

  train_py_env, eval_py_env = _load_envs('CartPole-v0', seed, 1)
  train_env = tf_py_environment.TFPyEnvironment(train_py_env)
  eval_env = tf_py_environment.TFPyEnvironment(eval_py_env)

  actor_net = actor_distribution_network.ActorDistributionNetwork(
      train_env.observation_spec(), train_env.action_spec(),
      fc_layer_params=fc_layer_params)
  optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
  train_step_counter = tf.Variable(0)
  tf_agent = reinforce_agent.ReinforceAgent(
      train_env.time_step_spec(), train_env.action_spec(),
      actor_network=actor_net, optimizer=optimizer, normalize_returns=True,
      train_step_counter=train_step_counter)
  tf_agent.initialize()

  replay_buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
      data_spec=tf_agent.collect_data_spec, batch_size=train_env.batch_size,
      max_length=replay_buffer_capacity)

  def collect_episode(environment, policy, num_episodes):
    episode_counter = 0
    environment.reset()
    while episode_counter < num_episodes:
      time_step = environment.current_time_step()
      action_step = policy.action(time_step)
      next_time_step = environment.step(action_step.action)
      traj = trajectory.from_transition(time_step, action_step, next_time_step)
      replay_buffer.add_batch(traj)
      if traj.is_boundary():
        episode_counter += 1

  return Tutorial(
      tf_agent, eval_env,
      collect=lambda: collect_episode(train_env, tf_agent.collect_policy,
                                      collect_episodes_per_iteration),
      experience=replay_buffer.gather_all,
      after_train=replay_buffer.clear)


# Our config's name -> (the notebook's loop settings, its cells before training).
TUTORIALS = {
    'dqn_cartpole': (Hyperparameters(20000, 1000, 200), build_dqn),
    'c51_cartpole': (Hyperparameters(15000, 1000, 200), build_c51),
    'reinforce_cartpole': (Hyperparameters(250, 50, 25), build_reinforce),
}


def train(tutorial: Tutorial, hp: Hyperparameters,
          on_eval: Callable[[int, float], None], log=print) -> None:
  """The notebooks' training cell (0pTbJ3PeyF-u), shared by all three."""
  from tf_agents.utils import common  # pylint: disable=g-import-not-at-top
  agent = tutorial.agent
  agent.train = common.function(agent.train)
  agent.train_step_counter.assign(0)
  on_eval(0, compute_avg_return(tutorial.eval_env, agent.policy,
                                hp.num_eval_episodes))
  for _ in range(hp.num_iterations):
    tutorial.collect()
    train_loss = agent.train(tutorial.experience())
    tutorial.after_train()
    step = agent.train_step_counter.numpy()
    if step % hp.log_interval == 0:
      log('step = {0}: loss = {1}'.format(step, train_loss.loss))
    if step % hp.eval_interval == 0:
      on_eval(step, compute_avg_return(tutorial.eval_env, agent.policy,
                                       hp.num_eval_episodes))


def run_tutorial(name: str, seed: Optional[int], out: Optional[str],
                 hp: Hyperparameters) -> Dict[int, float]:
  """Runs one tutorial; returns its curve (train step -> AverageReturn)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  start = time.monotonic()

  def log(line):
    print(f'[{time.monotonic() - start:.1f}s] {line}', flush=True)

  if seed is not None:
    tf.keras.utils.set_random_seed(seed)
  tutorial = TUTORIALS[name][1](hp, seed)
  curve = {}

  def on_eval(step, avg_return):
    curve[int(step)] = float(avg_return)
    log('step = {0}: Average Return = {1}'.format(step, avg_return))
    if out:
      _write_json(out, {str(s): r for s, r in curve.items()})

  try:
    train(tutorial, hp, on_eval, log)
  finally:
    tutorial.close()
  return curve


def _write_json(path: str, content) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path + '.tmp', 'w') as f:
    json.dump(content, f, indent=1)
  os.replace(path + '.tmp', path)


def _children_cpu_seconds() -> float:
  usage = resource.getrusage(resource.RUSAGE_CHILDREN)
  return usage.ru_utime + usage.ru_stime


def _add_run(out: str, name: str, seed: int, run: dict, machine: dict) -> dict:
  """Adds one run to the results file `out`, keeping what else it holds.

  Read, changed and replaced under an exclusive lock, so that invocations
  running other seeds at once each add theirs. The file's `machine` becomes
  this invocation's, the others' kept under its `earlier`.

  Returns:
    The file's new content.
  """
  directory = os.path.dirname(os.path.abspath(out))
  os.makedirs(directory, exist_ok=True)
  lock = os.open(directory, os.O_RDONLY)  # The lock: the file's directory.
  try:
    fcntl.flock(lock, fcntl.LOCK_EX)
    results = {}
    if os.path.exists(out):
      with open(out) as f:
        results = json.load(f)
    results.setdefault(name, {})[str(seed)] = run
    previous = results.get('machine')
    invocations = (previous.pop('earlier', []) + [previous]) if previous else []
    results['machine'] = dict(machine, earlier=[
        m for m in invocations
        if (m.get('command'), m.get('date')) !=
        (machine['command'], machine['date'])])
    _write_json(out, results)
  finally:
    os.close(lock)  # Releases the lock.
  return results


def run_all(tutorials, seeds, out: str, overrides,
            time_limit_s: Optional[float]) -> dict:
  """Each tutorial with each seed in its own process; writes and returns `out`'s content."""
  from benchmarks import common  # pylint: disable=g-import-not-at-top
  from sweep import stats  # pylint: disable=g-import-not-at-top
  machine = dict(common.machine_info(), command=' '.join(sys.argv))
  results = {}
  deadline = None if time_limit_s is None else time.monotonic() + time_limit_s
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONUNBUFFERED='1',
             PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
  for seed in seeds:
    for name in tutorials:
      if deadline is not None and time.monotonic() >= deadline:
        print(f'{name} seed {seed}: not started (time limit)', flush=True)
        continue
      with tempfile.TemporaryDirectory() as tmp:
        curve_path = os.path.join(tmp, 'curve.json')
        args = [sys.executable, '-m', 'benchmarks.tutorial_loops',
                f'--tutorial={name}', f'--seed={seed}', f'--out={curve_path}'
               ] + overrides
        print(f'{name} seed {seed}: started', flush=True)
        cpu_before = _children_cpu_seconds()
        started = time.monotonic()
        proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env)
        try:
          rc = proc.wait(timeout=None if deadline is None
                         else max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
          proc.kill()
          rc = proc.wait()
        wall_s = time.monotonic() - started
        curve = ({int(s): r for s, r in json.load(open(curve_path)).items()}
                 if os.path.exists(curve_path) else {})
      run = {
          'curve': {str(s): r for s, r in sorted(curve.items())},
          'final_score': stats.final_score(curve),
          'wall_s': round(wall_s, 1),
          'cpu_s': round(_children_cpu_seconds() - cpu_before, 1),
          'complete': rc == 0,
      }
      machine['load_average_at_end'] = common.load_average()
      results = _add_run(out, name, seed, run, machine)
      print(f'{name} seed {seed}: rc {rc}, final score '
            f'{stats.final_score(curve):.2f}, {wall_s / 60:.1f} min', flush=True)
  return results


def main(argv):
  del argv
  hp_flags = {'num_iterations': _NUM_ITERATIONS.value,
              'eval_interval': _EVAL_INTERVAL.value,
              'num_eval_episodes': _EVAL_EPISODES.value}
  if _RUN_ALL.value:
    unknown = sorted(set(_TUTORIALS.value) - set(TUTORIALS))
    if unknown:
      raise app.UsageError(f'--tutorials: unknown {unknown}; use {sorted(TUTORIALS)}.')
    overrides = [f'--{k}={v}' for k, v in hp_flags.items() if v is not None]
    run_all(_TUTORIALS.value, [int(s) for s in _SEEDS.value],
            _OUT.value or DEFAULT_OUT, overrides,
            None if _TIME_LIMIT.value is None else _TIME_LIMIT.value * 60)
    return 0
  if _TUTORIAL.value is None:
    raise app.UsageError('Give --tutorial=NAME (one run) or --run_all.')
  hp = dataclasses.replace(
      TUTORIALS[_TUTORIAL.value][0],
      **{k: v for k, v in hp_flags.items() if v is not None})
  run_tutorial(_TUTORIAL.value, _SEED.value, _OUT.value, hp)
  return 0


if __name__ == '__main__':
  app.run(main)
