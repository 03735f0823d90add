"""A `train_eval` run in a child process, its output in a file, and waits on that output."""

import os
import subprocess
import time
from typing import Callable, List

from tests import subprocesses
from tests import test_case


class ChildRunTestCase(test_case.TestCase):
  """Starts `train_eval` runs whose output the test reads as it grows.

  Attributes:
    workdir, root_dir, out_path: a fresh directory, the run's root_dir in it,
      and the file its stdout and stderr go to.
    wait_secs: how long `wait_for` waits for a condition, in s; 600.
    poll_secs: how often it reads the output, in s; 0.2.
  """

  wait_secs = 600
  poll_secs = 0.2

  def setUp(self):
    super().setUp()
    self.workdir = self.create_tempdir().full_path
    self.root_dir = os.path.join(self.workdir, 'run')
    self.out_path = os.path.join(self.workdir, 'out.txt')

  def out(self) -> str:
    with open(self.out_path) as f:
      return f.read()

  def start_command(self, command: List[str]) -> subprocess.Popen:
    """Starts `command` in `workdir`, its output to `out_path`; killed at cleanup."""
    with open(self.out_path, 'w') as log:
      process = subprocess.Popen(
          command, cwd=self.workdir, env=subprocesses.python_env(),
          stdout=log, stderr=subprocess.STDOUT, text=True)
    self.addCleanup(lambda: process.poll() is None and process.kill())
    return process

  def wait_for(self, condition: Callable[[str], bool], what: str,
               process: subprocess.Popen) -> None:
    """Waits until `condition(output)`; fails if the run ends or `wait_secs` pass."""
    deadline = time.monotonic() + self.wait_secs
    while not condition(self.out()):
      self.assertIsNone(process.poll(), f'{what}: the run ended\n'
                        f'{self.out()[-4000:]}')
      self.assertLess(time.monotonic(), deadline,
                      f'{what}\n{self.out()[-4000:]}')
      time.sleep(self.poll_secs)
