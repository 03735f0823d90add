"""The `policies` tool: list, evaluate, plot, video and export a train_eval run's policies.

Each subcommand is also a function here; everything reads only the on-disk
layout that `train_eval` and the triggers write. The functions load on first
use, so that the `policies` command can start its console capture before
TensorFlow is imported.
"""

import importlib

_HOMES = {
    'PoliciesError': 'policies_tool.run_dir',
    'evaluate': 'policies_tool.evaluation',
    'export': 'policies_tool.exporting',
    'list_policies': 'policies_tool.listing',
    'plot': 'policies_tool.plotting',
    'record_video': 'policies_tool.video',
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
  if name not in _HOMES:
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
  return getattr(importlib.import_module(_HOMES[name]), name)
