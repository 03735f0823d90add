"""Refuses gin bindings that a call-site keyword would silently override.

tf_agents registers its classes with gin (`SacAgent`, `Learner`, `Actor`, ...).
When our code passes a keyword to one of them, gin gives the keyword precedence
and a binding of the same parameter has no effect. We raise instead.
"""

from typing import Iterable

import gin

from train_eval import errors


def call(fn, configurable: str, where_to_bind: str = '', **kwargs):
  """Calls `fn(**kwargs)` after checking no binding of `configurable` is shadowed.

  Args:
    fn: the gin-configurable class or function.
    configurable: its gin name, e.g. 'SacAgent'.
    where_to_bind: the parameter(s) to bind instead, for the error message.
    **kwargs: the arguments passed by code.

  Raises:
    errors.ShadowedBindingError: `configurable.<kwarg>` is bound in gin.
  """
  check(configurable, kwargs, where_to_bind)
  return fn(**kwargs)


def check(configurable: str, passed: Iterable[str],
          where_to_bind: str = '') -> None:
  """Raises `errors.ShadowedBindingError` if `configurable.<name>` is bound for a passed name."""
  for name in passed:
    try:
      gin.query_parameter(f'{configurable}.{name}')
    except ValueError:
      continue
    hint = (f' Bind {where_to_bind} instead.' if where_to_bind else
            ' Remove the binding.')
    raise errors.ShadowedBindingError(
        f'{configurable}.{name} is bound in gin, but train_eval passes {name} '
        f'to {configurable} itself, so the binding would be ignored.{hint}')
