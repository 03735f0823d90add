"""Grids of gin bindings × seeds: parsing `--grid` values, expanding, naming runs.

  --grid='sac_agent.actor_learning_rate = [1e-4, 3e-4]' --seeds=2
expands to four runs, each a `train_eval` run in its own directory:
  ROOT/actor_learning_rate=0.0001/seed=0 ... ROOT/actor_learning_rate=0.0003/seed=1
"""

import dataclasses
import itertools
import re
import tokenize
from typing import List, Sequence, Tuple

from gin import config_parser

from train_eval import errors
from train_eval import flag_bindings

SEED_PARAMETER = 'train_eval.seed'
DEFAULT_POINT = 'default'  # The name of the one grid point of a sweep without grids.
_UNSAFE = re.compile(r'[^A-Za-z0-9._+\-=,@]+')


class GridError(errors.UsageError, ValueError):
  """A `--grid`, `--configs` or search range that cannot be expanded."""


class _Text(str):
  """A reference or macro kept as its gin text: its repr is the text itself."""

  def __repr__(self) -> str:
    return str(self)


class _KeepText(flag_bindings.LiteralsOnly):

  def configurable_reference(self, scoped_name, evaluate):
    return _Text(super().configurable_reference(scoped_name, evaluate))

  def macro(self, name):
    return _Text(super().macro(name))


@dataclasses.dataclass(frozen=True)
class Grid:
  """One `--grid`: a gin parameter and the values it takes.

  Attributes:
    parameter: e.g. 'sac_agent.actor_learning_rate' (with its scope if any).
    values: each value as gin text, e.g. ('0.0001', '(64, 64)').
  """
  parameter: str
  values: Tuple[str, ...]

  def binding(self, value: str) -> str:
    return f'{self.parameter} = {value}'


def parse_grid(text: str) -> Grid:
  """'param = [v1, v2]' -> Grid.

  Raises:
    GridError: not one binding of a non-empty list of distinct values, or a
      grid over `train_eval.seed` (use --seeds).
  """
  where = f"--grid='{text}'"
  try:
    statements = list(config_parser.ConfigParser(text, _KeepText()))
  except (SyntaxError, tokenize.TokenError) as e:
    detail = e.msg if isinstance(e, SyntaxError) else e.args[0]
    raise GridError(f'{where}: malformed: {detail}. Expected '
                    "'configurable.parameter = [value, ...]'.") from e
  if (len(statements) != 1 or
      not isinstance(statements[0], config_parser.BindingStatement)):
    raise GridError(f'{where}: expected one binding '
                    "'configurable.parameter = [value, ...]'.")
  statement = statements[0]
  parameter = (f'{statement.scope}/' if statement.scope else '') + (
      f'{statement.selector}.{statement.arg_name}')
  if parameter == SEED_PARAMETER:
    raise GridError(f'{where}: the sweep binds {SEED_PARAMETER} itself; use '
                    '--seeds=N instead.')
  if not isinstance(statement.value, list) or not statement.value:
    raise GridError(f'{where}: the values must be a non-empty list in [...], '
                    f"e.g. '{parameter} = [1, 2]'.")
  values = tuple(repr(v) for v in statement.value)
  if len(set(values)) != len(values):
    raise GridError(f'{where}: a value is listed twice.')
  return Grid(parameter, values)


@dataclasses.dataclass(frozen=True)
class Run:
  """One `train_eval` run of a sweep.

  Attributes:
    point: the grid point's name (the directory above the seed's).
    seed: bound as `train_eval.seed`.
    gin_files: the run's --gin_file values.
    bindings: the grid's bindings for this point, in --grid order.
  """
  point: str
  seed: int
  gin_files: Tuple[str, ...]
  bindings: Tuple[str, ...]

  @property
  def name(self) -> str:
    """'<point>/seed=<seed>', the run's directory under the sweep's root."""
    return f'{self.point}/seed={self.seed}'

  def all_bindings(self) -> List[str]:
    """The grid's bindings, then the seed's."""
    return [*self.bindings, f'{SEED_PARAMETER} = {self.seed}']


def short_names(parameters: Sequence[str]) -> List[str]:
  """Each parameter's last part ('actor_learning_rate'), or the whole name when
  two would share it."""
  last = [p.rsplit('.', 1)[-1] for p in parameters]
  return [s if last.count(s) == 1 else p for s, p in zip(last, parameters)]


def value_name(value: str) -> str:
  """A value as a path part: '(64, 64)' -> '64-64', "'Pendulum-v1'" -> 'Pendulum-v1'."""
  text = value.strip().strip('\'"')
  sign = '-' if text.startswith('-') else ''
  text = re.sub(r'[\s,]+', '-', text.strip('()[]'))
  return sign + (_UNSAFE.sub('-', text).strip('-') or 'empty')


def config_name(gin_files: Sequence[str]) -> str:
  """'a.gin,b.gin' -> 'a+b': the configs' file names without '.gin'."""
  names = [re.sub(r'\.gin$', '', f.rsplit('/', 1)[-1]) for f in gin_files]
  return _UNSAFE.sub('-', '+'.join(names))


def expand(configs: Sequence[Sequence[str]], grids: Sequence[Grid],
           seeds: int) -> List[Run]:
  """The product of configs × grid values × seeds, in that order.

  Args:
    configs: each a list of --gin_file values; with more than one, the config
      is part of each run's name.
    grids: the parameters swept; their product is the grid's points.
    seeds: seeds 0 .. seeds - 1 per point.

  Raises:
    GridError: two grids over one parameter, or two points with one name.
  """
  parameters = [g.parameter for g in grids]
  if len(set(parameters)) != len(parameters):
    raise GridError('two --grid flags sweep the same parameter; list all of its '
                    'values in one.')
  names = short_names(parameters)
  runs = []
  for gin_files in configs:
    for values in itertools.product(*(g.values for g in grids)):
      parts = ([f'config={config_name(gin_files)}'] if len(configs) > 1 else [])
      parts += [f'{n}={value_name(v)}' for n, v in zip(names, values)]
      point = ','.join(parts) or DEFAULT_POINT
      bindings = tuple(g.binding(v) for g, v in zip(grids, values))
      runs += [Run(point, seed, tuple(gin_files), bindings)
               for seed in range(seeds)]
  seen = {}
  for run in runs:
    key = (run.gin_files, run.bindings)
    if seen.setdefault(run.point, key) != key:
      raise GridError(f'two grid points would share the directory {run.point!r};'
                      ' make the values differ in more than punctuation.')
  return runs
