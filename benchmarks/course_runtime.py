"""Seconds each lesson notebook takes to run top to bottom on this machine.

    python benchmarks/course_runtime.py [--lesson N]

Same as `nas-lessons course run`; the target is at most 120 s per lesson (goal: 60 s) on a
2-core laptop CPU, offline.
"""

import sys

from nas_lessons.cli import main

if __name__ == "__main__":
    sys.exit(main(["course", "run", *sys.argv[1:]]))
