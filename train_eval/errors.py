"""The mistakes `train_eval` reports as one line and exit status 2, one type per kind.

Every message names the flag or binding at fault, the value given, what is
accepted and how to fix it. Raised before the root_dir is touched.
"""


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
