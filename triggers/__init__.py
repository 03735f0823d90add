"""gin-configurable training triggers for TF-Agents.

Every trigger is registered with gin under the module `triggers`, so a `.gin`
file may say `PolicySavedModelTrigger.interval = 5000` or
`triggers.PolicySavedModelTrigger.interval = 5000`. The classes work without gin.
"""

from triggers.argument_checks import BadArgument
from triggers.best_policy import BEST_POLICY_DIR
from triggers.checkpoint_format import checkpoint_path
from triggers.checkpoint_reader import check_no_invalid_checkpoints
from triggers.checkpoint_reader import invalid_checkpoints
from triggers.checkpoint_reader import InvalidCheckpointError
from triggers.checkpoint_reader import latest_checkpoint
from triggers.checkpoint_reader import list_checkpoints
from triggers.checkpoint_reader import read_manifest
from triggers.checkpoint_reader import reading
from triggers.checkpoint_reader import verify_checkpoint
from triggers.checkpoint_reader import wait_for_checkpoint
from triggers.checkpoint_writer import CheckpointWriter
from triggers.checkpoint_writer import SaveError
from triggers.from_references import build_triggers
from triggers.from_references import runtime_arguments
from triggers.interval_trigger import IntervalTrigger
from triggers.manifest import VerificationError
from triggers.policy_saved_model_trigger import PolicySavedModelTrigger
from triggers.retention import RetentionError
from triggers.reverb_checkpoint_trigger import ReverbCheckpointTrigger
from triggers.saved_models import SpecMismatchError
from triggers.step_per_second_log_trigger import StepPerSecondLogTrigger

__all__ = [
    'BEST_POLICY_DIR',
    'BadArgument',
    'CheckpointWriter',
    'IntervalTrigger',
    'InvalidCheckpointError',
    'PolicySavedModelTrigger',
    'RetentionError',
    'ReverbCheckpointTrigger',
    'SaveError',
    'SpecMismatchError',
    'StepPerSecondLogTrigger',
    'VerificationError',
    'build_triggers',
    'check_no_invalid_checkpoints',
    'checkpoint_path',
    'invalid_checkpoints',
    'latest_checkpoint',
    'list_checkpoints',
    'read_manifest',
    'reading',
    'runtime_arguments',
    'verify_checkpoint',
    'wait_for_checkpoint',
]
