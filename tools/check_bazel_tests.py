#!/usr/bin/env python3
"""Checks that tests/BUILD has a py_test for every tests/*_test.py module.

  python3 tools/check_bazel_tests.py [REPO_ROOT]

tests/BUILD makes one py_test per entry of its TESTS and LONG_TESTS dicts
(module name -> size). This reads those two dict literals (Starlark parsed as
Python) and requires:
  * every tests/*_long_test.py to be in LONG_TESTS (tagged "manual" and "long",
    so that `bazel test //...` leaves it out, as pytest.ini does), and every
    other tests/*_test.py in TESTS;
  * no name in both, no *_long_test in TESTS, only *_long_test in LONG_TESTS;
  * a valid size.
An entry whose module is not in the checkout (not committed yet) gets no
target and only a note here. Exits 1 with one line per problem.
`make bazel-test` runs it, and so does `bazel test //...`
(//tools:check_bazel_tests_test, which sees tests/BUILD and tests/*_test.py).
"""

import ast
import glob
import os
import sys

SIZES = ('small', 'medium', 'large', 'enormous')
LONG_SUFFIX = '_long_test'


def read_dict(tree, name, build_file):
  """{module: (size, line)} of the dict literal assigned to `name`."""
  for node in tree.body:
    if (isinstance(node, ast.Assign) and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == name):
      if not isinstance(node.value, ast.Dict):
        raise ValueError(f'{build_file}:{node.lineno}: {name} is not a dict '
                         'literal')
      entries = {}
      for key, value in zip(node.value.keys, node.value.values):
        if not all(isinstance(n, ast.Constant) and isinstance(n.value, str)
                   for n in (key, value)):
          raise ValueError(f'{build_file}:{node.lineno}: {name} must map '
                           'string literals to string literals')
        if key.value in entries:
          raise ValueError(f'{build_file}:{key.lineno}: {key.value!r} twice '
                           f'in {name}')
        entries[key.value] = (value.value, key.lineno)
      return entries
  raise ValueError(f'{build_file}: no `{name} = {{...}}`')


def check(root):
  """(problems, notes): problems is empty when tests/BUILD covers every module."""
  build_file = os.path.join(root, 'tests', 'BUILD')
  try:
    with open(build_file, encoding='utf-8') as f:
      tree = ast.parse(f.read(), filename=build_file)
    tests = read_dict(tree, 'TESTS', build_file)
    long_tests = read_dict(tree, 'LONG_TESTS', build_file)
  except (OSError, SyntaxError, ValueError) as e:
    return [f'cannot read the test list: {e}'], []
  modules = sorted(
      os.path.basename(p)[:-len('.py')]
      for p in glob.glob(os.path.join(root, 'tests', '*_test.py')))
  problems, notes = [], []
  for table, entries in (('TESTS', tests), ('LONG_TESTS', long_tests)):
    for name, (size, line) in sorted(entries.items()):
      where = f'tests/BUILD:{line}: {table}[{name!r}]'
      if size not in SIZES:
        problems.append(f'{where}: size {size!r} is not one of {SIZES}')
      if not name.endswith('_test'):
        problems.append(f'{where}: not a *_test module name')
      elif name.endswith(LONG_SUFFIX) != (table == 'LONG_TESTS'):
        problems.append(f'{where}: *{LONG_SUFFIX} modules belong in '
                        'LONG_TESTS, all others in TESTS')
      if name not in modules:
        notes.append(f'{where}: no tests/{name}.py in this checkout; no '
                     'target')
  for name in sorted(set(tests) & set(long_tests)):
    problems.append(f'tests/BUILD: {name!r} in both TESTS and LONG_TESTS')
  for name in modules:
    is_long = name.endswith(LONG_SUFFIX)
    table, size = ('LONG_TESTS', 'large') if is_long else ('TESTS', 'medium')
    if name not in tests and name not in long_tests:
      problems.append(f'tests/{name}.py: no py_test; add "{name}": "{size}" '
                      f'to {table} in tests/BUILD')
  return problems, notes


def main(argv):
  root = (argv[1] if len(argv) > 1 else
          os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  problems, notes = check(root)
  for note in notes:
    print(f'check_bazel_tests: note: {note}', file=sys.stderr)
  for problem in problems:
    print(f'check_bazel_tests: {problem}', file=sys.stderr)
  if problems:
    return 1
  count = len(glob.glob(os.path.join(root, 'tests', '*_test.py')))
  print(f'check_bazel_tests: OK, tests/BUILD has a py_test for each of the '
        f'{count} tests/*_test.py modules.')
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
