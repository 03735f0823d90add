"""README.md's shell commands, run in order as a new user would, on a tiny budget.

The convention, for whoever edits README.md:
- A fenced block tagged `sh` holds commands. The test runs every such block, in
  the README's order, as one bash session (`set -ex`, so activating `.venv` in
  one block holds for the next), in a fresh directory that has only what a
  clone has after `make run`: `.venv` (the repository's), `Makefile`,
  `setup.py`, `constraints.txt`. Each command must exit 0.
- A block that cannot run here (hours long, needs a cluster, runs the suite
  itself) has a mark on the line just before its opening fence, giving the
  reason:  <!-- readme_test: not run: a 20-minute run -->
  A transcript (an untagged block whose first line starts with `$ `) is
  output to read, never run, and needs the same mark. The test fails on an
  unmarked transcript, a mark without a reason and a mark before no block.
- The tiny budget: each `train_eval` command with a `--gin_file` gets
  TINY_BINDINGS appended as `--gin_bindings` (later bindings win, so they
  shrink the README's own), except the interval binding when the command
  sets `--interval` itself; `make run` gets them through the Makefile's
  RUN_FLAGS. Nothing else is changed.
- Beyond exit status 0 the test checks what the README says a command shows:
  `make run` ends with the commands to run next, with its real run directory
  (its video of the best policy is made too); `policies export`'s SavedModel acts in a
  Python that imported only TensorFlow (the README's own snippet).
"""

import os
import re
import shutil
import subprocess
import tempfile

from absl.testing import absltest

from tests import test_case

# The checkout, also from Bazel's runfiles (symlinks into it), as
# tools/python/venv_python.sh finds it.
CHECKOUT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
README = os.path.join(CHECKOUT, 'README.md')
VENV = os.path.join(CHECKOUT, '.venv')
CLONE_FILES = ('Makefile', 'setup.py', 'constraints.txt')

MARK = re.compile(r'^<!-- readme_test: not run: (.*?) -->$')
ANY_MARK = re.compile(r'<!--\s*readme_test')
FENCE = re.compile(r'^```(\w*)\s*$')

TINY_BINDINGS = (
    'train_eval.num_iterations = 100',
    'train_eval.initial_collect_steps = 100',
    'train_eval.eval_interval = 50',
    'train_eval.eval_episodes = 1',
    'train_eval.log_interval = 50',
    'ReverbReplay.batch_size = 16',
)
TINY_INTERVAL = 'PolicySavedModelTrigger.interval = 50'
TRAIN_EVAL = re.compile(r'^(\.venv/bin/)?train_eval\s.*--gin_file')


class Block:
  """A fenced block: its language tag, lines, and not-run reason (or None)."""

  def __init__(self, tag, lines, line_number, reason):
    self.tag, self.lines, self.line_number = tag, lines, line_number
    self.reason = reason

  @property
  def is_transcript(self):
    return not self.tag and bool(self.lines) and self.lines[0].startswith('$ ')


def parse_blocks(text):
  """The README's fenced blocks, in order; raises ValueError on a stray mark."""
  blocks, lines = [], text.splitlines()
  pending, i = None, 0
  while i < len(lines):
    line = lines[i]
    fence = FENCE.match(line)
    if ANY_MARK.search(line) and not fence:
      mark = MARK.match(line.strip())
      if not mark or not mark.group(1).strip():
        raise ValueError(f'README.md:{i + 1}: a readme_test mark must read '
                         '"<!-- readme_test: not run: REASON -->".')
      if not (i + 1 < len(lines) and FENCE.match(lines[i + 1])):
        raise ValueError(f'README.md:{i + 1}: the mark is not just before a '
                         'fenced block.')
      pending = mark.group(1).strip()
    elif fence:
      end = i + 1
      while not lines[end].startswith('```'):
        end += 1
      blocks.append(Block(fence.group(1), lines[i + 1:end], i + 1, pending))
      pending, i = None, end
    i += 1
  return blocks


def script_lines(block_lines):
  """The block as bash lines, a command continued with '\\' joined into one."""
  joined, current = [], ''
  for line in block_lines:
    if line.rstrip().endswith('\\'):
      current += line.rstrip()[:-1] + ' '
      continue
    joined.append(current + line)
    current = ''
  return joined


def with_tiny_budget(command):
  """`command`, with TINY_BINDINGS appended if it trains."""
  if not TRAIN_EVAL.match(command):
    return command
  code, comment = (command.split(' # ', 1) + [''])[:2]
  bindings = list(TINY_BINDINGS)
  if '--interval=' not in code:
    bindings.append(TINY_INTERVAL)
  extra = ' '.join(f"--gin_bindings='{b}'" for b in bindings)
  return f'{code.rstrip()} {extra}' + (f'  # {comment}' if comment else '')


def clone_dir():
  """A fresh directory holding what a clone holds after `make run`."""
  work = tempfile.mkdtemp(prefix='readme_test-')
  venv = os.path.join(work, '.venv')
  os.mkdir(venv)
  for name in os.listdir(VENV):
    if name != '.installed':
      os.symlink(os.path.join(VENV, name), os.path.join(venv, name))
  for name in CLONE_FILES:
    os.symlink(os.path.join(CHECKOUT, name),
               os.path.join(work, name))
  # Newer than setup.py and constraints.txt: make sees .venv as built.
  open(os.path.join(venv, '.installed'), 'w').close()
  return work


def shell_env():
  """The user's environment: no train_eval on PATH until `.venv` is activated."""
  env = dict(os.environ)
  # A user's shell: no venv active, the installed package (no PYTHONPATH),
  # not inside `make test`'s make.
  for name in ('VIRTUAL_ENV', 'PYTHONPATH', 'MAKEFLAGS', 'MAKELEVEL', 'MFLAGS'):
    env.pop(name, None)
  env['PATH'] = os.pathsep.join(
      d for d in env.get('PATH', '').split(os.pathsep)
      if d and not os.path.exists(os.path.join(d, 'train_eval')))
  env['RUN_FLAGS'] = ' '.join(
      f"--gin_bindings='{b}'" for b in TINY_BINDINGS + (TINY_INTERVAL,))
  env['SDL_VIDEODRIVER'] = 'dummy'
  return env


class ReadmeConventionTest(absltest.TestCase):

  def test_every_unrun_block_says_why(self):
    with open(README) as f:
      blocks = parse_blocks(f.read())
    self.assertNotEmpty([b for b in blocks if b.tag == 'sh' and not b.reason])
    for block in blocks:
      if block.is_transcript:
        self.assertTrue(block.reason, f'README.md:{block.line_number}: a '
                        'transcript needs "<!-- readme_test: not run: REASON '
                        '-->" (see tests/readme_test.py).')

  def test_a_mark_must_give_a_reason_and_precede_a_block(self):
    with self.assertRaisesRegex(ValueError, 'must read'):
      parse_blocks('<!-- readme_test: not run: -->\n```sh\nls\n```\n')
    with self.assertRaisesRegex(ValueError, 'not just before'):
      parse_blocks('<!-- readme_test: not run: slow -->\n\ntext\n')
    blocks = parse_blocks('<!-- readme_test: not run: slow -->\n```sh\nls\n'
                          '```\n```\n$ ls\nREADME.md\n```\n')
    self.assertEqual([b.reason for b in blocks], ['slow', None])
    self.assertTrue(blocks[1].is_transcript)

  def test_tiny_budget_keeps_the_command_and_its_interval_flag(self):
    self.assertEqual(with_tiny_budget('policies list --root_dir=x'),
                     'policies list --root_dir=x')
    command, = script_lines(['train_eval --gin_file=a.gin \\',
                             '    --interval=1000 # note'])
    tiny = with_tiny_budget(command)
    self.assertStartsWith(tiny, 'train_eval --gin_file=a.gin      '
                          "--interval=1000 --gin_bindings='train_eval."
                          "num_iterations = 100'")
    self.assertNotIn(TINY_INTERVAL, tiny)
    self.assertEndsWith(tiny, '# note')


class ReadmeCommandsTest(test_case.TestCase):

  def test_the_readme_commands_work_as_written(self):
    with open(README) as f:
      blocks = [b for b in parse_blocks(f.read())
                if b.tag == 'sh' and not b.reason]
    script = ['set -ex']
    for block in blocks:
      script += [with_tiny_budget(c) for c in script_lines(block.lines)]
    work = clone_dir()
    self.addCleanup(shutil.rmtree, work, ignore_errors=True)
    result = subprocess.run(['bash', '-c', '\n'.join(script)], cwd=work,
                            env=shell_env(), capture_output=True, text=True,
                            timeout=900)
    self.assertEqual(result.returncode, 0,
                     f'{result.stdout[-3000:]}\n{result.stderr[-5000:]}')

    # What the README says they show (numbers from the tiny budget).
    shown = result.stdout
    self.assertIn('\nexperiment:\n  --gin_file=', shown)  # train_eval --helpshort
    self.assertIn('\nsubcommands:\n  list ', shown)  # policies --help
    self.assertRegex(shown, r'\nstep 100: AverageReturn = -?[\d.]+, '
                     r'AverageEpisodeLength = 200\.0+\n')  # policies evaluate
    self.assertRegex(shown, r'\ntrain step 100 action \[\[-?[\d.]+\]\]\n')

    # make run's last lines: what to run next, on the run it just made.
    next_steps = re.findall(r'^  (\.venv/bin/policies .*--root_dir=(\S+).*)$',
                            result.stdout, re.MULTILINE)
    self.assertLen(next_steps, 4, result.stdout[-3000:])
    run_dir = next_steps[0][1]
    self.assertRegex(run_dir, r'^runs/sac_pendulum-\d{8}-\d{6}$')
    self.assertTrue(os.path.isdir(os.path.join(work, run_dir, 'policies',
                                               'best_policy')))
    # The one the README's own run could not do before: a video of the best.
    video, = [c for c, _ in next_steps if ' video ' in c]
    followed = subprocess.run(['bash', '-c', f'set -ex\n{video}'], cwd=work,
                              env=shell_env(), capture_output=True, text=True,
                              timeout=600)
    self.assertEqual(followed.returncode, 0, followed.stderr[-5000:])
    self.assertRegex(followed.stdout, r'episode\.mp4: \d+ frames')
    self.assertTrue(os.path.isfile(os.path.join(work, 'episode.mp4')))


if __name__ == '__main__':
  absltest.main()
