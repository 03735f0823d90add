"""A child process for the crash tests: saves policy checkpoints until killed.

  python -m tests.save_loop SAVED_MODEL_DIR loop        # saves every step, forever
  python -m tests.save_loop SAVED_MODEL_DIR loop STAGE K  # stops inside the K-th write
  python -m tests.save_loop SAVED_MODEL_DIR exit_early  # async saves, never close()

Prints 'ready' once the trigger is built, then 'saved N' after each request.
With STAGE, the K-th checkpoint write prints 'in-write STAGE' when it reaches
that point of the write (see `STAGES`) and waits there to be killed.
"""

import sys
import time

from tests import agents
import triggers
from triggers import durable
from triggers import manifest
from triggers import variable_snapshot

# Points inside a checkpoint write, in order: (module, function, which
# argument is the checkpoint's path, whether the point is after the call).
STAGES = {
    'variables_written': (variable_snapshot, 'write', 1, True),
    'manifest_written': (manifest, 'write', 0, True),
    'synced_not_renamed': (durable, 'sync_tree', 0, True),
    'renamed_parent_not_synced': (durable, 'sync_parent', 0, False),
}


def stop_inside_writes(stage: str, nth: int) -> None:
  """Makes the `nth` checkpoint write stop at `stage`: prints 'in-write STAGE', then waits."""
  module, name, path_arg, after = STAGES[stage]
  real = getattr(module, name)
  calls = [0]

  def hooked(*args, **kwargs):
    result = real(*args, **kwargs) if after else None
    # A checkpoint's, not a SavedModel's or a new directory's.
    if 'policy_checkpoint_' in args[path_arg]:
      calls[0] += 1
    if calls[0] == nth:
      print(f'in-write {stage}', flush=True)
      time.sleep(3600)  # Until killed.
    return result if after else real(*args, **kwargs)

  setattr(module, name, hooked)


def main(saved_model_dir: str, mode: str, stage: str = '',
         nth: str = '1') -> None:
  agent, train_step = agents.make_agent('dqn')
  trigger = triggers.PolicySavedModelTrigger(
      saved_model_dir, agent, train_step, interval=1,
      async_saving=(mode == 'exit_early'))
  step = int(triggers.latest_checkpoint(saved_model_dir) or 0)
  if stage:
    stop_inside_writes(stage, int(nth))
  print('ready', flush=True)
  if mode == 'exit_early':
    real_write = variable_snapshot.write

    def slow_write(snapshot, prefix):
      time.sleep(0.5)
      real_write(snapshot, prefix)

    variable_snapshot.write = slow_write
    for step in (1, 2, 3):
      train_step.assign(step)
      trigger(step)
      print(f'saved {step}', flush=True)
    return  # No close(): pending saves must still finish, and we must exit.
  while True:
    step += 1
    agents.perturb(agent, train_step, steps=0, seed=step)
    train_step.assign(step)
    trigger(step)
    print(f'saved {step}', flush=True)


if __name__ == '__main__':
  main(*sys.argv[1:])
