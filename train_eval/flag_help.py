"""`--help` and `--helpshort`: a program's own flags, grouped, one line each.

absl's `--help` lists only the flags of the `__main__` module (none for a
console script) and its `--helpfull` every flag, absl's, TensorFlow's and
TPU's among ours. `parser` wraps an `app.run` flags parser so that `--help`,
`--helpshort` (or `-h`, `-?`) print `help_text` on the terminal and exit 0;
`--helpfull` still goes to absl.
"""

import re
import sys
from typing import Callable, List, Sequence, TextIO, Tuple

from absl import flags

HELP_ARGS = ('--help', '-help', '--helpshort', '-helpshort', '-h', '-?')
HELPFULL_LINE = '--helpfull lists every flag, absl\'s and TensorFlow\'s too.'

# (group title, flag names), in the order shown.
Groups = Sequence[Tuple[str, Sequence[str]]]

TRAIN_EVAL_USAGE = ('Usage: train_eval --gin_file=CONFIG --root_dir=DIR '
                    '[flags]')
TRAIN_EVAL_GROUPS: Groups = (
    ('experiment', ('gin_file', 'gin_bindings', 'root_dir')),
    ('saving (each binds PolicySavedModelTrigger.<name>)', (
        'interval', 'start', 'save_greedy_policy', 'save_collect_policy',
        'async_saving', 'max_to_keep', 'keep_every_n_steps', 'interval_secs',
        'best_metric', 'best_mode', 'overwrite_existing')),
    ('jobs', ('collectors', 'job', 'task', 'replay_port', 'replay_address',
              'job_threads')),
    ('launch (with --collectors)', ('launcher', 'ray_address')),
)

# What a flag's value looks like, by its absl type.
PLACEHOLDERS = {'int': 'N', 'float': 'X', 'string': 'TEXT'}

# A sentence ends at '. ' before a capital letter ('e.g. "x' goes on).
_SENTENCE_END = re.compile(r'(?<=[^.][^.]\.)\s+(?=[A-Z])')


def asked(argv: Sequence[str]) -> bool:
  """Whether the command line asks for help (before any '--')."""
  args = list(argv[1:])
  if '--' in args:
    args = args[:args.index('--')]
  return any(arg in HELP_ARGS for arg in args)


def parser(parse: Callable[[List[str]], List[str]], out: TextIO,
           help_text: Callable[[List[str]], str]):
  """An `app.run` flags parser: help on `out` (exit 0) if asked, else `parse`.

  Args:
    parse: the flags parser to call otherwise, e.g.
      `console.flags_parser(capture, 'train_eval')`.
    out: the terminal's stdout.
    help_text: the command line -> the help to print.
  """

  def parse_or_help(argv):
    if asked(argv):
      out.write(help_text(list(argv)))
      out.flush()
      sys.exit(0)
    return parse(argv)

  return parse_or_help


def first_sentence(text: str) -> str:
  """The flag's help up to its first full stop, on one line.

  Without the '<a|b>: ' absl puts before an enum's help (the values are shown
  beside the name) and the '; binds PolicySavedModelTrigger.x' of the saving
  flags (their group says it).
  """
  text = ' '.join(text.split())
  text = re.sub(r'^<[^>]*>: ', '', text)
  text = re.sub(r';? ?repeat this option to specify a list of values$', '',
                text)  # absl's, for a multi flag: the name says 'repeatable'.
  text = re.sub(r'; binds PolicySavedModelTrigger\.\w+\.$', '.', text)
  return _SENTENCE_END.split(text, maxsplit=1)[0]


def flag_line(name: str, flag_values: flags.FlagValues = flags.FLAGS) -> str:
  """'  --name=VALUES  First sentence of its help. (default: x)'."""
  flag = flag_values[name]
  spelled = f'--{name}'
  if getattr(flag.parser, 'enum_values', None):
    spelled += '=' + '|'.join(flag.parser.enum_values)
  elif flag.flag_type() != 'bool':
    spelled += '=' + PLACEHOLDERS.get(flag.flag_type().split()[-1], 'VALUE')
  if isinstance(flag, flags.MultiFlag):
    spelled += ' (repeatable)'
  default = ('' if flag.default in (None, [], '') else
             f' (default: {flag.default})')
  return f'  {spelled:<36} {first_sentence(flag.help)}{default}'


def format_help(usage: str, groups: Groups,
                flag_values: flags.FlagValues = flags.FLAGS) -> str:
  """`usage`, then each group's flags, one line each, then HELPFULL_LINE."""
  lines = [usage.rstrip(), '']
  for title, names in groups:
    lines.append(f'{title}:')
    lines.extend(flag_line(name, flag_values) for name in names)
    lines.append('')
  lines.append(HELPFULL_LINE)
  return '\n'.join(lines) + '\n'


def train_eval_help(doc: str) -> str:
  """`train_eval --help`, from the binary's module docstring `doc`.

  The docstring's first three paragraphs (summary, examples, outputs) are
  shown; the rest is for developers.
  """
  about = '\n\n'.join(doc.strip().split('\n\n')[:3])
  return format_help(f'{TRAIN_EVAL_USAGE}\n\n{about}', TRAIN_EVAL_GROUPS)
