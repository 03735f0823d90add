"""Environment steps per second into one replay server from N collect jobs, no learner.

A replay job whose rate limiter never binds, the sac_minitaur collect policy
exported and its weights pushed once from here, then N `--job=collect`
processes; the rate is the experience table's inserts over a window after
every collector has its weights (an item per environment step, less one per
episode).

  .venv/bin/python -m benchmarks.collection_scaling 2 60   # 2 jobs, 60 s
"""

import os
import subprocess
import sys
import tempfile
import time

from benchmarks import common

UNLIMITED = ['train_eval.initial_collect_steps = 0',
             'ReverbReplay.rate_limit_slack_steps = 1000000000',
             'train_eval.num_iterations = 1000000000']


def _job(root_dir: str, flags, env) -> subprocess.Popen:
  args = [sys.executable, '-m', 'train_eval.train_eval',
          f'--root_dir={root_dir}', '--gin_file=sac_minitaur.gin']
  args += [f'--gin_bindings={b}' for b in UNLIMITED] + list(flags)
  return subprocess.Popen(args, cwd=common.REPO_ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _export_and_push(root_dir: str, address: str) -> None:
  """Writes policies/collect_policy and pushes its weights, as the learner would."""
  import gin  # pylint: disable=g-import-not-at-top
  import reverb  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import policy_saver  # pylint: disable=g-import-not-at-top
  from train_eval import agents  # pylint: disable=g-import-not-at-top
  from train_eval import environments  # pylint: disable=g-import-not-at-top
  from train_eval import experiment  # pylint: disable=g-import-not-at-top,unused-import
  from train_eval import gin_config  # pylint: disable=g-import-not-at-top
  from train_eval import replay  # pylint: disable=g-import-not-at-top,unused-import
  from train_eval import weights  # pylint: disable=g-import-not-at-top
  gin.clear_config()
  gin_config.parse(['sac_minitaur.gin'], [])
  env = environments.create()
  agent, train_step = agents.build(agents.sac_agent, env)
  env.close()
  policy_saver.PolicySaver(agent.collect_policy, train_step=train_step).save(
      os.path.join(root_dir, 'policies', 'collect_policy'))
  weights.Publisher(reverb.Client(address), agent.collect_policy.variables(),
                    train_step).push()


def measure(collectors: int, seconds: float) -> float:
  """Items inserted per second by `collectors` collect jobs over `seconds`."""
  import portpicker  # pylint: disable=g-import-not-at-top
  import reverb  # pylint: disable=g-import-not-at-top
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=(
      common.REPO_ROOT + os.pathsep + os.environ.get('PYTHONPATH', '')))
  port = portpicker.pick_unused_port()
  address = f'localhost:{port}'
  with tempfile.TemporaryDirectory(prefix='collection_scaling_') as root_dir:
    processes = [_job(root_dir, ['--job=replay', f'--replay_port={port}'], env)]
    try:
      client = reverb.Client(address)
      deadline = time.monotonic() + 120
      while True:
        try:
          client.server_info(timeout=1)
          break
        except Exception:  # pylint: disable=broad-except
          if time.monotonic() > deadline:
            raise
          time.sleep(0.5)
      _export_and_push(root_dir, address)
      processes += [
          _job(root_dir, ['--job=collect', f'--task={task}',
                          f'--collectors={collectors}',
                          f'--replay_address={address}'], env)
          for task in range(collectors)]
      inserted = lambda: client.server_info()['uniform_table'].rate_limiter_info.insert_stats.completed
      # Warm-up: every collector loaded its policy and wrote for a while.
      deadline = time.monotonic() + 300
      while inserted() < 200 * collectors and time.monotonic() < deadline:
        time.sleep(1)
      time.sleep(10)
      start_count, start = inserted(), time.monotonic()
      time.sleep(seconds)
      return (inserted() - start_count) / (time.monotonic() - start)
    finally:
      for process in processes:
        process.terminate()
      for process in processes:
        try:
          process.wait(timeout=60)
        except subprocess.TimeoutExpired:
          process.kill()


if __name__ == '__main__':
  print(f'{measure(int(sys.argv[1]), float(sys.argv[2])):.1f} steps/s')
