r"""Replay throughput of a split SAC minitaur: learner sampling, weight pushes.

Measures, for the tutorial's SAC agent ("SAC minitaur with the Actor-Learner
API") split into processes on Reverb:

1. The learner alone: `Learner.run(iterations=1)` steps per second and CPU per
   step, sampling batches of 256 two-step items from a table pre-filled with
   10,000 minitaur-shaped items (no rate limiting, nobody inserting), either
   - in-process: the Reverb server lives in the learner's process (Reverb then
     reads the table directly, without gRPC), or
   - over gRPC: the server is another process on localhost,
   for a few dataset settings (`SETTINGS`). CPU is counted in both processes.
   An in-memory dataset gives the ceiling: the train step alone.
2. Weight transfer: `ReverbVariableContainer.push` of the collect policy's
   variables and `train_step` (as tf_agents' distributed SAC examples do) from
   the learner's process, and `.update` in a separate collector process, wall
   and CPU on each side, beside one environment step plus collect-policy
   action in that collector.

Every variant runs once per round, in alternating order, for `--rounds`
rounds; tables give medians over rounds. Writes
benchmarks/results/replay_throughput.md with the load average.

  python -m benchmarks.replay_throughput --quick   # under 2 minutes
  python -m benchmarks.replay_throughput           # under 15 minutes
"""

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

from benchmarks import common

REPLAY_TABLE = 'experience'
VARIABLES_TABLE = 'variables'
SEQUENCE_LENGTH = 2
TABLE_SIZE = 10000
RESULTS_MD = os.path.join(common.RESULTS_DIR, 'replay_throughput.md')


@dataclasses.dataclass(frozen=True)
class Setting:
  """A learner dataset: how batches of 256 are sampled from Reverb."""
  name: str
  description: str
  pipeline: str  # 'tf_agents', 'trajectory' or 'memory'.
  prefetch: int
  max_cycle_length: int = 32
  in_flight: int = 256
  workers: int = 1


SETTINGS = {s.name: s for s in [
    Setting('tutorial', '`ReverbReplayBuffer.as_dataset(256, num_steps=2)` '
            'defaults (32 interleaved TrajectoryDatasets of 8 items, two '
            'per-item maps), `.prefetch(50)`', 'tf_agents', prefetch=50),
    Setting('tfa_cycle1', '`ReverbReplayBuffer(max_cycle_length=1)`: one '
            'TrajectoryDataset of 256, the same per-item maps, `.prefetch(2)`',
            'tf_agents', prefetch=2, max_cycle_length=1),
    Setting('trajectory', '`reverb.TrajectoryDataset(max_in_flight_samples_'
            'per_worker=256, num_workers_per_iterator=1).batch(256)`, no '
            'per-item maps, `.prefetch(2)`', 'trajectory', prefetch=2),
    Setting('trajectory_2w', 'as `trajectory` with 2 workers',
            'trajectory', prefetch=2, workers=2),
    Setting('memory', 'in-memory batches, no Reverb: the train step alone',
            'memory', prefetch=2),
]}
QUICK_SETTINGS = ('tutorial', 'trajectory')


# ----------------------------------------------------------------------------
# Processes, CPU, load


def set_tf_threads(spec: Optional[str]) -> None:
  """Applies 'INTRA,INTER' to TensorFlow; None keeps its defaults."""
  if spec:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    intra, inter = (int(v) for v in spec.split(','))
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)


class Peer:
  """This module in another role, in a child process, spoken to by lines."""

  def __init__(self, role: str, *flags: str):
    self.proc = subprocess.Popen(
        [sys.executable, '-m', 'benchmarks.replay_throughput', '--role', role,
         *flags], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=common.REPO_ROOT)

  def answer(self) -> Dict:
    """The next JSON line (pybullet prints other lines to stdout)."""
    for line in self.proc.stdout:
      if line.startswith('{'):
        return json.loads(line)
    raise RuntimeError(f'peer exited with status {self.proc.wait()}')

  def send(self, line: str) -> None:
    self.proc.stdin.write(line + '\n')
    self.proc.stdin.flush()

  def request(self, line: str) -> Dict:
    self.send(line)
    return self.answer()

  def cpu_s(self) -> float:
    """CPU seconds the peer has used, all its threads (exited ones too)."""
    return self.request('cpu 0')['cpu_s']

  def close(self) -> None:
    if self.proc.poll() is None:
      self.proc.stdin.close()
      self.proc.wait(timeout=60)


def answer_lines(ready: Dict, handlers: Dict[str, Callable[[int], Dict]]):
  """Prints `ready`, then answers 'name n' lines on stdin until EOF.

  'cpu 0' is always answered: this process's CPU seconds so far.
  """
  handlers = dict(handlers, cpu=lambda _: {'cpu_s': time.process_time()})
  print(json.dumps(ready), flush=True)
  for line in sys.stdin:
    name, n = line.split()
    print(json.dumps(handlers[name](int(n))), flush=True)


def timed_calls(fn: Callable[[], None], n: int) -> Dict:
  """Calls `fn` `n` times: each call's wall seconds, this process's CPU."""
  walls = []
  cpu = time.process_time()
  for _ in range(n):
    start = time.perf_counter()
    fn()
    walls.append(time.perf_counter() - start)
  return {'wall_s': walls, 'cpu_s': time.process_time() - cpu}


# ----------------------------------------------------------------------------
# Tables, data, variables


def policy_variables(setup: common.Setup) -> Dict:
  """What tf_agents' distributed SAC examples push and pull."""
  from tf_agents.experimental.distributed import reverb_variable_container as rvc  # pylint: disable=g-import-not-at-top
  return {rvc.POLICY_KEY: setup.agent.collect_policy.variables(),
          rvc.TRAIN_STEP_KEY: setup.train_step}


def make_tables(setup: common.Setup) -> List:
  """The replay and variables tables, as tf_agents' sac_reverb_server.py."""
  import reverb  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.specs import tensor_spec  # pylint: disable=g-import-not-at-top
  variables_signature = tf.nest.map_structure(
      lambda v: tf.TensorSpec(v.shape, dtype=v.dtype), policy_variables(setup))
  replay_signature = tensor_spec.add_outer_dim(
      tensor_spec.from_spec(setup.agent.collect_data_spec))
  return [
      reverb.Table(REPLAY_TABLE, sampler=reverb.selectors.Uniform(),
                   remover=reverb.selectors.Fifo(),
                   rate_limiter=reverb.rate_limiters.MinSize(1),
                   max_size=TABLE_SIZE, max_times_sampled=0,
                   signature=replay_signature),
      reverb.Table(VARIABLES_TABLE, sampler=reverb.selectors.Uniform(),
                   remover=reverb.selectors.Fifo(),
                   rate_limiter=reverb.rate_limiters.MinSize(1), max_size=1,
                   max_times_sampled=0, signature=variables_signature),
  ]


def fill(address: str, spec, items: int, seed: int = 0) -> None:
  """Writes `items` 2-step items through a collector's observer.

  Steps are drawn inside the specs, all MID (one long episode), so the
  table's chunks are laid out as a collector lays them out.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  import reverb  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import reverb_utils  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)

  def draw(s):
    if s.dtype.is_floating:
      low = np.maximum(getattr(s, 'minimum', -1.0), -3.0)
      high = np.minimum(getattr(s, 'maximum', 1.0), 3.0)
      return rng.uniform(low, high, size=s.shape).astype(s.dtype.as_numpy_dtype)
    return np.ones(s.shape, dtype=s.dtype.as_numpy_dtype)  # StepType.MID

  observer = reverb_utils.ReverbAddTrajectoryObserver(
      reverb.Client(address), REPLAY_TABLE, sequence_length=SEQUENCE_LENGTH,
      stride_length=1)
  for step in range(items + SEQUENCE_LENGTH - 1):
    observer(tf.nest.map_structure(draw, spec))
    if step % 100 == 0:
      observer.flush()
  observer.flush()
  observer.close()


def make_dataset(setting: Setting, agent, address: str, local_server=None):
  """The learner's dataset of (experience, info) batches of 256."""
  import reverb  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import reverb_replay_buffer  # pylint: disable=g-import-not-at-top
  spec = agent.collect_data_spec
  if setting.pipeline == 'memory':
    dataset = common.in_memory_dataset(agent).map(lambda data: (data, ()))
  elif setting.pipeline == 'tf_agents':
    where = ({'local_server': local_server} if local_server else
             {'server_address': address})
    replay = reverb_replay_buffer.ReverbReplayBuffer(
        spec, REPLAY_TABLE, SEQUENCE_LENGTH,
        max_cycle_length=setting.max_cycle_length, **where)
    dataset = replay.as_dataset(sample_batch_size=common.BATCH_SIZE,
                                num_steps=SEQUENCE_LENGTH)
  else:
    dataset = reverb.TrajectoryDataset(
        address, REPLAY_TABLE,
        tf.nest.map_structure(lambda s: s.dtype, spec),
        tf.nest.map_structure(
            lambda s: tf.TensorShape([SEQUENCE_LENGTH]).concatenate(s.shape),
            spec),
        max_in_flight_samples_per_worker=setting.in_flight,
        num_workers_per_iterator=setting.workers)
    dataset = dataset.batch(common.BATCH_SIZE, drop_remainder=True).map(
        lambda sample: (sample.data, sample.info))
  return dataset.prefetch(setting.prefetch)


# ----------------------------------------------------------------------------
# The server and collector roles


def run_server() -> None:
  """A Reverb server with both tables, the replay table filled; until EOF."""
  import reverb  # pylint: disable=g-import-not-at-top
  setup = common.make_setup()
  server = reverb.Server(make_tables(setup))
  fill(f'localhost:{server.port}', setup.agent.collect_data_spec, TABLE_SIZE)
  answer_lines({'port': server.port}, {})
  server.stop()


def run_collector() -> None:
  """Pulls weights (`update n`) or steps the environment (`step n`).

  Builds its agent first, then reads the server's address from stdin.
  """
  from tf_agents.experimental.distributed import reverb_variable_container as rvc  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
  setup = common.make_setup()
  variables = policy_variables(setup)
  policy = py_tf_eager_policy.PyTFEagerPolicy(setup.agent.collect_policy,
                                              use_tf_function=True)
  container = rvc.ReverbVariableContainer(sys.stdin.readline().strip(),
                                          table_names=[VARIABLES_TABLE])
  env = setup.env
  time_step = [env.reset()]

  def step():
    action = policy.action(time_step[0]).action
    time_step[0] = env.step(action)
    if time_step[0].is_last():
      time_step[0] = env.reset()

  answer_lines({}, {
      'update': lambda n: timed_calls(lambda: container.update(variables), n),
      'step': lambda n: timed_calls(step, n)})


# ----------------------------------------------------------------------------
# The learner's measurements


@dataclasses.dataclass
class Block:
  """One timed block: per-operation wall, CPU here and in the server process."""
  per_s: float
  wall_median_ms: float
  wall_mean_ms: float
  cpu_ms: float
  peer_cpu_ms: float
  load: str


def learner_block(learner, dataset, warmup: int, steps: int,
                  server: Peer) -> Block:
  """Trains `steps` steps from a fresh iterator after `warmup` steps."""
  iterator = iter(dataset)
  for _ in range(warmup):
    learner.run(iterations=1, iterator=iterator)
  load = common.load_average()
  cpu, peer, start = time.process_time(), server.cpu_s(), time.perf_counter()
  for _ in range(steps):
    learner.run(iterations=1, iterator=iterator)
  wall = time.perf_counter() - start
  block = Block(steps / wall, 1000 * wall / steps, 1000 * wall / steps,
                1000 * (time.process_time() - cpu) / steps,
                1000 * (server.cpu_s() - peer) / steps, load)
  del iterator
  return block


def transfer_block(call: Callable[[int], Dict], n: int, server: Peer) -> Block:
  """`n` operations timed by `call` (here or in the collector process).

  CPU is the mean over the block, in the process that ran them and in the
  server process.
  """
  load = common.load_average()
  peer = server.cpu_s()
  timing = call(n)
  server_ms = 1000 * (server.cpu_s() - peer) / n
  walls = timing['wall_s']
  return Block(n / sum(walls), 1000 * statistics.median(walls),
               1000 * statistics.mean(walls), 1000 * timing['cpu_s'] / n,
               server_ms, load)


# ----------------------------------------------------------------------------
# Main


def parse_args(argv: List[str]) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--quick', action='store_true',
                      help='One short round of fewer settings (< 2 minutes).')
  parser.add_argument('--rounds', type=int, default=None,
                      help='Rounds of every variant (default 3; quick 1).')
  parser.add_argument('--steps', type=int, default=None,
                      help='Timed train steps per block (300; quick 60).')
  parser.add_argument('--transfers', type=int, default=None,
                      help='Pushes, updates or env steps per block (200; '
                      'quick 30).')
  parser.add_argument('--settings', default=None,
                      help='Comma-separated names from: ' + ', '.join(SETTINGS))
  parser.add_argument('--tf_threads', default=None,
                      help="'INTRA,INTER' for every process; default TF's.")
  parser.add_argument('--out', default=RESULTS_MD)
  parser.add_argument('--role', default='learner', help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  args.rounds = args.rounds or (1 if args.quick else 3)
  args.steps = args.steps or (60 if args.quick else 300)
  args.transfers = args.transfers or (30 if args.quick else 200)
  names = (args.settings.split(',') if args.settings else
           QUICK_SETTINGS if args.quick else list(SETTINGS))
  args.settings = [SETTINGS[name] for name in names]
  return args


def variants(args) -> List[Tuple[str, Optional[Setting]]]:
  """(location, setting) pairs, then the weight-transfer operations."""
  out = []
  for setting in args.settings:
    if setting.pipeline == 'memory':
      out.append(('-', setting))
    else:
      out += [('in-process', setting), ('gRPC', setting)]
  return out + [('push', None), ('update', None), ('step', None)]


@dataclasses.dataclass
class Rig:
  """The learner's side of a run: its objects and the two other processes."""
  server: Peer
  collector: Peer
  local_server: object
  learner: object
  container: object
  variables: Dict
  datasets: Dict


def start_rig(args, root: str) -> Rig:
  """Starts the server and collector processes and builds the learner."""
  import reverb  # pylint: disable=g-import-not-at-top
  from tf_agents.experimental.distributed import reverb_variable_container as rvc  # pylint: disable=g-import-not-at-top
  from tf_agents.train import learner as tfa_learner  # pylint: disable=g-import-not-at-top
  thread_flags = ['--tf_threads', args.tf_threads] if args.tf_threads else []
  server = Peer('server', *thread_flags)
  collector = Peer('collector', *thread_flags)
  setup = common.make_setup()
  local = reverb.Server(make_tables(setup))
  fill(f'localhost:{local.port}', setup.agent.collect_data_spec, TABLE_SIZE)
  address = f'localhost:{server.answer()["port"]}'
  container = rvc.ReverbVariableContainer(address,
                                          table_names=[VARIABLES_TABLE])
  variables = policy_variables(setup)
  container.push(variables, VARIABLES_TABLE)
  collector.send(address)
  collector.answer()
  datasets = {}
  for location, setting in variants(args):
    if setting and location == 'in-process':
      datasets[(location, setting.name)] = make_dataset(
          setting, setup.agent, f'localhost:{local.port}', local)
    elif setting:
      datasets[(location, setting.name)] = make_dataset(setting, setup.agent,
                                                        address)
  learner = tfa_learner.Learner(root, setup.train_step, setup.agent,
                                experience_dataset_fn=None)
  return Rig(server, collector, local, learner, container, variables,
             datasets)


def run_variant(rig: Rig, args, location: str,
                setting: Optional[Setting]) -> Block:
  """One block of one variant."""
  if setting:
    return learner_block(rig.learner, rig.datasets[(location, setting.name)],
                         warmup=max(20, setting.prefetch + 10),
                         steps=args.steps, server=rig.server)
  if location == 'push':
    push = lambda: rig.container.push(rig.variables, VARIABLES_TABLE)
    return transfer_block(lambda n: timed_calls(push, n), args.transfers,
                          rig.server)
  return transfer_block(lambda n: rig.collector.request(f'{location} {n}'),
                        args.transfers, rig.server)


def run_learner(args) -> Dict:
  """Runs every variant once per round, alternating the order each round."""
  load_start = common.load_average()
  results: Dict[Tuple[str, str], List[Block]] = {}
  with common.scratch_dir('replay_throughput') as root:
    rig = start_rig(args, root)
    warm_transfers(rig)
    for round_index in range(args.rounds):
      order = variants(args)[::(-1 if round_index % 2 else 1)]
      for location, setting in order:
        block = run_variant(rig, args, location, setting)
        name = setting.name if setting else '-'
        results.setdefault((location, name), []).append(block)
        print(f'round {round_index} {location:10s} {name:14s} '
              f'{block.per_s:7.1f}/s {block.cpu_ms:6.2f} + '
              f'{block.peer_cpu_ms:5.2f} CPU ms  load {block.load}',
              flush=True)
    rig.collector.close()
    rig.server.close()
    rig.local_server.stop()
  return {'results': results, 'load_start': load_start,
          'load_end': common.load_average(),
          'payload_bytes': payload_bytes(rig.variables)}


def warm_transfers(rig: Rig) -> None:
  """First calls trace functions and open streams; keep them out of timing."""
  for _ in range(3):
    rig.container.push(rig.variables, VARIABLES_TABLE)
  rig.collector.request('update 3')
  rig.collector.request('step 3')


def payload_bytes(variables) -> int:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return sum(int(v.shape.num_elements()) * v.dtype.size
             for v in tf.nest.flatten(variables))


# ----------------------------------------------------------------------------
# Report


def median_block(blocks: List[Block]) -> Block:
  med = lambda field: statistics.median(getattr(b, field) for b in blocks)
  return Block(med('per_s'), med('wall_median_ms'), med('wall_mean_ms'),
               med('cpu_ms'), med('peer_cpu_ms'),
               ' / '.join(b.load.split()[0] for b in blocks))


def learner_table(args, results) -> List[str]:
  lines = ['| dataset | Reverb server | train steps/s | learner process CPU '
           'ms/step | server process CPU ms/step | total CPU ms/step | '
           '1-min load per round |', '|---|---|---|---|---|---|---|']
  for location, setting in variants(args):
    if not setting:
      continue
    b = median_block(results[(location, setting.name)])
    server_ms = b.peer_cpu_ms if location == 'gRPC' else 0.0
    lines.append(f'| {setting.name} | {location} | {b.per_s:.1f} | '
                 f'{b.cpu_ms:.2f} | {server_ms:.2f} | '
                 f'{b.cpu_ms + server_ms:.2f} | {b.load} |')
  return lines


TRANSFER_ROWS = {
    'push': ('`ReverbVariableContainer.push`', 'learner'),
    'update': ('`ReverbVariableContainer.update`', 'collector'),
    'step': ('env step + collect policy action', 'collector'),
}


def transfer_table(results) -> List[str]:
  lines = ['| operation | in process | wall ms, median | wall ms, mean | '
           'CPU ms there | server process CPU ms | 1-min load per round |',
           '|---|---|---|---|---|---|---|']
  for key, (label, where) in TRANSFER_ROWS.items():
    b = median_block(results[(key, '-')])
    lines.append(f'| {label} | {where} | {b.wall_median_ms:.2f} | '
                 f'{b.wall_mean_ms:.2f} | {b.cpu_ms:.2f} | '
                 f'{b.peer_cpu_ms:.2f} | {b.load} |')
  return lines


def header(args, run: Dict) -> List[str]:
  """Command, machine, versions and load average."""
  info = common.machine_info()
  command = 'python -m benchmarks.replay_throughput' + (
      ' --quick' if args.quick else '')
  threads = args.tf_threads or "TensorFlow's defaults"
  return [
      '# Replay throughput: learner sampling and weight transfer',
      '',
      f'`{command}`, {info["date"]}, {info["cores"]} cores '
      f'({info["cpu_model"]}), TensorFlow {info["tensorflow"]}, tf_agents '
      f'{info["tf_agents"]}, Reverb {info["reverb"]}, commit '
      f'{info["git_commit"]}.',
      '',
      f'**Load average** (1, 5, 15 min): {run["load_start"]} at the start, '
      f'{run["load_end"]} at the end; each row gives the 1-minute load at its '
      'blocks. Absolute numbers are depressed on a loaded machine; compare '
      'rows, which ran alternately in the same rounds.',
      '',
      f'{args.rounds} round(s); medians over rounds. TF threads: {threads}.',
  ]


def learner_section(args, run: Dict) -> List[str]:
  settings = [f'- `{s.name}`: {s.description}' for s in args.settings]
  return [
      f'## Learner alone ({args.steps} train steps per block, batch 256 of '
      f'2-step items, table of {TABLE_SIZE} items, no rate limiting)',
      '',
      *learner_table(args, run['results']),
      '',
      *settings,
      '',
      'Each block: `Learner.run(iterations=1)` (tf_agents Learner, default '
      'strategy) from a fresh iterator, max(20, prefetch + 10) untimed steps '
      'first. CPU: user + system time of each whole process over the block, '
      "all threads; the server process's share counts only when the learner "
      'samples it over gRPC (in-process its work is in the learner column).',
  ]


def transfer_section(args, run: Dict) -> List[str]:
  return [
      f'## Weight transfer ({args.transfers} per block; payload '
      f'{run["payload_bytes"]:,} bytes: collect policy variables and '
      'train_step)',
      '',
      *transfer_table(run['results']),
      '',
      'push: from the learner process to the server process; update: pull '
      "and assign in a separate collector process (as tf_agents' "
      'distributed SAC examples); env step: one MinitaurBulletEnv step with '
      "the collect policy's action in that collector, for scale. CPU is the "
      'mean per operation.',
  ]


def report(args, run: Dict) -> str:
  return '\n'.join(header(args, run) + [''] + learner_section(args, run) +
                   [''] + transfer_section(args, run) + [''])


def main(argv: Optional[List[str]] = None) -> int:
  common.quiet_tensorflow()
  args = parse_args(sys.argv[1:] if argv is None else argv)
  set_tf_threads(args.tf_threads)
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.ERROR)
  if args.role == 'server':
    run_server()
    return 0
  if args.role == 'collector':
    run_collector()
    return 0
  text = report(args, run_learner(args))
  os.makedirs(os.path.dirname(args.out), exist_ok=True)
  with open(args.out, 'w') as f:
    f.write(text)
  print(text)
  return 0


if __name__ == '__main__':
  sys.exit(main())
