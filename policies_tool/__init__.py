"""The `policies` tool: list, evaluate, plot, video and export a train_eval run's policies.

Each subcommand is also a function here; everything reads only the on-disk
layout that `train_eval` and the triggers write.
"""

from policies_tool.evaluation import evaluate
from policies_tool.export import export
from policies_tool.listing import list_policies
from policies_tool.plotting import plot
from policies_tool.run_dir import PoliciesError
from policies_tool.video import record_video

__all__ = ['PoliciesError', 'evaluate', 'export', 'list_policies', 'plot',
           'record_video']
