"""CheckpointWriter: atomic publication, consistent async writes, failures."""

import errno
import os
import subprocess
import threading
import time
from unittest import mock

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow as tf

import triggers
from triggers import checkpoint_format
from triggers import checkpoint_writer
from triggers import durable
from triggers import manifest
from triggers import variable_snapshot
from tests import test_case


def make_checkpoint():
  """A checkpoint of one weight matrix and a step counter."""
  module = tf.Module()
  module.weights = tf.Variable(np.zeros((64, 64), np.float32))
  step = tf.Variable(0, dtype=tf.int64)
  return tf.train.Checkpoint(policy=module, train_step=step), module, step


def read_checkpoint(path):
  """(weights, train_step) stored in the checkpoint directory `path`."""
  reader = tf.train.load_checkpoint(checkpoint_format.variables_prefix(path))
  return (reader.get_tensor('policy/weights/.ATTRIBUTES/VARIABLE_VALUE'),
          reader.get_tensor('train_step/.ATTRIBUTES/VARIABLE_VALUE'))


def close_within(test, writer, seconds=60):
  """Calls `writer.close()` on another thread; fails `test` if it hangs.

  Returns:
    What close() raised, or None.
  """
  raised = []

  def close():
    try:
      writer.close()
    except BaseException as e:  # pylint: disable=broad-except
      raised.append(e)

  thread = threading.Thread(target=close, daemon=True)
  thread.start()
  thread.join(seconds)
  test.assertFalse(thread.is_alive(), f'close() still waits after {seconds} s')
  return raised[0] if raised else None


def mount_tmpfs(test, size):
  """A tmpfs of `size` (e.g. '1m') mounted for `test`; skips it where mounting is impossible."""
  mount_point = test.create_tempdir().full_path
  try:
    subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs',
                    mount_point], check=True, capture_output=True)
  except (OSError, subprocess.CalledProcessError) as e:
    test.skipTest(f'cannot mount a tmpfs here (needs root): {e}')
  test.addCleanup(subprocess.run, ['umount', mount_point], check=False)
  return mount_point


def wait_until(condition, seconds=60):
  """Polls `condition()` until true; False if `seconds` pass first."""
  deadline = time.monotonic() + seconds
  while not condition():
    if time.monotonic() > deadline:
      return False
    time.sleep(0.01)
  return True


class GatedWrite:
  """Replaces variable_snapshot.write: each write waits until released."""

  def __init__(self, write_first=False):
    self.real_write = variable_snapshot.write
    self.write_first = write_first
    self.release = threading.Event()
    self.started = threading.Event()

  def __call__(self, snapshot, file_prefix):
    if self.write_first:
      self.real_write(snapshot, file_prefix)
    self.started.set()
    self.release.wait(timeout=60)
    if not self.write_first:
      self.real_write(snapshot, file_prefix)


class CheckpointWriterTest(test_case.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.dir = self.create_tempdir().full_path
    self.checkpoint, self.module, self.step = make_checkpoint()

  def advance(self, step):
    """Stands in for a train step: new weights, new counter."""
    self.module.weights.assign(np.full((64, 64), step, np.float32))
    self.step.assign(step)

  @parameterized.parameters(False, True)
  def test_checkpoint_holds_values_at_its_step(self, async_writes):
    with checkpoint_writer.CheckpointWriter(
        self.dir, self.checkpoint, async_writes=async_writes) as writer:
      for step in (1, 2, 3):
        self.advance(step)
        self.assertEqual(writer.save(), step)  # Named after train_step.
    written = sorted(checkpoint_format.checkpoint_step(n)
                     for n in os.listdir(self.dir))
    # Sync writes all; async may replace a waiting step by a newer one.
    if not async_writes:
      self.assertEqual(written, [1, 2, 3])
    self.assertEqual(written[-1], 3)
    for step in written:
      weights, saved_step = read_checkpoint(
          os.path.join(self.dir, checkpoint_format.checkpoint_name(step)))
      self.assertEqual(saved_step, step)
      self.assertAllEqual(weights, np.full((64, 64), step, np.float32))

  def test_files_match_checkpoint_write(self):
    # A snapshot written later holds what tf.train.Checkpoint.write writes.
    self.advance(7)
    snapshot = variable_snapshot.take(self.checkpoint)
    self.advance(8)
    variable_snapshot.write(snapshot, os.path.join(self.dir, 'ours', 'v'))
    self.advance(7)
    self.checkpoint.write(os.path.join(self.dir, 'reference', 'v'))
    ours = tf.train.load_checkpoint(os.path.join(self.dir, 'ours', 'v'))
    reference = tf.train.load_checkpoint(
        os.path.join(self.dir, 'reference', 'v'))
    self.assertEqual(ours.get_variable_to_dtype_map(),
                     reference.get_variable_to_dtype_map())
    for key in reference.get_variable_to_shape_map():
      self.assertAllEqual(ours.get_tensor(key), reference.get_tensor(key))
    # And restores into the same objects.
    self.advance(0)
    self.checkpoint.read(os.path.join(self.dir, 'ours', 'v')).assert_consumed()
    self.assertEqual(int(self.step.numpy()), 7)

  @parameterized.named_parameters(
      ('assign_add', lambda v: v.assign_add(tf.ones_like(v))),
      ('optimizer', lambda v: tf.keras.optimizers.Adam(0.1).apply_gradients(
          [(tf.ones_like(v), v)])),
      ('sparse_update', lambda v: v.scatter_add(tf.IndexedSlices(
          tf.ones((1, 64)), tf.constant([0])))),
  )
  def test_snapshot_keeps_its_values_while_training_updates_them(self,
                                                                 update):
    # The snapshot holds the tensors read, not copies: TensorFlow must copy
    # a variable's buffer before updating it while a read still holds it.
    self.advance(7)
    snapshot = variable_snapshot.take(self.checkpoint)
    update(self.module.weights)
    self.assertNotAllEqual(self.module.weights, np.full((64, 64), 7.0))
    variable_snapshot.write(snapshot, os.path.join(self.dir, 'v'))
    reader = tf.train.load_checkpoint(os.path.join(self.dir, 'v'))
    self.assertAllEqual(
        reader.get_tensor('policy/weights/.ATTRIBUTES/VARIABLE_VALUE'),
        np.full((64, 64), 7.0, np.float32))

  def test_distributed_variables_are_snapshotted_too(self):
    strategy = tf.distribute.MirroredStrategy(['/cpu:0'])
    with strategy.scope():
      module = tf.Module()
      module.weights = tf.Variable(np.full((4, 4), 3.0, np.float32))
      step = tf.Variable(3, dtype=tf.int64)
    gate = GatedWrite()
    with mock.patch.object(variable_snapshot, 'write', gate):
      with checkpoint_writer.CheckpointWriter(
          self.dir, tf.train.Checkpoint(policy=module, train_step=step),
          async_writes=True) as writer:
        self.assertEqual(writer.save(), 3)
        self.assertTrue(gate.started.wait(timeout=30))
        module.weights.assign_add(tf.ones((4, 4)))  # Before the files.
        gate.release.set()
    reader = tf.train.load_checkpoint(checkpoint_format.variables_prefix(
        os.path.join(self.dir, checkpoint_format.checkpoint_name(3))))
    self.assertAllEqual(
        reader.get_tensor('policy/weights/.ATTRIBUTES/VARIABLE_VALUE'),
        np.full((4, 4), 3.0, np.float32))

  def test_checkpoint_without_train_step_is_an_error(self):
    with self.assertRaisesRegex(ValueError, 'train_step'):
      checkpoint_writer.CheckpointWriter(
          self.dir, tf.train.Checkpoint(policy=self.module))

  def test_async_newest_step_always_written_none_lost_silently(self):
    gate = GatedWrite()
    expected = {}
    with mock.patch.object(variable_snapshot, 'write', gate):
      writer = checkpoint_writer.CheckpointWriter(
          self.dir, self.checkpoint, async_writes=True)
      for step in range(1, 21):
        self.advance(step)
        writer.save()  # Returns at once although the writer is stuck.
        expected[step] = np.full((64, 64), step, np.float32)
        if step == 1:
          self.assertTrue(gate.started.wait(timeout=30))
      self.assertEmpty(os.listdir(self.dir))
      gate.release.set()
      writer.close()
    written = sorted(checkpoint_format.checkpoint_step(n)
                     for n in os.listdir(self.dir)
                     if checkpoint_format.checkpoint_step(n) is not None)
    # Step 1 was in flight; 2..19 were each replaced by a newer request; the
    # newest, 20, was kept and written.
    self.assertEqual(written, [1, 20])
    self.assertEqual(writer.requested, 20)
    self.assertEqual(writer.written, 2)
    self.assertEqual(writer.coalesced, 18)
    self.assertEqual(writer.requested,
                     writer.written + writer.coalesced + writer.already_present)
    for step in written:
      weights, saved_step = read_checkpoint(
          os.path.join(self.dir, checkpoint_format.checkpoint_name(step)))
      self.assertEqual(saved_step, step)
      self.assertAllEqual(weights, expected[step])

  def test_reader_never_sees_a_checkpoint_being_written(self):
    gate = GatedWrite(write_first=True)
    with mock.patch.object(variable_snapshot, 'write', gate):
      writer = checkpoint_writer.CheckpointWriter(
          self.dir, self.checkpoint, async_writes=True)
      self.advance(5)
      writer.save()
      self.assertTrue(gate.started.wait(timeout=30))
      # The files are written but not yet renamed into place.
      (name,) = os.listdir(self.dir)
      self.assertTrue(checkpoint_format.is_temp_name(name), name)
      self.assertIsNone(checkpoint_format.checkpoint_step(name))
      self.assertEmpty(tf.io.gfile.glob(
          os.path.join(self.dir, 'policy_checkpoint_*')))
      self.assertLess(name, 'policy_checkpoint_')  # Never a sorted listing's last.
      gate.release.set()
      writer.flush()
    self.assertEqual(os.listdir(self.dir), ['policy_checkpoint_0000000005'])

  @parameterized.parameters(False, True)
  def test_failed_write_is_raised_and_earlier_checkpoints_kept(self,
                                                               async_writes):
    writer = checkpoint_writer.CheckpointWriter(
        self.dir, self.checkpoint, async_writes=async_writes)
    self.advance(1)
    writer.save()
    writer.flush()

    def full_disk(snapshot, file_prefix):
      os.makedirs(os.path.dirname(file_prefix))
      with open(file_prefix + '.index', 'wb') as f:
        f.write(b'partial')
      raise OSError(errno.ENOSPC, 'No space left on device')

    self.advance(2)
    with mock.patch.object(variable_snapshot, 'write', full_disk):
      if async_writes:
        writer.save()  # Fails in the background...
        with self.assertRaisesRegex(triggers.SaveError,
                                    'step 2.*No space left.*untouched'):
          writer.flush()  # ...and is raised in the caller.
      else:
        with self.assertRaisesRegex(triggers.SaveError,
                                    'step 2.*No space left.*untouched'):
          writer.save()
    self.assertEqual(os.listdir(self.dir), ['policy_checkpoint_0000000001'])
    weights, _ = read_checkpoint(os.path.join(self.dir,
                                              'policy_checkpoint_0000000001'))
    self.assertAllEqual(weights, np.full((64, 64), 1, np.float32))
    # The writer keeps working once the disk is fine again.
    self.advance(3)
    writer.save()
    writer.close()
    self.assertCountEqual(
        os.listdir(self.dir),
        ['policy_checkpoint_0000000001', 'policy_checkpoint_0000000003'])

  def test_read_only_directory(self):
    # Root ignores permissions: as root, a read-only tmpfs; else chmod.
    directory = self.dir if os.geteuid() else mount_tmpfs(self, '1m')
    writer = checkpoint_writer.CheckpointWriter(directory, self.checkpoint)
    self.advance(1)
    writer.save()
    if os.geteuid():
      os.chmod(directory, 0o555)
      self.addCleanup(os.chmod, directory, 0o755)
    else:
      subprocess.run(['mount', '-o', 'remount,ro', directory], check=True)
    self.advance(2)
    with self.assertRaisesRegex(triggers.SaveError, 'step 2'):
      writer.save()
    self.assertEqual(os.listdir(directory), ['policy_checkpoint_0000000001'])

  def test_full_filesystem(self):
    directory = mount_tmpfs(self, '256k')
    writer = checkpoint_writer.CheckpointWriter(directory, self.checkpoint)
    self.advance(1)
    writer.save()
    with open(os.path.join(directory, 'filler'), 'wb', buffering=0) as f:
      try:
        while True:
          f.write(b'\0' * 4096)
      except OSError as e:
        self.assertEqual(e.errno, errno.ENOSPC)
    self.advance(2)
    with self.assertRaisesRegex(triggers.SaveError,
                                'step 2.*No space left on device.*untouched'):
      writer.save()
    self.assertCountEqual(os.listdir(directory),
                          ['policy_checkpoint_0000000001', 'filler'])
    weights, _ = read_checkpoint(os.path.join(directory,
                                              'policy_checkpoint_0000000001'))
    self.assertAllEqual(weights, np.full((64, 64), 1, np.float32))

  def test_unexpected_background_error_is_raised_next_and_close_returns(self):
    writer = checkpoint_writer.CheckpointWriter(self.dir, self.checkpoint,
                                                async_writes=True)
    with mock.patch.object(manifest, 'write',
                           side_effect=RuntimeError('bad metadata value')):
      self.advance(1)
      writer.save()
      self.assertTrue(wait_until(lambda: writer.failed == 1))
    self.advance(2)
    with self.assertRaisesRegex(triggers.SaveError,
                                'step 1.*RuntimeError: bad metadata value'):
      writer.save()  # The error of step 1; step 2 is queued all the same.
    self.assertIsNone(close_within(self, writer))
    self.assertEqual(checkpoint_format.list_steps(self.dir), [2])
    self.assertEqual((writer.requested, writer.written, writer.failed),
                     (2, 1, 1))
    self.assertEqual([n for n in os.listdir(self.dir) if n.startswith('.')],
                     [])

  def test_dead_writer_thread_is_reported_and_nothing_waits_for_it(self):
    gate = GatedWrite()

    def die(snapshot, file_prefix):
      gate(snapshot, file_prefix)
      raise SystemExit  # Ends a thread quietly; escapes `except Exception`.

    writer = checkpoint_writer.CheckpointWriter(self.dir, self.checkpoint,
                                                async_writes=True)
    with mock.patch.object(variable_snapshot, 'write', die):
      self.advance(1)
      writer.save()
      self.assertTrue(gate.started.wait(timeout=30))
      self.advance(2)
      writer.save()  # Waits behind step 1.
      gate.release.set()
      error = close_within(self, writer)
    self.assertIsInstance(error, triggers.SaveError)
    self.assertRegex(str(error), r'step\(s\) \[1, 2\] not written.*stopped')
    self.assertEqual(writer.failed, 2)
    self.assertEmpty(checkpoint_format.list_steps(self.dir))

  def test_next_save_after_a_dead_thread_starts_a_new_one(self):
    writer = checkpoint_writer.CheckpointWriter(self.dir, self.checkpoint,
                                                async_writes=True)
    with mock.patch.object(variable_snapshot, 'write',
                           side_effect=SystemExit):
      self.advance(1)
      writer.save()
      self.assertTrue(wait_until(lambda: writer.failed == 1))
    self.advance(2)
    with self.assertRaisesRegex(triggers.SaveError, r'\[1\] not written'):
      writer.save()
    self.assertIsNone(close_within(self, writer))
    self.assertEqual(checkpoint_format.list_steps(self.dir), [2])

  def test_several_background_errors_are_all_reported(self):
    gate = GatedWrite()
    writer = checkpoint_writer.CheckpointWriter(self.dir, self.checkpoint,
                                                async_writes=True)
    with mock.patch.object(variable_snapshot, 'write', gate), \
         mock.patch.object(manifest, 'write',
                           side_effect=RuntimeError('no manifest')):
      self.advance(1)
      writer.save()
      self.assertTrue(gate.started.wait(timeout=30))
      self.advance(2)
      writer.save()
      gate.release.set()
      error = close_within(self, writer)
    self.assertRegex(str(error), 'step 1.*no manifest')
    self.assertRegex(error.__notes__[0], 'step 2.*no manifest')
    self.assertEqual(writer.failed, 2)

  def test_save_after_close_is_an_error(self):
    writer = checkpoint_writer.CheckpointWriter(self.dir, self.checkpoint,
                                                async_writes=True)
    writer.close()
    writer.close()
    with self.assertRaisesRegex(RuntimeError, 'after close'):
      writer.save()


class Recorder:
  """Records, in order, our writes, every fsync and every os.rename.

  No strace: `variable_snapshot.write` and `manifest.write` (the writes of a
  checkpoint), `os.fsync` and `os.rename` are wrapped; an fsync records the
  path of its descriptor and the file's (size, mtime) at that moment.
  """

  def __init__(self, test):
    self.events = []
    real_fsync, real_rename = os.fsync, os.rename
    real_variables, real_manifest = variable_snapshot.write, manifest.write

    def fsync(fd):
      path = os.readlink(f'/proc/self/fd/{fd}')
      st = os.fstat(fd)
      self.events.append(('fsync', path, (st.st_size, st.st_mtime_ns)))
      real_fsync(fd)

    def rename(source, destination):
      real_rename(source, destination)
      self.events.append(('rename', source, destination))

    def write_variables(snapshot, file_prefix):
      real_variables(snapshot, file_prefix)
      directory = os.path.dirname(file_prefix)
      for name in sorted(os.listdir(directory)):
        self.events.append(('write', os.path.join(directory, name)))

    def write_manifest(directory, *args, **kwargs):
      result = real_manifest(directory, *args, **kwargs)
      self.events.append(('write', os.path.join(directory, manifest.FILENAME)))
      return result

    for target, name, fn in ((os, 'fsync', fsync), (os, 'rename', rename),
                             (variable_snapshot, 'write', write_variables),
                             (manifest, 'write', write_manifest)):
      patcher = mock.patch.object(target, name, fn)
      patcher.start()
      test.addCleanup(patcher.stop)

  def index(self, kind, path):
    return next(i for i, e in enumerate(self.events)
                if e[0] == kind and e[1] == path)


class DurablePublicationTest(test_case.TestCase):

  def test_files_and_directories_synced_before_the_rename_parent_after(self):
    checkpoints_dir = os.path.join(self.create_tempdir().full_path,
                                   'checkpoints')
    checkpoint, _, step = make_checkpoint()
    step.assign(5)
    recorder = Recorder(self)
    with checkpoint_writer.CheckpointWriter(checkpoints_dir,
                                            checkpoint) as writer:
      writer.save()
    renames = [e for e in recorder.events if e[0] == 'rename']
    self.assertLen(renames, 1)
    _, temp, final = renames[0]
    self.assertEqual(final, os.path.join(checkpoints_dir,
                                         checkpoint_format.checkpoint_name(5)))
    rename_at = recorder.events.index(renames[0])
    published = [os.path.join(final, 'manifest.json'),
                 os.path.join(final, 'variables', 'variables.index'),
                 os.path.join(final, 'variables',
                              'variables.data-00000-of-00001')]
    self.assertCountEqual(
        [os.path.join(d, n) for d, _, names in os.walk(final) for n in names],
        published)
    for path in published:
      as_written = temp + path[len(final):]
      synced_at = recorder.index('fsync', as_written)
      self.assertLess(recorder.index('write', as_written), synced_at, path)
      self.assertLess(synced_at, rename_at, path)
      st = os.stat(path)  # Nothing written to it after its fsync.
      self.assertEqual(recorder.events[synced_at][2],
                       (st.st_size, st.st_mtime_ns), path)
    # The new tree's directories after every write into them (the tree's
    # fsyncs run at once, in no set order), all before the rename, then the
    # directory holding the new name.
    last_write_at = max(i for i, e in enumerate(recorder.events)
                        if e[0] == 'write')
    for directory in (temp, os.path.join(temp, 'variables')):
      synced_at = recorder.index('fsync', directory)
      self.assertLess(last_write_at, synced_at, directory)
      self.assertLess(synced_at, rename_at, directory)
    self.assertGreater(
        max(i for i, e in enumerate(recorder.events)
            if e[:2] == ('fsync', checkpoints_dir)), rename_at)

  def test_a_trees_fsyncs_run_at_once(self):
    tree = self.create_tempdir().full_path
    os.makedirs(os.path.join(tree, 'variables'))
    for name in ('manifest.json', 'variables/data', 'variables/index'):
      with open(os.path.join(tree, name), 'w') as f:
        f.write(name)
    # Each fsync waits for the other four: one at a time, none would return.
    all_in = threading.Barrier(5, timeout=60)
    real_fsync = os.fsync
    def fsync(fd):
      all_in.wait()
      real_fsync(fd)
    with mock.patch.object(os, 'fsync', fsync):
      durable.sync_tree(tree)
    self.assertFalse(all_in.broken)

  def test_replaced_directory_is_synced_before_the_swap_parent_after(self):
    root = self.create_tempdir().full_path
    final = os.path.join(root, 'best_policy')
    os.makedirs(final)
    temp = checkpoint_format.temp_path(final)
    os.makedirs(os.path.join(temp, 'variables'))
    with open(os.path.join(temp, 'variables', 'data'), 'w') as f:
      f.write('new')
    recorder = Recorder(self)
    checkpoint_format.replace_directory(temp, final)
    synced = [e[1] for e in recorder.events if e[0] == 'fsync']
    # Synced under the temporary name, so before the swap; the parent after.
    self.assertCountEqual(synced[:3], [os.path.join(temp, 'variables', 'data'),
                                       os.path.join(temp, 'variables'), temp])
    self.assertEqual(synced[3:], [root])
    with open(os.path.join(final, 'variables', 'data')) as f:
      self.assertEqual(f.read(), 'new')

  def test_a_path_with_a_scheme_is_refused_and_nothing_written_locally(self):
    workdir = self.create_tempdir().full_path
    self.addCleanup(os.chdir, os.getcwd())
    os.chdir(workdir)
    checkpoint, _, _ = make_checkpoint()
    with self.assertRaisesRegex(triggers.BadArgument,
                                r"'gs://bucket/run/checkpoints': paths with a "
                                r'scheme \(gs://\) are not supported'):
      checkpoint_writer.CheckpointWriter('gs://bucket/run/checkpoints',
                                         checkpoint)
    with self.assertRaisesRegex(triggers.BadArgument, r's3://'):
      with triggers.reading('s3://bucket/run/policies', 5):
        pass
    self.assertEqual(os.listdir(workdir), [])


class AsyncTriggerTest(test_case.TestCase):
  """The trigger with async_saving: slow writer, metadata, close()."""

  def test_slow_writer_keeps_each_step_consistent(self):
    from tests import agents  # pylint: disable=g-import-not-at-top
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    trigger = triggers.PolicySavedModelTrigger(saved_model_dir, agent,
                                               train_step, interval=1,
                                               async_saving=True)
    real_write = variable_snapshot.write

    def slow_write(snapshot, file_prefix):
      time.sleep(0.05)
      real_write(snapshot, file_prefix)

    captured = {}
    with mock.patch.object(variable_snapshot, 'write', slow_write):
      for step in range(1, 21):
        agents.perturb(agent, train_step, seed=step)
        trigger(step)
        captured[step] = {v.name: v.numpy() for v in agent.policy.variables()}
      trigger.close()
    steps = triggers.list_checkpoints(saved_model_dir)
    self.assertEqual(steps[-1], 20)
    writer = trigger.writer
    self.assertEqual(writer.requested, 20)
    self.assertEqual(len(steps), writer.written)
    self.assertEqual(writer.written + writer.coalesced, 20)
    from tf_agents.policies import policy_loader  # pylint: disable=g-import-not-at-top
    for step in steps:
      loaded = policy_loader.load(
          os.path.join(saved_model_dir, 'policy'),
          triggers.checkpoint_path(saved_model_dir, step))
      self.assertEqual(loaded.get_train_step(), step)
      for v in loaded.variables():
        self.assertAllEqual(v.numpy(), captured[step][v.name])


if __name__ == '__main__':
  absltest.main()
