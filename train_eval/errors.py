"""The mistakes `train_eval` reports as one line and exit status 2, one type per kind.

Every message names the flag or binding at fault, the value given, what is
accepted and how to fix it. Raised before the root_dir is touched, except
`DiskFullError` (see `as_usage_error`).
"""

import errno
from typing import Optional

from absl import logging


class UsageError(Exception):
  """Base of every input mistake: the binary prints it and exits 2."""


class GinFileError(UsageError, ValueError):
  """A --gin_file that does not exist (or cannot be read)."""


class MalformedBindingError(UsageError, ValueError):
  """A binding or gin file line that gin's parser rejects."""


class UnknownNameError(UsageError, ValueError):
  """A configurable, parameter or reference gin does not know."""


class ConflictError(UsageError, ValueError):
  """A flag and a --gin_bindings set one parameter to different values."""


class ShadowedBindingError(UsageError, ValueError):
  """A bound parameter that train_eval passes itself, so gin would ignore it."""


class BadValueError(UsageError, ValueError):
  """A flag or bound value of the right form but outside the accepted range."""


class UnknownEnvironmentError(UsageError, ValueError):
  """An environment name the chosen suite does not register."""


class RootDirError(UsageError, ValueError):
  """A --root_dir that cannot be created or written."""


class IncompatibleRunError(UsageError, ValueError):
  """A --root_dir holding a run of another agent or environment."""


class IncludeCycleError(UsageError, ValueError):
  """A gin file that includes itself, directly or through other files."""


class GinImportError(UsageError, ImportError):
  """An `import` line of a gin file whose module cannot be imported."""


class DamagedCheckpointError(UsageError, ValueError):
  """A checkpoint in --root_dir that cannot be read; nothing is deleted."""


class MissingPackageError(UsageError, ImportError):
  """A flag that needs a package that is not installed (e.g. Ray)."""


class DiskFullError(UsageError, OSError):
  """The disk filled up during the run; what was saved before is kept."""


def as_usage_error(error: BaseException) -> Optional[UsageError]:
  """The one-line error for an unexpected `error` that is a user's to fix, else None.

  Today: a full disk (ENOSPC anywhere in the chain of causes). Logs the
  traceback at INFO, for the log file only.
  """
  full = _find_in_chain(error, lambda e: (
      isinstance(e, OSError) and e.errno == errno.ENOSPC) or
                        'No space left on device' in str(e))
  if full is None:
    return None
  logging.info('Stopped by a full disk.', exc_info=error)
  first_line = lambda e: str(e).strip().split('\n')[0]
  if type(error).__name__ == 'SaveError':  # Its message says it all.
    return DiskFullError(first_line(error))
  return DiskFullError(
      f'No space left on device: {type(full).__name__}: {first_line(full)}. '
      'Free space on that disk (or choose another --root_dir), then run '
      'again to resume from the last checkpoint; nothing saved before was '
      'lost.')


def _find_in_chain(error: BaseException, matches) -> Optional[BaseException]:
  seen, stack = set(), [error]
  while stack:
    e = stack.pop()
    if e is None or id(e) in seen:
      continue
    seen.add(id(e))
    if matches(e):
      return e
    stack += [e.__cause__, e.__context__]
  return None
