"""benchmarks/micro.py runs end to end: its smoke form writes every row, with numbers.

Keeps the benchmarks from rotting unseen (an API they use changes, a measure
breaks). Asserts no timing: the machine running the tests may be busy.
"""

import json
import math
import os
import re
import subprocess
import sys

from absl.testing import absltest

from tests import subprocesses
from tests import test_case

ROWS = [
    'idle trigger call',
    'loop throughput, with trigger ÷ without',
    'share of loop time in the trigger call',
    'construction (3 SavedModels)',
    'synchronous save',
    'bytes per checkpoint',
]
# A value cell of micro.md: a number with an optional unit, e.g. '311,780 B'.
VALUE = re.compile(r'^[\d,]+(\.\d+)?( ns| s| ms| B|%)?$')


class MicroSmokeTest(test_case.TestCase):

  def test_smoke_form_writes_every_row_with_numbers(self):
    out = os.path.join(self.create_tempdir().full_path, 'micro')
    proc = subprocess.run(
        [sys.executable, '-m', 'benchmarks.micro', '--smoke', f'--out={out}'],
        cwd=subprocesses.REPO_ROOT, env=subprocesses.python_env(),
        capture_output=True, text=True, timeout=240)
    self.assertEqual(proc.returncode, 0,
                     proc.stdout[-3000:] + '\n' + proc.stderr[-3000:])

    with open(out + '.json') as f:
      rows = json.load(f)['rows']
    self.assertEqual([row['measure'] for row in rows], ROWS)
    for row in rows:
      for key in ('ours', 'tf_agents', 'ratio'):
        self.assertTrue(math.isfinite(row[key]) and row[key] > 0,
                        f'{row["measure"]}: {key} = {row[key]}')
      self.assertEqual(row['met'] is None, row['target'] is None, row)

    with open(out + '.md') as f:
      table = [line.strip('|').split('|') for line in f
               if line.startswith('| ') and not line.startswith('| measure')]
    self.assertEqual([cells[0].strip() for cells in table], ROWS)
    for cells in table:
      for value in cells[1:3]:
        self.assertRegex(value.strip(), VALUE)


if __name__ == '__main__':
  absltest.main()
