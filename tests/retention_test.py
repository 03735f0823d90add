"""Retention: which checkpoints are deleted, and that the rules hold on disk."""

import errno
import os
from unittest import mock

from absl.testing import absltest
from absl.testing import parameterized
import tensorflow as tf

import triggers
from triggers import checkpoint_format
from triggers import checkpoint_writer
from triggers import retention
from tests import agents
from tests import checkpoint_format_test
from tests import test_case


class StepsToDeleteTest(test_case.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('keep_all', [1, 2, 3], None, None, set(), []),
      ('keep_two', [1, 2, 3, 4], 2, None, set(), [1, 2]),
      ('keep_one', [5, 10, 15], 1, None, set(), [5, 10]),
      ('fewer_than_max', [1, 2], 5, None, set(), []),
      ('multiples_kept_and_not_counted', [5, 10, 15, 20, 25, 30], 2, 10,
       set(), [5]),
      ('leased_kept', [1, 2, 3, 4], 1, None, {2}, [1, 3]),
      ('newest_is_multiple', [3, 6, 9, 10], 1, 10, set(), [3, 6]),
      ('empty', [], 1, None, set(), []),
      ('unsorted_input', [4, 1, 3, 2], 2, None, set(), [1, 2]),
  )
  def test_rules(self, steps, max_to_keep, every, leased, expected):
    self.assertEqual(
        retention.steps_to_delete(steps, max_to_keep, every, leased), expected)

  def test_newest_never_deleted_even_if_leases_shift_the_window(self):
    self.assertEqual(retention.steps_to_delete([1, 2, 3], 1, None, {1, 2}), [])


class PruneTest(test_case.TestCase):

  def make_checkpoints(self, steps):
    saved_model_dir = self.create_tempdir().full_path
    checkpoints_dir = os.path.join(saved_model_dir, 'checkpoints')
    for step in steps:
      checkpoint_format_test.make_checkpoint_dir(os.path.join(
          checkpoints_dir, checkpoint_format.checkpoint_name(step)))
    return saved_model_dir, checkpoints_dir

  def test_prune_skips_a_checkpoint_being_read(self):
    saved_model_dir, checkpoints_dir = self.make_checkpoints([1, 2, 3, 4])
    with triggers.reading(saved_model_dir, 1) as path:
      self.assertEqual(retention.prune(checkpoints_dir, 1), [2, 3])
      self.assertTrue(os.path.isdir(path))
    self.assertEqual(triggers.list_checkpoints(saved_model_dir), [1, 4])
    self.assertEqual(retention.prune(checkpoints_dir, 1), [1])
    # Nothing hidden is left behind, and the leases are gone.
    self.assertCountEqual(os.listdir(checkpoints_dir),
                          ['policy_checkpoint_0000000004', '.lock'])

  def test_lease_of_a_dead_process_does_not_count(self):
    saved_model_dir, checkpoints_dir = self.make_checkpoints([1, 2])
    stale = os.path.join(checkpoints_dir, '.lease-1-999999999-abcd')
    open(stale, 'w').close()
    self.assertEqual(retention.prune(checkpoints_dir, 1), [1])
    self.assertFalse(os.path.exists(stale))

  def test_reading_a_missing_checkpoint_is_a_clear_error(self):
    saved_model_dir, _ = self.make_checkpoints([1])
    with self.assertRaisesRegex(FileNotFoundError, 'policy_checkpoint_0000000007'):
      with triggers.reading(saved_model_dir, 7):
        pass


class RetentionFailureTest(test_case.TestCase, parameterized.TestCase):

  @parameterized.parameters(False, True)
  def test_checkpoint_written_and_retention_error_reported(self,
                                                           async_writes):
    saved_model_dir = self.create_tempdir().full_path
    checkpoints_dir = os.path.join(saved_model_dir, 'checkpoints')
    step = tf.Variable(0, dtype=tf.int64)
    writer = checkpoint_writer.CheckpointWriter(
        checkpoints_dir, tf.train.Checkpoint(train_step=step),
        async_writes=async_writes, max_to_keep=1)
    step.assign(1)
    writer.save()
    writer.flush()
    step.assign(2)
    denied = OSError(errno.EACCES, 'Permission denied')
    with mock.patch.object(checkpoint_format, 'delete_checkpoints',
                           side_effect=denied):
      with self.assertRaisesRegex(
          retention.RetentionError,
          'step 2 is complete.*older checkpoints could not be deleted.*'
          'Permission denied') as raised:
        writer.save()
        writer.flush()
    self.assertNotIsInstance(raised.exception, triggers.SaveError)
    self.assertEqual(triggers.list_checkpoints(saved_model_dir), [1, 2])
    self.assertEqual(triggers.verify_checkpoint(saved_model_dir, 2)['step'], 2)
    self.assertEqual((writer.requested, writer.written, writer.failed),
                     (2, 2, 0))
    writer.close()


class TriggerRetentionTest(test_case.TestCase):

  def test_max_to_keep_and_keep_every_n_steps(self):
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    trigger = triggers.PolicySavedModelTrigger(
        saved_model_dir, agent, train_step, interval=5, max_to_keep=2,
        keep_every_n_steps=20)
    for step in range(1, 51):
      train_step.assign(step)
      trigger(step)
    self.assertEqual(triggers.list_checkpoints(saved_model_dir),
                     [20, 40, 45, 50])

  def test_bad_retention_arguments(self):
    agent, train_step = agents.make_agent('dqn')
    for kwargs, pattern in ((dict(max_to_keep=0), 'max_to_keep must be >= 1'),
                            (dict(keep_every_n_steps=1.5),
                             'keep_every_n_steps must be an integer')):
      with self.assertRaisesRegex(triggers.BadArgument, pattern):
        triggers.PolicySavedModelTrigger(self.create_tempdir().full_path,
                                         agent, train_step, 5, **kwargs)


if __name__ == '__main__':
  absltest.main()
