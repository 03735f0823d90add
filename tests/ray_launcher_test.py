"""The tiny two-collector run through Ray, on a local Ray instance started by the binary."""

import os
import re
import subprocess

from absl.testing import absltest

import triggers
from tests import subprocesses
from tests import test_case
from tests import train_eval_test


class RayLauncherTest(test_case.TestCase):

  def test_tiny_run_on_local_ray(self):
    workdir = self.create_tempdir().full_path
    root_dir = os.path.join(workdir, 'run')
    result = subprocess.run(
        train_eval_test.command(root_dir,
                                flags=['--collectors=2', '--launcher=ray']),
        cwd=workdir, env=subprocesses.python_env(), capture_output=True,
        text=True, timeout=900)
    out = result.stdout + result.stderr
    self.assertEqual(result.returncode, 0, out[-4000:])
    # A local Ray instance on loopback; no colour codes in a pipe.
    self.assertRegex(out, r'Ray: replay server at 127\.0\.0\.1:\d+; 2 '
                     'collector')
    self.assertNotIn('\x1b', out)
    # Ray prefixes each actor's lines with its name; TensorFlow's import
    # notices stay in the job's log.
    prefix = r'\({} pid=\d+[^)]*\) '
    for noise in ('cuDNN', 'Gym has been unmaintained'):
      self.assertNotIn(noise, out)
    self.assertRegex(out, prefix.format('train') + r'Finished at train step 40\.')
    self.assertRegex(out, prefix.format('eval') + r'step = 40: AverageReturn = ')
    self.assertIn('[launcher] all jobs stopped.', out)
    self.assertEqual(
        triggers.list_checkpoints(os.path.join(root_dir, 'policies')), [20, 40])
    for task in (0, 1):
      log = train_eval_test.read_log(root_dir, f'collect-{task}')
      self.assertRegex(log, rf'Collector {task} done: \d+ environment steps, '
                       'last weights of train step 40')
    self.assertFalse(re.search(r'Traceback', out), out[-4000:])


if __name__ == '__main__':
  absltest.main()
