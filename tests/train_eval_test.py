"""The train_eval binary end to end, run as a user runs it: in a subprocess."""

import json
import os
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

TINY_SAC = os.path.join(subprocesses.REPO_ROOT, 'tests', 'testdata',
                        'tiny_sac_pendulum.gin')
TINY_DQN_BINDINGS = [
    'train_eval.num_iterations = 30', 'train_eval.initial_collect_steps = 64',
    'train_eval.eval_interval = 0', 'ReverbReplay.batch_size = 16',
    'dqn_agent.fc_layers = (16,)', 'PolicySavedModelTrigger.interval = 10',
]


def command(root_dir, gin_files=(TINY_SAC,), bindings=(), flags=()):
  args = [sys.executable, '-m', 'train_eval.train_eval']
  if root_dir is not None:
    args.append(f'--root_dir={root_dir}')
  args += [f'--gin_file={f}' for f in gin_files]
  args += [f'--gin_bindings={b}' for b in bindings]
  return args + list(flags)


def snapshot(root, files_only=False):
  """path -> (size, mtime) of everything under `root`, to prove it untouched."""
  state = {}
  for dirpath, dirnames, filenames in os.walk(root):
    for name in filenames if files_only else dirnames + filenames:
      path = os.path.join(dirpath, name)
      st = os.stat(path)
      state[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns)
  return state


class TrainEvalBinaryTest(test_case.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.workdir = self.create_tempdir().full_path  # Not the repo: configs
    self.root_dir = os.path.join(self.workdir, 'run')  # resolve from anywhere.

  def run_binary(self, *args, expect_rc=0, **kwargs):
    result = subprocess.run(command(*args, **kwargs), cwd=self.workdir,
                            env=subprocesses.python_env(), capture_output=True, text=True,
                            timeout=600)
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
    self.assertRegex(result.stderr,
                     r'step = 20: AverageReturn = -?\d+\.\d+, '
                     r'AverageEpisodeLength = 200\.0+')
    self.assertRegex(result.stderr, r'step = 10: loss = .*steps/s, ETA ')
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
    self.assertIn('Training from step 40 to 60', result.stderr)
    self.assertNotIn('already exists', result.stderr)
    self.assertEqual(self.checkpoints(), [20, 40, 60])
    after = snapshot(os.path.join(self.root_dir, 'policies'), files_only=True)
    for path, state in before.items():
      self.assertEqual(after[path], state, f'{path} was rewritten')

  def test_sigterm_saves_at_one_step_then_restart_continues(self):
    log_path = os.path.join(self.workdir, 'stderr.txt')
    with open(log_path, 'w') as log:
      process = subprocess.Popen(
          command(self.root_dir,
                  bindings=['train_eval.num_iterations = 100000',
                            'train_eval.eval_interval = 0',
                            'ReverbReplay.checkpoint = True']),
          cwd=self.workdir, env=subprocesses.python_env(), stdout=subprocess.PIPE,
          stderr=log, text=True)
      deadline = time.monotonic() + 300
      while 'step = 30: loss' not in open(log_path).read():
        self.assertIsNone(process.poll(), open(log_path).read()[-3000:])
        self.assertLess(time.monotonic(), deadline)
        time.sleep(0.2)
      process.send_signal(signal.SIGTERM)
      stdout, _ = process.communicate(timeout=300)
    stderr = open(log_path).read()
    self.assertEqual(process.returncode, 0, stderr[-3000:])
    self.assertIn('Received SIGTERM', stderr)
    stopped_at = int(stdout.split('Finished at train step ')[1].split('.')[0])
    self.assertGreaterEqual(stopped_at, 30)
    self.assertEqual(self.checkpoints()[-1], stopped_at)
    learner_ckpt = os.path.join(self.root_dir, 'train', 'checkpoints',
                                f'ckpt-{stopped_at}.index')
    self.assertTrue(os.path.exists(learner_ckpt), learner_ckpt)
    self.assertNotEmpty(os.listdir(
        os.path.join(self.root_dir, 'train', 'replay_buffer_checkpoints')))

    result = self.run_binary(
        self.root_dir, bindings=[f'train_eval.num_iterations = {stopped_at + 5}',
                                 'train_eval.eval_interval = 0',
                                 'ReverbReplay.checkpoint = True'])
    self.assertIn(f'Training from step {stopped_at} to {stopped_at + 5}',
                  result.stderr)
    # The replay table came back from its checkpoint: no initial collection.
    self.assertNotIn('initial steps with a random policy', result.stderr)
    self.assertEqual(self.checkpoints()[-1], stopped_at + 5)

  def test_seed_repeats_initialisation_and_evaluation(self):
    lines = []
    for name in ('a', 'b'):
      result = self.run_binary(
          os.path.join(self.workdir, name),
          bindings=['train_eval.seed = 7', 'train_eval.num_iterations = 1'])
      lines.append([l.split('] ')[-1] for l in result.stderr.splitlines()
                    if 'step = 0: AverageReturn' in l])
    self.assertLen(lines[0], 1)
    self.assertEqual(lines[0], lines[1])

  def test_overlapped_collection_holds_the_sequential_ratio(self):
    result = self.run_binary(
        self.root_dir, bindings=['train_eval.overlapped = True',
                                 'train_eval.overlap_slack_steps = 2',
                                 'train_eval.num_iterations = 60'])
    self.assertIn('collecting in the background', result.stderr)
    self.assertEqual(self.checkpoints(), [20, 40, 60])
    policies = os.path.join(self.root_dir, 'policies')
    # One environment step per train step. Collection may lead by the
    # limiter's slack (2 steps) plus the batches sampled early: 2 prefetched
    # and about 3 in flight in Reverb's dataset (tf_agents' buffer of 3x the
    # batch), so about 7; without the limiter it ran ~180 ahead by step 20.
    for step in self.checkpoints():
      env_steps = triggers.read_manifest(policies, step)['metadata']['env_step']
      self.assertBetween(env_steps, step - 2, step + 10)

  def test_retention_and_best_policy_flags(self):
    self.run_binary(self.root_dir,
                    flags=['--interval=10', '--max_to_keep=2',
                           '--keep_every_n_steps=40',
                           '--best_metric=AverageReturn'])
    self.assertEqual(self.checkpoints(), [20, 30, 40])
    best = os.path.join(self.root_dir, 'policies', 'best_policy')
    with open(os.path.join(best, 'best.json')) as f:
      record = json.load(f)
    self.assertIn(record['step'], (0, 20, 40))
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
    self.assertIn('holds a policy saved for other specs', result.stderr)
    self.assertIn('new saved_model_dir', result.stderr)
    self.assertEqual(snapshot(self.root_dir), before)


class BadInputTest(test_case.TestCase, parameterized.TestCase):
  """Each is a clear error, a non-zero exit, and an existing root_dir untouched."""

  @parameterized.named_parameters(
      ('unknown_config', dict(gin_files=['no_such_config.gin']),
       'no_such_config.gin'),
      ('missing_file', dict(gin_files=['/nonexistent/dir/x.gin']),
       '/nonexistent/dir/x.gin'),
      ('unknown_parameter', dict(bindings=['train_eval.num_iteration = 5']),
       'num_iteration'),
      ('unknown_configurable', dict(bindings=['NoSuchTrigger.interval = 5']),
       'NoSuchTrigger'),
      ('malformed_binding', dict(bindings=['train_eval.num_iterations = = 5']),
       'train_eval.num_iterations = = 5'),
      ('conflicting_flag', dict(bindings=['PolicySavedModelTrigger.interval = 9'],
                                flags=['--interval=7']),
       'PolicySavedModelTrigger.interval = 7.*PolicySavedModelTrigger.interval = 9'),
      ('interval_zero', dict(flags=['--interval=0']), '--interval=0'),
      ('shadowed_binding', dict(bindings=['SacAgent.gamma = 0.5']),
       'SacAgent.gamma is bound.*sac_agent'),
      ('no_gin_file', dict(gin_files=[]), 'at least one --gin_file'),
  )
  def test_bad_input(self, kwargs, message):
    workdir = self.create_tempdir().full_path
    root_dir = os.path.join(workdir, 'existing_run')
    os.makedirs(os.path.join(root_dir, 'policies'))
    with open(os.path.join(root_dir, 'notes.txt'), 'w') as f:
      f.write('precious')
    before = snapshot(root_dir)
    result = subprocess.run(command(root_dir, **kwargs), cwd=workdir,
                            env=subprocesses.python_env(), capture_output=True, text=True,
                            timeout=300)
    self.assertNotEqual(result.returncode, 0)
    self.assertRegex(result.stderr, message)
    self.assertIn('train_eval: error:', result.stderr)
    self.assertEqual(snapshot(root_dir), before)

  def test_missing_root_dir(self):
    workdir = self.create_tempdir().full_path
    result = subprocess.run(command(None), cwd=workdir, env=subprocesses.python_env(),
                            capture_output=True, text=True, timeout=300)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('--root_dir', result.stderr)
    self.assertEqual(os.listdir(workdir), [])


if __name__ == '__main__':
  absltest.main()
