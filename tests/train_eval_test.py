"""The train_eval binary end to end, run as a user runs it: in a subprocess."""

import json
import os
import re
import signal
import subprocess
import sys
import time

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
from tf_agents.environments import suite_gym
from tf_agents.policies import policy_loader

import triggers
from tests import subprocesses
from tests import test_case
from train_eval import evaluation

TINY_SAC = os.path.join(subprocesses.REPO_ROOT, 'tests', 'testdata',
                        'tiny_sac_pendulum.gin')
TINY_DQN_BINDINGS = [
    'train_eval.num_iterations = 30', 'train_eval.initial_collect_steps = 64',
    'train_eval.eval_interval = 0', 'ReverbReplay.batch_size = 16',
    'dqn_agent.fc_layers = (16,)', 'PolicySavedModelTrigger.interval = 10',
]
# What the console must never show by default: lines from TensorFlow, gym,
# pybullet, Reverb and SavedModel exports that say nothing to the user.
NOISE = ('cuDNN', 'TensorRT', 'Gym has been unmaintained', 'argv[0]',
         'pkg_resources', 'Assets written', 'without gRPC', 'Sanitizing',
         'untraced functions', 'UserWarning', 'fingerprint', 'oneDNN')
PROGRESS = re.compile(r'train \[[#.]+\] +\d+% (\d+)/(\d+) \| [\d.]+ steps/s')


def command(root_dir, gin_files=(TINY_SAC,), bindings=(), flags=()):
  args = [sys.executable, '-m', 'train_eval.train_eval']
  if root_dir is not None:
    args.append(f'--root_dir={root_dir}')
  args += [f'--gin_file={f}' for f in gin_files]
  args += [f'--gin_bindings={b}' for b in bindings]
  return args + list(flags)


def make_run(root_dir, workdir, bindings=(), flags=()):
  """Runs the tiny config into `root_dir` (a fixture for other tests); fails loudly."""
  result = subprocess.run(command(root_dir, bindings=bindings, flags=flags),
                          cwd=workdir, env=subprocesses.python_env(),
                          capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  return result


def snapshot(root, files_only=False):
  """path -> (size, mtime) of everything under `root`, to prove it untouched."""
  state = {}
  for dirpath, dirnames, filenames in os.walk(root):
    for name in filenames if files_only else dirnames + filenames:
      path = os.path.join(dirpath, name)
      st = os.stat(path)
      state[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns)
  return state


def read_log(root_dir, job='all'):
  with open(os.path.join(root_dir, 'logs', f'{job}.log')) as f:
    return f.read()



def sigterm_at_step(test, args, workdir, step):
  """Runs `args`, sends SIGTERM once the bar shows `step`, checks a clean stop.

  Returns:
    (stdout, stderr, the step the run says it finished at).
  """
  err_path = os.path.join(workdir, 'stderr.txt')
  with open(err_path, 'w') as err:
    process = subprocess.Popen(args, cwd=workdir, env=subprocesses.python_env(),
                               stdout=subprocess.PIPE, stderr=err, text=True)
    deadline = time.monotonic() + 300
    while not [m for m in PROGRESS.finditer(open(err_path).read())
               if int(m.group(1)) >= step]:
      test.assertIsNone(process.poll(), open(err_path).read()[-3000:])
      test.assertLess(time.monotonic(), deadline)
      time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=300)
  stderr = open(err_path).read()
  test.assertEqual(process.returncode, 0, stderr[-3000:])
  test.assertIn('Stop requested by SIGTERM', stderr)
  return stdout, stderr, int(
      stdout.split('Finished at train step ')[1].split('.')[0])

class TrainEvalBinaryTest(test_case.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.workdir = self.create_tempdir().full_path  # Not the repo: configs
    self.root_dir = os.path.join(self.workdir, 'run')  # resolve from anywhere.

  def run_binary(self, *args, expect_rc=0, **kwargs):
    result = subprocess.run(command(*args, **kwargs), cwd=self.workdir,
                            env=subprocesses.python_env(), capture_output=True,
                            text=True, timeout=600)
    if result.returncode != expect_rc:
      self.fail(f'exit {result.returncode}, wanted {expect_rc}\n'
                f'stdout:\n{result.stdout}\nstderr:\n{result.stderr[-5000:]}')
    return result

  def checkpoints(self):
    return triggers.list_checkpoints(os.path.join(self.root_dir, 'policies'))

  def test_tiny_run_saves_policies_that_load_and_act(self):
    result = self.run_binary(self.root_dir)
    policies = os.path.join(self.root_dir, 'policies')
    for name in ('policy', 'greedy_policy', 'collect_policy'):
      self.assertTrue(os.path.exists(
          os.path.join(policies, name, 'policy_specs.pbtxt')), name)
    self.assertEqual(self.checkpoints(), [20, 40])
    self.assertIn('Finished at train step 40.', result.stdout)
    self.assertRegex(result.stdout,
                     r'step = 20: AverageReturn = -?\d+\.\d+, '
                     r'AverageEpisodeLength = 200\.0+')
    self.assertIn('step = 10: loss = ', read_log(self.root_dir))
    with open(os.path.join(self.root_dir, 'operative_config.gin')) as f:
      self.assertIn('PolicySavedModelTrigger.interval = 20', f.read())
    for summaries in ('train', 'eval'):
      self.assertTrue(any(n.startswith('events.out.tfevents') for n in
                          os.listdir(os.path.join(self.root_dir, summaries))))
    self.assertTrue(os.path.exists(
        os.path.join(self.root_dir, 'train', 'checkpoints', 'checkpoint')))

    policy = policy_loader.load(os.path.join(policies, 'greedy_policy'),
                                triggers.checkpoint_path(policies, 40))
    self.assertEqual(policy.get_train_step(), 40)
    self.assertIn('env_step', policy.get_metadata())
    env = suite_gym.load('Pendulum-v1')
    time_step = env.reset()
    action = policy.action(time_step).action
    self.assertEqual(action.shape, (1,))
    self.assertTrue(np.all(np.abs(action) <= 2.0))
    env.step(action)

  def test_console_is_short_and_the_log_has_everything(self):
    result = self.run_binary(self.root_dir)
    console = result.stdout + result.stderr
    lines = console.splitlines()
    self.assertLess(len(lines), 40, console)
    self.assertEqual(
        [int(m.group(1)) for m in PROGRESS.finditer(result.stderr)],
        [10, 20, 30, 40])
    self.assertRegex(result.stderr, r'train \[#+\] 100% 40/40 .* loss [-\d.]+'
                     r' \| eval -?[\d.]+ @ 40')
    for step in (0, 20, 40):
      self.assertRegex(result.stdout, rf'(?m)^step = {step}: AverageReturn = ')
    self.assertIn('Finished at train step 40.', result.stdout)
    for noise in NOISE:
      self.assertNotIn(noise, console)
    log = read_log(self.root_dir)
    self.assertRegex(log, r'(?m)^I\d{4} [\d:.]+ +\d+ train_loop\.py:\d+\] '
                     r'Training from step 0 to 40\.')
    for expected in ('Saving at step 40', 'step = 20: AverageReturn',
                     'Replay: an in-graph table', 'Assets written'):
      self.assertIn(expected, log)

  def test_verbosity_brings_the_absl_log_back(self):
    result = self.run_binary(self.root_dir, flags=['--verbosity=0'])
    self.assertRegex(result.stderr, r'I\d{4} .*Training from step 0 to 40')

  def test_interval_flag_changes_the_saved_steps(self):
    self.run_binary(self.root_dir, flags=['--interval=7'],
                    bindings=['train_eval.num_iterations = 30'])
    # Every 7 steps, and the final save at the last step.
    self.assertEqual(self.checkpoints(), [7, 14, 21, 28, 30])

  def test_gin_bindings_override_the_gin_file(self):
    self.run_binary(self.root_dir,
                    bindings=['PolicySavedModelTrigger.interval = 15',
                              'train_eval.num_iterations = 30'])
    self.assertEqual(self.checkpoints(), [15, 30])

  def test_resume_continues_without_saving_a_step_twice(self):
    self.run_binary(self.root_dir)
    self.assertEqual(self.checkpoints(), [20, 40])
    before = snapshot(os.path.join(self.root_dir, 'policies'), files_only=True)
    result = self.run_binary(self.root_dir,
                             bindings=['train_eval.num_iterations = 60'])
    self.assertIn('Resuming from step 40 of 60, Learner checkpoint '
                  'train/checkpoints/ckpt-40; replay empty: collecting 64 '
                  'random steps first.', result.stdout)
    log = read_log(self.root_dir)
    self.assertIn('Training from step 40 to 60', log)
    self.assertIn('Replay: an in-graph table of 50000 items.', log)
    self.assertNotIn('already exists', log)
    self.assertEqual(self.checkpoints(), [20, 40, 60])
    after = snapshot(os.path.join(self.root_dir, 'policies'), files_only=True)
    for path, state in before.items():
      self.assertEqual(after[path], state, f'{path} was rewritten')

  def test_sigterm_saves_at_one_step_then_restart_continues(self):
    _, _, stopped_at = sigterm_at_step(
        self, command(self.root_dir,
                      bindings=['train_eval.num_iterations = 100000',
                                'train_eval.eval_interval = 0',
                                'ReverbReplay.checkpoint = True']),
        self.workdir, 30)
    self.assertGreaterEqual(stopped_at, 30)
    self.assertEqual(self.checkpoints()[-1], stopped_at)
    learner_ckpt = os.path.join(self.root_dir, 'train', 'checkpoints',
                                f'ckpt-{stopped_at}.index')
    self.assertTrue(os.path.exists(learner_ckpt), learner_ckpt)
    self.assertNotEmpty(os.listdir(
        os.path.join(self.root_dir, 'train', 'replay_buffer_checkpoints')))

    resumed = self.run_binary(
        self.root_dir, bindings=[f'train_eval.num_iterations = {stopped_at + 5}',
                                 'train_eval.eval_interval = 0',
                                 'ReverbReplay.checkpoint = True'])
    self.assertRegex(resumed.stdout, rf'Resuming from step {stopped_at} of '
                     rf'{stopped_at + 5}, Learner checkpoint train/checkpoints/'
                     rf'ckpt-{stopped_at}; replay table restored with \d+ '
                     r'items\.')
    log = read_log(self.root_dir)
    self.assertIn(f'Training from step {stopped_at} to {stopped_at + 5}', log)
    self.assertIn('Replay: a Reverb server in this process.', log)
    # The replay table came back from its checkpoint: no initial collection.
    self.assertEqual(log.count('initial steps with a random policy'), 1)
    self.assertEqual(self.checkpoints()[-1], stopped_at + 5)

  def test_collecting_while_training_keeps_the_data_ratio(self):
    counts = {}
    for overlap in (True, False):
      root_dir = os.path.join(self.workdir, str(overlap))
      self.run_binary(root_dir, bindings=[
          f'train_eval.collect_while_training = {overlap}'])
      counts[overlap] = re.findall(
          r'Replay table: (\d+) items inserted, (\d+) sampled',
          read_log(root_dir))
    # 64 random steps and one per train step, one episode: 103 items of 2.
    self.assertEqual(counts[True], [('103', str(40 * 16))])
    self.assertEqual(counts[False], counts[True])

  def test_seed_repeats_initialisation_and_evaluation(self):
    lines = []
    for name in ('a', 'b'):
      result = self.run_binary(
          os.path.join(self.workdir, name),
          bindings=['train_eval.seed = 7', 'train_eval.num_iterations = 1'])
      lines.append([l for l in result.stdout.splitlines()
                    if l.startswith('step = 0: AverageReturn')])
    self.assertLen(lines[0], 1)
    self.assertEqual(lines[0], lines[1])

  @parameterized.named_parameters(
      ('greedy', 'greedy', 'GreedyPolicy'),
      ('policy', 'policy', 'ActorPolicy'),
  )
  def test_eval_policy_picks_what_is_evaluated(self, kind, class_name):
    self.run_binary(self.root_dir, bindings=[
        f"train_eval.eval_policy = '{kind}'", 'train_eval.num_iterations = 1'])
    with open(os.path.join(self.root_dir, 'operative_config.gin')) as f:
      self.assertIn(f"train_eval.eval_policy = '{kind}'", f.read())
    self.assertIn(f'Evaluating {class_name}', read_log(self.root_dir))

  def test_retention_and_best_policy_flags(self):
    self.run_binary(self.root_dir,
                    flags=['--interval=10', '--max_to_keep=2',
                           '--keep_every_n_steps=40',
                           '--best_metric=AverageReturn'])
    self.assertEqual(self.checkpoints(), [20, 30, 40])
    best = os.path.join(self.root_dir, 'policies', 'best_policy')
    with open(os.path.join(best, 'best.json')) as f:
      record = json.load(f)
    returns = evaluation.read_scalars(self.root_dir, 'AverageReturn')
    self.assertEqual(sorted(returns), [0, 20, 40])
    self.assertEqual(record['step'], max(returns, key=returns.get))
    self.assertAlmostEqual(record['value'], max(returns.values()), places=3)
    self.assertEqual(record['metric'], 'AverageReturn')
    self.assertTrue(os.path.exists(os.path.join(best, 'saved_model.pb')))

  def test_dqn_cartpole_and_a_root_dir_of_another_agent(self):
    self.run_binary(self.root_dir, gin_files=['dqn_cartpole.gin'],
                    bindings=TINY_DQN_BINDINGS)
    self.assertEqual(self.checkpoints(), [10, 20, 30])
    policy = policy_loader.load(
        os.path.join(self.root_dir, 'policies', 'policy'),
        triggers.checkpoint_path(os.path.join(self.root_dir, 'policies'), 30))
    env = suite_gym.load('CartPole-v1')
    self.assertIn(int(policy.action(env.reset()).action), (0, 1))

    before = snapshot(self.root_dir)
    result = self.run_binary(self.root_dir, expect_rc=2)  # SAC into DQN's dir.
    self.assertIn('holds a run of another agent', result.stderr)
    self.assertIn('--overwrite_existing', result.stderr)
    self.assertEqual(snapshot(self.root_dir), before)

    self.run_binary(self.root_dir, flags=['--overwrite_existing'])
    self.assertEqual(self.checkpoints(), [20, 40])


if __name__ == '__main__':
  absltest.main()
