"""fsync, so that a published directory survives a power loss, not only a kill.

A rename is atomic, but without fsync a power loss can leave the new name
pointing at files whose data never reached the disk, or undo the rename. As
Orbax and SQLite do: before the rename every file and directory of the new
tree is fsync'd; after it, the directory holding the new name. The tree's
fsyncs run concurrently: they need only all end before the rename, and a
journaling filesystem commits concurrent ones together (one journal commit
instead of one per file: benchmarks/results/durable_saving.md).

Local paths only (`argument_checks.check_local_path`): object stores cannot
rename atomically.
"""

import concurrent.futures
import os
import threading

# Threads that fsync a tree's files and directories at once.
SYNC_THREADS = 8
_executor = None
_executor_lock = threading.Lock()


def sync_path(path: str) -> None:
  """fsyncs one file or directory (its data and its entries)."""
  fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(path)
                                    else 0))
  try:
    os.fsync(fd)
  finally:
    os.close(fd)


def sync_tree(root: str) -> None:
  """fsyncs every file and directory under `root` (`root` included), concurrently.

  Returns once all are synced. `root` may be a single file. At interpreter
  exit, when no thread pool takes work, they are synced one at a time.

  Raises:
    OSError: the first fsync that failed (after all have ended).
  """
  if not os.path.isdir(root):
    sync_path(root)
    return
  paths = []
  for dirpath, _, filenames in os.walk(root):
    paths += [os.path.join(dirpath, name) for name in filenames]
    paths.append(dirpath)
  futures = []
  try:
    for path in paths:
      futures.append(_threads().submit(sync_path, path))
  except RuntimeError:
    # Interpreter shutdown (an async save flushed at exit): the pool takes no
    # more work, so the rest are synced here, one at a time.
    for path in paths[len(futures):]:
      sync_path(path)
  concurrent.futures.wait(futures)
  for future in futures:
    future.result()


def _threads() -> concurrent.futures.ThreadPoolExecutor:
  """The fsync threads, started at the first tree synced."""
  global _executor
  with _executor_lock:
    if _executor is None:
      _executor = concurrent.futures.ThreadPoolExecutor(
          SYNC_THREADS, thread_name_prefix='fsync')
    return _executor


def sync_parent(path: str) -> None:
  """fsyncs the directory that holds `path`: makes its (re)naming durable."""
  sync_path(os.path.dirname(os.path.abspath(path)))


def rename(source: str, destination: str) -> None:
  """Renames a complete file or tree into place durably: sync, rename, sync the parent.

  Raises:
    OSError: as `os.rename` (e.g. `destination` is a non-empty directory).
  """
  sync_tree(source)
  os.rename(source, destination)
  sync_parent(destination)


def make_dirs(path: str) -> None:
  """`os.makedirs(path, exist_ok=True)`, with each directory created made durable."""
  path = os.path.abspath(path)
  missing = []
  while not os.path.isdir(path):
    missing.append(path)
    parent = os.path.dirname(path)
    if parent == path:
      break
    path = parent
  for directory in reversed(missing):
    try:
      os.mkdir(directory)
    except FileExistsError:
      if not os.path.isdir(directory):
        raise
    sync_parent(directory)
