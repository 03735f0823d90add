"""Running the project's modules in child processes, as users and crashes do."""

import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python_env() -> dict:
  """This process's environment, with the repository importable and TF quiet."""
  env = dict(os.environ)
  env['PYTHONPATH'] = os.pathsep.join(
      [REPO_ROOT] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
  env['TF_CPP_MIN_LOG_LEVEL'] = '2'
  return env
