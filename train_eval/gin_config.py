"""Finds gin files, parses them strictly, and records the operative config."""

import os
import re
import sys
import tokenize
from typing import Any, List, Optional, Sequence

import gin
import tensorflow as tf

import configs
from train_eval import errors
from triggers import durable

OPERATIVE_CONFIG_FILE = 'operative_config.gin'


def available_configs() -> List[str]:
  """Names of the packaged experiment configs, e.g. 'sac_minitaur.gin'."""
  return sorted(n for n in os.listdir(configs.CONFIGS_DIR) if n.endswith('.gin'))


def resolve_gin_file(name: str) -> str:
  """A path to the gin file `name`: as given if it exists, else a packaged config.

  Raises:
    errors.GinFileError: neither exists.
  """
  if os.path.isfile(name):
    return name
  packaged = os.path.join(configs.CONFIGS_DIR, name)
  if os.path.isfile(packaged):
    return packaged
  raise errors.GinFileError(
      f'--gin_file={name}: no such file, and no packaged config of that name. '
      f'Packaged configs: {", ".join(available_configs())}.')


def parse(gin_files: Sequence[str], bindings: Sequence[str]) -> List[str]:
  """Parses `gin_files` then `bindings`, refusing anything gin does not know.

  Packaged configs resolve from any working directory, and so do their
  includes, which name fragments by package path ('configs/fragments/...'):
  gin also looks for files along sys.path.
  Every configurable must already be imported.

  Returns:
    The resolved gin file paths.

  Raises:
    errors.UsageError: a missing file (`GinFileError`), a malformed line
      (`MalformedBindingError`) or an unknown name (`UnknownNameError`); the
      message is one line naming the file or binding and the offending text.
  """
  paths = [resolve_gin_file(name) for name in gin_files]
  for path in paths:
    with translated_errors(f'--gin_file={path}'):
      gin.parse_config_file(path, skip_unknown=False)
  for binding in bindings:
    with translated_errors(f'--gin_bindings="{binding}"'):
      gin.parse_config(binding, skip_unknown=False)
  with translated_errors('the gin files and bindings'):
    gin.finalize()  # Resolves macros: an unbound one fails here.
  return paths


def bound_value(name: str, default: Any = None) -> Any:
  """The value bound to `name` (e.g. 'PolicySavedModelTrigger.best_metric'), or `default`."""
  try:
    return gin.query_parameter(name)
  except ValueError:
    return default


class translated_errors:  # pylint: disable=invalid-name
  """Turns what gin raises inside the block into one-line `UsageError`s.

  Also used around the first calls of configurables, where gin reports an
  unbound macro or a missing required binding.
  """

  def __init__(self, where: str):
    self._where = where

  def __enter__(self):
    return self

  def __exit__(self, exc_type, exc, tb):
    if exc is None or isinstance(exc, errors.UsageError):
      return False
    error = _translate(exc, self._where)
    if error is None:
      return False
    raise error from exc


# What gin's messages start with, and the kind of mistake each is.
_UNKNOWN = re.compile(
    r"^(No configurable matching|Configurable '.*' doesn't have a parameter|"
    r"No bindings specified for)")
_REQUIRED = re.compile(r'^Required bindings for `(.+)` not provided in config: '
                       r'\[(.*)\]')


def _translate(exc: BaseException, where: str) -> Optional[errors.UsageError]:
  if isinstance(exc, RecursionError):
    cycle = _include_cycle(_deep_str(exc))
    return cycle and errors.IncludeCycleError(
        f'{where}: include cycle: {cycle}; remove one of these include lines.')
  first_line = str(exc).split('\n')[0].strip()
  location = _location(exc)
  if isinstance(exc, ImportError):
    return errors.GinImportError(
        f'{where}{location}: import failed: {first_line}; install that '
        'module, correct its name, or remove the import line.')
  if isinstance(exc, (SyntaxError, tokenize.TokenError)):
    detail = exc.msg if isinstance(exc, SyntaxError) else exc.args[0]
    text = f' ({exc.text.strip()!r})' if getattr(exc, 'text', None) else ''
    return errors.MalformedBindingError(
        f'{where}{location}: malformed: {detail}{text}. Expected '
        "'configurable.parameter = value', e.g. "
        "'train_eval.num_iterations = 5000'.")
  if isinstance(exc, (IOError, OSError)):
    return errors.GinFileError(f'{where}{location}: {first_line}')
  required = _REQUIRED.match(first_line)
  if required:
    parameters = [n.strip(" '") for n in required.group(2).split(',')]
    names = ', '.join(f'{required.group(1)}.{n}' for n in parameters)
    return errors.BadValueError(
        f'{where}: {names} must be bound (it has no default); bind it in the '
        'gin file or with --gin_bindings.')
  if isinstance(exc, (ValueError, KeyError, RuntimeError)):
    if isinstance(exc, KeyError) or _UNKNOWN.match(first_line):
      return errors.UnknownNameError(
          f'{where}{location}: {_macro_hint(first_line)} Check the spelling '
          'against the packaged configs (configs/*.gin).')
    return errors.BadValueError(f'{where}{location}: {first_line}')
  return None


_IN_FILE = re.compile(r'In file "([^"]+)", line (\d+)')


def _deep_str(exc: BaseException) -> str:
  """str(exc) of an error gin wrapped once per include level (a proxy each)."""
  limit = sys.getrecursionlimit()
  sys.setrecursionlimit(limit + 4 * limit)
  try:
    return str(exc)
  finally:
    sys.setrecursionlimit(limit)


def _include_cycle(message: str) -> Optional[str]:
  """'a.gin (line 1) -> b.gin (line 1) -> a.gin' from a RecursionError gin
  raised, whose message lists the includes innermost first; None if none."""
  chain = _IN_FILE.findall(message)[::-1]  # Outermost first.
  for end, (name, _) in enumerate(chain):
    start = next((i for i in range(end) if chain[i][0] == name), None)
    if start is not None:
      steps = [f'{n} (line {line})' for n, line in chain[start:end]]
      return ' -> '.join(steps + [name])
  return None


def _location(exc: BaseException) -> str:
  """Where gin found the mistake: ' line N', or ' (FILE line N)' in an included file."""
  details = str(exc).split('\n', 1)[-1]
  included = re.search(r'In file "([^"]+)", line (\d+)', details)
  if included and exc.__class__ is not SyntaxError:
    first_file = re.findall(r'In file "([^"]+)"', details)
    if len(first_file) > 1:  # The innermost file is an include.
      return f' (in {included.group(1)} line {included.group(2)})'
    return f' line {included.group(2)}'
  lineno = getattr(exc, 'lineno', None)
  if not lineno:
    match = re.search(r'line (\d+)', details)
    lineno = match and match.group(1)
  return f' line {lineno}' if lineno else ''


def _macro_hint(message: str) -> str:
  match = re.match(r"No bindings specified for '(.+)/gin\.macro'", message)
  if match:
    return f'the macro %{match.group(1)} is used but never bound.'
  return message


def write_operative_config(root_dir: str,
                           summary_writer: Optional[tf.summary.SummaryWriter],
                           step: int) -> str:
  """Writes gin's operative config to `root_dir/operative_config.gin`, atomically and durably.

  Also writes it as the TensorBoard text summary `gin/operative_config` when a
  summary writer is given.

  Returns:
    The path written.
  """
  text = gin.operative_config_str()
  path = os.path.join(root_dir, OPERATIVE_CONFIG_FILE)
  temp = path + '.tmp'
  with open(temp, 'w') as f:
    f.write(text)
  durable.rename(temp, path)
  if summary_writer is not None:
    # Markdown: indented lines render as code in TensorBoard's text plugin.
    markdown = '\n'.join('    ' + line for line in text.splitlines())
    with summary_writer.as_default():
      tf.summary.text('gin/operative_config', markdown, step=step)
    summary_writer.flush()
  return path
