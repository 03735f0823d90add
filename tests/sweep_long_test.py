"""`sweep run` on a local Ray instance, and `--search=optuna`, on tiny runs."""

import os
import re
import sqlite3

from absl.testing import absltest

import triggers
from tests import sweep_test


class SweepLongTest(sweep_test.SweepTestCase):

  def test_the_tiny_grid_on_a_local_ray_instance(self):
    lr_grid = 'sac_agent.actor_learning_rate = [1e-3, 3e-4]'
    args = sweep_test.sweep_command(self.root, [lr_grid],
                                    flags=['--seeds=2', '--launcher=ray'])
    result = self.run_sweep(args)
    self.assertIn('4 runs: 4 done now, 0 done earlier, 0 failed', result.stdout)
    for value in ('0.001', '0.0003'):
      for seed in (0, 1):
        run = os.path.join(self.root, f'actor_learning_rate={value}',
                           f'seed={seed}')
        self.assertEqual(
            triggers.list_checkpoints(os.path.join(run, 'policies')), [20])
        self.assertIn('Training from step 0 to 20',
                      sweep_test.read(os.path.join(run, 'logs', 'all.log')))
    rerun = self.run_sweep(args)
    self.assertIn('4 runs: 0 done now, 4 done earlier', rerun.stdout)
    report = self.run_sweep([sweep_test.sys.executable, '-m', 'sweep.cli',
                             'report', self.root])
    self.assertLen(re.findall(r'(?m)^\| \d+ \| actor_learning_rate=\S+ \| 2 \|',
                              report.stdout), 2)

  def test_optuna_search_on_a_tiny_budget(self):
    args = sweep_test.sweep_command(
        self.root, ['sac_agent.actor_learning_rate = loguniform(1e-5, 1e-2)'],
        flags=['--search=optuna', '--trials=3', '--parallel=2'])
    result = self.run_sweep(args)
    self.assertRegex(result.stdout, r'Optuna: \d complete, \d pruned; best '
                     r'trial \d+: final score -?[\d.]+ with '
                     r'sac_agent.actor_learning_rate = [\d.e-]+\.')
    with sqlite3.connect(os.path.join(self.root, 'optuna.db')) as db:
      states = [s for (s,) in db.execute('SELECT state FROM trials')]
    self.assertLen(states, 3)
    self.assertNotIn('RUNNING', states)
    for number in range(3):
      run = os.path.join(self.root, f'trial={number:04d}', 'seed=0')
      with open(os.path.join(run, 'operative_config.gin')) as f:
        rate = float(re.search(r'sac_agent.actor_learning_rate = ([\d.e-]+)',
                               f.read()).group(1))
      self.assertTrue(1e-5 <= rate <= 1e-2, rate)
    rerun = self.run_sweep(args)  # Three trials exist: nothing more to run.
    self.assertIn('0 runs', rerun.stdout)


if __name__ == '__main__':
  absltest.main()
