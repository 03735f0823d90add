"""benchmarks/micro.py and tutorial_loops.py run end to end and write their results.

Keeps the benchmarks from rotting unseen (an API they use changes, a measure
breaks). Asserts no timing: the machine running the tests may be busy.
"""

import json
import math
import os
import re
import subprocess
import sys

from absl.testing import absltest

from tests import subprocesses
from tests import test_case

ROWS = [
    'idle trigger call',
    'loop throughput, with trigger ÷ without',
    'share of loop time in the trigger call',
    'construction (3 SavedModels)',
    'synchronous save',
    'bytes per checkpoint',
]
# A value cell of micro.md: a number with an optional unit, e.g. '311,780 B'.
VALUE = re.compile(r'^[\d,]+(\.\d+)?( ns| s| ms| B|%)?$')


class MicroSmokeTest(test_case.TestCase):

  def test_smoke_form_writes_every_row_with_numbers(self):
    out = os.path.join(self.create_tempdir().full_path, 'micro')
    proc = subprocess.run(
        [sys.executable, '-m', 'benchmarks.micro', '--smoke', f'--out={out}'],
        cwd=subprocesses.REPO_ROOT, env=subprocesses.python_env(),
        capture_output=True, text=True, timeout=240)
    self.assertEqual(proc.returncode, 0,
                     proc.stdout[-3000:] + '\n' + proc.stderr[-3000:])

    with open(out + '.json') as f:
      rows = json.load(f)['rows']
    self.assertEqual([row['measure'] for row in rows], ROWS)
    for row in rows:
      for key in ('ours', 'tf_agents', 'ratio'):
        self.assertTrue(math.isfinite(row[key]) and row[key] > 0,
                        f'{row["measure"]}: {key} = {row[key]}')
      self.assertEqual(row['met'] is None, row['target'] is None, row)

    with open(out + '.md') as f:
      table = [line.strip('|').split('|') for line in f
               if line.startswith('| ') and not line.startswith('| measure')]
    self.assertEqual([cells[0].strip() for cells in table], ROWS)
    for cells in table:
      for value in cells[1:3]:
        self.assertRegex(value.strip(), VALUE)


class TutorialLoopsSmokeTest(test_case.TestCase):

  def test_run_all_writes_each_evaluation_and_the_final_score(self):
    out = os.path.join(self.create_tempdir().full_path, 'tutorial_loops.json')
    # A file from an earlier invocation: its runs stay, another seed is added.
    earlier_run = {'curve': {'0': 9.0, '4': 20.0}, 'final_score': 20.0,
                   'wall_s': 1.0, 'cpu_s': 1.0, 'complete': True}
    with open(out, 'w') as f:
      json.dump({'machine': {'command': 'earlier'},
                 'reinforce_cartpole': {'0': earlier_run}}, f)
    proc = subprocess.run(
        [sys.executable, '-m', 'benchmarks.tutorial_loops', '--run_all',
         '--tutorials=reinforce_cartpole', '--seeds=3', '--num_iterations=4',
         '--eval_interval=2', '--num_eval_episodes=1', f'--out={out}'],
        cwd=subprocesses.REPO_ROOT, env=subprocesses.python_env(),
        capture_output=True, text=True, timeout=240)
    self.assertEqual(proc.returncode, 0,
                     proc.stdout[-3000:] + '\n' + proc.stderr[-3000:])

    with open(out) as f:
      results = json.load(f)
    self.assertEqual(sorted(results), ['machine', 'reinforce_cartpole'])
    self.assertIn('load_average_at_end', results['machine'])
    self.assertEqual(results['machine']['earlier'], [{'command': 'earlier'}])
    self.assertEqual(sorted(results['reinforce_cartpole']), ['0', '3'])
    self.assertEqual(results['reinforce_cartpole']['0'], earlier_run)
    run = results['reinforce_cartpole']['3']
    self.assertEqual(sorted(run['curve']), ['0', '2', '4'])  # Step 0 included.
    for value in run['curve'].values():  # CartPole-v0 returns are in [1, 200].
      self.assertBetween(value, 1, 200)
    # Only step 4 is at or past 80 % of the last step.
    self.assertEqual(run['final_score'], run['curve']['4'])
    self.assertTrue(run['complete'])
    self.assertGreater(run['cpu_s'], 0)


if __name__ == '__main__':
  absltest.main()
