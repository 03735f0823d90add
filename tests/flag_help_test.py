"""`train_eval --help` and `policies [SUBCOMMAND] --help`: our flags, grouped, one line each."""

import json
import re
import subprocess
import sys

from absl.testing import absltest
from absl.testing import parameterized

from train_eval import flag_help
from tests import subprocesses
from tests import test_case

FLAG_LINE = re.compile(r'^  --(\w+)')


def run(module, *args):
  return subprocess.run([sys.executable, '-m', module, *args],
                        env=subprocesses.python_env(), capture_output=True,
                        text=True, timeout=300)


def policies_cli_facts():
  """policies_tool.cli's flags and subcommands, read in a child process.

  The cli defines its flags (--root_dir among them) in absl's global registry,
  as train_eval.main does: importing both in pytest's one process would clash.
  """
  script = ('import json; from policies_tool import cli; print(json.dumps('
            '{"flags": [f.name for f in cli.FLAGS], '
            '"subcommands": {n: list(h[1]) for n, h in '
            'cli.SUBCOMMAND_HELP.items()}}))')
  result = subprocess.run([sys.executable, '-c', script],
                          env=subprocesses.python_env(), capture_output=True,
                          text=True, timeout=300, check=True)
  return json.loads(result.stdout.splitlines()[-1])


POLICIES = policies_cli_facts()


def listed_flags(output):
  """The flag names at the start of help lines, in order, repeats kept."""
  return [m.group(1) for m in map(FLAG_LINE.match, output.splitlines()) if m]


class TrainEvalHelpTest(test_case.TestCase, parameterized.TestCase):

  @parameterized.parameters('--help', '--helpshort')
  def test_lists_each_of_our_flags_once_grouped_and_exits_0(self, arg):
    result = run('train_eval.train_eval', arg)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertEqual(result.stderr, '')
    out = result.stdout
    ours = [name for _, names in flag_help.TRAIN_EVAL_GROUPS for name in names]
    self.assertCountEqual(listed_flags(out), ours)  # No absl or TF flag.
    for flag in ('verbosity', 'logtostderr', 'tpu', 'xla', 'alsologtostderr'):
      self.assertNotIn(f'--{flag}', out)
    for title in ('experiment:', 'saving', 'jobs:', 'launch'):
      self.assertIn(f'\n{title}', out)
    self.assertStartsWith(out, 'Usage: train_eval --gin_file=CONFIG '
                          '--root_dir=DIR [flags]\n')
    self.assertRegex(out, r'\n  --root_dir=TEXT +Experiment directory; '
                     r're-use it to resume\.\n')
    self.assertRegex(out, r'\n  --best_mode=max\|min +Whether a larger or '
                     r'smaller --best_metric is better\.\n')
    self.assertTrue(out.endswith(flag_help.HELPFULL_LINE + '\n'))

  def test_helpfull_still_lists_every_flag(self):
    result = run('train_eval.train_eval', '--helpfull')
    self.assertIn('--verbosity', result.stdout)
    self.assertIn('--root_dir', result.stdout)


class PoliciesHelpTest(test_case.TestCase, parameterized.TestCase):

  def test_lists_the_subcommands_and_each_flag_once(self):
    result = run('policies_tool.cli', '--help')
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertCountEqual(listed_flags(result.stdout),
                          POLICIES['flags'])
    for name in POLICIES['subcommands']:
      self.assertRegex(result.stdout, rf'\n  {name} +[A-Z]')
    self.assertNotIn('--verbosity', result.stdout)

  @parameterized.parameters(*POLICIES['subcommands'])
  def test_a_subcommand_lists_the_flags_it_reads(self, subcommand):
    result = run('policies_tool.cli', subcommand, '--help')
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertStartsWith(result.stdout,
                          f'Usage: policies {subcommand} [flags]\n')
    self.assertEqual(listed_flags(result.stdout),
                     POLICIES['subcommands'][subcommand])

  def test_help_after_a_double_dash_is_not_help(self):
    self.assertFalse(flag_help.asked(['policies', 'list', '--', '--help']))
    self.assertTrue(flag_help.asked(['policies', 'list', '-?']))


if __name__ == '__main__':
  absltest.main()
