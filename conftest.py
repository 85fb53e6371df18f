"""Applies to every test path (tests, notebooks, solutions, exercises): no progress bars in
the executed notebooks' outputs or the test log (`nas_lessons.utils.show_progress`)."""

import os

os.environ["NAS_LESSONS_QUIET"] = "1"
