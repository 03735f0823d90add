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



class ReproduceConfigsTableTest(test_case.TestCase):

  def test_tutorial_loop_column_gives_its_seeds_and_the_difference(self):
    from benchmarks import reproduce_configs  # pylint: disable=g-import-not-at-top
    out = self.create_tempdir().full_path
    run = lambda score, complete=True: {'final_score': score,
                                        'complete': complete}
    with open(os.path.join(out, reproduce_configs.TUTORIAL_LOOPS), 'w') as f:
      json.dump({'machine': {}, 'reinforce_cartpole': {
          '0': run(200.0), '1': run(190.0), '2': run(50.0, complete=False)}},
                f)
    loop = reproduce_configs.tutorial_loop_scores(out)
    # An incomplete run (stopped by the time limit) is left out.
    self.assertEqual(loop, {'reinforce_cartpole': {0: 200.0, 1: 190.0}})

    from sweep import stats  # pylint: disable=g-import-not-at-top
    ours = [200.0, 200.0, 196.0]
    row = {'config': 'reinforce_cartpole', 'source': 's', 'env': 'e',
           'train_steps': 250, 'bindings': [], 'seeds': 3,
           'seed_numbers': [0, 1, 2], 'wall_minutes_per_run': 1.0,
           'mean': 198.7, 'min': 196.0, 'max': 200.0, 'target_text': 't',
           'meets': True, 'tutorial_loop': {
               'seed_numbers': [0, 1], 'final_scores': [200.0, 190.0],
               'difference': stats.difference_ci(ours, [200.0, 190.0]),
               'within_seed_noise': True}}
    line, = [l for l in reproduce_configs.markdown([row], '1 1 1').splitlines()
             if l.startswith('| [reinforce_cartpole]')]
    difference, low, high = row['tutorial_loop']['difference']
    self.assertAlmostEqual(difference, (200 + 200 + 196) / 3 - 195)
    self.assertIn(f'| 195.0 [190.0, 200.0] (2) seeds 0,1; ours - it '
                  f'+3.7 [{low:+.1f}, {high:+.1f}], within seed noise |',
                  line)
    self.assertLessEqual(low, difference)
    self.assertLessEqual(difference, high)

  def test_judge_against_the_tutorial_loop_and_the_target(self):
    from benchmarks import reproduce_configs  # pylint: disable=g-import-not-at-top
    judge = reproduce_configs.judge
    at_maximum = [200.0] * 7
    # Below a loop whose band is the maximum by one short episode: within
    # seed noise, so it meets.
    meets, (difference, low, high), within_noise = judge(
        [200.0] * 8 + [195.1, 198.0], at_maximum, 195.0)
    self.assertTrue(meets)
    self.assertTrue(within_noise)
    self.assertAlmostEqual(difference, -0.69)
    self.assertLessEqual(low, difference)
    self.assertEqual(high, 0.0)
    # Well below it on every seed: neither inside the band nor noise.
    meets, _, within_noise = judge([150.0, 160.0, 170.0], at_maximum, 195.0)
    self.assertFalse(meets)
    self.assertFalse(within_noise)
    # Above the loop's floor: meets, whatever the nominal threshold.
    self.assertTrue(judge([300.0, 320.0], [215.0, 395.0], 475.0)[0])
    # Without a loop: the target.
    self.assertEqual(judge([196.0, 195.0], [], 195.0), (True, None, None))
    self.assertEqual(judge([190.0, 195.0], [], 195.0), (False, None, None))


if __name__ == '__main__':
  absltest.main()
