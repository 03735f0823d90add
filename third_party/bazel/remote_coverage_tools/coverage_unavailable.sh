#!/bin/sh
# Stand-in for Bazel's coverage tools: `bazel coverage` is not supported offline.
echo "remote_coverage_tools stand-in: bazel coverage is not supported in this offline build" >&2
exit 1
