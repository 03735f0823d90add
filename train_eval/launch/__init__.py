"""Launchers: the jobs of a run as local processes or as Ray actors."""
