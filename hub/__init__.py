"""The course on a JupyterHub: one instructor and a few students, each a real local user, with
nbgrader's exchange, Assignments list, Validate button and formgrader (``make hub``).

    classroom.py           who the users are, where their folders are, and setting them up
    jupyterhub_config.py   the hub's configuration, read from the settings the setup wrote
    __main__.py            ``python -m hub start | clean``: what ``make hub`` and ``make hub-clean`` run
"""
