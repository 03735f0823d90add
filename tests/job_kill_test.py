"""kill -9 of each job of a `--collectors=2` run on the local launcher: the run still finishes.

One tiny run takes all four kills (each job kind once), so the suite pays for
one run: the evaluator and a collector first (training goes on without
them), then the replay server (restarts empty: the collectors refill it),
then the learner (restarts from its Learner checkpoint and refills its own
table from the replay job's). Every wait is for a
line the launcher or a job writes. A second off-policy run loses the replay
server and both collectors at once: every collector starts again without
weights, the table below its min size. An on-policy run (REINFORCE) takes a
kill of its replay server: the learner, waiting on the server's queue, must
not wait there for good.
"""

import os
import re
import signal

from absl.testing import absltest
import tensorflow as tf
from tf_agents.policies import policy_loader

import triggers
from tests import child_run
from tests import distributed_test
from tests import train_eval_test

PROGRESS = train_eval_test.PROGRESS
NUM_ITERATIONS = 3000
BINDINGS = [f'train_eval.num_iterations = {NUM_ITERATIONS}',
            'train_eval.eval_interval = 500',
            'train_eval.log_interval = 20',
            'PolicySavedModelTrigger.interval = 100',
            'Learner.checkpoint_interval = 100']
# Wait limits, only so that a hung run fails instead of hanging the suite.
WAIT_SECS = 600
REFILL_ITERATIONS = 1000
# The learner pushes its weights only at its start and end, so that none of
# its regular pushes can reach the restarted replay server by chance.
REFILL_BINDINGS = [f'train_eval.num_iterations = {REFILL_ITERATIONS}',
                   f'train_eval.variable_push_interval = {REFILL_ITERATIONS}',
                   'train_eval.eval_interval = 0',
                   'train_eval.log_interval = 20']
ON_POLICY_ITERATIONS = 60
ON_POLICY_BINDINGS = [f'train_eval.num_iterations = {ON_POLICY_ITERATIONS}',
                      'train_eval.eval_interval = 0',
                      'train_eval.log_interval = 2',
                      'reinforce_agent.actor_fc_layers = (8,)',
                      'PolicySavedModelTrigger.interval = 20',
                      'Learner.checkpoint_interval = 20']


def job_processes(root_dir, job_flag):
  """The live processes of the jobs whose command lines have `job_flag`."""
  return [p for p in distributed_test.jobs_of(root_dir)
          if job_flag in p.info['cmdline']]


def job_process(root_dir, job_flag):
  """The one live process of the job whose command line has `job_flag`."""
  matches = job_processes(root_dir, job_flag)
  assert len(matches) == 1, (job_flag, [p.info['cmdline'] for p in matches])
  return matches[0]


def started_pids(root_dir, name):
  """The pids of each start of job `name` ('collect-1'), from its own log."""
  try:
    log = train_eval_test.read_log(root_dir, name)
  except FileNotFoundError:
    return []
  return [int(pid) for pid in
          re.findall(rf'Job {name} starting \(pid (\d+)\)', log)]


def last_step(text):
  return max((int(m.group(1)) for m in PROGRESS.finditer(text)), default=0)


class JobKillTest(child_run.ChildRunTestCase):

  wait_secs = WAIT_SECS

  def kill(self, job_flag, name, process):
    before = self.out().count(f'{name} exited with -9; restarting')
    job_process(self.root_dir, job_flag).send_signal(signal.SIGKILL)
    self.wait_for(
        lambda t: t.count(f'{name} exited with -9; restarting') > before,
        f'the launcher restarts {name}', process)

  def start(self, gin_files, bindings, collectors=2):
    return self.start_command(train_eval_test.command(
        self.root_dir, gin_files, bindings,
        flags=[f'--collectors={collectors}']))

  def test_every_job_survives_kill_9_and_the_run_finishes(self):
    process = self.start([train_eval_test.TINY_SAC], BINDINGS)
    self.wait_for(lambda t: last_step(t) >= 40, 'training reaches step 40',
                  process)

    with self.subTest('eval and a collector'):
      self.kill('--job=eval', 'eval', process)
      self.kill('--task=1', 'collect-1', process)
      self.assertLess(last_step(self.out()), NUM_ITERATIONS,
                      'the run was too fast for the kills to land')

    with self.subTest('replay'):
      self.kill('--job=replay', 'replay', process)
      self.wait_for(lambda t: t.count('table empty: sampling starts once '
                                      'the collectors have written') >= 2,
                    'the restarted replay server says it is empty', process)
      at_kill = last_step(self.out())
      self.wait_for(lambda t: last_step(t) >= at_kill + 40,
                    'training goes on after the replay restart', process)

    with self.subTest('train'):
      self.kill('--job=train', 'train', process)
      self.wait_for(lambda t: '[train] Resuming from step' in t,
                    'the learner resumes from its checkpoint', process)
      self.wait_for(lambda t: re.search(
          r"\[train\] The learner's table refilled with \d+ items sampled "
          r"from the replay job's\.", t),
                    "the learner refills its table from the replay job's",
                    process)

    self.assertEqual(process.wait(timeout=WAIT_SECS), 0, self.out()[-4000:])
    out = self.out()
    self.assertIn(f'[train] Finished at train step {NUM_ITERATIONS}.', out)
    self.assertRegex(out, r'\[train\] Resuming from step \d+ of '
                     rf'{NUM_ITERATIONS}, Learner checkpoint '
                     r'train/checkpoints/ckpt-\d+; ')
    self.assertIn('[launcher] all jobs stopped.', out)

    self.assertTrue(distributed_test.restarted_collector_wrote(
        self.root_dir, 1), 'the restarted collector wrote new data itself')

    # The final step's policy and Learner checkpoints exist and load.
    policies = os.path.join(self.root_dir, 'policies')
    self.assertEqual(triggers.list_checkpoints(policies)[-1], NUM_ITERATIONS)
    policy = policy_loader.load(
        os.path.join(policies, 'greedy_policy'),
        os.path.join(policies, 'checkpoints',
                     f'policy_checkpoint_{NUM_ITERATIONS:010d}'))
    self.assertIsNotNone(policy.action)
    learner_checkpoint = tf.train.latest_checkpoint(
        os.path.join(self.root_dir, 'train', 'checkpoints'))
    self.assertTrue(learner_checkpoint.endswith(f'ckpt-{NUM_ITERATIONS}'))
    reader = tf.train.load_checkpoint(learner_checkpoint)
    self.assertEqual(int(reader.get_tensor(
        'train_step/.ATTRIBUTES/VARIABLE_VALUE')), NUM_ITERATIONS)

    # The evaluator came back and evaluated the final policy.
    self.assertRegex(out, rf'\[eval\] step = {NUM_ITERATIONS}: AverageReturn')
    self.assertEqual(distributed_test.jobs_of(self.root_dir), [])

  def test_replay_and_every_collector_killed_at_once_the_table_refills(self):
    # The restarted collectors' random shares (32 steps each) make 62 items,
    # short of the 64 the table's rate limiter wants before sampling: the
    # learner must push its weights to the new server while it waits.
    process = self.start([train_eval_test.TINY_SAC], REFILL_BINDINGS)
    self.wait_for(lambda t: last_step(t) >= 20, 'training reaches step 20',
                  process)
    collectors = job_processes(self.root_dir, '--job=collect')
    self.assertLen(collectors, 2)
    for job in [job_process(self.root_dir, '--job=replay')] + collectors:
      job.send_signal(signal.SIGKILL)
    self.assertLess(last_step(self.out()), REFILL_ITERATIONS,
                    'the run was too fast for the kills to land')
    for name in ('replay', 'collect-0', 'collect-1'):
      self.wait_for(lambda t, name=name: f'{name} exited with -9; restarting'
                    in t, f'the launcher restarts {name}', process)

    self.assertEqual(process.wait(timeout=WAIT_SECS), 0, self.out()[-4000:])
    out = self.out()
    self.assertEqual(out.count('table empty: sampling starts once the '
                               'collectors have written'), 2, out)
    self.assertIn(f'[train] Finished at train step {REFILL_ITERATIONS}.', out)
    self.assertNotIn('train exited with', out)
    self.assertRegex(out, r"\[train\] The replay server lost the collect "
                     r"policy's weights \(restarted empty\): pushed those of "
                     r'train step \d+ again\.')
    for task in (0, 1):  # Each restarted collector collected with the policy.
      restarted = train_eval_test.read_log(
          self.root_dir, f'collect-{task}').split(
              f'Job collect-{task} starting (pid ')[-1]
      self.assertRegex(restarted, rf'Collector {task} done: [1-9]\d* '
                       'environment steps')
    self.assertIn('[launcher] all jobs stopped.', out)
    self.assertEqual(distributed_test.jobs_of(self.root_dir), [])

  def test_on_policy_learner_outlives_a_kill_9_of_the_replay_job(self):
    process = self.start(['reinforce_cartpole.gin'], ON_POLICY_BINDINGS)
    self.wait_for(lambda t: last_step(t) >= 10, 'training reaches step 10',
                  process)
    self.kill('--job=replay', 'replay', process)
    self.assertLess(last_step(self.out()), ON_POLICY_ITERATIONS,
                    'the run was too fast for the kill to land')
    self.assertEqual(process.wait(timeout=WAIT_SECS), 0, self.out()[-4000:])
    out = self.out()
    self.assertEqual(out.count('[replay] replay server on port'), 2, out)
    self.assertNotIn('train exited with', out,
                     'the learner waited out the restart, not restarted')
    self.assertIn(f'[train] Finished at train step {ON_POLICY_ITERATIONS}.',
                  out)
    self.assertEqual(
        triggers.list_checkpoints(os.path.join(self.root_dir, 'policies'))[-1],
        ON_POLICY_ITERATIONS)
    self.assertIn('[launcher] all jobs stopped.', out)
    self.assertEqual(distributed_test.jobs_of(self.root_dir), [])

  def test_a_second_ctrl_c_kills_a_job_that_does_not_stop(self):
    process = self.start([train_eval_test.TINY_SAC],
                         ['train_eval.eval_interval = 0',
                          'train_eval.log_interval = 1'], collectors=1)
    self.wait_for(lambda t: last_step(t) >= 1, 'training starts', process)
    # A learner stuck where no signal reaches it (SIGSTOP holds SIGTERM).
    job_process(self.root_dir, '--job=train').send_signal(signal.SIGSTOP)
    process.send_signal(signal.SIGINT)
    self.wait_for(lambda t: '[collect-0] WARNING: Stop requested' in t,
                  'the collector is asked to stop', process)
    process.send_signal(signal.SIGINT)
    self.assertEqual(process.wait(timeout=WAIT_SECS), 1, self.out()[-4000:])
    out = self.out()
    self.assertIn('[launcher] a second Ctrl-C: killing the jobs still running.',
                  out)
    self.assertIn('[launcher] train is still running; killing it.', out)
    self.assertNotIn('Traceback', out)
    self.assertEqual(distributed_test.jobs_of(self.root_dir), [])


if __name__ == '__main__':
  absltest.main()
