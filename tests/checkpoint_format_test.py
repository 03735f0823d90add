"""The on-disk format: names, listing, publication, cleanup."""

import os

from absl.testing import absltest

from triggers import checkpoint_format
from tests import test_case


def make_checkpoint_dir(path):
  """A directory that lists as a checkpoint: it has variables/variables.index."""
  os.makedirs(os.path.join(path, 'variables'))
  open(os.path.join(path, 'variables', 'variables.index'), 'w').close()


class CheckpointFormatTest(test_case.TestCase):

  def test_names_round_trip(self):
    self.assertEqual(checkpoint_format.checkpoint_name(42),
                     'policy_checkpoint_0000000042')
    self.assertEqual(
        checkpoint_format.checkpoint_step('policy_checkpoint_0000000042'), 42)
    for name in ('policy_checkpoint_', 'policy_checkpoint_12x',
                 '.policy_checkpoint_0000000042.tmp-ab', 'policy'):
      self.assertIsNone(checkpoint_format.checkpoint_step(name), name)

  def test_temp_names_are_hidden_and_sort_first(self):
    final = '/x/checkpoints/policy_checkpoint_0000000042'
    temp = checkpoint_format.temp_path(final)
    name = os.path.basename(temp)
    self.assertEqual(os.path.dirname(temp), '/x/checkpoints')
    self.assertTrue(checkpoint_format.is_temp_name(name))
    self.assertLess(name, 'policy_checkpoint_')
    self.assertNotEqual(temp, checkpoint_format.temp_path(final))

  def test_list_ignores_unpublished(self):
    root = self.create_tempdir().full_path
    for name in ('policy_checkpoint_0000000010', 'policy_checkpoint_0000000002',
                 '.policy_checkpoint_0000000020.tmp-1', 'other'):
      make_checkpoint_dir(os.path.join(root, 'checkpoints', name))
    self.assertEqual(checkpoint_format.list_checkpoints(root), [2, 10])
    self.assertEqual(checkpoint_format.list_checkpoints(root + '/none'), [])

  def test_entries_named_like_checkpoints_are_not_listed_but_named(self):
    root = self.create_tempdir().full_path
    checkpoints_dir = os.path.join(root, 'checkpoints')
    make_checkpoint_dir(os.path.join(checkpoints_dir,
                                     'policy_checkpoint_0000000010'))
    os.makedirs(os.path.join(checkpoints_dir, 'policy_checkpoint_0000000020'))
    with open(os.path.join(checkpoints_dir, 'policy_checkpoint_0000000030'),
              'w') as f:
      f.write('not a checkpoint')
    self.assertEqual(checkpoint_format.list_checkpoints(root), [10])
    self.assertEqual(
        checkpoint_format.invalid_checkpoints(checkpoints_dir),
        {os.path.join(checkpoints_dir, 'policy_checkpoint_0000000020'):
             'has no variables/variables.index',
         os.path.join(checkpoints_dir, 'policy_checkpoint_0000000030'):
             'is a file, not a checkpoint directory'})

  def test_publish_keeps_an_existing_directory(self):
    root = self.create_tempdir().full_path
    final = os.path.join(root, 'policy_checkpoint_0000000001')
    os.makedirs(os.path.join(final, 'old'))
    temp = checkpoint_format.temp_path(final)
    os.makedirs(os.path.join(temp, 'new'))
    self.assertFalse(checkpoint_format.publish(temp, final))
    self.assertEqual(os.listdir(root), ['policy_checkpoint_0000000001'])
    self.assertEqual(os.listdir(final), ['old'])

  def test_remove_unpublished(self):
    root = self.create_tempdir().full_path
    os.makedirs(os.path.join(root, '.policy.tmp-1', 'variables'))
    os.makedirs(os.path.join(root, 'policy'))
    os.makedirs(os.path.join(root, '.hidden_but_not_ours'))
    removed = checkpoint_format.remove_unpublished(root)
    self.assertEqual([os.path.basename(p) for p in removed], ['.policy.tmp-1'])
    self.assertCountEqual(os.listdir(root), ['policy', '.hidden_but_not_ours'])


if __name__ == '__main__':
  absltest.main()
