"""Crash safety, quick: a handful of kill -9 trials, and an async script that never closes."""

import os

from absl.testing import absltest

import triggers
from tests import crash_harness
from tests import test_case


class KillTest(test_case.TestCase):

  def test_a_handful_of_kills(self):
    crash_harness.run_trials(self, trials=4, seed=1)


class AsyncExitTest(test_case.TestCase):

  def test_script_that_never_calls_close_exits_with_its_saves_done(self):
    saved_model_dir = self.create_tempdir().full_path
    child = crash_harness.start_child(saved_model_dir, 'exit_early')
    stdout, _ = child.communicate(timeout=300)
    self.assertEqual(child.returncode, 0)
    self.assertEqual(stdout.split('\n')[-2], 'saved 3')
    steps = triggers.list_checkpoints(saved_model_dir)
    self.assertEqual(steps[-1], 3)  # The newest request was written at exit.
    for step in steps:
      triggers.verify_checkpoint(saved_model_dir, step)
    self.assertEqual([n for n in os.listdir(os.path.join(saved_model_dir,
                                                         'checkpoints'))
                      if n.startswith('.')], [])


if __name__ == '__main__':
  absltest.main()
