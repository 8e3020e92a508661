"""The web front door (``interviewer serve``): the same session engine, store, bank, judges and
report as the terminal, with the browser as the answer source. ``app`` builds the application,
``routes`` holds its pages, ``web_source`` the answer source, ``live`` the engines it runs,
``security`` its guard, ``server`` the process around it."""
