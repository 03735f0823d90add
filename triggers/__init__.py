"""gin-configurable training triggers for TF-Agents.

Every trigger is registered with gin under the module `triggers`, so a `.gin`
file may say `PolicySavedModelTrigger.interval = 5000` or
`triggers.PolicySavedModelTrigger.interval = 5000`. The classes work without gin.
"""

from triggers.argument_checks import BadArgument
from triggers.checkpoint_format import checkpoint_path
from triggers.checkpoint_format import list_checkpoints
from triggers.checkpoint_writer import CheckpointWriter
from triggers.checkpoint_writer import SaveError
from triggers.from_references import build_triggers
from triggers.interval_trigger import IntervalTrigger
from triggers.policy_saved_model_trigger import PolicySavedModelTrigger
from triggers.reverb_checkpoint_trigger import ReverbCheckpointTrigger
from triggers.saved_models import SpecMismatchError
from triggers.step_per_second_log_trigger import StepPerSecondLogTrigger

__all__ = [
    'BadArgument',
    'CheckpointWriter',
    'IntervalTrigger',
    'PolicySavedModelTrigger',
    'ReverbCheckpointTrigger',
    'SaveError',
    'SpecMismatchError',
    'StepPerSecondLogTrigger',
    'build_triggers',
    'checkpoint_path',
    'list_checkpoints',
]
