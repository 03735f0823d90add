"""Builds triggers from a list of classes or gin references (`@triggers.X`).

A `.gin` file names the trigger list, and the code that owns the runtime
objects (agent, train_step, saved_model_dir, reverb_client) calls this to build
it: each factory gets only the runtime objects its signature accepts, and gin
supplies everything else.
"""

import inspect
from typing import Any, Callable, Dict, List, Sequence

from triggers import argument_checks


def build_triggers(factories: Sequence[Callable[..., Any]],
                   **runtime_objects: Any) -> List[Any]:
  """Calls each factory with the `runtime_objects` it takes by name.

  Args:
    factories: trigger classes, or gin references to them.
    **runtime_objects: e.g. `agent=`, `train_step=`, `saved_model_dir=`,
      `reverb_client=`.

  Returns:
    The triggers, in the order of `factories`.

  Raises:
    TypeError: a factory is not callable.
  """
  triggers = []
  for factory in factories:
    if not callable(factory):
      raise argument_checks.BadArgumentType(
          f'Trigger list entries must be trigger classes or gin references '
          f'such as @triggers.PolicySavedModelTrigger, got {factory!r}.')
    triggers.append(factory(**runtime_arguments(factory, runtime_objects)))
  return triggers


def runtime_arguments(factory: Callable[..., Any],
                      runtime_objects: Dict[str, Any]) -> Dict[str, Any]:
  """The entries of `runtime_objects` that `factory`'s signature names."""
  parameters = inspect.signature(factory).parameters
  return {name: value for name, value in runtime_objects.items()
          if name in parameters}
