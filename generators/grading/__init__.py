"""Grading outside the student's kernel: sandboxed workers, verdicts, nbgrader's plug-ins."""
