"""StepPerSecondLogTrigger and ReverbCheckpointTrigger, on a real summary writer and Reverb server."""

import glob
import os

from absl.testing import absltest
import reverb
import tensorflow as tf

import triggers
from tests import test_case


class StepPerSecondLogTriggerTest(test_case.TestCase):

  def test_writes_steps_per_second_summary(self):
    logdir = self.create_tempdir().full_path
    train_step = tf.Variable(0, dtype=tf.int64)
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
      trigger = triggers.StepPerSecondLogTrigger(train_step, interval=5)
      for _ in range(12):
        train_step.assign_add(1)
        trigger(int(train_step.numpy()))
    writer.flush()
    steps = []
    for path in glob.glob(os.path.join(logdir, 'events.*')):
      for event in tf.compat.v1.train.summary_iterator(path):
        for value in event.summary.value:
          if value.tag == 'RunTime/train_steps_per_sec':
            steps.append(event.step)
            self.assertGreater(tf.make_ndarray(value.tensor), 0)
    self.assertEqual(steps, [5, 10])

  def test_train_step_is_checked(self):
    with self.assertRaisesRegex(TypeError, 'train_step must be'):
      triggers.StepPerSecondLogTrigger(5, interval=5)


class ReverbCheckpointTriggerTest(test_case.TestCase):

  def test_checkpoints_a_real_server(self):
    checkpoint_dir = self.create_tempdir().full_path
    table = reverb.Table.queue('queue', max_size=10)
    server = reverb.Server(
        tables=[table],
        checkpointer=reverb.checkpointers.DefaultCheckpointer(checkpoint_dir))
    self.addCleanup(server.stop)
    client = reverb.Client(f'localhost:{server.port}')
    client.insert([1.0], {'queue': 1.0})
    train_step = tf.Variable(0, dtype=tf.int64)
    trigger = triggers.ReverbCheckpointTrigger(train_step, interval=2,
                                               reverb_client=client)
    train_step.assign(2)
    trigger(2)
    saved = [d for d in os.listdir(checkpoint_dir) if not d.startswith('.')]
    self.assertLen(saved, 1)
    # The checkpoint restores the item into a fresh server.
    restored = reverb.Server(
        tables=[reverb.Table.queue('queue', max_size=10)],
        checkpointer=reverb.checkpointers.DefaultCheckpointer(checkpoint_dir))
    self.addCleanup(restored.stop)
    info = reverb.Client(f'localhost:{restored.port}').server_info()
    self.assertEqual(info['queue'].current_size, 1)

  def test_reverb_client_is_checked(self):
    with self.assertRaisesRegex(TypeError, 'reverb_client must be a reverb.Client'):
      triggers.ReverbCheckpointTrigger(tf.Variable(0, dtype=tf.int64), 2,
                                       reverb_client='localhost:1234')


if __name__ == '__main__':
  absltest.main()
