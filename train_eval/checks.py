"""Range checks for bound values; each failure is one `BadValueError` line.

The message names the binding, the value given, what is accepted and where to
change it, e.g.
  train_eval.num_iterations = -5: must be an integer >= 1 (train steps to
  train to); change it in the gin file or with --gin_bindings.
"""

import math
import numbers
from typing import Any, Optional, Sequence

from train_eval import errors

_FIX = 'change it in the gin file or with --gin_bindings.'


def _fail(binding: str, value: Any, accepted: str) -> errors.BadValueError:
  return errors.BadValueError(f'{binding} = {value!r}: must be {accepted}; {_FIX}')


def integer(binding: str, value: Any, minimum: int, unit: str = '') -> int:
  """`value` if it is an int >= `minimum` (bools refused), else raises.

  Args:
    binding: the gin binding the value comes from, e.g. 'train_eval.seed'.
    value: the bound value.
    minimum: the smallest accepted value.
    unit: what the number counts, for the message, e.g. 'train steps'.
  """
  unit_text = f' ({unit})' if unit else ''
  if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or
      value < minimum):
    raise _fail(binding, value, f'an integer >= {minimum}{unit_text}')
  return int(value)


def optional_integer(binding: str, value: Any, minimum: int,
                     unit: str = '') -> Optional[int]:
  """Like `integer`, but None passes."""
  return None if value is None else integer(binding, value, minimum, unit)


def number(binding: str, value: Any, low: float, high: float = math.inf,
           low_open: bool = False, high_open: bool = False) -> float:
  """`value` as a float if it lies in the interval, else raises.

  Args:
    binding: the gin binding the value comes from.
    value: the bound value.
    low, high: the interval's ends.
    low_open, high_open: exclude that end.
  """
  left = '(' if low_open else '['
  right = ')' if high_open or high == math.inf else ']'
  accepted = f'a number in {left}{low:g}, {high:g}{right}'
  if (isinstance(value, bool) or not isinstance(value, numbers.Real) or
      math.isnan(value) or value < low or value > high or
      (low_open and value == low) or (high_open and value == high)):
    raise _fail(binding, value, accepted)
  return float(value)


def choice(binding: str, value: Any, choices: Sequence[Any]) -> Any:
  """`value` if it is one of `choices`, else raises."""
  if value not in choices:
    raise _fail(binding, value, 'one of ' + ', '.join(repr(c) for c in choices))
  return value


def layer_sizes(binding: str, value: Any) -> tuple:
  """A non-empty sequence of integers >= 1 (units of hidden layers), as a tuple."""
  if (isinstance(value, (str, bytes)) or
      not isinstance(value, (list, tuple)) or not value or
      any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1
          for v in value)):
    raise _fail(binding, value,
                'a non-empty tuple of integers >= 1 (units per hidden layer), '
                'e.g. (256, 256)')
  return tuple(int(v) for v in value)
