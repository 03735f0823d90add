"""The experiment as separate jobs on Reverb: launched together, killed, started out of order."""

import os
import re
import signal
import subprocess
import threading
import time

from absl.testing import absltest
import gin
import numpy as np
import portpicker
import psutil
import reverb
import tensorflow as tf

import triggers
from tests import subprocesses
from tests import test_case
from tests import train_eval_test
from train_eval import configure
from train_eval import errors
from train_eval import invocation as invocation_lib
from train_eval import job_runner  # pylint: disable=unused-import  (registers the configurables)
from train_eval import replay
from train_eval.jobs import train_job

PROGRESS = train_eval_test.PROGRESS
WEIGHTS_LINE = re.compile(r'Collector (\d): \d+ environment steps, weights of '
                          r'train step (\d+)\.')
JOB_LOGS = ('launcher', 'replay', 'train', 'collect-0', 'collect-1', 'eval')


def read_log(root_dir, job):
  return train_eval_test.read_log(root_dir, job)


def restarted_collector_wrote(root_dir, task):
  """Whether collector `task`'s last start (not its first) has collected steps.

  Each start of a job logs 'Job collect-<task> starting (pid N).' to its own
  log; what follows the last one is the restarted process's own work.
  """
  log = read_log(root_dir, f'collect-{task}')
  start = f'Job collect-{task} starting (pid '
  return log.count(start) >= 2 and bool(re.search(
      rf'Collector {task}: [1-9]\d* environment steps', log.split(start)[-1]))


def jobs_of(root_dir):
  """Live processes whose command line names `root_dir`."""
  found = []
  for process in psutil.process_iter(['cmdline']):
    try:
      if any(root_dir in part for part in process.info['cmdline'] or ()):
        found.append(process)
    except psutil.Error:
      pass  # Ended while we looked.
  return found


class ReplayPopTest(test_case.TestCase):
  """`replay.pop`, the on-policy learner's look at its queue, never waits for good."""

  def pop_in_thread(self, client):
    """`replay.pop` of one int64 item; fails (instead of hanging) if it blocks."""
    popped = []
    thread = threading.Thread(target=lambda: popped.append(replay.pop(
        client, 'queue', [tf.int64], [[1]], timeout_ms=200)), daemon=True)
    thread.start()
    thread.join(60)
    self.assertFalse(thread.is_alive(), 'pop waited for an item for good')
    return popped[0]

  def test_pop_takes_one_item_and_returns_none_from_a_restarted_server(self):
    port = portpicker.pick_unused_port()
    server = replay.start_server([reverb.Table.queue('queue', 8)], port=port)
    self.addCleanup(lambda: server.stop())  # pylint: disable=unnecessary-lambda
    client = reverb.Client(f'{replay.LOCALHOST}:{port}')
    for value in (7, 8):
      client.insert([np.int64(value)], priorities={'queue': 1.0})
    self.assertEqual(self.pop_in_thread(client).data[0].numpy().tolist(), [7])
    self.assertEqual(replay.table_size(client, 'queue'), 1,
                     'pop took one item, no more')
    # The replay job killed and restarted empty on its port, as the launcher
    # does: client.sample would wait here until someone inserts.
    server.stop()
    server = replay.start_server([reverb.Table.queue('queue', 8)], port=port)
    self.assertIsNone(self.pop_in_thread(client))


class ReplayServerDownTest(test_case.TestCase):
  """What the learner asks the replay job while it is down does not fail."""

  def test_the_learner_keeps_its_counts_while_the_server_is_down(self):
    server = replay.start_server([replay.experience_table(
        replay.ReplaySettings()), replay.variables_table()])
    client = reverb.Client(f'{replay.LOCALHOST}:{server.port}')
    for value in range(3):
      client.insert([np.int64(value)], priorities={replay.TABLE_NAME: 1.0})
    inserts = train_job.ReplayInserts(client)
    self.assertEqual(int(inserts.result()), 3)
    self.assertEqual(replay.table_size_if_reachable(client), 3)
    server.stop()  # The replay job killed: server_info fails at once.
    with self.assertRaises(RuntimeError):
      replay.table_size(client)
    self.assertEqual(int(inserts.result()), 3, 'the last count seen')
    self.assertIsNone(replay.table_size_if_reachable(client))


class RuntimeSettingsTest(test_case.TestCase):
  """What a job needs is in its context, read from gin once by `configure`."""

  def configure(self, bindings=()):
    return configure.configure(invocation_lib.Invocation(
        root_dir=self.create_tempdir().full_path, job='collect',
        gin_files=('c51_cartpole.gin',), gin_bindings=tuple(bindings)))

  def test_the_sequence_length_is_the_agents_and_outlives_gin(self):
    context = self.configure()
    gin.clear_config()  # A job reads none of it back.
    self.assertEqual(context.replay.sequence_length, 3,
                     'c51_agent.n_step_update = 2, plus one')

  def test_the_sequence_length_is_not_a_binding(self):
    with self.assertRaisesRegex(errors.UsageError, 'sequence_length'):
      self.configure(['ReverbReplay.sequence_length = 5'])


class DistributedTest(test_case.TestCase):

  def setUp(self):
    super().setUp()
    self.workdir = self.create_tempdir().full_path
    self.root_dir = os.path.join(self.workdir, 'run')

  def start(self, bindings=(), flags=('--collectors=2',), log_name='out'):
    path = os.path.join(self.workdir, f'{log_name}.txt')
    log = open(path, 'w')
    self.addCleanup(log.close)
    process = subprocess.Popen(
        train_eval_test.command(self.root_dir, bindings=bindings, flags=flags),
        cwd=self.workdir, env=subprocesses.python_env(), stdout=log,
        stderr=subprocess.STDOUT, text=True)
    self.addCleanup(lambda: process.poll() is None and process.kill())
    return process, path

  def wait_for(self, path, condition, what, process, timeout=400):
    deadline = time.monotonic() + timeout
    while True:
      text = open(path).read()
      if condition(text):
        return text
      self.assertIsNone(process.poll(), f'{what}: ended early\n{text[-4000:]}')
      self.assertLess(time.monotonic(), deadline, f'{what}\n{text[-4000:]}')
      time.sleep(0.5)

  def assert_no_jobs_left(self):
    deadline = time.monotonic() + 30
    while jobs_of(self.root_dir) and time.monotonic() < deadline:
      time.sleep(0.5)
    self.assertEqual(jobs_of(self.root_dir), [])

  def test_two_collectors_on_loopback(self):
    process, path = self.start()
    self.assertEqual(process.wait(timeout=600), 0, open(path).read()[-4000:])
    out = open(path).read()
    self.assertIn('[train] Finished at train step 40.', out)
    self.assertRegex(out, r'\[eval\] step = 40: AverageReturn = ')
    self.assertIn('[launcher] all jobs stopped.', out)
    # The replay job's normal end (SIGTERM from the launcher) is no warning.
    self.assertRegex(out, r'\[replay\] Replay table: \d+ items inserted, '
                     r'\d+ sampled\.')
    self.assertNotIn('[replay] WARNING', out)
    # The learner trained from its own table, taking what 40 steps need
    # (64 initial items, then one per step; 8 at a time) and sampling 16 per
    # step.
    taken = re.search(r'Replay table: (\d+) items inserted, 640 sampled',
                      read_log(self.root_dir, 'train'))
    self.assertIsNotNone(taken)
    self.assertBetween(int(taken.group(1)), 104, 111)
    for job in JOB_LOGS:
      self.assertTrue(os.path.exists(
          os.path.join(self.root_dir, 'logs', f'{job}.log')), job)
    self.assertEqual(
        triggers.list_checkpoints(os.path.join(self.root_dir, 'policies')),
        [20, 40])
    # Collectors saw newer weights as training went on, and stopped at 40.
    for task in (0, 1):
      versions = [int(m.group(2)) for m in
                  WEIGHTS_LINE.finditer(read_log(self.root_dir,
                                                 f'collect-{task}'))]
      self.assertGreaterEqual(len(versions), 2, f'collect-{task}')
      self.assertEqual(versions, sorted(versions))
      self.assertEqual(versions[-1], 40)
    self.assert_no_jobs_left()

  def test_a_killed_collector_restarts_and_sigterm_saves_at_one_step(self):
    process, path = self.start(bindings=['train_eval.num_iterations = 100000',
                                         'train_eval.eval_interval = 0',
                                         'ReverbReplay.checkpoint = True'])
    self.wait_for(path, lambda t: any(int(m.group(1)) >= 30
                                      for m in PROGRESS.finditer(t)),
                  'training reaches step 30', process)
    collector = [p for p in jobs_of(self.root_dir)
                 if '--task=1' in p.info['cmdline']]
    self.assertLen(collector, 1)
    killed_at = max(int(m.group(1)) for m in PROGRESS.finditer(open(path).read()))
    collector[0].kill()
    self.wait_for(path, lambda t: 'collect-1 exited with -9; restarting' in t,
                  'the launcher restarts collect-1', process)
    self.wait_for(
        path, lambda t: restarted_collector_wrote(self.root_dir, 1) and
        max(int(m.group(1)) for m in PROGRESS.finditer(t)) >= killed_at + 40,
        'training goes on with the restarted collector', process)

    process.send_signal(signal.SIGTERM)
    self.assertEqual(process.wait(timeout=300), 0, open(path).read()[-4000:])
    out = open(path).read()
    stopped_at = int(re.search(r'\[train\] Finished at train step (\d+)',
                               out).group(1))
    policies = os.path.join(self.root_dir, 'policies')
    self.assertEqual(triggers.list_checkpoints(policies)[-1], stopped_at)
    self.assertTrue(os.path.exists(os.path.join(
        self.root_dir, 'train', 'checkpoints', f'ckpt-{stopped_at}.index')))
    self.assertIn(f'Checkpointed the replay table at step {stopped_at}',
                  read_log(self.root_dir, 'train'))
    self.assertIn('[launcher] all jobs stopped.', out)
    self.assert_no_jobs_left()

  def test_sigterm_to_the_learner_stops_every_job(self):
    process, path = self.start(bindings=['train_eval.num_iterations = 100000',
                                         'train_eval.eval_interval = 0'])
    self.wait_for(path, lambda t: any(int(m.group(1)) >= 20
                                      for m in PROGRESS.finditer(t)),
                  'training reaches step 20', process)
    learner = [p for p in jobs_of(self.root_dir)
               if '--job=train' in p.info['cmdline']]
    self.assertLen(learner, 1)
    learner[0].send_signal(signal.SIGTERM)
    self.assertEqual(process.wait(timeout=300), 0, open(path).read()[-4000:])
    stopped_at = int(re.search(r'\[train\] Finished at train step (\d+)',
                               open(path).read()).group(1))
    self.assertEqual(triggers.list_checkpoints(
        os.path.join(self.root_dir, 'policies'))[-1], stopped_at)
    self.assertTrue(os.path.exists(os.path.join(
        self.root_dir, 'train', 'checkpoints', f'ckpt-{stopped_at}.index')))
    self.assert_no_jobs_left()

  def test_collect_and_eval_started_first_wait_then_proceed(self):
    port = portpicker.pick_unused_port()
    address = f'localhost:{port}'
    collect, collect_log = self.start(
        flags=['--job=collect', '--task=0', '--collectors=1',
               f'--replay_address={address}'], log_name='collect')
    evaluator, eval_log = self.start(flags=['--job=eval'], log_name='eval')
    self.wait_for(collect_log, lambda t: 'Waiting for the replay server at '
                  f'{address}' in t, 'the collector says what it waits for',
                  collect)
    self.wait_for(eval_log, lambda t: 'Waiting for the policy' in t,
                  'the evaluator says what it waits for', evaluator)
    time.sleep(3)
    self.assertIsNone(collect.poll())
    self.assertIsNone(evaluator.poll())
    replay, replay_log = self.start(
        flags=['--job=replay', f'--replay_port={port}'], log_name='replay')
    # With the server up but no train job, the collector fills its share of
    # the random initial collection and then waits for the learner's policy.
    self.wait_for(collect_log, lambda t: 'Waiting for the collect policy' in t,
                  'the collector waits for the train job', collect)
    train, train_log = self.start(
        flags=['--job=train', f'--replay_address={address}'], log_name='train')
    self.assertEqual(train.wait(timeout=600), 0, open(train_log).read()[-3000:])
    self.assertEqual(collect.wait(timeout=120), 0,
                     open(collect_log).read()[-3000:])
    self.assertEqual(evaluator.wait(timeout=300), 0,
                     open(eval_log).read()[-3000:])
    self.assertRegex(open(eval_log).read(), r'step = 40: AverageReturn = ')
    self.assertIn('Collecting 64 initial steps with a random policy',
                  read_log(self.root_dir, 'collect-0'))
    replay.send_signal(signal.SIGTERM)
    self.assertEqual(replay.wait(timeout=120), 0, open(replay_log).read())


if __name__ == '__main__':
  absltest.main()
