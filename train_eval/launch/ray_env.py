"""Ray's settings that only its environment variables carry, set before `import ray`."""

import os

# Read by Ray at import: False makes a local Ray instance use the loopback
# address (127.0.0.1) for its node, its GCS and the actors' addresses, as it
# does on macOS and Windows. Only for an instance this process starts.
LOOPBACK_VARIABLE = 'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER'


def prepare(local: bool, colour: bool) -> None:
  """Sets Ray's environment for this run; call before the first `import ray`.

  Args:
    local: this process starts a local Ray instance (bind it to loopback).
    colour: keep the escape codes of the actors' coloured prefixes (stdout is
      a terminal).
  """
  os.environ.setdefault('RAY_DEDUP_LOGS', '0')  # Each job's lines, each time.
  if local:
    os.environ.setdefault(LOOPBACK_VARIABLE, '0')
  if not colour:
    os.environ.setdefault('RAY_COLOR_PREFIX', '0')
