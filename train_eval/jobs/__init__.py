"""The jobs of a run: replay, collect, train, eval, and all of them in one process."""
