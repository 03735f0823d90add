"""Argument checks shared by the triggers: each error names the argument and the fix."""

import numbers
import os
from typing import Optional

import tensorflow as tf
from tf_agents.agents import tf_agent

from triggers import durable


class BadArgument(Exception):
  """Base of the errors below: an argument a user passed or bound is unusable."""


class BadArgumentType(BadArgument, TypeError):
  """An argument of the wrong type."""


class BadArgumentValue(BadArgument, ValueError):
  """An argument of the right type but an unusable value."""


def check_int(name: str, value) -> int:
  """Returns `value` as an `int`, or raises `TypeError` naming `name`.

  Python and NumPy integers are accepted; `bool` is refused even though it is
  an `int` subclass, since `interval=True` is always a mistake.
  """
  if isinstance(value, (bool, float)) or not isinstance(value, numbers.Integral):
    raise BadArgumentType(
        f'{name} must be an integer, got {value!r} of type '
        f'{type(value).__name__}.')
  return int(value)


def check_positive_seconds(name: str, value) -> Optional[float]:
  """Returns `value` as a float (None passes through), or raises naming `name`."""
  if value is None:
    return None
  if isinstance(value, bool) or not isinstance(value, numbers.Real):
    raise BadArgumentType(
        f'{name} must be a number of seconds or None, got {value!r}.')
  if value <= 0:
    raise BadArgumentValue(
        f'{name} must be > 0 seconds (or None to disable), got {value}.')
  return float(value)


def check_agent(agent) -> None:
  """Raises `TypeError` unless `agent` is a `tf_agents.agents.TFAgent`."""
  if not isinstance(agent, tf_agent.TFAgent):
    raise BadArgumentType(
        'agent must be a tf_agents.agents.TFAgent (e.g. SacAgent, DqnAgent), '
        f'got {type(agent).__name__}.')


def check_train_step(train_step) -> None:
  """Raises unless `train_step` is a scalar integer `tf.Variable`.

  Raises:
    TypeError: not a `tf.Variable`, or not of an integer dtype.
    ValueError: a variable whose shape is not scalar.
  """
  if not isinstance(train_step, tf.Variable):
    raise BadArgumentType(
        'train_step must be a scalar integer tf.Variable such as '
        "tf_agents.utils.train_utils.create_train_step(), got "
        f'{type(train_step).__name__}.')
  if not train_step.dtype.is_integer:
    raise BadArgumentType(
        'train_step must be a scalar integer tf.Variable, got dtype '
        f'{train_step.dtype.name}; create it with dtype=tf.int64.')
  if train_step.shape.rank != 0:
    raise BadArgumentValue(
        'train_step must be a scalar integer tf.Variable, got shape '
        f'{train_step.shape}.')


def check_local_path(name: str, path: str) -> None:
  """Raises `ValueError` naming `name` if `path` has a scheme (gs://, s3://...).

  Policies are published by an atomic, fsync'd rename (`durable`), which
  object stores do not offer.
  """
  path = os.fspath(path)
  if '://' in path:
    raise BadArgumentValue(
        f'{name} {path!r}: paths with a scheme ({path.split("://")[0]}://) are '
        'not supported, as policies are published by an atomic rename that '
        'object stores lack; use a local or NFS directory.')


def ensure_writable_dir(name: str, path: str) -> None:
  """Creates local directory `path` durably if needed, or raises `ValueError` naming `name`."""
  if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
    raise BadArgumentType(f'{name} must be a non-empty path, got {path!r}.')
  check_local_path(name, path)
  path = os.fspath(path)
  try:
    durable.make_dirs(path)
  except OSError as e:
    raise BadArgumentValue(
        f'{name} {path!r} cannot be created ({e}); pass a directory you can '
        'write to.') from e
  if not os.path.isdir(path):
    raise BadArgumentValue(f'{name} {path!r} exists and is not a directory.')
  if not os.access(path, os.W_OK | os.X_OK):
    raise BadArgumentValue(
        f'{name} {path!r} is not writable; pass a directory you can write to.')
