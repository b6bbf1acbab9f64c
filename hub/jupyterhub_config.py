# JupyterHub's configuration for the course's classroom. `make hub` writes the settings (users,
# ports, paths, the demo password) to build/hub/hub.json and starts `jupyterhub -f` on this file with
# R2A_HUB_SETTINGS pointing there. To point an existing hub at the course instead, copy the lines
# marked "the course" into its own jupyterhub_config.py (see the README's hub section).
import json
import os

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)
settings = json.load(open(os.environ["R2A_HUB_SETTINGS"]))
state = settings["state"]

# Where the hub listens: this machine only, on ports of its own.
c.JupyterHub.bind_url = f"http://127.0.0.1:{settings['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [settings["proxy"]]  # configurable-http-proxy, pinned in package.json
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"

# Logins. For the local demo, JupyterHub's shared-password authenticator: the listed users, one
# password. On a real deployment change this one setting, e.g. to "pam" (each local user's own
# password) or an OAuth authenticator such as oauthenticator's "github" (then map its names to local users).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = settings["password"]
c.Authenticator.allowed_users = {settings["instructor"], *settings["students"]}
# No hub admins: the instructor's powers are nbgrader's (the formgrader), not the hub's. (This
# authenticator would want a second, 32-character password for admins.)

# The course: each person's own JupyterLab (with nbgrader's extensions), started as their local
# user in their home, with the course environment's deterministic settings.
c.Spawner.cmd = [settings["singleuser"]]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = settings["environment"]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

