"""Measure 5: iterations/s of the tutorial loop, our `train_eval` vs tf_agents' loop.

Each side runs in its own subprocess, alternately (ours, theirs, theirs, ours,
...). Both log a progress line every `log_interval` train steps through absl;
the loop's speed is (last logged step - first logged step) / (time between
those two lines), from absl's timestamps. Startup, the SavedModel exports, the
initial collect and the first `log_interval` steps (which trace the tf.functions)
are therefore excluded from both.
"""

import datetime
import os
import re
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

from benchmarks import common

# absl: "I1123 22:28:31.218764 140641535314816 experiment.py:146] step = 100: ..."
_LINE = re.compile(
    r'^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d\.\d+)\s+\d+\s+\S+\] '
    r'step = (\d+): loss = ')


def parse_progress(output: str) -> List[Tuple[float, int]]:
  """(seconds, step) of each progress line, seconds from an arbitrary origin."""
  points = []
  offset = 0.0
  last = None
  for line in output.splitlines():
    match = _LINE.match(line)
    if not match:
      continue
    hours, minutes, seconds = (int(match.group(3)), int(match.group(4)),
                               float(match.group(5)))
    t = hours * 3600 + minutes * 60 + seconds + offset
    if last is not None and t < last:  # Past midnight.
      offset += 86400
      t += 86400
    last = t
    points.append((t, int(match.group(6))))
  return points


def loop_speed(points: List[Tuple[float, int]]) -> Optional[float]:
  """Train steps per second between the first and last progress lines."""
  if len(points) < 2:
    return None
  (t0, s0), (t1, s1) = points[0], points[-1]
  return (s1 - s0) / (t1 - t0) if t1 > t0 else None


def _command(which: str, root_dir: str, iterations: int, initial_collect: int,
             log_interval: int) -> List[str]:
  if which in ('ours', 'ours_overlapped'):
    overlapped = (['--gin_bindings=train_eval.overlapped = True']
                  if which == 'ours_overlapped' else [])
    return [
        sys.executable, '-m', 'train_eval.train_eval',
        f'--root_dir={root_dir}', '--gin_file=sac_minitaur.gin',
        f'--gin_bindings=train_eval.num_iterations = {iterations}',
        '--gin_bindings=train_eval.eval_interval = 0',
        f'--gin_bindings=train_eval.initial_collect_steps = {initial_collect}',
        f'--gin_bindings=train_eval.log_interval = {log_interval}',
    ] + overlapped
  return [
      sys.executable, '-m', 'benchmarks.tf_agents_loop',
      f'--root_dir={root_dir}', f'--num_iterations={iterations}',
      f'--initial_collect_steps={initial_collect}',
      f'--log_interval={log_interval}', '--eval_interval=0',
  ]


def run_one(which: str, iterations: int, initial_collect: int,
            log_interval: int, timeout: float = 900) -> Dict[str, object]:
  with common.scratch_dir(f'e2e_{which}') as root:
    root_dir = os.path.join(root, 'run')
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2',
               PYTHONPATH=common.REPO_ROOT + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    start = time.perf_counter()
    proc = subprocess.run(
        _command(which, root_dir, iterations, initial_collect, log_interval),
        cwd=common.REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=timeout)
    wall = time.perf_counter() - start
  output = proc.stdout + proc.stderr
  if proc.returncode != 0:
    raise RuntimeError(f'{which} loop exited {proc.returncode}:\n'
                       + output[-4000:])
  points = parse_progress(output)
  speed = loop_speed(points)
  if speed is None:
    raise RuntimeError(f'{which}: fewer than 2 progress lines:\n'
                       + output[-4000:])
  return {'which': which, 'iterations_per_s': speed,
          'timed_steps': points[-1][1] - points[0][1],
          'timed_seconds': points[-1][0] - points[0][0],
          'process_wall_s': wall}


def measure(repeats: int, iterations: int, initial_collect: int,
            log_interval: int, warmup: bool = True,
            log=print) -> Dict[str, object]:
  ours, theirs, overlapped = common.Series(), common.Series(), common.Series()
  runs = []
  if warmup:
    # The first subprocess after the in-process measures ran slow in trials
    # (cold caches, dirty pages being written back); it would always be ours'.
    result = run_one('theirs', 2 * log_interval + 1, 100, log_interval)
    log(f'  end to end warm-up (untimed, tf_agents loop, '
        f'{2 * log_interval + 1} iterations): '
        f'{result["iterations_per_s"]:.1f} it/s')

  def run(which, series):
    result = run_one(which, iterations, initial_collect, log_interval)
    series.add(result['iterations_per_s'])
    runs.append(result)
    log(f'  end to end {which}: {result["iterations_per_s"]:.1f} it/s over '
        f'{result["timed_steps"]} steps ({result["process_wall_s"]:.0f} s '
        'process)')

  # Three variants, their order rotated each repeat.
  variants = [('ours', ours), ('theirs', theirs),
              ('ours_overlapped', overlapped)]
  for i in range(repeats):
    for which, series in variants[i % 3:] + variants[:i % 3]:
      run(which, series)
  return {
      'iterations': iterations, 'initial_collect_steps': initial_collect,
      'log_interval': log_interval, 'repeats': repeats,
      'ours_iterations_per_s': ours.summary(),
      'theirs_iterations_per_s': theirs.summary(),
      'ratio': common.ratio(ours.median, theirs.median),
      'overlapped_iterations_per_s': overlapped.summary(),
      'overlapped_ratio': common.ratio(overlapped.median, theirs.median),
      'runs': runs,
  }
