"""Turns the policy-saver convenience flags into gin binding strings.

Flags never reach the code as keyword arguments: gin gives a call-site keyword
precedence over every binding, so a `--gin_bindings` for the same parameter
would be silently ignored. Instead each flag the user set becomes a binding that
is applied after the gin files, and a flag and a `--gin_bindings` that set the
same parameter to different values is an error.
"""

import tokenize
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from gin import config_parser

from train_eval import errors

TRIGGER = 'PolicySavedModelTrigger'

# Each flag binds the trigger parameter of the same name.
SAVER_FLAGS = (
    'interval',
    'start',
    'save_greedy_policy',
    'save_collect_policy',
    'async_saving',
    'max_to_keep',
    'keep_every_n_steps',
    'interval_secs',
    'best_metric',
    'best_mode',
    'overwrite_existing',
)
# Flags whose value must be >= 1 when set (0 or less is a mistake, not "off").
_POSITIVE = ('interval', 'max_to_keep', 'keep_every_n_steps', 'interval_secs')


def saver_bindings(flag_values: Mapping[str, Any]) -> List[str]:
  """Binding strings for the saver flags that were set (not None).

  Args:
    flag_values: flag name -> value; None means the user did not set it.

  Returns:
    e.g. ['PolicySavedModelTrigger.interval = 7'], in `SAVER_FLAGS` order.

  Raises:
    errors.BadValueError: a flag of `_POSITIVE` below 1.
  """
  bindings = []
  for flag in SAVER_FLAGS:
    value = flag_values.get(flag)
    if value is None:
      continue
    if flag in _POSITIVE and value <= 0:
      raise errors.BadValueError(
          f'--{flag}={value}: must be greater than 0. To disable periodic '
          f'saving, bind {TRIGGER}.interval = 0 in a gin file.'
          if flag == 'interval' else
          f'--{flag}={value}: must be greater than 0; leave it unset for '
          "tf_agents' behaviour.")
    bindings.append(f'{TRIGGER}.{flag} = {value!r}')
  return bindings


def _parameter_key(statement) -> Tuple[str, str, str]:
  # 'triggers.PolicySavedModelTrigger' and 'PolicySavedModelTrigger' name the
  # same configurable here; the short name is what gin resolves.
  return (statement.scope or '', statement.selector.split('.')[-1],
          statement.arg_name)


def parse_bindings(bindings: Sequence[str]) -> Dict[Tuple[str, str, str],
                                                     Tuple[Any, str]]:
  """(scope, configurable, parameter) -> (value, binding text) of each binding.

  Raises:
    errors.MalformedBindingError: gin cannot parse a binding.
  """
  parsed = {}
  for text in bindings:
    try:
      statements = list(config_parser.ConfigParser(text, LiteralsOnly()))
    except (SyntaxError, tokenize.TokenError) as e:
      detail = e.msg if isinstance(e, SyntaxError) else e.args[0]
      raise errors.MalformedBindingError(
          f'--gin_bindings="{text}": malformed: {detail}. Expected '
          "'configurable.parameter = value'.") from e
    for statement in statements:
      if isinstance(statement, config_parser.BindingStatement):
        parsed[_parameter_key(statement)] = (statement.value, text.strip())
  return parsed


def check_conflicts(flag_bindings: Sequence[str],
                    user_bindings: Optional[Sequence[str]]) -> None:
  """Raises `errors.ConflictError` naming both if a flag and a binding disagree."""
  from_flags = parse_bindings(flag_bindings)
  from_user = parse_bindings(user_bindings or ())
  for key, (value, flag_text) in from_flags.items():
    if key in from_user and from_user[key][0] != value:
      raise errors.ConflictError(
          f'The flag binding "{flag_text}" and --gin_bindings '
          f'"{from_user[key][1]}" set the same parameter to different values; '
          'keep one of them.')


class LiteralsOnly(config_parser.ParserDelegate):
  """Parses literal values; keeps references and macros as their text.

  For reading bindings without importing (or registering) the configurables.
  """

  def configurable_reference(self, scoped_name, evaluate):
    return ('@' + scoped_name + ('()' if evaluate else ''))

  def macro(self, name):
    return '%' + name
