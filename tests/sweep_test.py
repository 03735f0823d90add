"""The `sweep` command: grids, naming, statistics, and tiny sweeps run as a user runs them."""

import io
import os
import re
import signal
import subprocess
import sys
import time

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np

import triggers
from sweep import grid
from sweep import manifest
from sweep import run_dir
from sweep import run_process
from sweep import scheduler
from sweep import stats
from sweep import table
from tests import subprocesses
from tests import test_case
from train_eval import console
from train_eval import summaries

TINY_SAC = os.path.join(subprocesses.REPO_ROOT, 'tests', 'testdata',
                        'tiny_sac_pendulum.gin')
# Runs of seconds: 20 train steps, evaluations at 0, 10 and 20.
TINY = ['train_eval.num_iterations = 20', 'train_eval.eval_interval = 10']
DEADLINE_SECS = 900  # Only against a hang; every wait below is for an event.


def sweep_command(root_dir, grids=(), bindings=TINY, flags=()):
  return ([sys.executable, '-m', 'sweep.cli', 'run', f'--root_dir={root_dir}',
           f'--gin_file={TINY_SAC}'] + [f'--grid={g}' for g in grids] +
          [f'--gin_bindings={b}' for b in bindings] + list(flags))


def training_segments(log_text):
  """(from, to) of each 'Training from step A to B' in a run's log."""
  return [(int(a), int(b)) for a, b in
          re.findall(r'Training from step (\d+) to (\d+)', log_text)]


def read(path):
  with open(path) as f:
    return f.read()


class GridTest(test_case.TestCase):

  def test_parse_grid_keeps_each_value_as_gin_text(self):
    g = grid.parse_grid('sac_agent.actor_fc_layers = [(64, 64), (256, 256)]')
    self.assertEqual(g.parameter, 'sac_agent.actor_fc_layers')
    self.assertEqual(g.values, ('(64, 64)', '(256, 256)'))
    g = grid.parse_grid("eval/load_environment.env_name = ['A-v1', @f, %M]")
    self.assertEqual(g.parameter, 'eval/load_environment.env_name')
    self.assertEqual(g.values, ("'A-v1'", '@f', '%M'))
    self.assertEqual(grid.parse_grid('a.b = [1e-4, 3e-4]').values,
                     ('0.0001', '0.0003'))

  def test_parse_grid_refuses(self):
    for text, message in [
        ('a.b = [1, 2', 'malformed'),
        ('a.b = 3', 'non-empty list'),
        ('a.b = []', 'non-empty list'),
        ('a.b = [1, 1]', 'listed twice'),
        ('train_eval.seed = [1, 2]', '--seeds'),
    ]:
      with self.assertRaisesRegex(grid.GridError, message):
        grid.parse_grid(text)

  def test_expand_is_configs_times_grids_times_seeds(self):
    grids = [grid.parse_grid('sac_agent.actor_learning_rate = [1e-4, 3e-4]'),
             grid.parse_grid('sac_agent.actor_fc_layers = [(64, 64), (256,)]')]
    runs = grid.expand([['a.gin'], ['b.gin', 'x.gin']], grids, 2)
    self.assertLen(runs, 2 * 2 * 2 * 2)
    self.assertEqual(
        runs[0].name,
        'config=a,actor_learning_rate=0.0001,actor_fc_layers=64-64/seed=0')
    self.assertEqual(runs[-1].name, 'config=b+x,actor_learning_rate=0.0003,'
                     'actor_fc_layers=256/seed=1')
    self.assertEqual(runs[-1].all_bindings(), [
        'sac_agent.actor_learning_rate = 0.0003',
        'sac_agent.actor_fc_layers = (256,)', 'train_eval.seed = 1'])
    self.assertEqual(runs[-1].gin_files, ('b.gin', 'x.gin'))
    self.assertEqual([r.name for r in grid.expand([['a.gin']], [], 2)],
                     ['default/seed=0', 'default/seed=1'])

  def test_names(self):
    self.assertEqual(grid.short_names(['a.lr', 'b.lr', 'a.units']),
                     ['a.lr', 'b.lr', 'units'])
    self.assertEqual(grid.value_name('-5'), '-5')
    self.assertEqual(grid.value_name("'Pendulum-v1'"), 'Pendulum-v1')
    self.assertEqual(grid.value_name('(64, 64)'), '64-64')
    with self.assertRaisesRegex(grid.GridError, 'share the directory'):
      grid.expand([['a.gin']], [grid.parse_grid("a.b = ['x y', 'x-y']")], 1)
    with self.assertRaisesRegex(grid.GridError, 'same parameter'):
      grid.expand([['a.gin']], [grid.parse_grid('a.b = [1]'),
                                grid.parse_grid('a.b = [2]')], 1)


class StatsTest(absltest.TestCase):

  def test_final_score_is_the_mean_of_the_last_fifth(self):
    returns = {0: -100.0, 50: -50.0, 80: -10.0, 90: -4.0, 100: 2.0}
    self.assertAlmostEqual(stats.final_score(returns), (-10 - 4 + 2) / 3)
    self.assertTrue(np.isnan(stats.final_score({})))

  def test_iqm_drops_the_outer_quarters(self):
    self.assertAlmostEqual(stats.iqm([1, 2, 3, 100]), 2.5)
    self.assertAlmostEqual(stats.iqm([5, 1]), 3.0)
    self.assertAlmostEqual(stats.iqm(list(range(8))), np.mean([2, 3, 4, 5]))

  def test_bootstrap_interval(self):
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    low, high = stats.bootstrap_ci(values)
    self.assertLess(low, np.mean(values))
    self.assertGreater(high, np.mean(values))
    self.assertGreaterEqual(low, 1.0)
    self.assertLessEqual(high, 10.0)
    self.assertEqual(stats.bootstrap_ci([3.0]), (3.0, 3.0))

  def test_difference_within_noise_or_not(self):
    diff, low, high = stats.difference_ci([1.0, 2.0, 3.0], [1.5, 2.5, 2.0])
    self.assertAlmostEqual(diff, 0.0)
    self.assertLessEqual(low, 0.0)
    self.assertGreaterEqual(high, 0.0)
    diff, low, _ = stats.difference_ci([10.0, 11.0, 12.0], [1.0, 2.0, 3.0])
    self.assertAlmostEqual(diff, 9.0)
    self.assertGreater(low, 0.0)


class StatusAndTableTest(absltest.TestCase):

  def test_status_reads_train_evals_console(self):
    status = run_process.Status(state=run_process.RUNNING)
    bar = console.Console(io.StringIO(), io.StringIO(), 400, 10, live=False)
    bar.start(0)
    status.read_line(bar.bar(120, loss=0.5))
    status.read_line(console.eval_line(100, {'AverageReturn': -123.5,
                                             'AverageEpisodeLength': 200.0}))
    status.read_line('train_eval: error: --gin_file=x.gin: no such file.')
    self.assertEqual((status.step, status.total), (120, 400))
    self.assertIsNotNone(status.steps_per_sec)
    self.assertEqual(status.last_eval, (100, -123.5))
    self.assertEqual(status.error, '--gin_file=x.gin: no such file.')

  def test_one_line_per_change_when_not_a_terminal(self):
    out = io.StringIO()
    items = [scheduler.Item('a=1/seed=0', '/x', [], 20),
             scheduler.Item('a=2/seed=0', '/y', [], 20)]
    shown = table.Table(out, 2, live=False)
    shown.update(items)
    items[0].status.state = run_process.RUNNING
    items[0].status.step = 5
    shown.update(items)
    items[0].status.step = 10  # Progress is not a change of state.
    shown.update(items)
    items[0].status.state = run_process.FAILED
    items[0].status.error = 'boom'
    shown.update(items)
    self.assertEqual(out.getvalue().splitlines(), [
        '[0/2 done] a=1/seed=0: queued', '[0/2 done] a=2/seed=0: queued',
        '[0/2 done] a=1/seed=0: running', '[0/2 done] a=1/seed=0: failed: boom'])

  def test_live_table_redraws_in_place(self):
    out = io.StringIO()
    items = [scheduler.Item('a=1/seed=0', '/x', [], 20)]
    items[0].status = run_process.Status(run_process.RUNNING, 5, 20, 2.5,
                                         (0, -9.0))
    shown = table.Table(out, 1, live=True, clock=iter([0.0, 1.0]).__next__)
    shown.update(items)
    shown.update(items)
    text = out.getvalue()
    self.assertIn('\x1b[2F', text)  # Back up over the header and the row.
    self.assertRegex(text, r'a=1/seed=0 +running +5/20 +2\.5  -9\.0 @ 0')


class RootAndLockTest(test_case.TestCase):

  def test_manifest_allows_more_values_and_refuses_other_flags(self):
    root = self.create_tempdir().full_path
    wanted = manifest.describe(['--gin_bindings=a.b = 1'], ['x.y'], None)
    manifest.check(root, wanted)  # Empty: a new sweep.
    manifest.write(root, wanted)
    manifest.check(root, wanted)
    for other in (manifest.describe(['--gin_bindings=a.b = 2'], ['x.y'], None),
                  manifest.describe(['--gin_bindings=a.b = 1'], ['x.z'], None)):
      with self.assertRaisesRegex(manifest.SweepRootError, 'holds a sweep of'):
        manifest.check(root, other)
    not_sweep = self.create_tempdir().full_path
    open(os.path.join(not_sweep, 'file'), 'w').close()
    with self.assertRaisesRegex(manifest.SweepRootError, 'not a sweep'):
      manifest.check(not_sweep, wanted)

  def test_lock_is_exclusive_and_names_its_holder(self):
    path = self.create_tempdir().full_path
    first, second = run_dir.RunLock(path), run_dir.RunLock(path)
    self.assertTrue(first.acquire())
    self.assertFalse(second.acquire())
    self.assertEqual(second.holder(), str(os.getpid()))
    first.release()
    self.assertTrue(second.acquire())
    second.release()


class SweepTestCase(test_case.TestCase):
  """Runs `sweep` in subprocesses, in a temporary working directory."""

  def setUp(self):
    super().setUp()
    self.workdir = self.create_tempdir().full_path
    self.root = os.path.join(self.workdir, 'sweep')

  def run_sweep(self, args, expect_rc=0):
    result = subprocess.run(args, cwd=self.workdir, env=subprocesses.python_env(),
                            capture_output=True, text=True,
                            timeout=DEADLINE_SECS)
    if result.returncode != expect_rc:
      self.fail(f'exit {result.returncode}, wanted {expect_rc}\nstdout:\n'
                f'{result.stdout}\nstderr:\n{result.stderr[-5000:]}')
    return result

  def start(self, args, name):
    out_path = os.path.join(self.workdir, f'{name}.out')
    out = open(out_path, 'w')
    self.addCleanup(out.close)
    process = subprocess.Popen(args, cwd=self.workdir,
                               env=subprocesses.python_env(), stdout=out,
                               stderr=subprocess.STDOUT, text=True)
    self.addCleanup(lambda: process.poll() is None and process.kill())
    return process, out_path

  def wait_for(self, process, out_path, condition, what):
    deadline = time.monotonic() + DEADLINE_SECS
    while not condition():
      if process.poll() is not None:
        self.fail(f'sweep ended (exit {process.returncode}) before {what}:\n'
                  f'{read(out_path)[-5000:]}')
      self.assertLess(time.monotonic(), deadline, f'no {what}')
      time.sleep(0.2)


class SweepBinaryTest(SweepTestCase, parameterized.TestCase):
  """`sweep run` and `sweep report` as a user runs them, on tiny SAC Pendulum runs."""

  def test_grid_runs_in_parallel_reports_and_a_rerun_starts_nothing(self):
    lr_grid = 'sac_agent.actor_learning_rate = [1e-3, 3e-4]'
    result = self.run_sweep(sweep_command(self.root, [lr_grid],
                                          flags=['--seeds=2', '--parallel=2']))
    names = [f'actor_learning_rate={v}/seed={s}'
             for v in ('0.001', '0.0003') for s in (0, 1)]
    for name in names:
      self.assertIn(f'{name}: done at step 20', result.stdout)
      self.assertEqual(
          triggers.list_checkpoints(os.path.join(self.root, name, 'policies')),
          [20])
      with open(os.path.join(self.root, name, 'operative_config.gin')) as f:
        self.assertIn(f'train_eval.seed = {name[-1]}', f.read())
    self.assertIn('4 runs: 4 done now, 0 done earlier, 0 failed', result.stdout)
    # Two at a time: some run started while another was running.
    logs = {n: read(os.path.join(self.root, n, 'logs', 'all.log')) for n in names}
    self.assertIn('Training from step 0 to 20', logs[names[0]])
    running = re.findall(r'(\S+/seed=\d): (running|done)', result.stdout)
    self.assertEqual([s for _, s in running[:2]], ['running', 'running'])

    rerun = self.run_sweep(sweep_command(self.root, [lr_grid],
                                         flags=['--seeds=2', '--parallel=2']))
    self.assertIn('4 runs: 0 done now, 4 done earlier', rerun.stdout)
    self.assertNotIn('running', rerun.stdout)
    for name in names:  # No run started again: its log did not grow.
      self.assertEqual(read(os.path.join(self.root, name, 'logs', 'all.log')),
                       logs[name])

    refused = self.run_sweep(
        sweep_command(self.root, [lr_grid],
                      bindings=TINY + ['train_eval.eval_episodes = 2']),
        expect_rc=2)
    self.assertRegex(refused.stderr, r'^sweep run: error: --root_dir=.* holds '
                     r'a sweep of other gin files, bindings or flags .*\n$')

    report = self.run_sweep([sys.executable, '-m', 'sweep.cli', 'report',
                             self.root, '--baseline=actor_learning_rate=0.001'])
    rows = [l for l in report.stdout.splitlines() if re.match(r'\| \d', l)]
    self.assertLen(rows, 2)
    for row in rows:
      cells = [c.strip() for c in row.strip('|').split('|')]
      self.assertIn(cells[1], ('actor_learning_rate=0.001',
                               'actor_learning_rate=0.0003'))
      self.assertEqual(cells[2], '2')  # Seeds.
      point = os.path.join(self.root, cells[1])
      finals = [summaries.scalars(os.path.join(point, f'seed={s}'),
                                  *summaries.EVAL_RETURN)[20] for s in (0, 1)]
      self.assertAlmostEqual(float(cells[3]), np.mean(finals), places=1)
    self.assertIn('| baseline |', report.stdout)
    with open(os.path.join(self.root, 'report.csv')) as f:
      self.assertEqual(len(f.read().strip().splitlines()), 3)
    with open(os.path.join(self.root, 'curves.png'), 'rb') as f:
      self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')

  def test_sigterm_then_kill9_then_the_next_run_finishes_only_the_rest(self):
    # Long enough to be stopped twice; evaluations off to keep it short.
    bindings = ['train_eval.num_iterations = 1000',
                'train_eval.eval_interval = 0']
    args = sweep_command(self.root, bindings=bindings,
                         flags=['--seeds=2', '--parallel=2'])
    dirs = [os.path.join(self.root, 'default', f'seed={s}') for s in (0, 1)]
    policies = lambda d: os.path.join(d, 'policies')
    saved = lambda d: (os.path.isdir(policies(d)) and
                       triggers.list_checkpoints(policies(d)))

    first, first_out = self.start(args, 'first')
    self.wait_for(first, first_out, lambda: all(saved(d) for d in dirs),
                  'a policy checkpoint in each run')
    first.send_signal(signal.SIGTERM)
    self.assertEqual(first.wait(timeout=DEADLINE_SECS), 130, read(first_out))
    output = read(first_out)
    self.assertIn('2 stopped', output)
    self.assertIn('re-run the same command to resume', output)
    stopped_at = [run_dir.last_step(d) for d in dirs]
    for step in stopped_at:
      self.assertLess(step, 1000)

    second, second_out = self.start(args, 'second')
    resumed = lambda d: len(training_segments(
        read(os.path.join(d, 'logs', 'all.log')))) >= 2
    self.wait_for(second, second_out, lambda: all(resumed(d) for d in dirs),
                  'both runs resumed')
    second.send_signal(signal.SIGKILL)  # The runs get SIGTERM and save.
    second.wait(timeout=DEADLINE_SECS)

    third = self.run_sweep(args)
    self.assertIn('2 runs: 2 done now, 0 done earlier, 0 failed', third.stdout)
    for directory, first_stop in zip(dirs, stopped_at):
      log = read(os.path.join(directory, 'logs', 'all.log'))
      segments = training_segments(log)
      self.assertGreaterEqual(len(segments), 3, log[-3000:])
      self.assertEqual(segments[0], (0, 1000))
      self.assertEqual(segments[1][0], first_stop)
      self.assertEqual(segments[-1][1], 1000)
      starts = [a for a, _ in segments]
      self.assertEqual(starts, sorted(set(starts)))  # Never the same step twice.
      self.assertNotIn('already exists', log)
      self.assertEqual(
          triggers.list_checkpoints(policies(directory))[-1], 1000)

  def test_a_locked_run_waits_and_a_failing_run_does_not_stop_the_others(self):
    env_grid = "load_environment.env_name = ['Pendulum-v1', 'NoSuchEnv-v9']"
    locked_dir = os.path.join(self.root, 'env_name=Pendulum-v1', 'seed=0')
    # The root holds this sweep, one of whose runs another process runs.
    manifest.write(self.root, manifest.describe(
        [f'--gin_bindings={b}' for b in TINY], ['load_environment.env_name'],
        None))
    lock = run_dir.RunLock(locked_dir)
    self.assertTrue(lock.acquire())
    self.addCleanup(lock.release)
    process, out_path = self.start(
        sweep_command(self.root, [env_grid], flags=['--parallel=2']), 'sweep')
    self.wait_for(process, out_path, lambda: (
        f'env_name=Pendulum-v1/seed=0: waiting (locked by pid {os.getpid()})'
        in read(out_path) and
        'env_name=NoSuchEnv-v9/seed=0: failed' in read(out_path)),
                  'the locked run waiting and the other failed')
    self.assertEqual(os.listdir(locked_dir), [run_dir.LOCK_FILE])
    lock.release()
    self.assertEqual(process.wait(timeout=DEADLINE_SECS), 1)
    output = read(out_path)
    self.assertIn('env_name=Pendulum-v1/seed=0: done at step 20', output)
    self.assertIn('2 runs: 1 done now, 0 done earlier, 1 failed', output)
    failed = re.search(r'(?m)^FAILED env_name=NoSuchEnv-v9/seed=0: (.*)$',
                       output)
    self.assertIsNotNone(failed, output)
    self.assertIn('NoSuchEnv-v9', failed.group(1))

  @parameterized.named_parameters(
      ('malformed', 'sac_agent.actor_learning_rate = [1e-3, 3e-4',
       r"--grid='sac_agent.actor_learning_rate = \[1e-3, 3e-4': malformed"),
      ('unknown_parameter', 'sac_agent.learning_rat = [1e-3, 3e-4]',
       r'grid point learning_rat=0.001: --grid value "sac_agent.learning_rat = '
       r"0.001\" line 1: Configurable 'sac_agent' doesn't have a parameter"),
      ('denied_binding', 'PolicySavedModelTrigger.agent = [1, 2]',
       r'grid point agent=1: .*denylisted'),
      ('bad_value_in_one_point', 'train_eval.num_iterations = [20, -5]',
       r'grid point num_iterations=-5: train_eval.num_iterations = -5: must be '
       'an integer >= 1'),
  )
  def test_a_bad_grid_is_refused_before_anything_is_written(self, grid_text,
                                                            message):
    result = self.run_sweep(sweep_command(self.root, [grid_text]), expect_rc=2)
    self.assertRegex(result.stderr, rf'^sweep run: error: {message}.*\n$')
    self.assertEqual(result.stdout, '')
    self.assertFalse(os.path.exists(self.root))


if __name__ == '__main__':
  absltest.main()
