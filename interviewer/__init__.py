"""The ``interviewer`` CLI and the session loop: the only package that wires bank, judges and reports."""
