"""A child process for the crash tests: saves policy checkpoints until killed.

  python -m tests.save_loop SAVED_MODEL_DIR loop        # saves every step, forever
  python -m tests.save_loop SAVED_MODEL_DIR exit_early  # async saves, never close()

Prints 'ready' once the trigger is built, then 'saved N' after each request.
"""

import sys
import time

from tests import agents
import triggers
from triggers import variable_snapshot


def main(saved_model_dir: str, mode: str) -> None:
  agent, train_step = agents.make_agent('dqn')
  trigger = triggers.PolicySavedModelTrigger(
      saved_model_dir, agent, train_step, interval=1,
      async_saving=(mode == 'exit_early'))
  step = int(triggers.latest_checkpoint(saved_model_dir) or 0)
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
  main(sys.argv[1], sys.argv[2])
