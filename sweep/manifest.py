"""ROOT/sweep.json: what a sweep's root holds, so that a re-run resumes it and
another sweep is refused.

A re-run may add grid values, configs and seeds (they add runs); the flags
passed to every run and the set of parameters swept must stay the same.
"""

import json
import os
from typing import Any, Dict, List, Optional

from train_eval import errors

FILE = 'sweep.json'


class SweepRootError(errors.UsageError, ValueError):
  """A sweep root that holds something else: another sweep, or not a sweep."""


def describe(run_flags: List[str], parameters: List[str],
             search: Optional[str]) -> Dict[str, Any]:
  """The part of a sweep a re-run must repeat.

  Args:
    run_flags: the train_eval flags passed to every run, as given.
    parameters: the swept gin parameters, sorted.
    search: 'optuna' for a search, None for a grid.
  """
  return {'run_flags': run_flags, 'parameters': sorted(parameters),
          'search': search}


def read(root_dir: str) -> Optional[Dict[str, Any]]:
  path = os.path.join(root_dir, FILE)
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def check(root_dir: str, wanted: Dict[str, Any]) -> None:
  """Raises unless `root_dir` is new, empty, or holds this sweep.

  Raises:
    SweepRootError: one line naming what differs and the way out.
  """
  found = read(root_dir)
  if found is None:
    if os.path.isdir(root_dir) and os.listdir(root_dir):
      raise SweepRootError(
          f'--root_dir={root_dir} holds files but no {FILE}: it is not a '
          'sweep. Choose a new --root_dir for the sweep.')
    return
  for key, what in (('search', 'search'), ('parameters', 'swept parameters'),
                    ('run_flags', 'gin files, bindings or flags')):
    if found.get(key) != wanted[key]:
      raise SweepRootError(
          f'--root_dir={root_dir} holds a sweep of other {what} '
          f'({found.get(key)} there, {wanted[key]} now); re-run it with the '
          'same flags (you may add grid values or seeds), or choose a new '
          '--root_dir.')


def write(root_dir: str, description: Dict[str, Any]) -> None:
  """Writes `description` atomically."""
  os.makedirs(root_dir, exist_ok=True)
  path = os.path.join(root_dir, FILE)
  with open(path + '.tmp', 'w') as f:
    json.dump(description, f, indent=1)
  os.replace(path + '.tmp', path)
