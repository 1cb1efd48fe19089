"""JupyterHub configuration for tests/test_hub.py: a real hub on loopback.

Everything that changes from one run to the next comes from environment variables set
by the test (MQH_*), so this file stays a plain, readable hub configuration: PAM logins
for local Unix users, each student's JupyterLab started as that user by the default
LocalProcessSpawner, with a shared config folder standing in for the hub's /etc/jupyter.
"""

import os

c = get_config()  # noqa: F821 (provided by JupyterHub)
ENV = os.environ
STATE = ENV["MQH_STATE_DIR"]

c.JupyterHub.bind_url = f"http://127.0.0.1:{ENV['MQH_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{ENV['MQH_HUB_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{ENV['MQH_PROXY_API_PORT']}"
c.JupyterHub.db_url = f"sqlite:///{STATE}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{STATE}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{STATE}/jupyterhub.pid"
c.ConfigurableHTTPProxy.pid_file = f"{STATE}/proxy.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Real passwords checked by PAM (/etc/shadow); only the test's students may log in.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(ENV["MQH_USERS"].split(","))

# Each student's server runs as their Unix user, from a Python they can read.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(ENV["MQH_HUB_VENV"], "bin", "jupyterhub-singleuser")]
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.Spawner.environment = {
    "PATH": os.path.join(ENV["MQH_HUB_VENV"], "bin") + ":/usr/local/bin:/usr/bin:/bin",
    # the hub's /etc/jupyter: nbgrader's student config and the lab extensions' settings
    "JUPYTER_CONFIG_PATH": ENV["MQH_STUDENT_CONFIG"],
    "LANG": "C.UTF-8",
}
