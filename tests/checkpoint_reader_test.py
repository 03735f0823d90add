"""Manifests and the reader API: list, latest, wait, verify."""

import hashlib
import json
import os
import subprocess
import sys

from absl.testing import absltest
import gin
import numpy as np

import triggers
from triggers import manifest
from tests import agents
from tests import checkpoint_format_test
from tests import subprocesses
from tests import test_case


class ManifestTest(test_case.TestCase):

  def setUp(self):
    super().setUp()
    self.agent, self.train_step = agents.make_agent('dqn')
    self.saved_model_dir = self.create_tempdir().full_path
    self.metric = agents.ConstantMetric(dtype=np.int64)
    gin.parse_config('StepPerSecondLogTrigger.interval = 3')
    triggers.StepPerSecondLogTrigger(self.train_step)  # Makes it operative.
    self.trigger = triggers.PolicySavedModelTrigger(
        self.saved_model_dir, self.agent, self.train_step, interval=10,
        metadata_metrics={'env_step': self.metric})

  def save_at(self, step, env_steps=0):
    self.train_step.assign(step)
    self.metric.value = np.int64(env_steps)
    self.trigger(step)

  def test_manifest_describes_the_checkpoint(self):
    self.save_at(10, env_steps=1234)
    content = triggers.read_manifest(self.saved_model_dir, 10)
    self.assertEqual(content['step'], 10)
    self.assertEqual(content['metadata'], {'env_step': 1234})
    self.assertEqual(
        content['gin_config_sha256'],
        hashlib.sha256(gin.operative_config_str().encode()).hexdigest())
    path = triggers.checkpoint_path(self.saved_model_dir, 10)
    self.assertCountEqual(content['files'], [
        'variables/variables.index', 'variables/variables.data-00000-of-00001'])
    for name, info in content['files'].items():
      with open(os.path.join(path, name), 'rb') as f:
        data = f.read()
      self.assertEqual(info, {'bytes': len(data),
                              'sha256': hashlib.sha256(data).hexdigest()})
    self.assertEqual(content['total_bytes'],
                     sum(f['bytes'] for f in content['files'].values()))
    self.assertEqual(triggers.verify_checkpoint(self.saved_model_dir, 10),
                     content)

  def test_verify_finds_corruption(self):
    self.save_at(10)
    data = os.path.join(triggers.checkpoint_path(self.saved_model_dir, 10),
                        'variables', 'variables.data-00000-of-00001')
    with open(data, 'r+b') as f:
      byte = f.read(1)
      f.seek(0)
      f.write(bytes([byte[0] ^ 0xFF]))
    with self.assertRaisesRegex(triggers.VerificationError,
                                'variables.data-00000-of-00001 differs'):
      triggers.verify_checkpoint(self.saved_model_dir, 10)

  def test_manifest_reads_without_tensorflow(self):
    self.save_at(10, env_steps=7)
    path = triggers.checkpoint_path(self.saved_model_dir, 10)
    script = (
        'import runpy, sys\n'
        f'm = runpy.run_path({os.path.join(subprocesses.REPO_ROOT, "triggers", "manifest.py")!r})\n'
        f'content = m["verify"]({path!r})\n'
        'assert "tensorflow" not in sys.modules, "imported TensorFlow"\n'
        'print(content["step"], content["metadata"]["env_step"])\n')
    result = subprocess.run([sys.executable, '-I', '-c', script],
                            capture_output=True, text=True, timeout=60)
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertEqual(result.stdout.split(), ['10', '7'])
    with open(os.path.join(path, 'manifest.json')) as f:
      self.assertEqual(json.load(f)['format'], manifest.FORMAT)


class ReaderTest(test_case.TestCase):

  def make_dirs(self, steps, unpublished=()):
    saved_model_dir = self.create_tempdir().full_path
    for step in steps:
      checkpoint_format_test.make_checkpoint_dir(
          triggers.checkpoint_path(saved_model_dir, step))
    for step in unpublished:
      os.makedirs(os.path.join(
          saved_model_dir, 'checkpoints',
          f'.policy_checkpoint_{step:010d}.tmp-0123456789abcdef'))
    return saved_model_dir

  def test_latest_ignores_unpublished(self):
    saved_model_dir = self.make_dirs([5, 10], unpublished=[15])
    self.assertEqual(triggers.list_checkpoints(saved_model_dir), [5, 10])
    self.assertEqual(triggers.latest_checkpoint(saved_model_dir), 10)
    self.assertIsNone(triggers.latest_checkpoint(self.make_dirs([])))

  def test_wait_returns_a_newer_step_or_none_at_the_timeout(self):
    saved_model_dir = self.make_dirs([5])
    now = [0.0]
    sleeps = []

    def sleep(seconds):
      sleeps.append(seconds)
      now[0] += seconds
      if now[0] >= 3:  # A checkpoint appears after 3 seconds.
        if not os.path.exists(triggers.checkpoint_path(saved_model_dir, 9)):
          checkpoint_format_test.make_checkpoint_dir(
              triggers.checkpoint_path(saved_model_dir, 9))

    self.assertEqual(triggers.wait_for_checkpoint(
        saved_model_dir, newer_than=5, timeout_secs=10, poll_secs=1,
        clock=lambda: now[0], sleep=sleep), 9)
    self.assertEqual(sleeps, [1, 1, 1])
    self.assertEqual(triggers.wait_for_checkpoint(saved_model_dir, -1, 10), 9)
    self.assertIsNone(triggers.wait_for_checkpoint(
        saved_model_dir, newer_than=9, timeout_secs=2.5, poll_secs=1,
        clock=lambda: now[0], sleep=sleep))
    self.assertEqual(sleeps[3:], [1, 1, 0.5])


if __name__ == '__main__':
  absltest.main()
