"""The `policies` tool on a run made by a tiny config: each subcommand, and its errors."""

import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from unittest import mock

from absl.testing import absltest
from absl.testing import parameterized
import imageio
import numpy as np
from PIL import Image
import tensorflow as tf
from tf_agents.environments import suite_gym
from tf_agents.policies import policy_loader

import policies_tool
import triggers
from policies_tool import evaluation
from policies_tool import listing
from policies_tool import run_dir as run_dir_lib
from policies_tool import video
from triggers import best_policy
from triggers import retention
from tests import subprocesses
from tests import test_case
from tests import train_eval_test

STEPS = [10, 20, 30, 40]  # --interval=10 over the tiny config's 40 steps.


class PoliciesToolTest(test_case.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.workdir = tempfile.mkdtemp()
    cls.root_dir = os.path.join(cls.workdir, 'run')
    train_eval_test.make_run(cls.root_dir, cls.workdir,
                             flags=['--best_metric=AverageReturn',
                                    '--interval=10'])

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.workdir, ignore_errors=True)
    super().tearDownClass()

  def copy_run(self):
    """(root_dir, its policies/checkpoints) of a copy of the run to change."""
    root_dir = os.path.join(self.create_tempdir().full_path, 'run')
    shutil.copytree(self.root_dir, root_dir)
    return root_dir, os.path.join(root_dir, 'policies', 'checkpoints')

  def test_list_matches_the_files(self):
    rows = policies_tool.list_policies(self.root_dir)
    self.assertEqual([r['step'] for r in rows], STEPS)
    saved = triggers.list_checkpoints(os.path.join(self.root_dir, 'policies'))
    self.assertEqual([r['step'] for r in rows], saved)
    for row in rows:
      self.assertGreater(row['bytes'], 0)
      self.assertIn('env_step', row['metadata'])
    # Evaluations ran at steps 0, 20 and 40.
    self.assertTrue(np.isfinite(rows[1]['AverageReturn']))
    self.assertTrue(np.isfinite(rows[3]['AverageReturn']))
    record = best_policy.read_record(
        os.path.join(self.root_dir, 'policies', best_policy.BEST_POLICY_DIR))
    # The best evaluation may be the untrained step 0, which has no checkpoint.
    self.assertEqual([r['step'] for r in rows if r['best']],
                     [record['step']] if record['step'] in STEPS else [])
    table = listing.format_table(rows)
    self.assertEqual(len(table.splitlines()), 1 + len(STEPS))
    self.assertIn('AverageReturn', table)

  @parameterized.named_parameters(('oldest', 10), ('middle', 30),
                                  ('newest', 40), ('no_checkpoint', 0))
  def test_list_marks_only_the_step_best_json_names(self, best_step):
    root_dir, _ = self.copy_run()
    record_path = os.path.join(root_dir, 'policies',
                               best_policy.BEST_POLICY_DIR,
                               best_policy.RECORD_FILE)
    with open(record_path) as f:
      record = json.load(f)
    record['step'] = best_step
    with open(record_path, 'w') as f:
      json.dump(record, f)
    rows = policies_tool.list_policies(root_dir)
    self.assertLen(rows, len(STEPS))
    self.assertEqual([r['step'] for r in rows if r['best']],
                     [best_step] if best_step in STEPS else [])
    marked = [line.split()[1] for line in
              listing.format_table(rows).splitlines()[1:]
              if line.lstrip().startswith('*')]
    self.assertEqual(marked, [str(best_step)] if best_step in STEPS else [])

  def test_list_names_an_entry_that_is_not_a_checkpoint(self):
    root_dir, _ = self.copy_run()
    fake = triggers.checkpoint_path(os.path.join(root_dir, 'policies'), 60)
    with open(fake, 'w') as f:
      f.write('not a checkpoint')
    self.assertEqual([r['step'] for r in policies_tool.list_policies(root_dir)],
                     STEPS)
    [line] = listing.invalid_entries(root_dir)
    self.assertIn(fake, line)
    self.assertStartsWith(line, 'not a checkpoint, left out: ')

  def test_evaluate_is_finite_and_repeatable(self):
    with contextlib.redirect_stderr(io.StringIO()) as stderr:
      first = policies_tool.evaluate(self.root_dir, 'latest', episodes=2,
                                     seed=3, progress=None)
    self.assertNotIn('episode 1/2', stderr.getvalue())  # No progress bar.
    second = policies_tool.evaluate(self.root_dir, '40', episodes=2, seed=3,
                                    progress=None)
    self.assertEqual(first, second)
    self.assertEqual(first['step'], 40)
    self.assertTrue(np.isfinite(first['AverageReturn']))
    self.assertEqual(first['AverageEpisodeLength'], 200.0)
    best = policies_tool.evaluate(self.root_dir, 'best', episodes=1,
                                  progress=None)
    self.assertTrue(best['checkpoint'].startswith('best (step '))

  def test_evaluate_progress_off_a_terminal_is_a_line_per_episode(self):
    progress = io.StringIO()  # Not a terminal, as a log file or a pipe.
    result = policies_tool.evaluate(self.root_dir, '20', episodes=3, seed=1,
                                    progress=progress)
    written = progress.getvalue()
    self.assertNotIn('\r', written)
    lines = written.splitlines()
    self.assertLen(lines, 3)  # One per episode.
    for done, line in enumerate(lines, start=1):
      self.assertStartsWith(line, f'step 20: episode {done}/3 [')
      self.assertRegex(line, r'mean return -?\d+\.\d\d$')
    self.assertIn(f'mean return {result["AverageReturn"]:.2f}', lines[-1])
    self.assertIn('[' + '#' * 20 + ']', lines[-1])

  def test_progress_bar_on_a_terminal_is_one_live_line(self):
    stream = io.StringIO()
    bar = evaluation.ProgressBar(stream, 'step 5', total=2, live=True)
    bar.update(1, -1000.0)
    bar.update(2, -5.0)
    bar.close()
    written = stream.getvalue()
    self.assertEqual(written.count('\r'), 2)  # One update per episode.
    self.assertEqual(written.count('\n'), 1)
    first, second = written.rstrip('\n').split('\r')[1:]
    self.assertLen(second, len(first))  # Pads over the longer line.
    self.assertEqual(second.rstrip(), 'step 5: episode 2/2 '
                     f'[{"#" * 20}] mean return -5.00')

  def test_progress_bar_without_a_stream_writes_nothing(self):
    silent = evaluation.ProgressBar(None, 'step 5', total=2)
    silent.update(1, 0.0)
    silent.close()  # Nothing to write to: no error.

  def test_evaluate_needs_an_episode(self):
    with self.assertRaisesRegex(policies_tool.PoliciesError,
                                '--episodes=0: give at least 1'):
      policies_tool.evaluate(self.root_dir, 'latest', episodes=0,
                             progress=None)

  def test_plot_writes_a_png(self):
    out = os.path.join(self.create_tempdir().full_path, 'curves.png')
    policies_tool.plot([self.root_dir, self.root_dir], out, labels=['a', 'b'])
    with Image.open(out) as image:
      self.assertEqual(image.format, 'PNG')
      self.assertEqual(image.size, (800, 700))

  def rendered_size(self):
    """(height, width) of the run's environment's frames."""
    os.environ.setdefault('SDL_VIDEODRIVER', 'dummy')
    env = suite_gym.load('Pendulum-v1')
    try:
      env.reset()
      return env.render(mode='rgb_array').shape[:2]
    finally:
      env.close()

  def test_mp4_video_is_h264_with_a_frame_per_time_step(self):
    out = os.path.join(self.create_tempdir().full_path, 'episode.mp4')
    frames = policies_tool.record_video(self.root_dir, out, 'latest',
                                        max_steps=15)
    self.assertEqual(frames, 16)  # The reset, then 15 steps.
    with imageio.get_reader(out, format='FFMPEG') as reader:
      self.assertEqual(reader.get_meta_data()['codec'], 'h264')
      self.assertEqual(reader.count_frames(), 16)
      read = [frame for frame in reader]
    self.assertLen(read, 16)
    height, width = self.rendered_size()  # Even, so kept exactly.
    self.assertEqual(read[0].shape, (height, width, 3))
    self.assertEqual(os.listdir(os.path.dirname(out)), ['episode.mp4'])

  def test_gif_video_has_a_frame_per_time_step(self):
    out = os.path.join(self.create_tempdir().full_path, 'episode.gif')
    frames = policies_tool.record_video(self.root_dir, out, 'latest',
                                        max_steps=15)
    self.assertEqual(frames, 16)  # The reset, then 15 steps.
    with Image.open(out) as image:
      self.assertEqual(image.format, 'GIF')
      self.assertEqual(image.n_frames, 16)
      height, width = self.rendered_size()
      self.assertEqual(image.size, (width, height))

  def test_odd_sized_frames_gain_one_black_row_and_column(self):
    frame = np.full((5, 7, 3), 200, np.uint8)
    padded = video._even_size(frame)
    self.assertEqual(padded.shape, (6, 8, 3))
    np.testing.assert_array_equal(padded[:5, :7], frame)
    self.assertEqual(padded[5].max(), 0)
    self.assertEqual(padded[:, 7].max(), 0)
    even = np.zeros((4, 6, 3), np.uint8)
    self.assertEqual(video._even_size(even).shape, (4, 6, 3))

  @parameterized.parameters('episode.avi', 'episode', 'episode.mp4.part')
  def test_video_of_another_format_is_an_error(self, name):
    directory = self.create_tempdir().full_path
    with self.assertRaisesRegex(policies_tool.PoliciesError,
                                rf'--out=.*{name}: .*\.mp4 .*\.gif'):
      policies_tool.record_video(self.root_dir, os.path.join(directory, name))
    self.assertEmpty(os.listdir(directory))

  def test_export_loads_and_acts_in_a_process_that_imported_only_tensorflow(
      self):
    out = os.path.join(self.create_tempdir().full_path, 'exported')
    policies_tool.export(self.root_dir, '20', out)
    policies = os.path.join(self.root_dir, 'policies')
    reference = policy_loader.load(os.path.join(policies, 'greedy_policy'),
                                   triggers.checkpoint_path(policies, 20))
    env = suite_gym.load('Pendulum-v1')
    env.seed(0)
    time_step = env.reset()
    loaded = self.load_in_plain_tensorflow(out, time_step.observation)
    self.assertEqual(loaded['train_step'], 20)
    self.assertAllClose(loaded['action'], reference.action(time_step).action)
    # tf_agents' loader reads it too.
    self.assertAllClose(policy_loader.load(out).action(time_step).action,
                        reference.action(time_step).action)
    with self.assertRaisesRegex(policies_tool.PoliciesError, 'already exists'):
      policies_tool.export(self.root_dir, '20', out)

  def test_export_of_the_best_policy_loads_in_plain_tensorflow(self):
    out = os.path.join(self.create_tempdir().full_path, 'best')
    policies_tool.export(self.root_dir, 'best', out)
    record = best_policy.read_record(
        os.path.join(self.root_dir, 'policies', best_policy.BEST_POLICY_DIR))
    loaded = self.load_in_plain_tensorflow(out, np.zeros(3, np.float32))
    self.assertEqual(loaded['train_step'], record['step'])
    self.assertLen(loaded['action'], 1)

  def load_in_plain_tensorflow(self, export_dir, observation):
    """{'train_step', 'action'} of the export, from a process importing only TF.

    The action is for a first time step with `observation`, through the
    SavedModel's `action` signature.
    """
    script = (
        'import json, sys\n'
        'import tensorflow as tf\n'
        f'policy = tf.saved_model.load({export_dir!r})\n'
        'action_fn = policy.signatures["action"]\n'
        f'first = {{"step_type": 0, "reward": 0.0, "discount": 1.0,\n'
        f'         "observation": {observation.tolist()!r}}}\n'
        'inputs = {name: tf.constant([first[spec.name.split("/")[-1]]],\n'
        '                            spec.dtype)\n'
        '          for name, spec in\n'
        '          action_fn.structured_input_signature[1].items()}\n'
        'action = action_fn(**inputs)["action"].numpy()[0].tolist()\n'
        'imported = [m for m in ("tf_agents", "tensorflow_probability")\n'
        '            if m in sys.modules]\n'
        'print(json.dumps({"train_step": int(policy.get_train_step()),\n'
        '                  "action": action, "imported": imported}))\n')
    result = subprocess.run([sys.executable, '-c', script],
                            env=subprocesses.python_env(), capture_output=True,
                            text=True, timeout=300)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    self.assertEqual(loaded.pop('imported'), [])
    return loaded

  # Retention running beside the tool, as a run still training with
  # max_to_keep=1 would: prune() is the trigger's own deletion.

  @parameterized.named_parameters(
      ('evaluate', 'evaluate', policy_loader, 'load'),
      ('export', 'export', tf.train.Checkpoint, 'read'))
  def test_retention_keeps_the_checkpoint_being_read(self, command, owner,
                                                     reads_files):
    root_dir, checkpoints_dir = self.copy_run()
    original = getattr(owner, reads_files)
    deleted = []

    def prune_then_read(*args, **kwargs):
      if not deleted:
        deleted.extend(retention.prune(checkpoints_dir, max_to_keep=1))
      return original(*args, **kwargs)

    out = os.path.join(self.create_tempdir().full_path, 'exported')
    with mock.patch.object(owner, reads_files, prune_then_read):
      if command == 'evaluate':
        result = policies_tool.evaluate(root_dir, '20', episodes=1,
                                        progress=None)
        self.assertEqual(result['step'], 20)
        self.assertTrue(np.isfinite(result['AverageReturn']))
      else:
        policies_tool.export(root_dir, '20', out)
        self.assertEqual(int(tf.saved_model.load(out).get_train_step()), 20)
    self.assertEqual(deleted, [10, 30])  # The leased 20 and the newest stay.
    policies = os.path.join(root_dir, 'policies')
    self.assertEqual(triggers.list_checkpoints(policies), [20, 40])
    # The lease ended with the command: 20 goes now.
    self.assertEqual(retention.prune(checkpoints_dir, max_to_keep=1), [20])

  @parameterized.named_parameters(('evaluate', 'evaluate'), ('video', 'video'),
                                  ('export', 'export'))
  def test_checkpoint_deleted_before_the_lease_is_a_clear_error(self, command):
    root_dir, checkpoints_dir = self.copy_run()
    select = run_dir_lib.RunDir.select

    def select_then_prune(run, *args, **kwargs):
      selected = select(run, *args, **kwargs)
      retention.prune(checkpoints_dir, max_to_keep=1)
      return selected

    out_dir = self.create_tempdir().full_path
    with mock.patch.object(run_dir_lib.RunDir, 'select', select_then_prune):
      with self.assertRaisesRegex(
          policies_tool.PoliciesError,
          r'checkpoint at step 20 was deleted by retention while .*saved '
          r'steps now: \[40\]; pass --checkpoint=latest again'):
        if command == 'evaluate':
          policies_tool.evaluate(root_dir, '20', episodes=1, progress=None)
        elif command == 'video':
          policies_tool.record_video(root_dir,
                                     os.path.join(out_dir, 'episode.mp4'),
                                     '20')
        else:
          policies_tool.export(root_dir, '20', os.path.join(out_dir, 'x'))
    self.assertEmpty(os.listdir(out_dir))

  def test_read_only_run_is_read_without_a_lease(self):
    run = run_dir_lib.RunDir(self.root_dir)
    selected = run.select('20')
    denied = PermissionError(errno.EACCES, 'Permission denied')
    with mock.patch.object(triggers, 'reading', side_effect=denied):
      with self.assertLogs(level='WARNING') as logs:
        with run.reading(selected) as reading:
          self.assertIs(reading, selected)
    self.assertIn('without one', logs.output[0])

  def test_errors(self):
    empty = self.create_tempdir().full_path
    with self.assertRaisesRegex(policies_tool.PoliciesError,
                                'holds no saved policies'):
      policies_tool.list_policies(empty)
    with self.assertRaisesRegex(policies_tool.PoliciesError,
                                r'No policy checkpoint at step 7.*'
                                r'\[10, 20, 30, 40\]'):
      policies_tool.evaluate(self.root_dir, '7', episodes=1, progress=None)
    damaged, _ = self.copy_run()
    data = os.path.join(damaged, 'policies', 'checkpoints',
                        'policy_checkpoint_0000000040', 'variables',
                        'variables.data-00000-of-00001')
    with open(data, 'r+b') as f:
      f.write(b'\0\0\0\0')
    with self.assertRaisesRegex(policies_tool.PoliciesError,
                                'step 40 is damaged'):
      policies_tool.evaluate(damaged, 'latest', episodes=1, progress=None)

  def test_command_line(self):
    env = subprocesses.python_env()
    listed = subprocess.run(
        [sys.executable, '-m', 'policies_tool.cli', 'list',
         f'--root_dir={self.root_dir}'],
        env=env, capture_output=True, text=True, timeout=300)
    self.assertEqual(listed.returncode, 0, listed.stderr[-2000:])
    self.assertEqual(len(listed.stdout.strip().splitlines()), 1 + len(STEPS))
    missing = subprocess.run(
        [sys.executable, '-m', 'policies_tool.cli', 'evaluate',
         f'--root_dir={self.root_dir}', '--checkpoint=99'],
        env=env, capture_output=True, text=True, timeout=300)
    self.assertEqual(missing.returncode, 2)
    self.assertIn('policies: error: No policy checkpoint at step 99',
                  missing.stderr)
    evaluated = subprocess.run(
        [sys.executable, '-m', 'policies_tool.cli', 'evaluate',
         f'--root_dir={self.root_dir}', '--episodes=2'],
        env=env, capture_output=True, text=True, timeout=300)
    self.assertEqual(evaluated.returncode, 0, evaluated.stderr[-2000:])
    self.assertRegex(evaluated.stdout, r'^step 40: AverageReturn = -?[\d.]+, '
                     r'AverageEpisodeLength = 200\.0+\n$')
    self.assertRegex(evaluated.stderr, r'step 40: episode 2/2 \[#+\] mean '
                     r'return -?[\d.]+ *\n$')
    for output in (listed, missing, evaluated):
      for noise in train_eval_test.NOISE:
        self.assertNotIn(noise, output.stdout + output.stderr)


if __name__ == '__main__':
  absltest.main()
