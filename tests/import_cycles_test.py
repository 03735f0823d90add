"""The house's modules import in one direction: no module imports (even lazily) back up.

Every import statement of the project's packages (at module level or inside a
function) is an edge; a cycle in that graph fails the test, naming it.
"""

import ast
import os

from absl.testing import absltest

from tests import subprocesses

PACKAGES = ('train_eval', 'triggers', 'policies_tool', 'benchmarks', 'sweep')


def house_modules(root: str = subprocesses.REPO_ROOT):
  """module name -> file path, for every .py file of `PACKAGES` under `root`."""
  found = {}
  for package in PACKAGES:
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, package)):
      # Not the peers' virtualenvs (benchmarks/.venvs) nor other hidden dirs.
      dirnames[:] = [d for d in dirnames if not d.startswith('.')]
      for name in filenames:
        if not name.endswith('.py'):
          continue
        path = os.path.join(dirpath, name)
        parts = os.path.relpath(path, root)[:-3].split(os.sep)
        if parts[-1] == '__init__':
          parts.pop()
        found['.'.join(parts)] = path
  return found


def imports_of(module: str, path: str, modules) -> set:
  """The house modules `module` imports (`from a import b` -> a.b if a module)."""
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  package = module if path.endswith('__init__.py') else module.rpartition('.')[0]
  found = set()
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ''
      if node.level:
        anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
        base = '.'.join(anchor + ([base] if base else []))
      names = [f'{base}.{alias.name}' if f'{base}.{alias.name}' in modules
               else base for alias in node.names]
    else:
      continue
    for name in names:
      while name and name not in modules:  # a.b.c -> the module a.b
        name = name.rpartition('.')[0]
      if name and name != module:
        found.add(name)
  return found


def find_cycle(graph):
  """One cycle of `graph` (node -> successors) as a list of nodes, or None."""
  state, stack = {}, []

  def visit(node):
    state[node] = 'open'
    stack.append(node)
    for successor in sorted(graph.get(node, ())):
      if state.get(successor) == 'open':
        return stack[stack.index(successor):] + [successor]
      if successor not in state:
        cycle = visit(successor)
        if cycle:
          return cycle
    state[node] = 'done'
    stack.pop()
    return None

  for node in sorted(graph):
    if node not in state:
      cycle = visit(node)
      if cycle:
        return cycle
  return None


class ImportCyclesTest(absltest.TestCase):

  def test_the_house_has_no_import_cycle(self):
    modules = house_modules()
    self.assertIn('train_eval.main', modules)
    graph = {module: imports_of(module, path, modules)
             for module, path in modules.items()}
    cycle = find_cycle(graph)
    self.assertIsNone(cycle, 'import cycle: ' + ' -> '.join(cycle or []))

  def test_a_lazy_import_back_up_is_found(self):
    root = self.create_tempdir()
    root.create_file('train_eval/__init__.py')
    root.create_file('train_eval/main.py', 'from train_eval.launch import ray\n')
    root.create_file('train_eval/launch/__init__.py')
    root.create_file('train_eval/launch/ray.py',
                     'def run():\n  from train_eval import main\n')
    modules = house_modules(root.full_path)
    graph = {module: imports_of(module, path, modules)
             for module, path in modules.items()}
    self.assertEqual(find_cycle(graph), ['train_eval.launch.ray',
                                         'train_eval.main',
                                         'train_eval.launch.ray'])


if __name__ == '__main__':
  absltest.main()
